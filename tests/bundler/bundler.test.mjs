// The package as a bundled app uses it: tests/bundler/{web,bundler}/ import it by name (installed
// from the packed tarball into tests/bundler/node_modules) and are built with Vite into
// target/bundler-site/{web,bundler}; graph-mock serves that folder, and headless Chromium opens
// each build, which creates a user state on graph-mock and validates one locally; then the same
// app under Vite's dev server on the same config, with /beta proxied to graph-mock.
// Run: tests/bundler/run.sh (pack, install, build both, then this file through scripts/with-mock.sh).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { createServer } from "vite";

const MOCK = process.env.GRAPH_MOCK_URL;
const SITE = new URL("../../target/bundler-site/", import.meta.url).pathname;
const HERE = new URL(".", import.meta.url).pathname;
const CACHE = new URL("../../target/bundler-vite-cache/", import.meta.url).pathname;
const INSTALLED = new URL("./node_modules/intune-script-user-state/", import.meta.url).pathname;
const RUN = Date.now().toString(36);
const TOKEN = "bundler-token-123";
const CHROMIUM_ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
];

// Each build and the package file its .wasm must be a copy of.
const VARIANTS = [
  { name: "web", what: "default entry, await init(), no plugin", wasm: "intune_script_user_state_bg.wasm" },
  { name: "bundler", what: "/bundler entry, vite-plugin-wasm, no init", wasm: "bundler/intune_script_user_state_bg.wasm" },
];

const sha = (bytes) => createHash("sha256").update(bytes).digest("hex");
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;

function files(dir) {
  return readdirSync(dir, { recursive: true })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

async function control(path) {
  const r = await fetch(MOCK + path);
  if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

/** A free loopback port for the dev server (Vite takes 5173 and up for port 0). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Opens the app at `url` (a build served by graph-mock, or the dev server proxying /beta to it),
 * waits for its result and checks it against graph-mock. Returns what the page loaded.
 */
async function openApp(url, entry, how) {
  const page = await context.newPage();
  const seen = { console: [], errors: [], failed: [], wasm: [] };
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") seen.console.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => seen.errors.push(e.message));
  page.on("response", (r) => {
    const u = new URL(r.url());
    if (u.pathname.endsWith(".wasm")) seen.wasm.push({ path: u.pathname, status: r.status(), type: r.headers()["content-type"] });
    if (r.status() >= 400) seen.failed.push(`${r.status()} ${u.pathname}`);
  });
  page.on("requestfailed", (r) => seen.failed.push(`${r.failure()?.errorText} ${r.url()}`));
  try {
    const scriptId = `bundler-${entry}-${how}-${RUN}`;
    // Done, or a page error first (a module that fails to load never sets data-state).
    const broke = new Promise((_, reject) => {
      page.once("pageerror", (e) => reject(new Error(`${how}: the page failed before the app finished: ${e.message}\n${JSON.stringify(seen, null, 2)}`)));
    });
    broke.catch(() => {});
    await page.goto(`${url}?scriptId=${scriptId}`);
    await Promise.race([page.waitForSelector("body[data-state]"), broke]);
    const state = await page.locator("body").getAttribute("data-state");
    const result = JSON.parse(await page.locator("#result").textContent());
    assert.equal(state, "ok", `the app reported: ${JSON.stringify(result, null, 2)}\n${JSON.stringify(seen, null, 2)}`);
    assert.equal(result.entry, entry);

    // The server holds exactly what the page created, sent with the page's token.
    const held = await control(`/_mock/objects?scriptId=${encodeURIComponent(scriptId)}`);
    assert.equal(held.length, 1);
    assert.equal(held[0].id, result.created.id);
    assert.equal(held[0].userPrincipalName, `${entry}@contoso.com`);
    assert.equal(held[0].successDeviceCount, 2);
    assert.equal(held[0].errorDeviceCount, 1);
    assert.equal(result.created.userPrincipalName, `${entry}@contoso.com`);
    const sent = await control(`/_mock/requests?scriptId=${encodeURIComponent(scriptId)}`);
    assert.deepEqual(sent.map((r) => r.method), ["POST"]);
    assert.equal(sent[0].headers.authorization, `Bearer ${TOKEN}`);

    // validateUserState, from the same wasm.
    assert.deepEqual(result.validGood, []);
    assert.deepEqual(result.validBad.map((p) => p.field).sort(), ["errorDeviceCount", "successDeviceCount", "userPrincipalName"]);
    for (const p of result.validBad) assert.equal(typeof p.message, "string");

    // Each .wasm fetched came as application/wasm; nothing failed or warned (wasm-bindgen
    // warns when it has to fall back from instantiateStreaming).
    for (const w of seen.wasm) {
      assert.equal(w.status, 200, JSON.stringify(w));
      assert.equal(w.type, "application/wasm", JSON.stringify(w));
    }
    assert.deepEqual(seen.errors, []);
    assert.deepEqual(seen.failed, []);
    assert.deepEqual(seen.console, []);
    return seen;
  } finally {
    await page.close();
  }
}

let context, profile;
before(async () => {
  if (!MOCK) throw new Error("GRAPH_MOCK_URL is not set: run tests/bundler/run.sh");
  profile = mkdtempSync(join(tmpdir(), "bundler-test-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
  });
  context.setDefaultTimeout(15_000);
});
after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

for (const v of VARIANTS) {
  describe(`Vite 7, ${v.what}`, () => {
    const dir = join(SITE, v.name);

    test("the .wasm is emitted as an asset, byte for byte the package's", (t) => {
      const all = files(dir);
      const wasm = all.filter((f) => f.endsWith(".wasm"));
      const js = all.filter((f) => f.endsWith(".js"));
      assert.equal(wasm.length, 1, `one .wasm in ${dir}: ${all.join(", ")}`);
      assert.match(wasm[0], /\/assets\/intune_script_user_state_bg-[\w-]+\.wasm$/);
      assert.equal(sha(readFileSync(wasm[0])), sha(readFileSync(join(INSTALLED, v.wasm))));
      assert.ok(js.length >= 1, "some JS");
      for (const f of js) {
        const text = readFileSync(f, "utf8");
        assert.ok(!text.includes("AGFzbQ"), `${f} must not inline the wasm as base64`);
        assert.ok(!text.includes("node_modules"), `${f} must not point into node_modules`);
      }
      const wasmBytes = statSync(wasm[0]).size;
      const jsBytes = js.reduce((n, f) => n + statSync(f).size, 0);
      const gzip = [...js, ...wasm].reduce((n, f) => n + gzipSync(readFileSync(f), { level: 9 }).length, 0);
      t.diagnostic(`${v.name}: wasm ${wasmBytes} B (${kb(wasmBytes)}), JS ${jsBytes} B (${kb(jsBytes)}), JS+wasm gzip -9 ${gzip} B (${kb(gzip)})`);
    });

    test("the built site in Chromium: createUserState reaches the server, validateUserState works", async () => {
      const seen = await openApp(`${MOCK}/${v.name}/`, v.name, "build");
      assert.equal(seen.wasm.length, 1, JSON.stringify(seen.wasm));
      assert.match(seen.wasm[0].path, new RegExp(`^/${v.name}/assets/intune_script_user_state_bg-[\\w-]+\\.wasm$`));
    });

    // What a developer runs first: `vite` on the same config, Graph routes proxied to graph-mock.
    test("the Vite dev server on the same config: the same app works", async () => {
      const port = await freePort();
      const server = await createServer({
        configFile: join(HERE, v.name, "vite.config.mjs"),
        cacheDir: join(CACHE, v.name),
        logLevel: "error",
        server: { host: "127.0.0.1", port, strictPort: true, watch: null, proxy: { "/beta": MOCK } },
      });
      try {
        await server.listen();
        await openApp(`http://127.0.0.1:${port}/`, v.name, "dev");
      } finally {
        await server.close();
      }
    });
  });
}
