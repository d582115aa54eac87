// Runs that fail safe (issue 17), from Node against graph-mock: one run per journal (two
// processes at once, a lock left by a SIGKILLed run), a first write alone (the request log),
// and one clear stop when the service refuses the write (400 route, 403, 404), not final
// across runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createUserStates, fileJournal } from "intune-script-user-state";
import { MOCK, config, fault, objects, stats } from "./mock.mjs";

const TOKEN = "node-safe-token-3c8e1f60";
const HERE = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), "safe-test-"));
const RUN = Date.now().toString(36);
const NO_ROUTE = "No method match route template";
const users = (n, prefix) =>
  Array.from({ length: n }, (_, i) => ({ userPrincipalName: `${prefix}${i}@contoso.com`, successDeviceCount: i % 5, errorDeviceCount: 0 }));
const run = (scriptId, userStates, extra = {}) => createUserStates({ token: TOKEN, baseUrl: MOCK, scriptId, userStates, ...extra });
const writes = async (scriptId, since = 0) => (await (await fetch(`${MOCK}/_mock/requests?scriptId=${scriptId}&write=true&since=${since}`)).json());
const lastSeq = async () => {
  const log = await (await fetch(`${MOCK}/_mock/requests`)).json();
  return log.length ? log[log.length - 1].seq : 0;
};
const clearFaults = () => fetch(`${MOCK}/_mock/faults`, { method: "DELETE" });

/** Exactly one object per user on the server. */
async function assertOnePerUser(scriptId, states) {
  const held = await objects(scriptId);
  const byUser = new Map();
  for (const o of held) byUser.set(o.userPrincipalName, (byUser.get(o.userPrincipalName) ?? 0) + 1);
  assert.equal(held.length, states.length, `${held.length} objects for ${states.length} users`);
  for (const s of states) assert.equal(byUser.get(s.userPrincipalName), 1, s.userPrincipalName);
}

/** A slow service: 100 writes per 500 ms, so 1,000 items take seconds and can be cut. */
async function slowly(body) {
  const before = await config({ writeBudget: { writes: 100, windowMs: 500 } });
  try {
    return await body();
  } finally {
    await config(before);
  }
}

/** Starts safe-child.mjs; `done` resolves to { code, signal, lines } (its JSON lines). */
function child(scriptId, input, journal, token) {
  const c = spawn(process.execPath, [path.join(HERE, "safe-child.mjs"), MOCK, scriptId, input, journal, token], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  c.stdout.setEncoding("utf8").on("data", (d) => (out += d));
  const done = new Promise((resolve) => c.on("close", (code, signal) => resolve({ code, signal, lines: out.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) })));
  return { child: c, done, progressed: () => out.includes('"progress"') };
}

test("two processes started together on one fileJournal: one runs, the other is refused and sends nothing; 1,000 objects", () =>
  slowly(async () => {
    const scriptId = `safe-two-${RUN}`;
    const states = users(1000, "two");
    const input = path.join(dir, "two.json");
    writeFileSync(input, JSON.stringify(states));
    const journal = path.join(dir, "two.journal");
    const tokens = ["node-safe-first-1d2e3f4a", "node-safe-second-5b6c7d8e"];
    const [a, b] = await Promise.all(tokens.map((t) => child(scriptId, input, journal, t).done));
    const ends = [a, b].map((r) => r.lines[r.lines.length - 1]);
    const ran = ends.filter((e) => e.ran);
    const refused = ends.filter((e) => !e.ran);
    assert.equal(ran.length, 1, JSON.stringify(ends));
    assert.equal(refused.length, 1, JSON.stringify(ends));
    assert.equal(ran[0].succeeded, 1000);
    const r = refused[0];
    assert.equal(r.name, "ValidationError");
    assert.equal(r.field, "journal");
    assert.equal(r.cause, "JOURNAL_IN_USE");
    assert.match(r.message, /in use by another run/);
    assert.match(r.message, /process \d+ on /, "names the process and host that hold it");
    assert.equal(r.lockPath, path.resolve(journal) + ".lock");
    // The refused one sent nothing: no request of the server's log carries its token.
    const refusedToken = tokens[ends.indexOf(r)];
    const log = await (await fetch(`${MOCK}/_mock/requests?scriptId=${scriptId}`)).json();
    assert.ok(log.length > 0);
    assert.ok(!log.some((e) => JSON.stringify(e.headers).includes(refusedToken)), "the refused run sent a request");
    await assertOnePerUser(scriptId, states);
    assert.ok(!existsSync(path.resolve(journal) + ".lock"), "released when the run ended");
  }));

test("a lock left by a SIGKILLed run is taken over, and the run resumes to one object per item", () =>
  slowly(async () => {
    const scriptId = `safe-kill-${RUN}`;
    const states = users(1000, "killed");
    const input = path.join(dir, "kill.json");
    writeFileSync(input, JSON.stringify(states));
    const journal = path.join(dir, "kill.journal");
    const c = child(scriptId, input, journal, TOKEN);
    await new Promise((resolve) => {
      const t = setInterval(() => {
        if (existsSync(journal) && (readFileSync(journal, "utf8").match(/"created"/g) ?? []).length >= 200) {
          clearInterval(t);
          resolve();
        }
      }, 20);
    });
    c.child.kill("SIGKILL");
    const killed = await c.done;
    assert.equal(killed.signal, "SIGKILL");
    const lockPath = path.resolve(journal) + ".lock";
    assert.ok(existsSync(lockPath), "the killed run left its lock");
    const stale = [];
    const out = await run(scriptId, states, { journal: fileJournal(journal, { onStaleLock: (s) => stale.push(s) }) });
    assert.equal(stale.length, 1);
    assert.equal(stale[0].pid, c.child.pid);
    assert.equal(stale[0].lockPath, lockPath);
    assert.equal(out.succeeded, 1000);
    await assertOnePerUser(scriptId, states);
    assert.ok(!existsSync(lockPath));
  }));

test("the first write goes alone: one write, its answer, then the rest", async () => {
  const scriptId = `safe-first-${RUN}`;
  const states = users(100, "first");
  const out = await run(scriptId, states);
  assert.equal(out.succeeded, 100);
  const log = await writes(scriptId);
  assert.equal(log.length, 100);
  const [first, ...rest] = log;
  // (A first write never answered has answeredMs null, which `<=` would take as 0.)
  assert.equal(typeof first.answeredMs, "number", "the first write was answered");
  for (const w of rest) assert.ok(first.answeredMs <= w.receivedMs, `write ${w.seq} taken in before the first write's answer`);
  assert.notEqual(first.outer, rest[0].outer, "the first write in a $batch of its own");
  assert.ok(!rest.some((w) => w.outer === first.outer));
});

/** A 10,000-item run against a service that refuses the write: one write, one error. */
async function assertStopped(scriptId, status, code, setup) {
  const states = users(10_000, `stop${status}-`);
  const out = await run(scriptId, states);
  assert.equal(out.succeeded, 0);
  assert.equal(out.failed, 10_000);
  assert.ok(out.stopped, "the result says the run stopped");
  assert.equal(out.stopped.name, "GraphError");
  assert.equal(out.stopped.status, status);
  assert.equal(out.stopped.code, code);
  for (const r of out.results) {
    assert.equal(r.ok, false);
    assert.equal(r.error.name, "GraphError");
    assert.equal(r.error.status, status);
    assert.equal(r.error.code, code);
    assert.equal(r.error.message, out.stopped.message);
  }
  const s = await stats(scriptId);
  // The first write goes alone and its answer stops the run: one write request (retries.md).
  assert.equal(s.writes, 1, `${s.writes} write requests`);
  assert.match(out.stopped.message, /The run stopped/);
  assert.ok(out.stopped.requestId && out.stopped.message.includes(out.stopped.requestId), "the request id in the message");
  assert.ok(!out.stopped.message.includes(TOKEN));
  return out;
}

test("a service answering the write as a route it does not have: 10,000 items stop after one write, in plain words", async () => {
  const scriptId = `safe-route-${RUN}`;
  const before = await config({ refuseRunStateWrites: [scriptId] });
  try {
    const out = await assertStopped(scriptId, 400, NO_ROUTE);
    assert.match(out.stopped.message, /no such write route in this tenant/);
    assert.match(out.stopped.message, /Intune computes script run states from the devices/);
    assert.match(out.stopped.message, /documented write may not be available/);
  } finally {
    await config(before);
  }
});

test("403 and 404 for the script stop a run of 10,000 the same way", async () => {
  const forbidden = `safe-403-${RUN}`;
  await fault({ scriptId: forbidden, op: "write", status: 403, times: 100000 });
  try {
    const out = await assertStopped(forbidden, 403, "Forbidden");
    assert.match(out.stopped.message, /not allowed to create user run states/);
  } finally {
    await clearFaults();
  }
  const out = await assertStopped(`missing-safe-${RUN}`, 404, "ResourceNotFound");
  assert.match(out.stopped.message, /was not found/);
});

test("a run stopped by a 403 and resumed once allowed: a first write alone again, then the rest, one object per item", async () => {
  const scriptId = `safe-grant-${RUN}`;
  const states = users(300, "grant");
  const journal = path.join(dir, "grant.journal");
  await fault({ scriptId, op: "write", status: 403, times: 100000 });
  let first;
  try {
    first = await run(scriptId, states, { journal: fileJournal(journal) });
  } finally {
    await clearFaults();
  }
  assert.equal(first.stopped?.status, 403);
  assert.equal(first.failed, 300);
  assert.ok(!readFileSync(journal, "utf8").includes('"failed"'), "the stop is not journaled as the items' result");
  // The permission granted: the same journal goes on, and does not replay the 403.
  const since = await lastSeq();
  const again = await run(scriptId, states, { journal: fileJournal(journal) });
  assert.equal(again.stopped, undefined);
  assert.equal(again.succeeded, 300);
  await assertOnePerUser(scriptId, states);
  const log = await writes(scriptId, since);
  assert.equal(log.length, 300);
  const [alone, ...rest] = log;
  assert.equal(typeof alone.answeredMs, "number", "the first write was answered");
  for (const w of rest) assert.ok(alone.answeredMs <= w.receivedMs, `write ${w.seq} taken in before the first write's answer`);
});
