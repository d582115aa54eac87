// What the Node and the browser benches share: the input users, graph-mock's control API, and
// the exactly-once check that makes a bench fail loudly rather than time a lossy run.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

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
