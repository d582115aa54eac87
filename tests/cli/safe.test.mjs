// `import` and issue 17: two imports of one file at once (one refused, exit 2, nothing sent),
// and a service that refuses the write (one sentence, exit 1, at most 2 writes); each for the
// plan-then-apply import (syncUserStates holds the lock) and for --create-only.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { MOCK, RUN, assertOnePerUser, config, objects, project, requests, start, status, writeUsers } from "./helpers.mjs";
import { stats } from "../js/mock.mjs";

const ENV = { GRAPH_TOKEN: "cli-safe-token-8a2f4c6e" };
let dir;
before(() => {
  dir = project();
});

const importArgs = (file, scriptId, ...more) => ["import", file, "--script-id", scriptId, "--base-url", MOCK, ...more];
const upns = (n, prefix) => Array.from({ length: n }, (_, i) => `${prefix}${i}@contoso.com`);

for (const [mode, more, journal] of [
  ["", [], "[0-9a-f]{8}\\.journal"],
  [" (--create-only)", ["--create-only"], "[0-9a-f]{8}\\.create-journal"],
]) {
  const tag = more.length ? "co" : "sy";
  test(`two imports of one file at once${mode}: one runs, the other exits 2 saying the journal is in use; one object per row`, async () => {
    const before = await config({ writeBudget: { writes: 100, windowMs: 500 } });
    try {
      const scriptId = `cli-twice-${tag}-${RUN}`;
      const file = `twice-${tag}.csv`;
      writeUsers(dir, file, 600, "twice");
      // Each run its own token, so graph-mock's request log tells whose each request is.
      const tokens = [`cli-safe-first-${tag}-${RUN}`, `cli-safe-second-${tag}-${RUN}`];
      const [a, b] = await Promise.all(tokens.map((GRAPH_TOKEN) => start(dir, importArgs(file, scriptId, ...more), { GRAPH_TOKEN }).done));
      const codes = [status(a), status(b)].sort();
      assert.deepEqual(codes, [0, 2], `${a.stderr}\n---\n${b.stderr}`);
      const refused = status(a) === 2 ? a : b;
      const [ranToken, refusedToken] = status(a) === 2 ? [tokens[1], tokens[0]] : tokens;
      const name = `twice-${tag}\\.csv\\.${journal}`;
      assert.match(refused.stderr, new RegExp(`the journal "${name}" is in use by another run: process \\d+ on "[^"]+" since \\S+ \\(lock file \\S+${name}\\.lock\\); nothing was written$`, "m"));
      assert.match(refused.stderr, /Only one run may use a journal at a time/);
      assert.ok(!/Importing|Done:/.test(refused.stderr), refused.stderr);
      assertOnePerUser(assert, await objects(scriptId), upns(600, "twice"));
      // The refused run wrote nothing (a sync's plan reads before it takes the lock; a
      // --create-only run sends nothing at all), while the run that ran wrote every row.
      const log = await requests(scriptId);
      const whose = (token, keep) => log.filter((e) => keep(e) && JSON.stringify(e.headers).includes(token)).length;
      assert.ok(whose(ranToken, (e) => e.write) >= 600, "the run that ran wrote the rows");
      assert.equal(whose(refusedToken, (e) => e.write), 0, "the refused run wrote");
      if (more.length) assert.equal(whose(refusedToken, () => true), 0, "the refused --create-only run sent a request");
    } finally {
      await config(before);
    }
  });

  test(`a service refusing the write${mode}: one sentence, not a line per row, exit 1, at most 2 writes`, async () => {
    const scriptId = `cli-refused-${tag}-${RUN}`;
    const before = await config({ refuseRunStateWrites: [scriptId] });
    try {
      const file = `refused-${tag}.csv`;
      writeUsers(dir, file, 600, "refused");
      const r = await start(dir, importArgs(file, scriptId, ...more), ENV).done;
      assert.equal(status(r), 1, r.stderr);
      const lines = r.stderr.trim().split("\n");
      const said = lines.filter((l) => l.includes("No method match route template"));
      assert.equal(said.length, 1, r.stderr);
      assert.match(said[0], /^The import stopped: The service has no such write route in this tenant/);
      assert.ok(!lines.some((l) => /refused-\w+\.csv line \d+/.test(l)), r.stderr);
      assert.match(r.stderr, /Stopped: 0 created, 600 failed/);
      assert.ok((await stats(scriptId)).writes <= 2);
    } finally {
      await config(before);
    }
  });
}
