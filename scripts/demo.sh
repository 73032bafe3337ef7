#!/usr/bin/env bash
# The main job: build the paddock CLI, bundle the five sample plugins from
# source, and run every hook across them in priority order.
# Extra arguments go to `paddock run` (e.g. --format json).
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add wasm32-wasip2 >/dev/null
cargo build --quiet -p paddock-cli --bin paddock
for plugin in hello-world runtime-env docker-layers deploy-recorder team-labels; do
    target/debug/paddock bundle "sample-plugins/$plugin" -o "target/bundles/$plugin.zip"
done
echo
exec target/debug/paddock run all \
    --set sample-plugins/plugins.yaml \
    --context sample-plugins/context.yaml "$@"
