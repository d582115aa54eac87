// Shortens the names the browser build's .wasm and its glue use for each other.
//   node scripts/minify-names.mjs MODULE.wasm GLUE.js
// wasm-bindgen names every import `__wbg_<name>_<16 hex digits>` from a module called
// "./intune_script_user_state_bg.js", and exports its shims under their Rust names: most of
// the .wasm's import and export sections (the hex digits do not compress), and the same names
// again as keys in the glue (docs/size.md). binaryen's wasm-opt `--minify-imports-and-exports-and-modules`
// renames them all ("a", "b", ... and module "a") and prints the mapping; this script applies
// that mapping to the glue (the keys of the imports object, the module's key, and every
// `wasm.<export>`), then checks that no old name is left and that every name the glue uses
// is one the module has. Run on wasm-bindgen's glue before esbuild minifies it.
import { readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";

const [wasmPath, gluePath] = process.argv.slice(2);
if (!wasmPath || !gluePath) throw new Error("usage: minify-names.mjs MODULE.wasm GLUE.js");
const fail = (what) => {
  console.error(`minify-names: ${what} (a new wasm-bindgen or binaryen? see scripts/minify-names.mjs)`);
  process.exit(1);
};

const out = execFileSync(
  "node_modules/.bin/wasm-opt",
  [
    "--minify-imports-and-exports-and-modules",
    "--enable-bulk-memory", "--enable-reference-types", "--enable-sign-ext",
    "--enable-mutable-globals", "--enable-nontrapping-float-to-int",
    wasmPath, "-o", wasmPath,
  ],
  { encoding: "utf8" },
);
const map = JSON.parse(out.slice(out.indexOf("{")));
const module = new WebAssembly.Module(readFileSync(wasmPath));
const modules = [...new Set(WebAssembly.Module.imports(module).map((i) => i.module))];
if (modules.length !== 1) fail(`expected one import module, found ${modules.length}`);
const oldModules = [...new Set(map.imports.map(([m]) => m))];
if (oldModules.length !== 1) fail(`expected one import module in the mapping, found ${oldModules.length}`);

let glue = readFileSync(gluePath, "utf8");
const replaceOnce = (from, to, what) => {
  const parts = glue.split(from);
  if (parts.length !== 2) fail(`${what}: expected "${from}" once in the glue, found it ${parts.length - 1} times`);
  glue = parts.join(to);
};

// The imports object: `__wbg_fetch_0123456789abcdef: function(` keys, and the module's key.
for (const [, from, to] of map.imports) replaceOnce(`        ${from}: function(`, `        ${JSON.stringify(to)}: function(`, "import");
replaceOnce(`        ${JSON.stringify(oldModules[0])}: import0,`, `        ${JSON.stringify(modules[0])}: import0,`, "import module");

// Exports: every `wasm.<name>` the glue uses.
const exports = new Map(map.exports);
glue = glue.replace(/\bwasm\.([A-Za-z_$][\w$]*)/g, (whole, name) => {
  const to = exports.get(name);
  if (to === undefined) fail(`the glue uses wasm.${name}, which the module does not export`);
  return `wasm[${JSON.stringify(to)}]`;
});

for (const [, from] of map.imports) if (glue.includes(from)) fail(`the import ${from} is still named in the glue`);
writeFileSync(gluePath, glue);
