#!/usr/bin/env bash
# The package in a bundled app: packs pkg/ (as built by `make pkg`), installs the tarball by name
# into tests/bundler/node_modules, builds the app with Vite twice into target/bundler-site/
# (web: the default entry with `await init()`, no plugin; bundler: the /bundler entry with
# vite-plugin-wasm), then opens both in headless Chromium against graph-mock: the built sites,
# served by graph-mock, and the Vite dev server on the same configs (proxying /beta to it).
#   tests/bundler/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f pkg/package.json ] || { echo "pkg/ is missing: run make pkg first" >&2; exit 1; }
[ -x node_modules/.bin/vite ] && [ -d node_modules/vite-plugin-wasm ] || { echo "vite is missing: run make setup (npm ci)" >&2; exit 1; }

# Its own pack folder, so that this can run beside `make test-node` (which empties target/npm).
rm -rf target/npm-bundler && mkdir -p target/npm-bundler
(cd pkg && npm pack --silent --pack-destination ../target/npm-bundler >/dev/null)
(cd tests/bundler && npm install --no-save --no-audit --no-fund --loglevel=error ../../target/npm-bundler/intune-script-user-state-*.tgz)

for variant in web bundler; do
  echo "vite build: tests/bundler/$variant -> target/bundler-site/$variant"
  node_modules/.bin/vite build -c "tests/bundler/$variant/vite.config.mjs"
done

scripts/with-mock.sh --static target/bundler-site -- node --test tests/bundler/bundler.test.mjs
