// The command line as a user runs it: the packed package (CLI_TARBALL, packed by `make
// test-cli`) installed into a fresh temporary project with npm, run there with `npx`, against
// graph-mock (GRAPH_MOCK_URL, from scripts/with-mock.sh).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export { MOCK, addScripts, config, fault, objects, requests, stats } from "../js/mock.mjs";
import { MOCK } from "../js/mock.mjs";
export { splitCsv } from "../page/helpers.mjs";

export const RUN = Date.now().toString(36); // keeps script ids apart between runs against one mock
export const HEADER = "userPrincipalName,successDeviceCount,errorDeviceCount";

/** A new project with the package installed from the tarball, as `npm install <tgz>` does. */
export function project() {
  const tarball = process.env.CLI_TARBALL;
  if (!tarball || !existsSync(tarball)) throw new Error("CLI_TARBALL is not set: run through make test-cli");
  const dir = mkdtempSync(path.join(tmpdir(), "cli-test-"));
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "cli-user", private: true }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", tarball], { cwd: dir, stdio: "inherit" });
  return dir;
}

/** The environment of a run: this one without GRAPH_TOKEN (and npm's update check), plus `env`. */
export function environment(env = {}) {
  const base = { ...process.env, npm_config_update_notifier: "false" };
  delete base.GRAPH_TOKEN;
  return { ...base, ...env };
}

/**
 * Starts `npx intune-script-user-state ...args` in `cwd`, in its own process group (as a
 * shell runs a job: a signal to the group reaches npx and the command, as Ctrl-C does).
 * `done` resolves to { code, signal, stdout, stderr } once every pipe has closed.
 */
export function start(cwd, args, env = {}) {
  const child = spawn("npx", ["intune-script-user-state", ...args], { cwd, env: environment(env), detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  const done = new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done, signal: (name) => process.kill(-child.pid, name), output: () => ({ stdout, stderr }) };
}

export const run = (cwd, args, env) => start(cwd, args, env).done;

/** The exit status as a shell's `$?` sees it (a signal is 128 + its number). */
export const status = ({ code, signal }) => (signal ? 128 + { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal] : code);

/** A CSV of `n` users `prefix0@contoso.com`...; `bad(i)` may return a broken row instead. */
export function writeUsers(dir, name, n, prefix, bad = () => null) {
  const lines = [HEADER];
  for (let i = 0; i < n; i++) lines.push(bad(i) ?? `${prefix}${i}@contoso.com,${i % 5},${i % 2}`);
  const file = path.join(dir, name);
  writeFileSync(file, lines.join("\r\n") + "\r\n");
  return file;
}

/** How many items the journal says were created (a run can be cut once some are). */
export const createdIn = (journal) => (existsSync(journal) ? (readFileSync(journal, "utf8").match(/"created"/g) ?? []).length : 0);

/** Resolves once `test()` holds, polling every 20 ms; rejects after `ms`. */
export function until(test, ms = 60_000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (test()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - started > ms) {
        clearInterval(timer);
        reject(new Error("timed out waiting"));
      }
    }, 20);
  });
}

/** Exactly one object per user on the server for `scriptId`, and nothing else. */
export function assertOnePerUser(assert, held, upns) {
  const byUser = new Map();
  for (const o of held) byUser.set(o.userPrincipalName, (byUser.get(o.userPrincipalName) ?? 0) + 1);
  assert.equal(held.length, upns.length, `${held.length} objects for ${upns.length} users`);
  for (const u of upns) assert.equal(byUser.get(u), 1, u);
}

/** Stores user states in graph-mock as they are (POST /_mock/objects): [{ scriptId, userPrincipalName, ... }]. */
export async function seed(states) {
  const r = await fetch(`${MOCK}/_mock/objects`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(states) });
  if (r.status !== 201) throw new Error(`seed: ${r.status} ${await r.text()}`);
  return r.json();
}

/** Resolves once `test()` (async) holds, polling every 50 ms; rejects after `ms`. */
export async function untilAsync(test, ms = 60_000) {
  const started = Date.now();
  while (!(await test())) {
    if (Date.now() - started > ms) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The journals the command wrote beside `name` in `dir` (the default ones: `<name>.<digest>.journal`). */
export function journalsOf(dir, name) {
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${name}.`) && /\.(create-)?journal$/.test(f))
    .map((f) => path.join(dir, f));
}
