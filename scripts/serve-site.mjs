#!/usr/bin/env node
// Serves the built site (dist/site/, `make serve`) on loopback, with the headers its
// staticwebapp.config.json gives Azure Static Web Apps: this server reads that file and applies
// it as the host documents it (routes matched in order, the first match's headers over
// globalHeaders, an empty value removes a header, mimeTypes by extension), so the two send the
// same headers. Plain files only: GET and HEAD, no directory listings, no fallback page.
//   node scripts/serve-site.mjs [--dir dist/site] [--port 8000]
// Also imported by the site test (tests/site/), which starts it on port 0.
import { createServer } from "node:http";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { extname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";

const CONFIG = "staticwebapp.config.json";
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".csv": "text/csv; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
};

/** Whether a staticwebapp.config.json `route` matches a request path. */
export function routeMatches(route, path) {
  const star = route.indexOf("*");
  if (star < 0) {
    // An exact route to a folder's index.html also matches the folder (/x/index.html: /x/ and /x).
    if (route === path) return true;
    if (!route.endsWith("/index.html")) return false;
    const folder = route.slice(0, -"index.html".length);
    return path === folder || (folder !== "/" && path === folder.slice(0, -1));
  }
  // A wildcard only at the end, optionally filtered by extension: /a*, /a/*, /a/*.js, /a/*.{png,svg}.
  const prefix = route.slice(0, star);
  const filter = route.slice(star + 1);
  if (!path.startsWith(prefix)) return false;
  if (filter === "") return true;
  const m = /^\.(?:\{([^}]+)\}|([^/{}*]+))$/.exec(filter);
  if (!m) throw new Error(`unsupported route pattern ${route}`);
  return (m[1] ? m[1].split(",") : [m[2]]).some((e) => path.endsWith(`.${e.trim()}`));
}

/** The headers the config gives a path: globalHeaders, then the first matching route's. */
export function headersFor(config, path) {
  const headers = new Map(); // lower-case name → [name, value]
  const put = (set) => {
    for (const [name, value] of Object.entries(set ?? {})) {
      if (value === "") headers.delete(name.toLowerCase());
      else headers.set(name.toLowerCase(), [name, value]);
    }
  };
  put(config.globalHeaders);
  put((config.routes ?? []).find((r) => routeMatches(r.route, path) && !r.methods)?.headers);
  return Object.fromEntries(headers.values());
}

/** The file a request path names inside `root`, or null (outside it, missing, or the config). */
function fileFor(root, path) {
  let decoded;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null;
  }
  if (decoded.includes("\0") || decoded.includes("\\") || decoded.split("/").includes("..")) return null;
  let file = join(root, decoded);
  if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
  if (!existsSync(file)) return null;
  const real = realpathSync(file);
  if (!real.startsWith(root + sep) || !statSync(real).isFile() || real === join(root, CONFIG)) return null;
  return real;
}

/** Starts the server; resolves to { url, port, close() }. Loopback only. */
export async function serveSite({ dir, port = 0, quiet = true } = {}) {
  const root = realpathSync(dir);
  const config = JSON.parse(readFileSync(join(root, CONFIG), "utf8"));
  const types = { ...TYPES, ...config.mimeTypes };
  const handler = (req, res) => {
    const url = new URL(req.url, "http://localhost");
    const path = url.pathname;
    const send = (status, headers, body) => {
      res.writeHead(status, { ...headersFor(config, path), ...headers });
      res.end(req.method === "HEAD" ? undefined : body);
      if (!quiet) console.log(`${status} ${req.method} ${path}`);
    };
    // Only loopback names: a page elsewhere cannot reach this server through DNS rebinding.
    const host = (req.headers.host ?? "").replace(/:\d+$/, "");
    if (!["localhost", "127.0.0.1", "[::1]"].includes(host)) return send(421, { "Content-Type": "text/plain" }, "Misdirected Request\n");
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, { Allow: "GET, HEAD", "Content-Type": "text/plain" }, "Method Not Allowed\n");
    const file = fileFor(root, path);
    if (!file) return send(404, { "Content-Type": "text/plain; charset=utf-8" }, "Not Found\n");
    const body = readFileSync(file);
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
    if (req.headers["if-none-match"] === etag) return send(304, { ETag: etag });
    send(200, { "Content-Type": types[extname(file)] ?? "application/octet-stream", "Content-Length": body.length, ETag: etag }, body);
  };
  const listen = (server, host, p) =>
    new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(p, host, () => resolve(server));
    });
  const servers = [await listen(createServer(handler), "127.0.0.1", port)];
  const bound = servers[0].address().port;
  // The same port on ::1 as well, where there is one, for browsers that try it first for localhost.
  await listen(createServer(handler), "::1", bound).then((s) => servers.push(s), () => {});
  return {
    port: bound,
    url: `http://127.0.0.1:${bound}`,
    close: () => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const arg = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const dir = arg("--dir", "dist/site");
  if (!existsSync(join(dir, CONFIG))) {
    console.error(`serve-site: no ${join(dir, CONFIG)}: run make site first`);
    process.exit(1);
  }
  const site = await serveSite({ dir, port: Number(arg("--port", "8000")), quiet: false });
  console.log(`\n  Admin page (${dir}, headers from ${CONFIG}): http://localhost:${site.port}/`);
  console.log(`  Redirect URI to register for sign-in: http://localhost:${site.port}/redirect.html`);
  console.log("  Stop with Ctrl-C.\n");
}
