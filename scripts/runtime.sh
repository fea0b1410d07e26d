# The Node.js runtime the unit runs, builds and tests on; sourced by setup.sh, test.sh and demo.sh
# (from the checkout's root).
#
# It is the npm package node-linux-<arch> (the official binary and its headers), pinned in
# runtime/package.json and runtime/package-lock.json: the npm registry is reachable wherever the
# project builds, and nothing else needs to be. Native addons (better-sqlite3, unix-dgram) compile
# against its headers, so they match the binary that the bundle ships and systemd runs.
#
#   runtime_install   installs runtime/node_modules/node-linux-<arch> when the lock changed
#   runtime_use       puts that node first on PATH and points node-gyp at its headers

case "$(uname -m)" in
  x86_64 | amd64) runtime_arch=x64 ;;
  aarch64 | arm64) runtime_arch=arm64 ;;
  *) runtime_arch=unsupported ;;
esac
ALPR_RUNTIME_HOME="$PWD/runtime/node_modules/node-linux-$runtime_arch"
ALPR_RUNTIME_VERSION=$(sed -n 's/^ *"version": "\([0-9.]*\)",*$/\1/p' runtime/package.json | head -n 1)

runtime_install() {
  if [ "$runtime_arch" = unsupported ]; then
    echo "setup: no Node.js runtime package for $(uname -m) (x86_64 and aarch64 are supported)" >&2
    return 1
  fi
  local stamp=runtime/node_modules/.alpr-lock-stamp
  if [ ! -x "$ALPR_RUNTIME_HOME/bin/node" ] || ! cmp -s runtime/package-lock.json "$stamp"; then
    echo "setup: Node.js $ALPR_RUNTIME_VERSION runtime (npm ci in runtime/)"
    # The runtime packages have no install scripts: none to run, none to approve.
    npm ci --prefix runtime --ignore-scripts --no-audit --no-fund --loglevel=error
    cp runtime/package-lock.json "$stamp"
  fi
  local got
  got=$("$ALPR_RUNTIME_HOME/bin/node" --version)
  if [ "$got" != "v$ALPR_RUNTIME_VERSION" ]; then
    echo "setup: runtime/ holds Node.js $got, runtime/package.json pins $ALPR_RUNTIME_VERSION" >&2
    return 1
  fi
}

runtime_use() {
  export PATH="$ALPR_RUNTIME_HOME/bin:$PATH"
  # Headers for node-gyp: these, not /usr/include/node or a download from nodejs.org.
  export npm_config_nodedir="$ALPR_RUNTIME_HOME"
  hash -r
}
