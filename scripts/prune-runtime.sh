#!/bin/sh
# Trims a production install (`npm ci --omit=dev`) to what this machine runs: @temporalio/core-bridge
# ships its native core for five platforms (~27 MiB each) plus the Rust sources to rebuild it, and
# loads only releases/<arch>-unknown-linux-gnu/ on Linux. The Dockerfile's runtime stage runs this;
# test/deploy/build.test.ts runs it too and then a sync through the pruned install.
# Usage: sh scripts/prune-runtime.sh [node_modules dir] (default ./node_modules).
set -eu
bridge="${1:-node_modules}/@temporalio/core-bridge"
keep="$(uname -m)-unknown-linux-gnu"
[ -d "$bridge/releases/$keep" ] || { echo "prune-runtime: no $bridge/releases/$keep, leaving the install as it is" >&2; exit 0; }
for dir in "$bridge"/releases/*; do
  [ "$(basename "$dir")" = "$keep" ] || rm -rf "$dir"
done
rm -rf "$bridge/sdk-core" "$bridge/src" "$bridge/bridge-macros"
