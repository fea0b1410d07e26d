#!/usr/bin/env bash
# One command: set up everything the tests use for real, then lint, type-check and test, all on
# the pinned Node.js runtime (scripts/runtime.sh) that the bundle ships.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
. scripts/runtime.sh
runtime_use
# test/unit/runtime.test.ts checks that the suite really runs on this version.
export ALPR_EXPECT_NODE="$ALPR_RUNTIME_VERSION"
echo "test: Node.js $(node --version) ($(command -v node))"
npm run --silent check
