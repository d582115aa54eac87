// Shared by the page tests: graph-mock's control API, and headless Chromium (Debian's) driven
// by playwright-core. The page is served by graph-mock from target/site (scripts/demo.sh --site-only).
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const MOCK = process.env.GRAPH_MOCK_URL;
export const SCREENSHOTS = new URL("../../artifacts/screenshots/", import.meta.url).pathname;
export const RUN = Date.now().toString(36); // keeps script ids apart between runs against one mock

const CHROMIUM_ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
];

async function control(method, path, body) {
  const init = { method, headers: body === undefined ? {} : { "content-type": "application/json" } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const r = await fetch(MOCK + path, init);
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  const text = await r.text();
  return text ? JSON.parse(text) : null;
}
const q = (scriptId) => `?scriptId=${encodeURIComponent(scriptId)}`;
export const mock = {
  objects: (scriptId) => control("GET", `/_mock/objects${q(scriptId)}`),
  requests: (scriptId) => control("GET", `/_mock/requests${q(scriptId)}`),
  stats: (scriptId) => control("GET", `/_mock/stats${q(scriptId)}`),
  fault: (rules) => control("POST", "/_mock/faults", rules),
  clearFaults: () => control("DELETE", "/_mock/faults"),
  config: (patch) => control("POST", "/_mock/config", patch),
  /** Stores scripts (graph-mock's control API), returning them as stored. */
  scripts: (scripts) => control("POST", "/_mock/scripts", scripts),
  listedScripts: (collection) => control("GET", `/_mock/scripts?collection=${encodeURIComponent(collection)}`),
  /** Every logged request (all scripts, and the script lists, which name none). */
  allRequests: () => control("GET", "/_mock/requests"),
  /** Creates user states directly (as a Graph client would), returning the created objects. */
  async seed(scriptId, states) {
    const url = `${MOCK}/beta/deviceManagement/deviceManagementScripts/${encodeURIComponent(scriptId)}/userRunStates`;
    const out = [];
    for (const s of states) {
      const r = await fetch(url, { method: "POST", headers: { authorization: "Bearer seed-token", "content-type": "application/json" }, body: JSON.stringify(s) });
      if (r.status !== 201) throw new Error(`seed: ${r.status} ${await r.text()}`);
      out.push(await r.json());
    }
    return out;
  },
  /** Creates many user states fast: JSON $batch of 20, four at a time; returns how many were made. */
  async seedMany(scriptId, states) {
    const path = `/deviceManagement/deviceManagementScripts/${encodeURIComponent(scriptId)}/userRunStates`;
    const batches = [];
    for (let i = 0; i < states.length; i += 20) batches.push(states.slice(i, i + 20));
    let made = 0;
    const send = async (batch) => {
      const requests = batch.map((s, j) => ({ id: String(j + 1), method: "POST", url: path, headers: { "content-type": "application/json" }, body: s }));
      const r = await fetch(`${MOCK}/beta/$batch`, { method: "POST", headers: { authorization: "Bearer seed-token", "content-type": "application/json" }, body: JSON.stringify({ requests }) });
      if (r.status !== 200) throw new Error(`seedMany: ${r.status} ${await r.text()}`);
      const { responses } = await r.json();
      const bad = responses.filter((x) => x.status !== 201);
      if (bad.length) throw new Error(`seedMany: ${JSON.stringify(bad[0])}`);
      made += responses.length;
    };
    let next = 0;
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < batches.length) await send(batches[next++]);
    }));
    return made;
  },
};

/**
 * Starts recording the main thread's long tasks in the page (PerformanceObserver, "longtask":
 * tasks over 50 ms). `read()` returns their durations in ms, longest first.
 */
export async function watchLongTasks(page) {
  await page.evaluate(() => {
    window.__longTasks = [];
    window.__longTaskObserver?.disconnect();
    window.__longTaskObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push(e.duration);
    });
    window.__longTaskObserver.observe({ type: "longtask" });
  });
  return { read: () => page.evaluate(() => [...window.__longTasks].sort((a, b) => b - a)) };
}

/** One Chromium for the whole file, with a fresh profile in a temp dir. */
export async function launch() {
  if (!MOCK) throw new Error("GRAPH_MOCK_URL is not set: run through scripts/with-mock.sh --static target/site");
  const profile = mkdtempSync(join(tmpdir(), "page-test-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
  });
  context.setDefaultTimeout(15_000);
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Opens the page (demo mode by default) in a new tab and records what a test must check:
 * console messages, page errors, dialogs (none may fire) and CSP violations.
 */
export async function open(context, path = "/?demo=1", { viewport, colorScheme } = {}) {
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  if (colorScheme) await page.emulateMedia({ colorScheme });
  const seen = { console: [], errors: [], dialogs: [] };
  page.on("console", (m) => seen.console.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => seen.errors.push(e.message));
  page.on("dialog", (d) => {
    seen.dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  await page.goto(MOCK + path);
  await page.waitForSelector("body[data-ready]");
  return { page, seen };
}

export async function screenshot(page, name, { fullPage = true } = {}) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });
}

/** Parses a small CSV the way a spreadsheet would (for checking the downloaded results). */
export function splitCsv(text) {
  const rows = [];
  let row = [], field = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(field); field = ""; }
    else if (c === "\n") { row.push(field.replace(/\r$/, "")); rows.push(row); row = []; field = ""; }
    else field += c;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  return rows;
}

/**
 * A stand-in for a cloud's sign-in authority and Graph root, inside the browser context: the
 * authorize endpoint answers with a code on the redirect URI (the popup or MSAL's hidden iframe
 * then runs the real redirect-bridge page), or with login_required for a silent (prompt=none)
 * request when `sso()` says no; the token endpoint answers with unsigned tokens (MSAL does not
 * check signatures in the browser), or invalid_grant for a refresh when `refresh()` says no.
 * Graph requests go to graph-mock. Returns a log and `stop()`.
 */
export async function fakeCloud(context, { login, graph, clientId, username = "ada@contoso.us", expiresIn = () => 3600, refresh = () => true, sso = () => true }) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const tid = "9f8e7d6c-0000-4000-8000-000000000001";
  const oid = "0a0b0c0d-0000-4000-8000-000000000002";
  const cors = { "access-control-allow-origin": "*", "access-control-allow-headers": "*", "access-control-allow-methods": "GET, POST, OPTIONS" };
  const json = (status, body) => ({ status, headers: { ...cors, "content-type": "application/json" }, body: JSON.stringify(body) });
  const log = { authorize: [], token: [], graph: [], issued: [] };
  let nonce = null;
  const loginRoute = new RegExp(`^${login.replace(/[.]/g, "\\.")}/`);
  const graphRoute = new RegExp(`^${graph.replace(/[.]/g, "\\.")}/`);
  const onLogin = async (route) => {
    const request = route.request();
    const url = new URL(request.url());
    if (request.method() === "OPTIONS") return route.fulfill({ status: 204, headers: cors });
    if (url.pathname.endsWith("/oauth2/v2.0/authorize")) {
      log.authorize.push(Object.fromEntries(url.searchParams));
      nonce = url.searchParams.get("nonce");
      if (url.searchParams.get("prompt") === "none" && !sso()) {
        const error = new URLSearchParams({ error: "login_required", error_description: "AADSTS50058: A silent sign-in request was sent but no user is signed in.", state: url.searchParams.get("state") });
        return route.fulfill({ status: 302, headers: { location: `${url.searchParams.get("redirect_uri")}#${error}` } });
      }
      const answer = new URLSearchParams({ code: `code-${log.authorize.length}`, client_info: b64({ uid: oid, utid: tid }), state: url.searchParams.get("state") });
      return route.fulfill({ status: 302, headers: { location: `${url.searchParams.get("redirect_uri")}#${answer}` } });
    }
    if (url.pathname.endsWith("/oauth2/v2.0/token")) {
      const form = Object.fromEntries(new URLSearchParams(request.postData() ?? ""));
      log.token.push(form);
      if (form.grant_type === "refresh_token" && !refresh()) {
        return route.fulfill(json(400, { error: "invalid_grant", error_description: "AADSTS700082: The refresh token has expired.", error_codes: [700082], suberror: "bad_token" }));
      }
      const now = Math.floor(Date.now() / 1000);
      const idToken = `${b64({ alg: "none", typ: "JWT" })}.${b64({ aud: clientId, iss: `${login}/${tid}/v2.0`, tid, oid, sub: "subject", preferred_username: username, name: "Ada Lovelace", nonce, iat: now, nbf: now, exp: now + 3600, ver: "2.0" })}.x`;
      const accessToken = `fake-access-token-${log.token.length}-${Math.random().toString(36).slice(2)}`;
      log.issued.push(accessToken);
      return route.fulfill(json(200, { token_type: "Bearer", scope: `${form.scope}`, expires_in: expiresIn(), ext_expires_in: 3600, access_token: accessToken, refresh_token: `refresh-${log.token.length}`, id_token: idToken, client_info: b64({ uid: oid, utid: tid }) }));
    }
    return route.fulfill(json(404, { error: "not_found" }));
  };
  const onGraph = async (route) => {
    const request = route.request();
    const url = new URL(request.url());
    log.graph.push({ method: request.method(), path: url.pathname, authorization: request.headers().authorization });
    return route.fulfill({ response: await route.fetch({ url: `${MOCK}${url.pathname}${url.search}` }) });
  };
  await context.route(loginRoute, onLogin);
  await context.route(graphRoute, onGraph);
  return {
    log,
    async stop() {
      await context.unroute(loginRoute, onLogin);
      await context.unroute(graphRoute, onGraph);
    },
  };
}
