#!/usr/bin/env bash
# One command for a newcomer: set up, then run the embedded demo until Ctrl-C, on the pinned
# Node.js runtime (scripts/runtime.sh).
#
# The terminal shows the readable READ and HIT lines; the daemon's JSON logs go to
# var/demo/alpr.log. Ctrl-C, `kill -INT <pid>` or `kill -TERM <pid>` of this script stop the whole
# demo: each set-up step leads a process group of its own (setsid), which the trap signals as a
# whole (npm and the compilers under it); the daemon is the node process itself (exec, no npm, sh
# or tsx wrapper in between), so the signal reaches it directly.
#
#   ALPR_DEMO_SETUP=skip    do not run scripts/setup.sh (the checkout is set up already)
#   ALPR_DEMO_CONFIG=FILE   another config (tests: their own ports and data folder)
#   ALPR_DEMO_DATA=DIR      that config's paths.dataDir (default var/demo, as in config/demo.yaml)
set -euo pipefail
cd "$(dirname "$0")/.."
config=${ALPR_DEMO_CONFIG:-config/demo.yaml}
data_dir=${ALPR_DEMO_DATA:-var/demo}

step_pid=
on_signal() {
  trap - INT TERM
  if [ -n "$step_pid" ]; then kill -TERM -- "-$step_pid" 2>/dev/null || true; fi
  exit "$1"
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
# Runs one set-up step in the background, as the leader of a new process group (setsid), and
# waits for it: a signal interrupts the wait at once and the trap stops the step's whole group.
step() {
  setsid "$@" &
  step_pid=$!
  wait "$step_pid"
  step_pid=
}

if [ "${ALPR_DEMO_SETUP:-}" != skip ]; then step bash scripts/setup.sh; fi
# The same Node.js the unit runs (node_modules was built for it).
. scripts/runtime.sh
runtime_use
creds="$data_dir/credentials"
if [ ! -f "$creds/store.key" ]; then
  mkdir -p "$creds" && chmod 700 "$creds"
  node -e 'process.stdout.write(require("node:crypto").randomBytes(32).toString("hex"))' >"$creds/store.key"
  chmod 600 "$creds/store.key"
fi
log="$data_dir/alpr.log"
# The demo roster (badge D1001, PIN 2468) for the officer's page.
step node --import tsx src/cli.ts roster import --config "$config" fixtures/demo/roster.csv >/dev/null
trap - INT TERM
echo "demo: officer page at http://127.0.0.1:8730/ (badge D1001, PIN 2468); Ctrl-C stops" >&2
echo "demo: JSON logs go to $log (tail -f it in another terminal)" >&2
# stdout (the JSON logs, from every thread) to the file; the display (alerts.consoleStream: stderr)
# and any config error stay on the terminal.
exec node --import tsx src/cli.ts run --config "$config" "$@" >>"$log"
