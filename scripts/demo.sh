#!/usr/bin/env bash
# One command for a newcomer: set up, then run the embedded demo until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec npx --no-install tsx src/cli.ts run --config config/demo.yaml "$@"
