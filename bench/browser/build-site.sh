#!/usr/bin/env bash
# Builds target/bench-site for the browser bench (bench/browser/run.mjs), served by graph-mock
# with --static so the module, the Microsoft client and plain fetch are all same-origin:
#   index.html, page.js           the bench page and its in-page harness (bench/browser/)
#   pkg/                          the module's browser build (wasm + JS glue), copied from pkg/
#   ms/ms-client.js               bench/browser/ms-entry.js bundled by esbuild (the page loads it)
#   ms/ms-client-init.js          bench/browser/ms-entry-init.js bundled the same way (size only)
#   admin/                        the admin page (www/ and the module), for bench/browser/page-import.mjs
# The Microsoft client and esbuild are installed with npm into target/bench-deps (git-ignored,
# no package.json, no lock file), only when the pinned versions are not there yet.
set -euo pipefail
cd "$(dirname "$0")/../.."

MS_CLIENT_VERSION=${MS_CLIENT_VERSION:-3.0.7}  # latest 3.x when pinned
ESBUILD_VERSION=${ESBUILD_VERSION:-0.28.2}
deps=target/bench-deps
site=target/bench-site

say() { printf '\033[1m[bench]\033[0m %s\n' "$*" >&2; }
installed() { node -p "try { require('./$deps/node_modules/$1/package.json').version } catch { '' }"; }

if [ "$(installed @microsoft/microsoft-graph-client)" != "$MS_CLIENT_VERSION" ] ||
   [ "$(installed esbuild)" != "$ESBUILD_VERSION" ]; then
  say "installing @microsoft/microsoft-graph-client@$MS_CLIENT_VERSION and esbuild@$ESBUILD_VERSION into $deps (git-ignored)"
  mkdir -p "$deps"
  npm install --prefix "$deps" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    "@microsoft/microsoft-graph-client@$MS_CLIENT_VERSION" "esbuild@$ESBUILD_VERSION" >&2
fi

for f in pkg/intune_script_user_state.js pkg/intune_script_user_state_bg.wasm; do
  [ -f "$f" ] || { say "missing $f: run make pkg first"; exit 1; }
done

rm -rf "$site" && mkdir -p "$site/pkg" "$site/ms" "$site/admin/pkg"
cp bench/browser/index.html bench/browser/page.js "$site/"
cp pkg/intune_script_user_state.js pkg/intune_script_user_state_bg.wasm "$site/pkg/"
cp -r www/. "$site/admin/"
cp pkg/intune_script_user_state.js pkg/intune_script_user_state_bg.wasm "$site/admin/pkg/"
# esbuild resolves the package from target/bench-deps through NODE_PATH (the entries live in bench/).
for entry in ms-entry:ms-client ms-entry-init:ms-client-init; do
  NODE_PATH="$deps/node_modules" "$deps/node_modules/.bin/esbuild" "bench/browser/${entry%%:*}.js" \
    --bundle --minify --format=esm --log-level=warning --outfile="$site/ms/${entry##*:}.js"
done
say "$site built"
