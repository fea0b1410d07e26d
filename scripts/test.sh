#!/usr/bin/env bash
# One command: set up everything the tests use for real, then lint, type-check and test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
npm run --silent check
