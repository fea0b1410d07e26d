#!/usr/bin/env bash
# Sets up a checkout: Debian packages (when run as root with apt-get), the Node.js runtime from npm
# (scripts/runtime.sh), then npm ci under that runtime.
#   scripts/setup.sh            what the demo needs (a compiler for the native addons, Node packages)
#   scripts/setup.sh --test     plus what the test suite runs for real: mosquitto, nats-server (a
#                               JetStream cluster with MQTT), PostgreSQL 15, gpsd, socat, ffmpeg…,
#                               systemd-nspawn, debootstrap (scripts/systemd-tier.sh), and a
#                               software TPM (swtpm, tpm2-tools) for the sealed-key tests
# Needs npm on PATH (any Node.js that runs it) to fetch the runtime; everything after runs on that.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/runtime.sh

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

need_pkgs=()
# better-sqlite3 and unix-dgram compile from source: their prebuilt downloads are not reachable.
command -v python3 >/dev/null || need_pkgs+=(python3)
command -v make >/dev/null || need_pkgs+=(make)
command -v g++ >/dev/null || need_pkgs+=(g++)
# Any npm fetches the pinned runtime; from then on npm runs on that runtime.
command -v npm >/dev/null || need_pkgs+=(npm)
if [ "$want_test" = 1 ]; then
  need_pkgs+=(mosquitto mosquitto-clients gpsd gpsd-clients socat ffmpeg fonts-dejavu-core openssl chromium
    python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly systemd
    systemd-container debootstrap nats-server postgresql swtpm swtpm-tools tpm2-tools tcpdump)
fi

missing=()
for p in "${need_pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages: ${missing[*]} (run as root, or install them yourself)" >&2
    exit 1
  fi
fi

runtime_install
runtime_use

# onnxruntime-node ships its Linux CPU binaries in the package: its postinstall would only try to
# download GPU extras from the internet. sharp and @serialport/bindings-cpp load prebuilt N-API
# binaries from their packages, which work on any Node.js version.
export ONNXRUNTIME_NODE_INSTALL=skip
# node-gyp builds an addon's targets in parallel (better-sqlite3: SQLite and its binding), on every core.
export JOBS=${JOBS:-max}
# node_modules is rebuilt when the lock or the runtime's ABI changes (addons built for another
# Node.js fail to load).
stamp=node_modules/.alpr-lock-stamp
want_stamp=$(printf 'node %s\n' "$(node --version)"; cat package-lock.json)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want_stamp" ]; then
  echo "setup: npm ci (Node.js $(node --version))"
  npm ci --no-audit --no-fund --loglevel=error
  printf '%s\n' "$want_stamp" >"$stamp"
fi
