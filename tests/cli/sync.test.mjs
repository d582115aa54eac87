// `npx intune-script-user-state import` as a plan, then its application (issue 18): the plan
// line before any write, --dry-run and --plan writing nothing to the server, the same import
// twice (the second sends no write), --delete-extra, --create-only, the results CSV with the
// action of each row and the deleted objects after them, `list` output edited and imported,
// one file into two scripts with the default journal, and the token nowhere.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { MOCK, RUN, HEADER, journalsOf, objects, project, requests, run, seed, splitCsv, stats, status } from "./helpers.mjs";

const TOKEN = "cli-sync-token-5e6f7a8b9c";
const ENV = { GRAPH_TOKEN: TOKEN };
let dir;
before(() => {
  dir = project();
});

const importArgs = (file, scriptId, ...more) => ["import", file, "--script-id", scriptId, "--base-url", MOCK, ...more];
const write = (name, lines) => {
  writeFileSync(path.join(dir, name), [HEADER, ...lines].join("\r\n") + "\r\n");
  return path.join(dir, name);
};
const writes = async (scriptId) => (await stats(scriptId)).writes;
function assertNoToken(...texts) {
  for (const t of texts) assert.ok(!t.includes(TOKEN), `the token leaked: ${t.slice(0, 300)}`);
}

/**
 * Seeds a script with: same@ (equal to the file), changed@ (other counts), Case@ (the file says
 * case@: a change of letter case), twice@ twice (a duplicate of an earlier double import) and
 * only1@, only2@ (only on the server). LINES adds new1@ and new2@.
 */
const seeded = (scriptId) =>
  seed([
    { scriptId, userPrincipalName: "same@contoso.com", successDeviceCount: 1, errorDeviceCount: 0 },
    { scriptId, userPrincipalName: "changed@contoso.com", successDeviceCount: 5, errorDeviceCount: 5 },
    { scriptId, userPrincipalName: "Case@contoso.com", successDeviceCount: 2, errorDeviceCount: 0 },
    { scriptId, userPrincipalName: "twice@contoso.com", successDeviceCount: 3, errorDeviceCount: 1 },
    { scriptId, userPrincipalName: "twice@contoso.com", successDeviceCount: 3, errorDeviceCount: 1 },
    { scriptId, userPrincipalName: "only1@contoso.com", successDeviceCount: 0, errorDeviceCount: 1 },
    { scriptId, userPrincipalName: "only2@contoso.com", successDeviceCount: 4, errorDeviceCount: 0 },
  ]);
const LINES = ["same@contoso.com,1,0", "changed@contoso.com,6,0", "case@contoso.com,2,0", "twice@contoso.com,3,1", "new1@contoso.com,7,0", "new2@contoso.com,0,2"];
const FILE_VALUES = { "same@contoso.com": [1, 0], "changed@contoso.com": [6, 0], "case@contoso.com": [2, 0], "twice@contoso.com": [3, 1], "new1@contoso.com": [7, 0], "new2@contoso.com": [0, 2] };

test("the plan line before any write; --dry-run --verbose --plan writes nothing to the server, then the import applies it and a second one writes nothing", async () => {
  const scriptId = `cli-sync-${RUN}`;
  const seededObjects = await seeded(scriptId);
  write("sync.csv", LINES);
  const planFile = path.join(dir, "sync-plan.csv");

  // The dry run: the counts, each change, each server-only user; only reads.
  const dry = await run(dir, importArgs("sync.csv", scriptId, "--dry-run", "--verbose", "--plan", planFile), ENV);
  assert.equal(status(dry), 0, dry.stderr);
  assert.equal(dry.stdout, "");
  assert.match(dry.stderr, /^Plan: 2 to create, 2 to update, 2 unchanged, 3 on the server only \(kept; --delete-extra deletes them\)$/m);
  assert.match(dry.stderr, /^ {2}update {2}line 3 changed@contoso\.com \(id [^)]+\): successDeviceCount 5 -> 6, errorDeviceCount 5 -> 0$/m);
  assert.match(dry.stderr, /^ {2}update {2}line 4 case@contoso\.com \(id [^)]+\): userPrincipalName Case@contoso\.com -> case@contoso\.com$/m);
  assert.match(dry.stderr, /^ {2}create {2}line 6 new1@contoso\.com: successDeviceCount 7, errorDeviceCount 0$/m);
  assert.match(dry.stderr, /^ {2}server only \(kept\) only1@contoso\.com \(id [^)]+\)/m);
  assert.match(dry.stderr, /^Dry run: nothing was written\./m);
  assert.equal(await writes(scriptId), 0, "a dry run writes nothing");
  assert.ok((await requests(scriptId)).every((r) => r.method === "GET"), "only reads");
  assert.equal((await objects(scriptId)).length, 7);

  const plan = splitCsv(readFileSync(planFile, "utf8"));
  assert.deepEqual(plan[0], ["action", "row", "userPrincipalName", "id", "field", "serverValue", "fileValue"]);
  const changedId = seededObjects.find((o) => o.userPrincipalName === "changed@contoso.com").id;
  assert.deepEqual(plan.filter((r) => r[0] === "update" && r[2] === "changed@contoso.com"), [
    ["update", "3", "changed@contoso.com", changedId, "successDeviceCount", "5", "6"],
    ["update", "3", "changed@contoso.com", changedId, "errorDeviceCount", "5", "0"],
  ]);
  assert.deepEqual(plan.filter((r) => r[0] === "create").map((r) => [r[1], r[2], r[4], r[5], r[6]]), [
    ["6", "new1@contoso.com", "successDeviceCount", "", "7"],
    ["6", "new1@contoso.com", "errorDeviceCount", "", "0"],
    ["7", "new2@contoso.com", "successDeviceCount", "", "0"],
    ["7", "new2@contoso.com", "errorDeviceCount", "", "2"],
  ]);
  const serverOnly = plan.filter((r) => r[0] === "server-only").map((r) => r[2]).sort();
  assert.deepEqual(serverOnly, ["only1@contoso.com", "only2@contoso.com", "twice@contoso.com"]);

  // The import: the plan line comes before the first write, then the writes.
  const results = path.join(dir, "sync-results.csv");
  const out = await run(dir, importArgs("sync.csv", scriptId, "--results", results), ENV);
  assert.equal(status(out), 0, out.stderr);
  const planAt = out.stderr.indexOf("Plan: 2 to create, 2 to update, 2 unchanged, 3 on the server only");
  assert.ok(planAt >= 0 && planAt < out.stderr.indexOf("Writing 2 to create, 2 to update into"), out.stderr);
  assert.match(out.stderr, /^Done: 2 created, 2 updated, 2 unchanged, 0 failed, in [\d.]+ s\. Results: /m);
  const after = await objects(scriptId);
  assert.equal(after.length, 9, "6 users of the file, the duplicate and the 2 server-only kept");
  for (const [upn, [s, e]] of Object.entries(FILE_VALUES)) {
    const mine = after.filter((o) => o.userPrincipalName === upn);
    assert.ok(mine.length >= 1, upn);
    assert.ok(mine.some((o) => o.successDeviceCount === s && o.errorDeviceCount === e), upn);
  }
  assert.ok(!after.some((o) => o.userPrincipalName === "Case@contoso.com"), "the letter case changed");
  for (const o of seededObjects.filter((o) => /^only/.test(o.userPrincipalName))) {
    assert.deepEqual(after.find((x) => x.id === o.id), o, "server-only objects untouched");
  }

  // The results: the action per row.
  const rows = splitCsv(readFileSync(results, "utf8"));
  assert.deepEqual(rows[0], ["row", "userPrincipalName", "status", "id", "error"]);
  assert.deepEqual(rows.slice(1).map((r) => [r[0], r[1], r[2]]), [
    ["2", "same@contoso.com", "unchanged"],
    ["3", "changed@contoso.com", "updated"],
    ["4", "case@contoso.com", "updated"],
    ["5", "twice@contoso.com", "unchanged"],
    ["6", "new1@contoso.com", "created"],
    ["7", "new2@contoso.com", "created"],
  ]);
  const ids = new Set(after.map((o) => o.id));
  assert.ok(rows.slice(1).every((r) => ids.has(r[3])), "every row names its object on the server");

  // The same import again: the plan says nothing to do, no write is sent, exit 0.
  const before = await writes(scriptId);
  const again = await run(dir, importArgs("sync.csv", scriptId, "--results", results), ENV);
  assert.equal(status(again), 0, again.stderr);
  assert.match(again.stderr, /^Plan: 0 to create, 0 to update, 6 unchanged, 3 on the server only \(kept; --delete-extra deletes them\)$/m);
  assert.match(again.stderr, /^Nothing to change: the server already holds every row of the file\.$/m);
  assert.equal(await writes(scriptId), before, "the second import sends no write");
  assert.ok(splitCsv(readFileSync(results, "utf8")).slice(1).every((r) => r[2] === "unchanged"));
  assertNoToken(dry.stdout, dry.stderr, out.stdout, out.stderr, again.stderr, readFileSync(planFile, "utf8"), readFileSync(results, "utf8"), ...journalsOf(dir, "sync.csv").map((j) => readFileSync(j, "utf8")));
});

test("--delete-extra: the count first, then the server holds exactly the file's users; the deleted objects follow the rows in the results", async () => {
  const scriptId = `cli-extra-${RUN}`;
  const held = await seeded(scriptId);
  write("extra.csv", LINES);
  const results = path.join(dir, "extra-results.csv");
  const out = await run(dir, importArgs("extra.csv", scriptId, "--delete-extra", "--results", results), ENV);
  assert.equal(status(out), 0, out.stderr);
  assert.match(out.stderr, /^Plan: 2 to create, 2 to update, 2 unchanged, 3 on the server only \(to delete: --delete-extra\)$/m);
  assert.match(out.stderr, /^Writing 2 to create, 2 to update, 3 to delete into /m);
  assert.match(out.stderr, /^Done: 2 created, 2 updated, 2 unchanged, 3 deleted, 0 failed, in /m);
  const after = await objects(scriptId);
  assert.equal(after.length, 6);
  assert.deepEqual(new Set(after.map((o) => o.userPrincipalName)), new Set(Object.keys(FILE_VALUES)));
  for (const o of after) assert.deepEqual([o.successDeviceCount, o.errorDeviceCount], FILE_VALUES[o.userPrincipalName], o.userPrincipalName);

  const rows = splitCsv(readFileSync(results, "utf8")).slice(1);
  assert.equal(rows.length, 9);
  const deleted = rows.slice(6);
  assert.ok(deleted.every((r) => r[0] === "" && r[2] === "deleted" && r[4] === ""), JSON.stringify(deleted));
  const gone = held.filter((o) => !after.some((x) => x.id === o.id));
  assert.deepEqual(new Set(deleted.map((r) => r[3])), new Set(gone.map((o) => o.id)));
  assert.deepEqual(deleted.map((r) => r[1]).sort(), ["only1@contoso.com", "only2@contoso.com", "twice@contoso.com"]);

  // A file with a broken row: --delete-extra would delete that row's user, so it is refused.
  write("extra-broken.csv", [...LINES.slice(0, 5), "new2@contoso.com,2.5,0"]);
  const refused = await run(dir, importArgs("extra-broken.csv", scriptId, "--delete-extra"), ENV);
  assert.equal(status(refused), 2, refused.stderr);
  assert.match(refused.stderr, /^error: --delete-extra with 1 row skipped \(problems in the file\): the users on it would be deleted from the server; nothing was sent$/m);

  // A file with no rows would delete everything: the reader refuses it first.
  write("extra-empty.csv", []);
  const empty = await run(dir, importArgs("extra-empty.csv", scriptId, "--delete-extra"), ENV);
  assert.equal(status(empty), 2, empty.stderr);
  assert.equal((await objects(scriptId)).length, 6, "nothing deleted");

  const before = await writes(scriptId);
  const again = await run(dir, importArgs("extra.csv", scriptId, "--delete-extra"), ENV);
  assert.equal(status(again), 0, again.stderr);
  assert.match(again.stderr, /^Plan: 0 to create, 0 to update, 6 unchanged, 0 on the server only$/m);
  assert.equal(await writes(scriptId), before, "nothing left to write");
});

test("--create-only: no reading, createUserStates with its own journal; combined with --dry-run it is bad usage", async () => {
  write("createonly.csv", ["a0@contoso.com,1,0", "a1@contoso.com,1,0"]);
  const other = `cli-createonly-${RUN}`;
  const results = path.join(dir, "createonly-results.csv");
  const created = await run(dir, importArgs("createonly.csv", other, "--create-only", "--results", results), ENV);
  assert.equal(status(created), 0, created.stderr);
  assert.doesNotMatch(created.stderr, /^Plan:/m, "no plan: nothing is read");
  assert.match(created.stderr, /^Importing 2 user states from createonly\.csv into cli-createonly-\w+; journal: createonly\.csv\.[0-9a-f]{8}\.create-journal$/m);
  assert.ok(!(await requests(other)).some((r) => r.method === "GET"), "nothing read");
  assert.equal((await objects(other)).length, 2);
  assert.ok(splitCsv(readFileSync(results, "utf8")).slice(1).every((r) => r[2] === "created"));
  // Run again, the journal says it is done: nothing is sent.
  const sent = (await requests(other)).length;
  const again = await run(dir, importArgs("createonly.csv", other, "--create-only"), ENV);
  assert.equal(status(again), 0, again.stderr);
  assert.equal((await requests(other)).length, sent);

  const bad = await run(dir, importArgs("createonly.csv", other, "--create-only", "--dry-run"), ENV);
  assert.equal(status(bad), 2);
  assert.match(bad.stderr, /^error: --create-only cannot be combined with --dry-run/);
});

test("what list prints, import reads: the output edited and imported updates by id, even a renamed user", async () => {
  const scriptId = `cli-roundtrip-${RUN}`;
  await seed(Array.from({ length: 5 }, (_, i) => ({ scriptId, userPrincipalName: `rt${i}@contoso.com`, successDeviceCount: i, errorDeviceCount: 0 })));
  const listed = await run(dir, ["list", "--script-id", scriptId, "--base-url", MOCK], ENV);
  assert.equal(status(listed), 0, listed.stderr);
  const rows = splitCsv(listed.stdout);
  assert.deepEqual(rows[0], ["id", "userPrincipalName", "successDeviceCount", "errorDeviceCount"]);
  // Two counts edited, one user renamed (matched by its id), one row removed (kept on the server).
  const edited = rows.slice(1, 5).map((r) => [...r]);
  edited[0][3] = "7";
  edited[1][2] = "42";
  edited[2][1] = "renamed@contoso.com";
  const text = [rows[0], ...edited].map((r) => r.join(",")).join("\n") + "\n";
  writeFileSync(path.join(dir, "states.csv"), text);
  const out = await run(dir, importArgs("states.csv", scriptId), ENV);
  assert.equal(status(out), 0, out.stderr);
  assert.match(out.stderr, /^Plan: 0 to create, 3 to update, 1 unchanged, 1 on the server only \(kept; --delete-extra deletes them\)$/m);
  const after = new Map((await objects(scriptId)).map((o) => [o.id, o]));
  assert.equal(after.size, 5, "nothing created");
  assert.equal(after.get(edited[0][0]).errorDeviceCount, 7);
  assert.equal(after.get(edited[1][0]).successDeviceCount, 42);
  assert.equal(after.get(edited[2][0]).userPrincipalName, "renamed@contoso.com");
  const again = await run(dir, importArgs("states.csv", scriptId), ENV);
  assert.match(again.stderr, /^Plan: 0 to create, 0 to update, 4 unchanged, 1 on the server only/m);
});

test("one file into two scripts with the default journal just works; a named journal holding another script's run is refused", async () => {
  write("two.csv", ["two0@contoso.com,1,0", "two1@contoso.com,2,0"]);
  const [a, b] = [`cli-two-a-${RUN}`, `cli-two-b-${RUN}`];
  for (const scriptId of [a, b]) {
    const out = await run(dir, importArgs("two.csv", scriptId), ENV);
    assert.equal(status(out), 0, out.stderr);
    assert.equal((await objects(scriptId)).length, 2);
  }
  assert.equal(journalsOf(dir, "two.csv").length, 2, "a journal each");
  // The same for --create-only.
  for (const scriptId of [`cli-two-c-${RUN}`, `cli-two-d-${RUN}`]) {
    const out = await run(dir, importArgs("two.csv", scriptId, "--create-only"), ENV);
    assert.equal(status(out), 0, out.stderr);
  }

  // A named journal of a sync that wrote (into a script that has none of these users yet).
  const named = await run(dir, importArgs("two.csv", `cli-two-e-${RUN}`, "--journal", "two-named.journal"), ENV);
  assert.equal(status(named), 0, named.stderr);
  const refused = await run(dir, importArgs("two.csv", b, "--journal", "two-named.journal"), ENV);
  assert.equal(status(refused), 2, refused.stderr);
  assert.match(refused.stderr, /^error: the journal two-named\.journal holds a different run \(scriptId cli-two-e-\w+\); nothing was sent$/m);
  const createNamed = await run(dir, importArgs("two.csv", `cli-two-c-${RUN}`, "--create-only", "--journal", "two-create.journal"), ENV);
  assert.equal(status(createNamed), 0, createNamed.stderr);
  const createRefused = await run(dir, importArgs("two.csv", `cli-two-d-${RUN}`, "--create-only", "--journal", "two-create.journal"), ENV);
  assert.equal(status(createRefused), 2, createRefused.stderr);
  assert.match(createRefused.stderr, /^error: the journal two-create\.journal holds a different run/m);
});
