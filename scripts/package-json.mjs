// Writes pkg/package.json from the one wasm-pack generated (name, version, licence, ...),
// adding the entry points: Node gets the build that loads its own wasm (no init call),
// bundlers the bundler build, and everything else the browser ESM build with `init`.
import { readFileSync } from "node:fs";

const base = JSON.parse(readFileSync(process.argv[2], "utf8"));
const web = { types: "./intune_script_user_state.d.ts", default: "./intune_script_user_state.js" };
const node = { types: "./node/intune_script_user_state.d.cts", default: "./node/intune_script_user_state.cjs" };
const bundler = { types: "./bundler/intune_script_user_state.d.ts", default: "./bundler/intune_script_user_state.js" };

const pkg = {
  name: base.name,
  version: base.version,
  description: base.description,
  license: base.license,
  repository: base.repository,
  keywords: base.keywords,
  type: "module",
  main: "./node/intune_script_user_state.cjs",
  module: "./intune_script_user_state.js",
  types: "./intune_script_user_state.d.ts",
  // The command line: `npx intune-script-user-state import users.csv --script-id …`.
  bin: { "intune-script-user-state": "./cli/intune-script-user-state.mjs" },
  exports: {
    ".": { node: node, default: web },
    "./web": web,
    "./bundler": bundler,
    "./node": node,
    "./intune_script_user_state.js": web,
    "./intune_script_user_state_bg.wasm": "./intune_script_user_state_bg.wasm",
    "./package.json": "./package.json",
  },
  files: [
    "intune_script_user_state.js",
    "intune_script_user_state.d.ts",
    "intune_script_user_state_bg.wasm",
    "intune_script_user_state_bg.wasm.d.ts",
    "node/",
    "bundler/",
    "cli/",
    "README.md",
  ],
  sideEffects: ["./bundler/intune_script_user_state.js"],
  engines: { node: ">=20" },
};
process.stdout.write(JSON.stringify(pkg, null, 2) + "\n");
