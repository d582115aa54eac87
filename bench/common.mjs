// What the Node and the browser benches share: the input users, graph-mock's control API, and
// the exactly-once check that makes a bench fail loudly rather than time a lossy run.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export const MOCK = process.env.GRAPH_MOCK_URL;

export class BenchFailure extends Error {}

/** The load average, for the record: other work on the machine moves the fast rows. */
export const load = () => os.loadavg().map((x) => x.toFixed(2)).join(" / ");

/** `n` distinct users. */
export const users = (prefix, n) =>
  Array.from({ length: n }, (_, i) => ({
    userPrincipalName: `${prefix}${String(i).padStart(4, "0")}@bench.contoso.com`,
    successDeviceCount: i % 7,
    errorDeviceCount: i % 3,
  }));

/** graph-mock's control API (never timed). */
export async function control(method, p, body) {
  const init = { method };
  if (body !== undefined) {
    init.headers = { "content-type": "application/json" };
    init.body = JSON.stringify(body);
  }
  const r = await fetch(MOCK + p, init);
  const text = await r.text();
  if (!r.ok) throw new Error(`graph-mock ${method} ${p}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

export const q = (scriptId) => `scriptId=${encodeURIComponent(scriptId)}`;

/** Exactly one object per input user for `scriptId`, and every returned id among them. */
export async function verify(label, scriptId, list, returnedIds) {
  const objects = await control("GET", `/_mock/objects?${q(scriptId)}`);
  const problems = [];
  if (objects.length !== list.length) problems.push(`the server holds ${objects.length} objects, expected exactly ${list.length}`);
  const perUpn = new Map();
  for (const o of objects) perUpn.set(o.userPrincipalName, (perUpn.get(o.userPrincipalName) ?? 0) + 1);
  const missing = list.filter((u) => !perUpn.has(u.userPrincipalName));
  const doubled = [...perUpn].filter(([, n]) => n > 1);
  const wanted = new Set(list.map((u) => u.userPrincipalName));
  const foreign = objects.filter((o) => !wanted.has(o.userPrincipalName));
  if (missing.length) problems.push(`${missing.length} users missing (first: ${missing[0].userPrincipalName})`);
  if (doubled.length) problems.push(`${doubled.length} users created more than once (first: ${doubled[0][0]} x${doubled[0][1]})`);
  if (foreign.length) problems.push(`${foreign.length} objects that were not asked for`);
  const serverIds = new Set(objects.map((o) => o.id));
  if (serverIds.size !== objects.length) problems.push("duplicate ids on the server");
  if (returnedIds.length !== list.length) problems.push(`the client got ${returnedIds.length} results for ${list.length} items`);
  const unknown = returnedIds.filter((id) => !serverIds.has(id));
  if (unknown.length) problems.push(`${unknown.length} returned ids the server does not hold`);
  if (new Set(returnedIds).size !== returnedIds.length) problems.push("the client got the same id twice");
  if (problems.length) throw new BenchFailure(`${label} (scriptId ${scriptId}): ${problems.join("; ")}`);
}

/** A command's output in the repository, or null when it fails. */
export function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

/** The machine and the commit, for each recorded section. */
export function machine() {
  let cpu = null;
  try {
    cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? null;
  } catch {}
  const commit = sh("git", ["rev-parse", "--short", "HEAD"]);
  const status = sh("git", ["status", "--porcelain"]);
  return {
    nproc: sh("nproc", []) ?? String(os.availableParallelism?.() ?? os.cpus().length),
    cpu: cpu ?? os.cpus()[0]?.model ?? "unknown",
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    commit: commit ? (status ? `${commit} (dirty: uncommitted changes)` : commit) : "unknown (no git)",
  };
}

const PEAK_RSS = fileURLToPath(new URL("./peak-rss.cjs", import.meta.url));
let peakFiles = 0;

/** VmHWM (peak resident set, KiB) of a live process, or null. */
function vmHwm(pid) {
  try {
    return Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) || null;
  } catch {
    return null;
  }
}

/**
 * `node args…` in a child process (spawn's `options`, `env` added to this process's), its peak
 * memory measured: its own max RSS, written on exit to a file in `dir` (bench/peak-rss.cjs,
 * preloaded), or else VmHWM sampled every `sampleMs` while it ran (a lower bound). Returns the
 * child and `peak()`, to call once it has closed: { peakKiB (null when unknown), exact }.
 */
export function spawnMeasured(dir, args, { env = {}, sampleMs, ...options }) {
  const peakFile = path.join(dir, `peak-rss-${++peakFiles}`);
  const child = spawn(process.execPath, ["--require", PEAK_RSS, ...args], { ...options, env: { ...process.env, ...env, BENCH_PEAK_RSS_FILE: peakFile } });
  let sampled = null;
  const sampler = setInterval(() => (sampled = vmHwm(child.pid) ?? sampled), sampleMs);
  child.on("close", () => clearInterval(sampler));
  const peak = () => {
    const exact = existsSync(peakFile) ? Number(readFileSync(peakFile, "utf8")) : null;
    return { peakKiB: exact ?? sampled, exact: exact !== null };
  };
  return { child, peak };
}

/** Whether the module at `url` is the one node was started with (a bench run on its own). */
export const isMain = (url) => url === pathToFileURL(process.argv[1] ?? "").href;

/**
 * A bench run on its own, under scripts/with-mock.sh: exits 2 without GRAPH_MOCK_URL or without
 * `needs` (built by make pkg); then `main(arg)`, `arg(name, fallback)` reading a number given
 * as `name N` on the command line. With `restoreConfig`, graph-mock's keepAlive and writeBudget
 * are put back as they were afterwards. A failure sets exit code 1 (a BenchFailure printed as
 * "BENCH FAILED: …").
 */
export async function onItsOwn({ needs, restoreConfig = false }, main) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return i < 0 ? fallback : Number(process.argv[i + 1]);
  };
  if (!MOCK) {
    console.error("GRAPH_MOCK_URL is not set: run under scripts/with-mock.sh");
    process.exit(2);
  }
  if (!existsSync(needs)) {
    console.error(`missing ${path.relative(ROOT, needs)}: run make pkg first`);
    process.exit(2);
  }
  const original = restoreConfig ? await control("GET", "/_mock/config") : null;
  try {
    await main(arg);
  } catch (e) {
    console.error(e instanceof BenchFailure ? `BENCH FAILED: ${e.message}` : e);
    process.exitCode = 1;
  } finally {
    if (original) await control("POST", "/_mock/config", { keepAlive: original.keepAlive, writeBudget: original.writeBudget });
  }
}
