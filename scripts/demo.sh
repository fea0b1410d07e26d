#!/usr/bin/env bash
# One command for a newcomer: set up, then run the embedded demo until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
creds=var/demo/credentials
if [ ! -f "$creds/store.key" ]; then
  mkdir -p "$creds" && chmod 700 "$creds"
  node -e 'process.stdout.write(require("node:crypto").randomBytes(32).toString("hex"))' >"$creds/store.key"
  chmod 600 "$creds/store.key"
fi
exec npx --no-install tsx src/cli.ts run --config config/demo.yaml "$@"
