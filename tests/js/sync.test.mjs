// syncUserStates from Node, as users run it: the packed package, a real child process killed
// with SIGKILL while it creates, while it updates and while it deletes, then run again (with
// the same fileJournal, and once with none): the server ends exact, and a third run writes
// nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { syncUserStates, planUserStates, fileJournal } from "intune-script-user-state";
import { MOCK, config, fault, objects, requests, stats } from "./mock.mjs";

const TOKEN = "node-sync-token-3c9d2e7f";
const HERE = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), "sync-test-"));

async function seed(scriptId, states) {
  const r = await fetch(`${MOCK}/_mock/objects`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(states.map((s) => ({ scriptId, ...s }))),
  });
  assert.equal(r.status, 201);
}

/** The file: 100 equal to the server, 150 with other counts there, 250 new. The server also
 * holds 80 users the file does not name. */
function scenario() {
  const file = [];
  const server = [];
  for (let i = 0; i < 500; i++) {
    const s = { userPrincipalName: `u${i}@contoso.com`, successDeviceCount: i % 5, errorDeviceCount: i % 3 };
    file.push(s);
    if (i < 100) server.push({ ...s });
    else if (i < 250) server.push({ ...s, successDeviceCount: 100 + i });
  }
  for (let i = 0; i < 80; i++) server.push({ userPrincipalName: `only${i}@contoso.com`, successDeviceCount: 1, errorDeviceCount: 1 });
  return { file, server };
}

/** The server holds exactly the file's users with the file's values, and nothing else. */
async function assertExact(scriptId, file) {
  const held = await objects(scriptId);
  const key = (s) => `${s.userPrincipalName} ${s.successDeviceCount} ${s.errorDeviceCount}`;
  assert.deepEqual(held.map(key).sort(), file.map(key).sort());
}

const sync = (scriptId, userStates, journal) =>
  syncUserStates({ token: TOKEN, baseUrl: MOCK, scriptId, userStates, deleteExtra: true, journal });

/** Runs the child until `killWhen(stats)` holds, then SIGKILLs it. */
async function killed(scriptId, file, journal, killWhen) {
  const input = path.join(dir, `${scriptId}.json`);
  writeFileSync(input, JSON.stringify(file));
  const child = spawn(process.execPath, [path.join(HERE, "sync-child.mjs"), MOCK, scriptId, input, journal], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise((resolve, reject) => {
    let polling = false;
    const timer = setInterval(async () => {
      if (polling) return;
      polling = true;
      const s = await stats(scriptId);
      polling = false;
      if (killWhen(s)) {
        clearInterval(timer);
        child.kill("SIGKILL");
      }
    }, 10);
    child.on("exit", (code, signal) => {
      clearInterval(timer);
      signal === "SIGKILL" ? resolve() : reject(new Error(`the child ended by itself (${code}) before it was killed`));
    });
  });
}

for (const [name, killWhen, withJournal] of [
  ["while it creates", (s) => s.creates >= 60, true],
  ["while it updates", (s) => s.updates >= 40, true],
  ["while it deletes", (s) => s.deletes >= 20, true],
  ["while it creates, run again without a journal", (s) => s.creates >= 120, false],
]) {
  test(`a sync killed with SIGKILL ${name} and run again ends exact; a third run writes nothing`, async () => {
    const scriptId = `n-sync-${name.replace(/[^a-z]+/g, "-")}`;
    const { file, server } = scenario();
    await seed(scriptId, server);
    const journal = path.join(dir, `${scriptId}.journal`);
    // Slow enough to be killed at each stage: 60 writes per 300 ms.
    const before = await config({ writeBudget: { writes: 60, windowMs: 300 } });
    try {
      await killed(scriptId, file, journal, killWhen);
      const out = await sync(scriptId, file, withJournal ? fileJournal(journal) : undefined);
      assert.equal(out.failed, 0, JSON.stringify(out.results.find((r) => !r.ok)));
      assert.equal(out.stopped, undefined, "nothing stopped the writes");
      await assertExact(scriptId, file);
      const writes = (await stats(scriptId)).writes;
      const again = await sync(scriptId, file, withJournal ? fileJournal(journal) : undefined);
      assert.equal((await stats(scriptId)).writes, writes, "a third run writes nothing");
      assert.equal(again.unchanged, file.length);
      assert.equal(again.deleted, 0);
      await assertExact(scriptId, file);
    } finally {
      await config(before);
    }
  });
}

test("planUserStates from Node: the plan's counts, and only reads", async () => {
  const scriptId = "n-plan";
  const { file, server } = scenario();
  await seed(scriptId, server);
  const plan = await planUserStates({ token: TOKEN, baseUrl: MOCK, scriptId, userStates: file });
  assert.deepEqual(
    [plan.create.length, plan.update.length, plan.unchanged.length, plan.extra.length, plan.invalid.length],
    [250, 150, 100, 80, 0],
  );
  assert.equal((await stats(scriptId)).writes, 0);
});

test("two syncs on one journal at once: the second is refused before it reads or sends anything", async () => {
  const scriptId = `sync-lock-${Date.now()}`;
  const { file } = scenario();
  const journal = path.join(dir, `${scriptId}.journal`);
  const first = sync(scriptId, file, fileJournal(journal));
  // The second run's own token: any request it sent would carry it in graph-mock's log.
  const secondToken = `node-sync-second-${scriptId}`;
  const second = syncUserStates({ token: secondToken, baseUrl: MOCK, scriptId, userStates: file, deleteExtra: true, journal: fileJournal(journal) });
  await assert.rejects(second, (err) => {
    assert.equal(err.name, "ValidationError");
    assert.equal(err.field, "journal");
    assert.match(err.message, /in use by another run/);
    assert.equal(err.cause?.code, "JOURNAL_IN_USE");
    return true;
  });
  const out = await first;
  assert.equal(out.failed, 0);
  assert.equal("stopped" in out, false);
  await assertExact(scriptId, file);
  // The refused run sent nothing: the script's list was read by one run only.
  const log = await requests(scriptId);
  const lists = log.filter((r) => r.method === "GET" && !r.outer);
  assert.equal(lists.length, 1, JSON.stringify(lists.map((r) => r.path)));
  assert.ok(log.some((r) => JSON.stringify(r.headers).includes(TOKEN)), "the first run's requests are in the log");
  assert.ok(!log.some((r) => JSON.stringify(r.headers).includes(secondToken)), "the refused run sent a request");
});

test("a sync whose writes the service refuses says what stopped them as `stopped`", async () => {
  // The updates and deletes: the first write (an update, alone: there are no creates) is
  // answered 400 No method match route template; nothing more is sent.
  const scriptId = `n-sync-refused-${Date.now()}`;
  const server = [0, 1, 2].map((i) => ({ userPrincipalName: `r${i}@contoso.com`, successDeviceCount: 1, errorDeviceCount: 1 }));
  await seed(scriptId, server);
  const file = server.slice(0, 2).map((s) => ({ ...s, successDeviceCount: 7 }));
  await fault({ scriptId, op: "update", refuse: true, times: 1 });
  const out = await sync(scriptId, file);
  assert.equal(out.stopped?.name, "GraphError");
  assert.equal(out.stopped.status, 400);
  assert.equal(out.stopped.code, "No method match route template");
  assert.deepEqual([out.updated, out.deleted, out.failed], [0, 0, 3]);
  for (const r of [...out.results, ...out.deletions]) {
    assert.equal(r.ok, false);
    assert.equal(r.error.message, out.stopped.message, "every write not settled carries the stop");
  }
  assert.equal((await stats(scriptId)).writes, 1, "one write, refused, then the stop");
  const key = (s) => `${s.userPrincipalName} ${s.successDeviceCount}`;
  assert.deepEqual((await objects(scriptId)).map(key).sort(), server.map(key).sort());

  // The creates: the first create is answered 403; the creates' stop is the one reported, in
  // plain words (as createUserStates's `stopped`).
  const created = `n-sync-refused-create-${Date.now()}`;
  await fault({ scriptId: created, op: "create", status: 403, times: 1 });
  const fresh = [0, 1].map((i) => ({ userPrincipalName: `n${i}@contoso.com`, successDeviceCount: 1, errorDeviceCount: 0 }));
  const out2 = await sync(created, fresh);
  assert.equal(out2.stopped?.name, "GraphError");
  assert.equal(out2.stopped.status, 403);
  assert.match(out2.stopped.message, /^The token is not allowed to create user run states/);
  assert.equal(out2.created, 0);
  for (const r of out2.results) assert.equal(r.error?.message, out2.stopped.message);
  assert.deepEqual(await objects(created), []);
});
