// Resumable imports from Node, as users run them: the packed package's fileJournal, a real
// child process killed with SIGKILL mid-run, and the journals a run must refuse.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createUserStates, fileJournal } from "intune-script-user-state";
import { MOCK, config, fault, objects, requests } from "./mock.mjs";

const TOKEN = "node-journal-token-5b7e9a1c";
const HERE = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), "journal-test-"));
const users = (n, prefix) =>
  Array.from({ length: n }, (_, i) => ({ userPrincipalName: `${prefix}${i}@contoso.com`, successDeviceCount: i % 5, errorDeviceCount: 0 }));
const run = (scriptId, userStates, journal, extra = {}) =>
  createUserStates({ token: TOKEN, baseUrl: MOCK, scriptId, userStates, journal, ...extra });

/** Exactly one object per user on the server, and every result's id among them. */
async function assertOnePerUser(scriptId, states, out) {
  const held = await objects(scriptId);
  const byUser = new Map();
  for (const o of held) byUser.set(o.userPrincipalName, (byUser.get(o.userPrincipalName) ?? 0) + 1);
  assert.equal(held.length, states.length, `${held.length} objects for ${states.length} users`);
  for (const s of states) assert.equal(byUser.get(s.userPrincipalName), 1, s.userPrincipalName);
  if (out) {
    const ids = new Set(held.map((o) => o.id));
    assert.equal(out.succeeded, states.length);
    for (const r of out.results) assert.ok(r.ok && ids.has(r.userState.id), JSON.stringify(r));
  }
}

test("a finished journal gives its recorded results and sends nothing", async () => {
  const file = path.join(dir, "finished.journal");
  const states = users(45, "fin");
  const first = await run("j-finished", states, fileJournal(file));
  await assertOnePerUser("j-finished", states, first);
  const sent = (await requests("j-finished")).length;
  const again = await run("j-finished", states, fileJournal(file));
  assert.equal((await requests("j-finished")).length, sent, "nothing was sent");
  assert.deepEqual(again, first);
  const text = readFileSync(file, "utf8");
  assert.ok(!text.includes(TOKEN), "no token in the journal");
  assert.ok(!/retry-after|"date"/i.test(text), "no response headers but the request ids");
});

test("a journal of another run, or one that cannot be read, is refused and nothing is sent", async () => {
  const file = path.join(dir, "other.journal");
  await run("j-other-a", users(3, "other"), fileJournal(file));
  for (const [scriptId, states, why] of [
    ["j-other-b", users(3, "other"), /different run/],
    ["j-other-a", users(4, "other"), /different run/],
  ]) {
    await assert.rejects(run(scriptId, states, fileJournal(file)), (err) => {
      assert.equal(err.name, "ValidationError");
      assert.equal(err.field, "journal");
      assert.match(err.message, why);
      return true;
    });
    assert.equal((await requests("j-other-b")).length, 0);
  }
  const corrupt = path.join(dir, "corrupt.journal");
  writeFileSync(corrupt, readFileSync(file, "utf8").replace(/"send"/, '"sned"'));
  await assert.rejects(run("j-other-a", users(3, "other"), fileJournal(corrupt)), (err) => {
    assert.equal(err.name, "ValidationError");
    assert.equal(err.field, "journal");
    assert.match(err.message, /cannot be read/);
    return true;
  });
  const broken = { read: async () => [42], append: async () => {}, clear: async () => {} };
  await assert.rejects(run("j-other-c", users(2, "c"), broken), /cannot be read/);
  await assert.rejects(run("j-other-c", users(2, "c"), { read: () => [] }), (err) => err.field === "journal");
  assert.equal((await requests("j-other-c")).length, 0);
});

test("a torn last line (a crash mid-append) is dropped and the run goes on", async () => {
  const file = path.join(dir, "torn.journal");
  const states = users(30, "torn");
  const ctl = new AbortController();
  await fault({ scriptId: "j-torn", op: "batch", delayMs: 800, times: 1 });
  const first = run("j-torn", states, fileJournal(file), { signal: ctl.signal, concurrency: 1 });
  setTimeout(() => ctl.abort(), 300);
  await first;
  writeFileSync(file, readFileSync(file, "utf8") + '{"created":3,"obj');
  const out = await run("j-torn", states, fileJournal(file));
  await assertOnePerUser("j-torn", states, out);
});

test("killed with SIGKILL mid-import and run again: exactly one object per user", async () => {
  const scriptId = "j-sigkill";
  const file = path.join(dir, "sigkill.journal");
  const states = users(1000, "kill");
  const input = path.join(dir, "sigkill.json");
  writeFileSync(input, JSON.stringify(states));
  // Slow enough to be killed in the middle: 100 writes per 500 ms, about 5 s for 1,000.
  const before = await config({ writeBudget: { writes: 100, windowMs: 500 } });
  try {
    const child = spawn(process.execPath, [path.join(HERE, "import-child.mjs"), MOCK, scriptId, input, file], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    // Kill it once a few hundred have been recorded as created.
    await new Promise((resolve, reject) => {
      const timer = setInterval(() => {
        const created = existsSync(file) ? (readFileSync(file, "utf8").match(/"created"/g) ?? []).length : 0;
        if (created >= 200) {
          clearInterval(timer);
          child.kill("SIGKILL");
        }
      }, 20);
      child.on("exit", (code, signal) => {
        clearInterval(timer);
        signal === "SIGKILL" ? resolve() : reject(new Error(`the child ended by itself (${code}) before it was killed`));
      });
    });
    const created = (readFileSync(file, "utf8").match(/"created"/g) ?? []).length;
    assert.ok(created < 1000, `killed after ${created} created`);
    const out = await run(scriptId, states, fileJournal(file));
    await assertOnePerUser(scriptId, states, out);
  } finally {
    await config(before);
  }
});
