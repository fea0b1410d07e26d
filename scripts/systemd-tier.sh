#!/usr/bin/env bash
# The unit under a real systemd: builds a bundle, provisions it with `alpr provision` (as a
# technician would) into a Debian root made by debootstrap, boots that root with systemd-nspawn
# (systemd as PID 1) and checks what the unit file promises:
#   READY and the status line; the watchdog kills and restarts a hung main process; a clean stop;
#   `systemd-analyze security` inside; no writes outside the allowed paths; no /dev/shm and a
#   private IPC namespace; secrets only through
#   $CREDENTIALS_DIRECTORY; no seccomp kill, also with the filter switched to kill mode.
#
# Usage: bash scripts/systemd-tier.sh        (root; skips with a reason where nspawn cannot boot)
#   ALPR_SYSTEMD_ROOT    cached root (default /var/cache/alpr-systemd-root; made when missing)
#   ALPR_SYSTEMD_KEEP=1  keep the work folder (logs, provisioned root) after the run
#
# The bundle is a quick one (scripts/build-bundle.ts --quick): its node and node_modules are links
# to this checkout's, bind-mounted read-only into the container at the same paths.
set -euo pipefail
cd "$(dirname "$0")/.."
CHECKOUT=$PWD
CACHE=${ALPR_SYSTEMD_ROOT:-/var/cache/alpr-systemd-root}
# debootstrap's minimal root plus what booting systemd and these checks need.
ROOT_PACKAGES=systemd,systemd-sysv,dbus
SUITE=bookworm
MIRROR=${ALPR_DEBIAN_MIRROR:-http://deb.debian.org/debian}
t_start=$SECONDS
exec 3>&1

say() { printf 'systemd tier: %s\n' "$*"; }
skip() {
  say "SKIPPED: $*"
  exit 0
}
fail() {
  say "FAILED: $*" >&2
  exit 1
}
pass() { say "ok   $*"; }

# --- where it can run ---------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || skip "needs root (systemd-nspawn boots a container; debootstrap makes its root)"
command -v systemd-nspawn >/dev/null || skip "no systemd-nspawn (Debian: apt-get install systemd-container)"
[ -d "$CACHE/usr" ] || command -v debootstrap >/dev/null ||
  skip "no debootstrap to make the container root (Debian: apt-get install debootstrap)"
# Inside an unprivileged container there are no namespaces to make: nspawn could not boot.
unshare --mount --pid --net --uts --ipc --fork true 2>/dev/null ||
  skip "cannot create namespaces here (an unprivileged container?): systemd-nspawn could not boot"
grep -qw cgroup2 /proc/filesystems || skip "the kernel has no cgroup v2 (systemd in the container needs it)"

# The node that this checkout's node_modules was built for: the pinned runtime (scripts/setup.sh)
# where its native addons load, else the node on PATH.
. scripts/runtime.sh
addons_load() { (cd "$CHECKOUT" && "$1" -e "require('better-sqlite3')(':memory:').close()") >/dev/null 2>&1; }
if [ -x "$ALPR_RUNTIME_HOME/bin/node" ] && addons_load "$ALPR_RUNTIME_HOME/bin/node"; then
  runtime_use
elif ! addons_load "$(command -v node)"; then
  fail "node_modules' native addons load in neither the pinned runtime nor $(command -v node): run scripts/setup.sh"
fi
NODE=$(command -v node)
say "Node.js $("$NODE" --version) ($NODE)"

WORK=$(mktemp -d /tmp/alpr-systemd-tier.XXXXXX)
ROOTFS=$WORK/root
NSPAWN_PID=
INIT_PID=
OVERLAY=0

halt_container() {
  [ -n "$NSPAWN_PID" ] || return 0
  if kill -0 "$NSPAWN_PID" 2>/dev/null; then
    # SIGTERM to nspawn: systemd in the container shuts down and nspawn exits.
    kill -TERM "$NSPAWN_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$NSPAWN_PID" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$NSPAWN_PID" 2>/dev/null; then
      say "container did not halt in 20 s: killing it"
      kill -KILL "$NSPAWN_PID" 2>/dev/null || true
    fi
  fi
  wait "$NSPAWN_PID" 2>/dev/null || true
  NSPAWN_PID=
}

cleanup() {
  local rc=$?
  # A signal can arrive while stdout is redirected: report on the run's own output.
  exec 1>&3
  halt_container
  if [ "$OVERLAY" = 1 ]; then umount "$ROOTFS" 2>/dev/null || umount -l "$ROOTFS" || true; fi
  if [ "$rc" != 0 ] && [ -f "$WORK/console.log" ]; then
    say "container console (last 40 lines):" >&2
    tail -n 40 "$WORK/console.log" >&2 || true
  fi
  if [ "${ALPR_SYSTEMD_KEEP:-0}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
  say "$([ "$rc" = 0 ] && echo passed || echo failed) in $((SECONDS - t_start)) s"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the container root (cached) ----------------------------------------------------------------
stamp="$SUITE $ROOT_PACKAGES"
# Runs share the root read-only (the overlay's lower layer) under a shared lock; making it takes
# the lock alone.
mkdir -p "$(dirname "$CACHE")"
exec 9>"$CACHE.lock"
flock --shared --timeout 400 9 || fail "waited 400 s for another run making $CACHE"
root_current() { [ -f "$CACHE/.alpr-root-stamp" ] && [ "$(cat "$CACHE/.alpr-root-stamp")" = "$stamp" ]; }
if ! root_current; then
  flock --unlock 9
  flock --exclusive --timeout 400 9 || fail "waited 400 s for other runs using $CACHE"
fi
if ! root_current; then
  say "making the container root with debootstrap ($SUITE, minbase + $ROOT_PACKAGES) in $CACHE"
  t=$SECONDS
  rm -rf "$CACHE.tmp"
  timeout 300 debootstrap --variant=minbase --include="$ROOT_PACKAGES" "$SUITE" "$CACHE.tmp" "$MIRROR" \
    >"$WORK/debootstrap.log" 2>&1 || {
    tail -n 20 "$WORK/debootstrap.log" >&2
    fail "debootstrap failed (log above)"
  }
  # debootstrap writes no /etc/hosts: without one, localhost does not resolve in the container.
  printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >"$CACHE.tmp/etc/hosts"
  echo alpr-tier >"$CACHE.tmp/etc/hostname"
  # Nothing in the container needs a login prompt on its console.
  ln -sf /dev/null "$CACHE.tmp/etc/systemd/system/console-getty.service"
  rm -rf "$CACHE.tmp/var/cache/apt/archives/"*.deb
  echo "$stamp" >"$CACHE.tmp/.alpr-root-stamp"
  rm -rf "$CACHE"
  mv "$CACHE.tmp" "$CACHE"
  say "root made in $((SECONDS - t)) s"
else
  say "cached root $CACHE"
fi
flock --shared 9

# Each run gets a fresh copy: an overlay over the cached root where the kernel allows it.
mkdir -p "$ROOTFS" "$WORK/upper" "$WORK/ovl-work"
if mount -t overlay overlay -o "lowerdir=$CACHE,upperdir=$WORK/upper,workdir=$WORK/ovl-work" "$ROOTFS" 2>/dev/null; then
  OVERLAY=1
else
  cp -a "$CACHE/." "$ROOTFS/"
fi

# --- bundle, credentials, provisioning ----------------------------------------------------------
t=$SECONDS
timeout 180 "$NODE" --import tsx scripts/build-bundle.ts --quick --out "$WORK/out" >"$WORK/build.log" 2>&1 || {
  cat "$WORK/build.log" >&2
  fail "the bundle did not build"
}
BUNDLE=$(sed -n 's/^bundle [^:]*: //p' "$WORK/build.log")
[ -x "$BUNDLE/bin/alpr" ] || fail "no bundle in $WORK/out (build log: $(tail -n 3 "$WORK/build.log"))"
say "bundle $(basename "$BUNDLE") in $((SECONDS - t)) s"

# The agency's CA for the broker, and the unit certificate it signs for the unit's request.
pki=$WORK/pki
mkdir -p "$pki"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=tier agency CA" \
  -keyout "$pki/ca.key" -out "$pki/ca.pem" 2>"$pki/openssl.log" || fail "openssl: $(cat "$pki/openssl.log")"

provision() {
  "$BUNDLE/bin/alpr" provision --bundle "$BUNDLE" --root "$ROOTFS" "$@" >>"$WORK/provision.log" 2>&1 || {
    cat "$WORK/provision.log" >&2
    fail "alpr provision $* failed"
  }
}
provision --unit-id tier-0001 --agency demo-pd --cameras front:/dev/video0 --csr --no-tpm
openssl x509 -req -in "$ROOTFS/etc/alpr/unit.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
  -days 2 -out "$pki/unit.crt" 2>>"$pki/openssl.log" || fail "openssl: $(cat "$pki/openssl.log")"
provision --cert "$pki/unit.crt" --ca "$pki/ca.pem"
for f in store.key unit.key unit.crt ca.pem; do
  [ -s "$ROOTFS/etc/alpr/credentials/$f" ] || fail "provisioning left no etc/alpr/credentials/$f"
done
pass "provisioned $(readlink "$ROOTFS/opt/alpr/current"): config, unit, store key, unit key and CSR, then the issued certificate and the CA"

# A quick bundle's links (node/bin/node, node_modules) point into this checkout. They are bound
# read-only under /srv/alpr-tier in the container and the links re-pointed there: the checkout may
# live under /tmp, which the container's own systemd mounts over with a fresh tmpfs at boot.
binds=()
release=$ROOTFS/opt/alpr/$(readlink "$ROOTFS/opt/alpr/current")
for link in node/bin/node node_modules; do
  if [ -L "$release/$link" ]; then
    inside=/srv/alpr-tier/$(basename "$link")
    binds+=("--bind-ro=$(readlink -f "$release/$link"):$inside")
    ln -sfn "$inside" "$release/$link"
  fi
done

# --- boot ---------------------------------------------------------------------------------------
t=$SECONDS
# Unified cgroup hierarchy: on a hybrid host, DevicePolicy= would otherwise not be enforced.
# --system-call-filter=bpf: the inner systemd attaches device and IP-address BPF programs.
# --register=no --keep-unit: no host systemd or D-Bus is needed.
SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 systemd-nspawn --quiet --boot --directory="$ROOTFS" \
  --machine="alpr-tier-$$" --register=no --keep-unit --private-network --system-call-filter=bpf \
  --console=pipe "${binds[@]}" </dev/null >"$WORK/console.log" 2>&1 9>&- &
NSPAWN_PID=$!

for _ in $(seq 1 150); do
  kill -0 "$NSPAWN_PID" 2>/dev/null || fail "systemd-nspawn exited during boot"
  for p in $(pgrep -P "$NSPAWN_PID" || true); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = systemd ] && INIT_PID=$p
  done
  [ -n "$INIT_PID" ] && break
  sleep 0.2
done
[ -n "$INIT_PID" ] || fail "no systemd inside the container after 30 s"

# Every command in the container is bounded: a wedged container fails the run instead of hanging it.
C() { timeout --kill-after=5 120 nsenter --target "$INIT_PID" --all "$@"; }
# Polled, not --wait: right after exec, systemd's private socket may not exist yet.
for _ in $(seq 1 180); do
  state=$(C systemctl is-system-running 2>&1) || true
  case "$state" in running | degraded | maintenance | stopping) break ;; esac
  kill -0 "$NSPAWN_PID" 2>/dev/null || fail "systemd-nspawn exited during boot"
  sleep 0.5
done
case "$state" in
running | degraded) ;;
*) fail "the container's systemd did not finish booting in 90 s (state: $state)" ;;
esac
say "booted systemd $(C systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p') ($state) in $((SECONDS - t)) s"
[ "$state" = running ] || say "failed units: $(C systemctl --failed --plain --no-legend | tr '\n' ' ')"

# --- asking the container ---------------------------------------------------------------------
prop() { C systemctl show alpr.service -p "$1" --value; }
journal() { C journalctl -u alpr.service --no-pager -o cat "$@"; }
show_journal() {
  say "alpr.service journal (last 30 lines):" >&2
  journal -n 400 | grep -v "^{" | tail -n 30 >&2 || true
}
# Waits up to $1 s for active (running) with a main PID other than $2.
wait_running() {
  local limit=$1 not_pid=${2:-} i
  for i in $(seq 1 $((limit * 5))); do
    if [ "$(prop ActiveState)" = active ] && [ "$(prop SubState)" = running ] &&
      [ "$(prop MainPID)" != 0 ] && [ "$(prop MainPID)" != "$not_pid" ]; then
      return 0
    fi
    if [ "$(prop ActiveState)" = failed ]; then return 1; fi
    sleep 0.2
  done
  return 1
}
ready_after_exec() {
  local exec active
  exec=$(prop ExecMainStartTimestampMonotonic)
  active=$(prop ActiveEnterTimestampMonotonic)
  awk -v a="$active" -v e="$exec" 'BEGIN { printf "%.1f", (a - e) / 1e6 }'
}
# Runs a command in the main process's mount namespace (what ProtectSystem= and friends made).
in_unit_ns() { C nsenter --target "$(prop MainPID)" --mount "$@"; }
as_alpr() { in_unit_ns setpriv --reuid=alpr --regid=alpr --init-groups "$@"; }
no_sigsys() {
  if grep -E 'status=31/SYS' <<<"$(journal)"; then
    show_journal
    fail "$1: the seccomp filter killed the daemon (SIGSYS)"
  fi
}

# --- READY and the status line ------------------------------------------------------------------
[ "$(C systemctl is-enabled alpr.service)" = enabled ] || fail "alpr.service is not enabled after provisioning"
wait_running 150 || {
  show_journal
  fail "alpr.service did not reach active (running) with READY=1 (state $(prop ActiveState)/$(prop SubState), result $(prop Result))"
}
pass "READY: active (running) $(ready_after_exec) s after exec (Type=notify: active only after READY=1)"

status=$(C systemctl status alpr.service --no-pager --lines=0 2>&1) || true
grep -q 'Active: active (running)' <<<"$status" || fail "systemctl status: no 'Active: active (running)':\n$status"
status_line=$(grep -o 'Status: ".*"' <<<"$status" || true)
grep -Eiq '^Status: "([a-z]+ (green|amber|red|off)(, )?)+"$' <<<"$status_line" ||
  fail "systemctl status: no daemon status line (STATUS=) with the lights: '$status_line'"
pass "systemctl status: $status_line"

# The memory ceiling is set on the unit's cgroup (MemoryHigh=1G, MemoryMax=1536M), and the daemon
# runs well under it.
[ "$(prop MemoryMax)" = 1610612736 ] && [ "$(prop MemoryHigh)" = 1073741824 ] ||
  fail "memory limits not applied: MemoryMax=$(prop MemoryMax) MemoryHigh=$(prop MemoryHigh)"
mem_now=$(prop MemoryCurrent)
case $mem_now in
''|*[!0-9]*) mem_now="memory use not accounted in this container" ;;
*) mem_now="using $((mem_now / 1048576)) MB" ;;
esac
pass "memory: MemoryHigh=1G MemoryMax=1536M on the unit ($mem_now)"

# Every stage started under the unit's sandbox: one that fails is isolated and the daemon runs on
# without it (its light red), which READY and the status line alone would not show.
failed_stages=$(journal | grep -o '"failed":\[[^]]*\]' | grep -v '"failed":\[\]' | head -n 1 || true)
if journal | grep -q 'stage failed to start'; then
  journal | grep 'stage failed to start' | head -n 3 >&2
  fail "a stage failed to start under the unit's sandbox: $failed_stages"
fi
pass "every stage started (no 'stage failed to start' in the journal)"

# Each JSON line is filed at its level's syslog priority (the daemon prefixes <N> on journald's
# stream): `journalctl -p warning` shows the daemon's warnings (the broker is unreachable here) and
# none of its info lines.
warned=$(journal -p warning | grep -c '^{.*"level":"\(warn\|error\|fatal\)"' || true)
[ "$warned" -gt 0 ] || fail "journalctl -p warning shows none of the daemon's warnings (every line filed as info?)"
if journal -p warning | grep -q '^{.*"level":"info"'; then fail "info lines filed at priority warning or above"; fi
pass "journal priorities: $warned daemon warning/error line(s) at -p warning, no info lines among them"

# The thorough worker's thread runs at nice 19 under SCHED_IDLE below the screens (setpriority and
# sched_setscheduler pass the unit's system call filter, chrt is in the image); every other thread
# of the daemon stays at nice 0 under SCHED_OTHER. Listed as "nice/policy" (0 other, 5 idle).
nice_of_threads() {
  C sh -c "for s in /proc/$(prop MainPID)/task/*/stat; do sed 's/^.*) //' \$s | cut -d' ' -f17,39 | tr ' ' /; done" 2>/dev/null |
    sort | uniq -c | awk '{printf "%s thread(s) at %s; ", $1, $2}'
}
for _ in $(seq 1 60); do
  nices=$(nice_of_threads)
  grep -q 'at 19/5;' <<<"$nices" && break
  sleep 0.5
done
grep -q 'at 19/5;' <<<"$nices" || fail "no thread of the daemon runs at nice 19 under SCHED_IDLE (the thorough worker): $nices"
if grep -Ev '^ *$' <<<"$(tr ';' '\n' <<<"$nices")" | grep -Evq 'at (0/0|19/5)$'; then fail "a thread runs at another priority or policy: $nices"; fi
pass "thread priorities: $nices"

# --- systemd-analyze security, inside -----------------------------------------------------------
sec=$(C systemd-analyze security alpr.service --no-pager 2>&1) || true
exposure=$(sed -n 's/.*Overall exposure level for alpr\.service: \([0-9.]*\).*/\1/p' <<<"$sec")
[ -n "$exposure" ] || fail "systemd-analyze security gave no exposure level:\n$sec"
awk -v x="$exposure" 'BEGIN { exit !(x < 2.0) }' || fail "systemd-analyze security: exposure $exposure, want < 2.0:\n$sec"
pass "systemd-analyze security alpr.service: exposure $exposure ($(grep -o 'Overall exposure level.*' <<<"$sec" | sed 's/.*: [0-9.]* //'))"

# --- writes only where allowed ------------------------------------------------------------------
# As root in the unit's mount namespace: the read-only mounts, not file modes, must refuse.
for d in /opt/alpr/current /etc/alpr /etc /usr/local/bin /var/lib /var/log /; do
  if out=$(in_unit_ns sh -c "touch '$d/.alpr-tier-probe' && rm -f '$d/.alpr-tier-probe'" 2>&1); then
    fail "the unit's mount namespace lets root write $d"
  fi
  grep -q 'Read-only file system' <<<"$out" || fail "writing $d failed for another reason than a read-only mount: $out"
done
# ProtectHome=: what the rest of the system keeps in /root is not there for the unit.
C touch /root/.alpr-tier-probe
if in_unit_ns test -e /root/.alpr-tier-probe; then fail "ProtectHome: /root is visible to the unit"; fi
# The daemon's own user writes its state folder, and a /tmp the rest of the system does not see.
as_alpr sh -c 'touch /var/lib/alpr/.alpr-tier-probe && rm /var/lib/alpr/.alpr-tier-probe' ||
  fail "user alpr cannot write /var/lib/alpr (StateDirectory=) in the unit's namespace"
for d in /tmp /var/tmp; do
  as_alpr sh -c "echo x >$d/alpr-tier-probe" || fail "user alpr cannot write its private $d"
  if C test -e "$d/alpr-tier-probe"; then fail "PrivateTmp: the unit's $d is the system's"; fi
done
pass "writes: read-only /, /etc, /etc/alpr, /opt/alpr, /usr, /var/lib, /var/log (EROFS even for root); /root hidden; /var/lib/alpr and private /tmp, /var/tmp writable"
# No memory shared with the rest of the system: /dev/shm is out of reach, System V IPC is private.
if as_alpr sh -c 'echo x >/dev/shm/alpr-tier-probe' 2>/dev/null; then fail "user alpr can write /dev/shm"; fi
[ "$(C readlink "/proc/$(prop MainPID)/ns/ipc")" != "$(C readlink /proc/1/ns/ipc)" ] ||
  fail "PrivateIPC: the daemon shares the system's IPC namespace"
pass "IPC: /dev/shm inaccessible, private IPC namespace"

# --- secrets only through $CREDENTIALS_DIRECTORY ------------------------------------------------
main=$(prop MainPID)
creds=$(C sh -c "tr '\\0' '\\n' </proc/$main/environ" | sed -n 's/^CREDENTIALS_DIRECTORY=//p')
[ -n "$creds" ] || fail "the daemon has no \$CREDENTIALS_DIRECTORY"
for f in store.key unit.key unit.crt ca.pem; do
  as_alpr cat "$creds/$f" >/dev/null 2>&1 || fail "user alpr cannot read $creds/$f"
  C cmp -s "$creds/$f" "/etc/alpr/credentials/$f" || fail "$creds/$f differs from /etc/alpr/credentials/$f"
  if as_alpr cat "/etc/alpr/credentials/$f" >/dev/null 2>&1; then
    fail "user alpr reads /etc/alpr/credentials/$f directly"
  fi
  if C setpriv --reuid=nobody --regid=nogroup --clear-groups cat "$creds/$f" >/dev/null 2>&1; then
    fail "another user (nobody) reads $creds/$f"
  fi
done
if grep -Eq 'PRIVATE KEY|CERTIFICATE' "$ROOTFS/etc/alpr/config.yaml"; then
  fail "/etc/alpr/config.yaml carries key material"
fi
pass "secrets: the daemon's user reads them only in $creds (not /etc/alpr/credentials/); other users read neither; none in config.yaml"
# A technician's root shell has no $CREDENTIALS_DIRECTORY: the deep check finds the provisioned
# secrets itself (its GPS line may still fail: the container has no receiver).
deep=$(C env -u CREDENTIALS_DIRECTORY /usr/local/bin/alpr config check --deep /etc/alpr/config.yaml 2>&1) || true
if grep -Eq 'no credentials folder|store\.key|unit\.key|unit\.crt|ca\.pem' <<<"$deep"; then
  fail "alpr config check --deep as root does not find the provisioned secrets:\n$deep"
fi
pass "alpr config check --deep as root reads the provisioned secrets (no credential problem)"

# --- the watchdog restarts a hung main process --------------------------------------------------
restarts=$(prop NRestarts)
C sh -c "kill -STOP $main"
t=$SECONDS
# WatchdogSec=30, then RestartSec=5 and a new READY.
wait_running 75 "$main" || {
  show_journal
  fail "a SIGSTOP'd main process was not restarted within 75 s (NRestarts $(prop NRestarts), state $(prop ActiveState)/$(prop SubState))"
}
waited=$((SECONDS - t))
[ "$(prop NRestarts)" = $((restarts + 1)) ] || fail "NRestarts $(prop NRestarts) after the watchdog, want $((restarts + 1))"
# (grep on a here-string: grep -q closing a pipe early would fail the pipeline under pipefail)
grep -q 'Watchdog timeout' <<<"$(journal)" || {
  show_journal
  fail "the restart was not the watchdog's (no 'Watchdog timeout' in the journal)"
}
[ "$waited" -ge 25 ] || fail "restarted after $waited s: sooner than WatchdogSec=30 allows"
pass "watchdog: SIGSTOP'd PID $main killed ('Watchdog timeout'), restarted and READY again after $waited s"

# --- a clean stop -------------------------------------------------------------------------------
stop_clean() {
  local t0 t1 ms
  t0=$(date +%s%N)
  C timeout 40 systemctl stop alpr.service || fail "systemctl stop did not return"
  t1=$(date +%s%N)
  ms=$(((t1 - t0) / 1000000))
  [ "$(prop ActiveState)" = inactive ] || fail "after stop: $(prop ActiveState), want inactive"
  [ "$(prop Result)" = success ] || {
    show_journal
    fail "after stop: Result=$(prop Result) (want success: exited 0 on SIGTERM, no SIGKILL)"
  }
  [ "$(prop ExecMainCode)" = 1 ] && [ "$(prop ExecMainStatus)" = 0 ] ||
    fail "after stop: main process code $(prop ExecMainCode) status $(prop ExecMainStatus), want exited 0"
  [ "$ms" -lt 10000 ] || fail "stop took $ms ms (TimeoutStopSec=30; a clean stop is quick)"
  echo "$ms"
}
ms=$(stop_clean)
no_sigsys "shipped filter"
pass "stop: inactive, exited 0 (Result=success) in $ms ms; no SIGSYS with the shipped filter"

# --- the syscall filter in kill mode ------------------------------------------------------------
# Shipped: denied calls fail with EPERM (V8 probes pkey_alloc). In kill mode any denied call the
# daemon makes on its way to READY, at run time or on stop kills it with SIGSYS.
C mkdir -p /etc/systemd/system/alpr.service.d
C sh -c 'printf "[Service]\nSystemCallErrorNumber=kill\n" >/etc/systemd/system/alpr.service.d/tier-seccomp-kill.conf'
C systemctl daemon-reload
C systemctl reset-failed alpr.service 2>/dev/null || true
C systemctl start --no-block alpr.service
wait_running 150 || {
  no_sigsys "kill mode"
  show_journal
  fail "with SystemCallErrorNumber=kill the unit did not reach READY"
}
# systemd shows kill as 2147483646 (INT_MAX - 1), EPERM as 1.
case "$(prop SystemCallErrorNumber)" in
kill | 2147483646) ;;
*) fail "the kill-mode drop-in did not apply (SystemCallErrorNumber=$(prop SystemCallErrorNumber))" ;;
esac
sleep 8
[ "$(prop SubState)" = running ] || {
  no_sigsys "kill mode"
  fail "with SystemCallErrorNumber=kill the daemon left running: $(prop ActiveState)/$(prop SubState)"
}
ms=$(stop_clean)
no_sigsys "kill mode"
pass "seccomp kill mode: READY after $(ready_after_exec) s, ran 8 s, stopped cleanly in $ms ms, no SIGSYS"

say "all checks passed"
