#!/usr/bin/env bash
# Builds the npm package into pkg/: one release build of the crate, bound by wasm-pack for
# three targets (browser ESM with init, bundler, Node), each module shrunk by wasm-opt -Oz,
# and a package.json whose `exports` send Node, bundlers and browsers to the right one.
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/wasm-pack
rm -rf "$out" pkg
for target in web bundler nodejs; do
  wasm-pack --log-level warn build --release --target "$target" \
    --out-dir "$out/$target" --out-name intune_script_user_state >/dev/null
done

mkdir -p pkg/node pkg/bundler
cp "$out"/web/intune_script_user_state{.js,.d.ts,_bg.wasm,_bg.wasm.d.ts} pkg/
# The Node build is CommonJS inside an ESM package: .cjs says so (npm drops nested package.json).
cp "$out"/nodejs/intune_script_user_state.js pkg/node/intune_script_user_state.cjs
cp "$out"/nodejs/intune_script_user_state.d.ts pkg/node/intune_script_user_state.d.cts
cp "$out"/nodejs/intune_script_user_state_bg.wasm pkg/node/
cp "$out"/bundler/intune_script_user_state{.js,_bg.js,.d.ts,_bg.wasm,_bg.wasm.d.ts} pkg/bundler/

# binaryen from npm (132): Debian's 108 rewrites wasm-bindgen's externref table as anyref,
# which engines then refuse to fill with JS values.
for wasm in pkg/intune_script_user_state_bg.wasm pkg/node/*.wasm pkg/bundler/*.wasm; do
  node_modules/.bin/wasm-opt -Oz --strip-debug --strip-producers --enable-bulk-memory \
    --enable-reference-types --enable-sign-ext --enable-mutable-globals \
    --enable-nontrapping-float-to-int "$wasm" -o "$wasm"
done

# The browser build's import and export names shortened, in the .wasm and its glue alike
# (scripts/minify-names.mjs; what it saves is in docs/size.md). `init()` resolves to the module's raw
# exports, whose names are now internal: the declaration says so. bench/crossings.mjs counts
# calls into JS on the module as it was before (the same code, readable names).
cp pkg/intune_script_user_state_bg.wasm "$out/web/intune_script_user_state_bg.opt.wasm"
node scripts/minify-names.mjs pkg/intune_script_user_state_bg.wasm pkg/intune_script_user_state.js
node -e '
  const fs = require("fs"), f = "pkg/intune_script_user_state.d.ts";
  const s = fs.readFileSync(f, "utf8"), re = /export interface InitOutput \{[^}]*\}/;
  if (!re.test(s)) { console.error("build-pkg: no InitOutput in " + f); process.exit(1); }
  fs.writeFileSync(f, s.replace(re, "/** The module'"'"'s raw exports, with internal (shortened) names: use the named exports. */\nexport type InitOutput = WebAssembly.Exports;"));
'

# The journals, written in JS (js/): indexedDbJournal joins the browser and bundler entries,
# fileJournal the Node one, each with its declaration.
cat js/indexeddb-journal.js >> pkg/intune_script_user_state.js
cat js/indexeddb-journal.d.ts >> pkg/intune_script_user_state.d.ts
cat js/indexeddb-journal.js >> pkg/bundler/intune_script_user_state.js
cat js/indexeddb-journal.d.ts >> pkg/bundler/intune_script_user_state.d.ts
cat js/file-journal.cjs >> pkg/node/intune_script_user_state.cjs
cat js/file-journal.d.ts >> pkg/node/intune_script_user_state.d.cts

# The JS glue a browser downloads, minified (esbuild, from the lock file): the same module,
# fewer gzipped bytes (docs/size.md). The Node build stays as wasm-bindgen wrote it.
for glue in pkg/intune_script_user_state.js pkg/bundler/intune_script_user_state_bg.js \
            pkg/bundler/intune_script_user_state.js; do
  node_modules/.bin/esbuild "$glue" --minify --format=esm --log-level=warning --outfile="$glue" --allow-overwrite
done

# The command line (cli/, its `bin`): the entry, commands/ and lib/; it loads
# ../node/intune_script_user_state.cjs. Three of lib/'s modules are the page's own files, one
# home each: the CSV cell rule, the duration format and the plan file's rows.
mkdir -p pkg/cli
cp -r cli/. pkg/cli/
cp www/js/csv-cell.js www/js/format-duration.js www/js/plan-rows.js pkg/cli/lib/
chmod +x pkg/cli/intune-script-user-state.mjs

node scripts/package-json.mjs "$out/web/package.json" > pkg/package.json
cp README.md pkg/README.md
echo "pkg/ built: $(du -sh pkg | cut -f1)"
