#!/usr/bin/env bash
# One command for a newcomer: set up, then run the embedded demo until Ctrl-C, on the pinned
# Node.js runtime (scripts/runtime.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The same Node.js the unit runs (node_modules was built for it).
. scripts/runtime.sh
runtime_use
creds=var/demo/credentials
if [ ! -f "$creds/store.key" ]; then
  mkdir -p "$creds" && chmod 700 "$creds"
  node -e 'process.stdout.write(require("node:crypto").randomBytes(32).toString("hex"))' >"$creds/store.key"
  chmod 600 "$creds/store.key"
fi
# The demo roster (badge D1001, PIN 2468) for the officer's page at http://127.0.0.1:8730/
npx --no-install tsx src/cli.ts roster import --config config/demo.yaml fixtures/demo/roster.csv >/dev/null
echo "demo: officer page at http://127.0.0.1:8730/ (badge D1001, PIN 2468); Ctrl-C stops"
exec npx --no-install tsx src/cli.ts run --config config/demo.yaml "$@"
