// SIGTERM (a service manager, a container stop, `kill <pid>`) stops an import as Ctrl-C does:
// the requests in flight are recorded, nothing more is sent, the journal is kept, the resume
// hint is printed and the exit code is 143; the same command then resumes exactly once. A real
// child process and a real signal, against graph-mock.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { MOCK, RUN, assertOnePerUser, config, createdIn, environment, objects, project, run, splitCsv, start, status, until, writeUsers } from "./helpers.mjs";

const TOKEN = "cli-sigterm-token-52be07a1";
const ENV = { GRAPH_TOKEN: TOKEN };
const CONCURRENCY = 4; // the default: $batch requests of 20 in flight
let dir;
before(() => {
  dir = project();
});

const importArgs = (file, scriptId, ...more) => ["import", file, "--script-id", scriptId, "--base-url", MOCK, ...more];
const upns = (n, prefix) => Array.from({ length: n }, (_, i) => `${prefix}${i}@contoso.com`);

/** A slow service: 100 writes per 500 ms, so 1,000 rows take about 5 s and can be cut. */
async function slowly(body) {
  const before = await config({ writeBudget: { writes: 100, windowMs: 500 } });
  try {
    return await body();
  } finally {
    await config(before);
  }
}

/** The installed command run by Node itself (no npx in between): its pid is the command's. */
function startDirect(args) {
  const bin = path.join(dir, "node_modules", "intune-script-user-state", "cli", "intune-script-user-state.mjs");
  const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env: environment(ENV), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  const done = new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { done, signal: (name) => child.kill(name) };
}

/** Stops a run of 1,000 rows with SIGTERM once 200 are created, checks the stop, then resumes. */
async function stopAndResume(name, startRun, { direct }) {
  const scriptId = `cli-${name}-${RUN}`;
  const file = writeUsers(dir, `${name}.csv`, 1000, name);
  const journal = `${file}.journal`;
  const results = path.join(dir, `${name}-results.csv`);
  // --create-only: this is its journal's resume (a sync cut short: import.test.mjs).
  const createOnly = ["--create-only", "--journal", `${name}.csv.journal`];
  const first = startRun(importArgs(`${name}.csv`, scriptId, "--results", results, ...createOnly));
  await until(() => createdIn(journal) >= 200);
  first.signal("SIGTERM");
  const stopped = await first.done;

  assert.equal(status(stopped), 143, stopped.stderr);
  // Run directly, the command exits by itself with 143. Through npx, npm re-raises the SIGTERM it
  // got on itself once its child is done: the shell sees 143 either way.
  if (direct) assert.deepEqual([stopped.code, stopped.signal], [143, null]);
  assert.equal(stopped.stdout, "");
  assert.match(stopped.stderr, /Stopping: waiting for the requests in flight to be recorded/);
  assert.match(stopped.stderr, /Stopped: \d+ created, 0 failed, \d+ not sent, in /);
  assert.ok(stopped.stderr.trimEnd().endsWith(`Stopped. Run the same command again to resume (journal: ${name}.csv.journal).`), stopped.stderr);
  assert.ok(!stopped.stderr.includes(TOKEN));

  // The server: what the results call created is there, at most the requests in flight at the
  // stop besides (their items are "cancelled" here and found by the resume's look-up), no user
  // twice.
  const partial = splitCsv(readFileSync(results, "utf8")).slice(1);
  const made = partial.filter((r) => r[2] === "created");
  assert.ok(made.length > 0 && made.length < 1000, `${made.length} created before the stop`);
  assert.ok(partial.every((r) => r[2] === "created" || r[2] === "cancelled"), "created or cancelled");
  const held = await objects(scriptId);
  const ids = new Set(held.map((o) => o.id));
  assert.ok(made.every((r) => ids.has(r[3])), "every created row's id is on the server");
  assert.ok(held.length <= made.length + CONCURRENCY * 20, `${held.length} objects for ${made.length} created rows`);
  assert.equal(new Set(held.map((o) => o.userPrincipalName)).size, held.length, "no user twice");
  assert.ok(createdIn(journal) >= made.length, "the journal is kept");

  const again = await run(dir, importArgs(`${name}.csv`, scriptId, "--results", results, ...createOnly), ENV);
  assert.equal(status(again), 0, again.stderr);
  assertOnePerUser(assert, await objects(scriptId), upns(1000, name));
  assert.ok(splitCsv(readFileSync(results, "utf8")).slice(1).every((r) => r[2] === "created"));
}

test("SIGTERM to the job (npx and the command, as a shell or a service manager sends it): exit 143, the journal kept, resumed exactly once", () =>
  slowly(() => stopAndResume("term-group", (args) => start(dir, args, ENV), { direct: false })));

test("SIGTERM to the command's own process only (kill <pid>, a container stop): the same", () =>
  slowly(() => stopAndResume("term-pid", startDirect, { direct: true })));
