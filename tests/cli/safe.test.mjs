// `import` and issue 17: two imports of one file at once (one refused, exit 2, nothing sent),
// and a service that refuses the write (one sentence, exit 1, at most 2 writes).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { MOCK, RUN, assertOnePerUser, config, objects, project, start, status, writeUsers } from "./helpers.mjs";
import { stats } from "../js/mock.mjs";

const ENV = { GRAPH_TOKEN: "cli-safe-token-8a2f4c6e" };
let dir;
before(() => {
  dir = project();
});

const importArgs = (file, scriptId, ...more) => ["import", file, "--script-id", scriptId, "--base-url", MOCK, ...more];
const upns = (n, prefix) => Array.from({ length: n }, (_, i) => `${prefix}${i}@contoso.com`);

test("two imports of one file at once: one runs, the other exits 2 saying the journal is in use; one object per row", async () => {
  const before = await config({ writeBudget: { writes: 100, windowMs: 500 } });
  try {
    const scriptId = `cli-twice-${RUN}`;
    writeUsers(dir, "twice.csv", 600, "twice");
    const [a, b] = await Promise.all([start(dir, importArgs("twice.csv", scriptId), ENV).done, start(dir, importArgs("twice.csv", scriptId), ENV).done]);
    const codes = [status(a), status(b)].sort();
    assert.deepEqual(codes, [0, 2], `${a.stderr}\n---\n${b.stderr}`);
    const refused = status(a) === 2 ? a : b;
    assert.match(refused.stderr, /the journal "twice\.csv\.journal" is in use by another run: process \d+ on "[^"]+" since \S+ \(lock file \S+twice\.csv\.journal\.lock\); nothing was sent$/m);
    assert.match(refused.stderr, /Only one run may use a journal at a time/);
    assert.ok(!/Importing|Done:/.test(refused.stderr), refused.stderr);
    assertOnePerUser(assert, await objects(scriptId), upns(600, "twice"));
  } finally {
    await config(before);
  }
});

test("a service refusing the write: one sentence, not a line per row, exit 1, at most 2 writes", async () => {
  const scriptId = `cli-refused-${RUN}`;
  const before = await config({ refuseRunStateWrites: [scriptId] });
  try {
    writeUsers(dir, "refused.csv", 600, "refused");
    const r = await start(dir, importArgs("refused.csv", scriptId), ENV).done;
    assert.equal(status(r), 1, r.stderr);
    const lines = r.stderr.trim().split("\n");
    const said = lines.filter((l) => l.includes("No method match route template"));
    assert.equal(said.length, 1, r.stderr);
    assert.match(said[0], /^The import stopped: The service has no such write route in this tenant/);
    assert.ok(!lines.some((l) => /refused\.csv line \d+/.test(l)), r.stderr);
    assert.match(r.stderr, /Stopped: 0 created, 600 failed/);
    assert.ok((await stats(scriptId)).writes <= 2);
  } finally {
    await config(before);
  }
});
