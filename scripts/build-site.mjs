#!/usr/bin/env node
// Builds the deployable admin page into dist/site/ (`make site`), for `make serve` or any static
// host: the page (www/), the package's browser build (pkg/) and MSAL's browser builds
// (node_modules/@azure/msal-browser), without demo mode.
//
// - Only what index.html and redirect.html reach is copied. Demo mode's files (DEMO_ONLY) are
//   not: app.js imports js/demo.js dynamically, and that import becomes `Promise.resolve(null)`.
// - Every file but the two pages and sample.csv goes to assets/ under a name with the hash of
//   its content (app.3f2a…c1.js), references rewritten, leaves first, so a changed module also
//   renames everything that imports it. The pages keep their names (the redirect URI is
//   registered in Entra ID) and are served with Cache-Control: no-cache.
// - The pages' Content-Security-Policy stays the one in www/index.html; the build checks it
//   against the clouds in www/js/settings.js, and writes it into staticwebapp.config.json
//   (scripts/site-config.mjs), which scripts/serve-site.mjs also reads.
//   node scripts/build-site.mjs [OUT_DIR]     (default dist/site)
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { CLOUDS } from "../www/js/settings.js";
import { DEMO_ONLY, staticWebAppConfig } from "./site-config.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT = join(ROOT, process.argv[2] ?? "dist/site");
const MSAL = "node_modules/@azure/msal-browser/lib";

/** Entry points and files that keep their names. */
const PAGES = ["index.html", "redirect.html"];
const KEEP_NAME = new Set([...PAGES, "sample.csv"]);

const fail = (message) => {
  console.error(`build-site: ${message}`);
  process.exit(1);
};

// The site's logical layout (as target/site, which `make demo` serves) → source files.
const sources = new Map();
(function walk(dir, prefix) {
  for (const name of readdirSync(join(ROOT, dir)).sort()) {
    const rel = prefix + name;
    if (statSync(join(ROOT, dir, name)).isDirectory()) walk(join(dir, name), `${rel}/`);
    else sources.set(rel, join(dir, name));
  }
})("www", "");
for (const f of DEMO_ONLY) if (!sources.has(f)) fail(`DEMO_ONLY names www/${f}, which does not exist: update the list`);
sources.set("pkg/intune_script_user_state.js", "pkg/intune_script_user_state.js");
sources.set("pkg/intune_script_user_state_bg.wasm", "pkg/intune_script_user_state_bg.wasm");
sources.set("vendor/msal-browser.min.js", `${MSAL}/msal-browser.min.js`);
sources.set("vendor/msal-redirect-bridge.min.js", `${MSAL}/redirect-bridge/msal-redirect-bridge.min.js`);
for (const [rel, src] of sources) {
  if (!existsSync(join(ROOT, src))) fail(`missing ${src} (for ${rel}): run make pkg (and npm ci) first`);
}

// --- References --------------------------------------------------------------------------------
const isRelative = (ref) => !/^(?:[a-z][a-z0-9+.-]*:|\/\/|\/|#)/i.test(ref);

/** Each reference in `text` to another file: { start, end, ref, whole: [start, end] of the match, dynamicImport }. */
function references(rel, text) {
  const ext = posix.extname(rel);
  const found = [];
  // `d`: each match carries the indices of its groups; `group` is the reference's.
  const add = (m, group, extra = {}) => {
    const [start, end] = m.indices[group];
    found.push({ start, end, ref: m[group], whole: m.indices[0], ...extra });
  };
  if (ext === ".html") {
    for (const m of text.matchAll(/\s(?:src|href)="([^"]*)"/dg)) if (isRelative(m[1])) add(m, 1);
  } else if (ext === ".css") {
    for (const m of text.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/dg)) if (isRelative(m[1])) add(m, 1);
  } else if (ext === ".js" && !rel.startsWith("vendor/")) {
    // MSAL's builds (vendor/) are leaves: UMD scripts that load nothing.
    for (const m of text.matchAll(/\b(?:from\s*|import\s*)(["'])(\.{1,2}\/[^"']+)\1/dg)) add(m, 2);
    for (const m of text.matchAll(/\bimport\s*\(\s*(["'])([^"']+)\1\s*\)/dg)) add(m, 2, { dynamicImport: true });
    for (const m of text.matchAll(/\bnew URL\(\s*(["'])([^"']+)\1\s*,\s*import\.meta\.url\s*\)/dg)) if (isRelative(m[2])) add(m, 2);
  }
  return found.sort((a, b) => a.start - b.start);
}

// --- The build: depth first from the pages, each file named after its final content ------------
const output = new Map(); // logical path → output path (relative to OUT)
const contents = new Map(); // output path → bytes
const visiting = new Set();
let demoImportsRemoved = 0;

function build(rel, from) {
  if (output.has(rel)) return output.get(rel);
  if (DEMO_ONLY.includes(rel)) fail(`${from} needs ${rel}, a demo-only file, outside a dynamic import()`);
  if (!sources.has(rel)) fail(`${from} refers to ${rel}, which is not part of the site`);
  if (visiting.has(rel)) fail(`a cycle of references through ${rel}`);
  visiting.add(rel);
  let bytes = readFileSync(join(ROOT, sources.get(rel)));
  const ext = posix.extname(rel);
  if ([".html", ".js", ".css"].includes(ext)) {
    let text = bytes.toString("utf8");
    const here = posix.dirname(rel);
    const outDir = KEEP_NAME.has(rel) ? here : "assets"; // where this file will live
    let rewritten = "";
    let at = 0;
    for (const r of references(rel, text)) {
      if (r.whole[0] < at) fail(`${rel}: two references overlap at ${r.whole[0]}`);
      const target = posix.normalize(posix.join(here, r.ref.split(/[?#]/)[0]));
      if (r.dynamicImport && DEMO_ONLY.includes(target)) {
        // The whole `import("./demo.js")` expression: no demo mode in the site.
        rewritten += text.slice(at, r.whole[0]) + "Promise.resolve(null)";
        at = r.whole[1];
        demoImportsRemoved++;
        continue;
      }
      const built = build(target, rel);
      let ref = posix.relative(outDir, built);
      if (ext === ".js" && !ref.startsWith(".")) ref = `./${ref}`;
      rewritten += text.slice(at, r.start) + ref;
      at = r.end;
    }
    text = rewritten + text.slice(at);
    bytes = Buffer.from(text, "utf8");
  }
  visiting.delete(rel);
  let name = rel;
  if (!KEEP_NAME.has(rel)) {
    const base = posix.basename(rel);
    const dot = base.lastIndexOf(".");
    const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 12);
    name = `assets/${base.slice(0, dot)}.${hash}${base.slice(dot)}`;
    const other = [...output.keys()].find((o) => o !== rel && posix.basename(o) === base && !KEEP_NAME.has(o));
    if (other) fail(`${rel} and ${other} would share a name in assets/`);
  }
  output.set(rel, name);
  contents.set(name, bytes);
  return name;
}

for (const page of PAGES) build(page, "the site");
if (demoImportsRemoved !== 1) fail(`expected one import() of demo mode in js/app.js, found ${demoImportsRemoved}`);
for (const f of DEMO_ONLY) if (output.has(f)) fail(`${f} ended up in the site`);

// --- The Content-Security-Policy: what the pages load, and the clouds' hosts only ---------------
const metaCsp = (rel) => {
  const m = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(contents.get(rel).toString("utf8"));
  if (!m) fail(`${rel} has no Content-Security-Policy meta tag`);
  return m[1];
};
const directives = (csp) => new Map(csp.split(";").map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([k, ...v]) => [k, v]));
const pageCsp = metaCsp("index.html");
const bridgeCsp = metaCsp("redirect.html");
{
  const d = directives(pageCsp);
  const graphs = Object.values(CLOUDS).map((c) => c.graph);
  const logins = [...new Set(Object.values(CLOUDS).map((c) => c.login))];
  const same = (name, want) => {
    const have = d.get(name) ?? [];
    if (have.length !== want.length || !want.every((w) => have.includes(w))) {
      fail(`index.html's CSP ${name} is "${have.join(" ")}", expected "${want.join(" ")}" (www/js/settings.js CLOUDS)`);
    }
  };
  same("default-src", ["'none'"]);
  same("script-src", ["'self'", "'wasm-unsafe-eval'"]);
  same("connect-src", ["'self'", ...graphs, ...logins]);
  same("frame-src", ["'self'", ...logins]);
  same("require-trusted-types-for", ["'script'"]);
  for (const page of PAGES) {
    const html = contents.get(page).toString("utf8");
    if (/<script(?![^>]*\ssrc=)[^>]*>/.test(html) || /\sstyle="/.test(html) || /<style/.test(html)) fail(`${page} has an inline script or style`);
  }
}

// --- Write -------------------------------------------------------------------------------------
rmSync(OUT, { recursive: true, force: true });
mkdirSync(join(OUT, "assets"), { recursive: true });
for (const [name, bytes] of contents) writeFileSync(join(OUT, name), bytes);
const config = staticWebAppConfig({ pageCsp, bridgeCsp });
const json = `${JSON.stringify(config, null, 2)}\n`;
if (json.length > 20_000) fail("staticwebapp.config.json is over the host's 20 KB limit");
writeFileSync(join(OUT, "staticwebapp.config.json"), json);

const total = [...contents.values()].reduce((n, b) => n + b.length, 0);
console.log(`${posix.relative(ROOT, OUT) || OUT}: ${contents.size} files, ${(total / 1024).toFixed(0)} KB, + staticwebapp.config.json`);
