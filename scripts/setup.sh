#!/usr/bin/env bash
# Sets up a checkout: Debian packages (when run as root with apt-get), then npm ci.
#   scripts/setup.sh            what the demo needs (nothing but Node packages)
#   scripts/setup.sh --test     plus what the test suite runs for real: mosquitto, gpsd, socat, ffmpeg…
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

need_pkgs=()
if [ "$want_test" = 1 ]; then
  need_pkgs+=(mosquitto mosquitto-clients gpsd gpsd-clients socat ffmpeg fonts-dejavu-core openssl chromium
    python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly systemd)
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

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ] || [ "$node_major" -gt 24 ]; then
  echo "setup: Node $(node --version) is not supported; use Node 20, 22 or 24" >&2
  exit 1
fi

# onnxruntime-node ships its Linux CPU binaries in the package: its postinstall would only try to
# download GPU extras from the internet. Native addons (better-sqlite3) build against the local
# Node headers when the prebuilt download is unreachable.
export ONNXRUNTIME_NODE_INSTALL=skip
[ -f /usr/include/node/node.h ] && export npm_config_nodedir=/usr
stamp=node_modules/.alpr-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
