// `npx intune-script-user-state import`: bad rows, results, exit codes, running again after
// SIGKILL and after Ctrl-C (the plan finds what the cut run made), and the progress output with
// and without a terminal. The plan itself: sync.test.mjs.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { MOCK, RUN, assertOnePerUser, config, environment, journalsOf, objects, project, requests, run, splitCsv, start, stats, status, until, untilAsync, writeUsers } from "./helpers.mjs";

/**
 * The command's own process (npx's child) is reaped by init, not by us: until it is, it still
 * answers kill(pid, 0) (fileJournal reads a zombie as gone where /proc says so; elsewhere its
 * lock would still be held). Waits until the holder of each of `name`'s journals' locks is gone.
 */
async function untilLockHolderGone(name) {
  for (const journal of journalsOf(dir, name)) {
    const lock = `${path.resolve(journal)}.lock`;
    if (!existsSync(lock)) continue;
    const holder = JSON.parse(readFileSync(lock, "utf8")).pid;
    await until(() => {
      try {
        process.kill(holder, 0);
        return false;
      } catch {
        return true;
      }
    });
  }
}

const TOKEN = "cli-import-token-7d41c9e2";
const ENV = { GRAPH_TOKEN: TOKEN };
let dir;
before(() => {
  dir = project();
});

const importArgs = (file, scriptId, ...more) => ["import", file, "--script-id", scriptId, "--base-url", MOCK, ...more];
const upns = (n, prefix, skip = () => false) => Array.from({ length: n }, (_, i) => i).filter((i) => !skip(i)).map((i) => `${prefix}${i}@contoso.com`);
function assertNoToken(...texts) {
  for (const t of texts) assert.ok(!t.includes(TOKEN), `the token leaked: ${t.slice(0, 300)}`);
}
/** A slow service: 100 writes per 500 ms, so 1,000 rows take about 5 s and can be cut. */
async function slowly(body) {
  const before = await config({ writeBudget: { writes: 100, windowMs: 500 } });
  try {
    return await body();
  } finally {
    await config(before);
  }
}

test("1,000 rows with some bad ones: the good ones created once, the bad ones named by line, results for every row, exit 1", async () => {
  const scriptId = `cli-bad-${RUN}`;
  const isBad = (i) => i % 50 === 7;
  const broken = ["x@contoso.com,2.5,0", ",1,1", "y@contoso.com,,0", "z@contoso.com,1", "w@contoso.com,0x10,1"];
  writeUsers(dir, "thousand.csv", 1000, "bad", (i) => (isBad(i) ? broken[((i - 7) / 50) % broken.length] : null));
  const results = path.join(dir, "thousand-results.csv");
  const out = await run(dir, importArgs("thousand.csv", scriptId, "--results", results), ENV);
  assert.equal(status(out), 1, out.stderr);
  assert.equal(out.stdout, "", "import writes nothing to stdout");
  // Every bad row named with its line (the header is line 1, row i is line i + 2).
  for (let i = 7; i < 1000; i += 50) assert.match(out.stderr, new RegExp(`thousand\\.csv line ${i + 2}: .+ \\(skipped\\)`));
  assert.match(out.stderr, /thousand\.csv line 9: Success device count must be a whole number \(skipped\)/);
  assert.match(out.stderr, /Done: 980 created, 0 failed, 20 skipped \(problems in the file\), in [\d.]+ s\. Results: /);
  assert.ok(!/\n\s+at /.test(out.stderr), "no stack trace");

  const held = await objects(scriptId);
  assertOnePerUser(assert, held, upns(1000, "bad", isBad));
  const rows = splitCsv(readFileSync(results, "utf8"));
  assert.deepEqual(rows[0], ["row", "userPrincipalName", "status", "id", "error"]);
  assert.equal(rows.length, 1001);
  const ids = new Map(held.map((o) => [o.userPrincipalName, o.id]));
  for (let i = 0; i < 1000; i++) {
    const [row, upn, st, id, error] = rows[i + 1];
    assert.equal(row, String(i + 2));
    if (isBad(i)) {
      assert.equal(st, "skipped");
      assert.equal(id, "");
      assert.ok(error.length > 0);
    } else {
      assert.deepEqual([upn, st, id, error], [`bad${i}@contoso.com`, "created", ids.get(upn), ""]);
    }
  }
  assert.deepEqual(rows[8], ["9", "x@contoso.com", "skipped", "", "Success device count must be a whole number"]);
  assert.deepEqual(rows[58], ["59", "", "skipped", "", "User principal name must not be empty"]);

  // The same command again: the plan finds every good row on the server, so no write is sent;
  // the same rows, now unchanged, with the same ids.
  const writes = (await stats(scriptId)).writes;
  const again = await run(dir, importArgs("thousand.csv", scriptId, "--results", results), ENV);
  assert.equal(status(again), 1);
  assert.match(again.stderr, /^Plan: 0 to create, 0 to update, 980 unchanged, 0 on the server only$/m);
  assert.equal((await stats(scriptId)).writes, writes, "no write the second time");
  const second = splitCsv(readFileSync(results, "utf8"));
  assert.deepEqual(second.map((r) => (r[2] === "unchanged" ? [r[0], r[1], "created", r[3], r[4]] : r)), rows);
  assertNoToken(out.stdout, out.stderr, again.stderr, readFileSync(results, "utf8"), ...journalsOf(dir, "thousand.csv").map((j) => readFileSync(j, "utf8")));
});

test("every row created: exit 0; a file that is not CSV, or missing, is exit 2 with nothing sent", async () => {
  const scriptId = `cli-ok-${RUN}`;
  writeUsers(dir, "ok.csv", 45, "ok");
  const out = await run(dir, importArgs("ok.csv", scriptId), ENV);
  assert.equal(status(out), 0, out.stderr);
  assert.match(out.stderr, /Done: 45 created, 0 failed, in /);
  assertOnePerUser(assert, await objects(scriptId), upns(45, "ok"));

  const broken = `cli-broken-${RUN}`;
  writeUsers(dir, "broken.csv", 5, "br", (i) => (i === 3 ? '"open,1,1' : null));
  const bad = await run(dir, importArgs("broken.csv", broken), ENV);
  assert.equal(status(bad), 2);
  assert.equal(bad.stderr, "error: broken.csv: Line 5: a quoted field is not closed\n");
  const header = await run(dir, importArgs("ok.csv", broken, "--base-url", "https://graph.microsoft.com.evil.example"), ENV);
  assert.equal(status(header), 2);
  assert.match(header.stderr, /^error: --base-url must be/m);
  const missing = await run(dir, importArgs("nope.csv", broken), ENV);
  assert.equal(status(missing), 2);
  assert.equal(missing.stderr, "error: cannot read nope.csv: no such file\n");
  assert.deepEqual(await requests(broken), []);
});

test("killed with SIGKILL mid-import, then the same command again: exactly one object per row", () =>
  slowly(async () => {
    const scriptId = `cli-kill-${RUN}`;
    writeUsers(dir, "kill.csv", 1000, "kill");
    const first = start(dir, importArgs("kill.csv", scriptId), ENV);
    await untilAsync(async () => (await objects(scriptId)).length >= 200);
    first.signal("SIGKILL");
    const killed = await first.done;
    assert.equal(killed.signal, "SIGKILL");
    await untilLockHolderGone("kill.csv");
    const created = (await objects(scriptId)).length;
    assert.ok(created < 1000, `killed after ${created} created`);

    const results = path.join(dir, "kill-results.csv");
    const again = await run(dir, importArgs("kill.csv", scriptId, "--results", results), ENV);
    assert.equal(status(again), 0, again.stderr);
    // The killed run's lock is taken over, in one line.
    const took = again.stderr.split("\n").filter((l) => l.startsWith("Took over the lock"));
    assert.equal(took.length, 1, again.stderr);
    assert.match(took[0], /^Took over the lock of a run that is gone \(process \d+ on \S+, since \S+\): \S+kill\.csv\.[0-9a-f]{8}\.journal\.lock$/);
    assertOnePerUser(assert, await objects(scriptId), upns(1000, "kill"));
    const rows = splitCsv(readFileSync(results, "utf8")).slice(1);
    assert.equal(rows.length, 1000, "the results cover every row, resumed ones included");
    // Made by the killed run (found by the plan) or by this one.
    assert.ok(rows.every((r) => (r[2] === "created" || r[2] === "unchanged") && r[3]), "every row created or found");
    assert.ok(rows.some((r) => r[2] === "unchanged") && rows.some((r) => r[2] === "created"));
  }));

test("Ctrl-C (SIGINT) mid-import stops cleanly with the resume hint; the same command resumes", () =>
  slowly(async () => {
    const scriptId = `cli-int-${RUN}`;
    writeUsers(dir, "int.csv", 1000, "int");
    const results = path.join(dir, "int-results.csv");
    const first = start(dir, importArgs("int.csv", scriptId, "--results", results), ENV);
    await untilAsync(async () => (await objects(scriptId)).length >= 200);
    first.signal("SIGINT"); // to the whole group, as a terminal's Ctrl-C
    const stopped = await first.done;
    assert.equal(status(stopped), 130, stopped.stderr);
    assert.match(stopped.stderr, /Stopped: \d+ created, 0 failed, \d+ not sent, in /);
    assert.match(stopped.stderr.trimEnd(), /Stopped\. Run the same command again to resume \(journal: int\.csv\.[0-9a-f]{8}\.journal\)\.$/);
    const partial = splitCsv(readFileSync(results, "utf8")).slice(1);
    const made = partial.filter((r) => r[2] === "created").length;
    assert.ok(made > 0 && made < 1000, `${made} created before the stop`);
    assert.ok(partial.every((r) => r[2] === "created" || r[2] === "cancelled"), "created or cancelled");
    // Those whose $batch was in flight at the stop may exist too: the resume's look-up finds them.
    assert.ok((await objects(scriptId)).length >= made);

    const again = await run(dir, importArgs("int.csv", scriptId, "--results", results), ENV);
    assert.equal(status(again), 0, again.stderr);
    assertOnePerUser(assert, await objects(scriptId), upns(1000, "int"));
    assert.ok(splitCsv(readFileSync(results, "utf8")).slice(1).every((r) => r[2] === "created" || r[2] === "unchanged"));
  }));

test("progress: a bar redrawn in place in a pseudo-terminal, plain lines without one", () =>
  slowly(async () => {
    // Without a terminal (as in CI logs): whole lines, no carriage return, no escape codes.
    writeUsers(dir, "plain.csv", 1000, "plain");
    const plain = await run(dir, importArgs("plain.csv", `cli-plain-${RUN}`), ENV);
    assert.equal(status(plain), 0, plain.stderr);
    assert.ok(!/[\r\x1b]/.test(plain.stderr), JSON.stringify(plain.stderr));
    assert.match(plain.stderr, /^1000 of 1000 \(1000 created, 0 failed\), [\d.]+ per second$/m);
    assert.match(plain.stderr, /^Done: 1000 created, 0 failed, in [\d.]+ s\.$/m);

    // In a pseudo-terminal (util-linux `script`): one line redrawn with \r and "erase to the
    // end of the line", a bar, done/total, the rate and the time left.
    writeUsers(dir, "tty.csv", 1000, "tty");
    const command = ["npx", "intune-script-user-state", ...importArgs("tty.csv", `cli-tty-${RUN}`)].join(" ");
    const tty = await new Promise((resolve) => {
      const child = spawn("script", ["-q", "-e", "-c", command, "/dev/null"], { cwd: dir, env: environment({ ...ENV, COLUMNS: "100" }), stdio: ["ignore", "pipe", "pipe"] });
      let text = "";
      child.stdout.setEncoding("utf8").on("data", (d) => (text += d));
      child.on("close", (code) => resolve({ code, text }));
    });
    assert.equal(tty.code, 0, tty.text);
    const redraws = tty.text.split("\r\x1b[0K");
    assert.ok(redraws.length > 3, `redrawn ${redraws.length - 1} times: ${JSON.stringify(tty.text.slice(0, 400))}`);
    assert.match(tty.text, /\r\x1b\[0K\[#{30}\] 1000\/1000 100%  [\d.]+\/s  \r?\n/);
    assert.match(tty.text, /\r\x1b\[0K\[#*\.+\] \d+\/1000 +\d+%  [\d.]+\/s  .+ left/, "a bar part way, with the rate and the time left");
    assert.ok(!/\x1b\[[\d;]*m/.test(tty.text), "no colour");
    assert.ok(!/^\d+ of 1000 \(/m.test(tty.text), "no plain progress lines in a terminal");
  }));

test("a semicolon file from a European Excel (BOM, CRLF) and a tab file import like a comma file; a refused header says what was found", async () => {
  const scriptId = `cli-semicolon-${RUN}`;
  // Quoted fields keep the other delimiters; a decimal comma in a count is a problem of that row.
  const semicolon = [
    "userPrincipalName;successDeviceCount;errorDeviceCount",
    "semi0@contoso.com;2;0",
    '"semi1@contoso.com";0;1',
    '"o\'brien, pat; semi2@contoso.com";1;1',
    "semi3@contoso.com;2,5;0",
  ];
  writeFileSync(path.join(dir, "semicolon.csv"), "\uFEFF" + semicolon.join("\r\n") + "\r\n");
  const out = await run(dir, importArgs("semicolon.csv", scriptId, "--results", "semicolon-results.csv"), ENV);
  assert.equal(status(out), 1, out.stderr);
  assert.match(out.stderr, /^semicolon\.csv line 5: Success device count must be a number, not a string \(skipped\)$/m);
  assert.match(out.stderr, /Done: 3 created, 0 failed, 1 skipped \(problems in the file\)/);
  assertOnePerUser(assert, await objects(scriptId), ["semi0@contoso.com", "semi1@contoso.com", "o'brien, pat; semi2@contoso.com"]);

  const tabId = `cli-tab-${RUN}`;
  writeFileSync(path.join(dir, "tab.csv"), "errorDeviceCount\tuserPrincipalName\tsuccessDeviceCount\n0\ttab0@contoso.com\t3\n1\t\"tab1,;@contoso.com\"\t0\n");
  const tab = await run(dir, importArgs("tab.csv", tabId), ENV);
  assert.equal(status(tab), 0, tab.stderr);
  const held = await objects(tabId);
  assertOnePerUser(assert, held, ["tab0@contoso.com", "tab1,;@contoso.com"]);
  assert.deepEqual(held.map((o) => [o.successDeviceCount, o.errorDeviceCount]).sort(), [[0, 1], [3, 0]]);

  writeFileSync(path.join(dir, "pipe.csv"), "userPrincipalName|successDeviceCount|errorDeviceCount\na|1|1\n");
  const pipe = await run(dir, importArgs("pipe.csv", `cli-pipe-${RUN}`), ENV);
  assert.equal(status(pipe), 2);
  assert.equal(
    pipe.stderr,
    "error: pipe.csv: Line 1: the header must be userPrincipalName,successDeviceCount,errorDeviceCount (in any order, optionally with id; comma, semicolon or tab separated), found userPrincipalName|successDeviceCount|errorDeviceCount\n",
  );
  assert.deepEqual(await requests(`cli-pipe-${RUN}`), []);
});

test("the issue's case: 300 rows imported, the journal moved away, the same command again: 300 objects, no write", async () => {
  const scriptId = `cli-nojournal-${RUN}`;
  writeUsers(dir, "moved.csv", 300, "moved");
  const first = await run(dir, importArgs("moved.csv", scriptId), ENV);
  assert.equal(status(first), 0, first.stderr);
  for (const j of journalsOf(dir, "moved.csv")) rmSync(j);
  const writes = (await stats(scriptId)).writes;
  const again = await run(dir, importArgs("moved.csv", scriptId), ENV);
  assert.equal(status(again), 0, again.stderr);
  assert.match(again.stderr, /^Plan: 0 to create, 0 to update, 300 unchanged, 0 on the server only$/m);
  assert.equal((await stats(scriptId)).writes, writes, "no write");
  assertOnePerUser(assert, await objects(scriptId), upns(300, "moved"));
});

test("killed with SIGKILL mid-import, the journal deleted, then the same command: exactly one object per row", () =>
  slowly(async () => {
    const scriptId = `cli-killnj-${RUN}`;
    writeUsers(dir, "killnj.csv", 1000, "killnj");
    const first = start(dir, importArgs("killnj.csv", scriptId), ENV);
    await untilAsync(async () => (await objects(scriptId)).length >= 200);
    first.signal("SIGKILL");
    await first.done;
    await untilLockHolderGone("killnj.csv");
    for (const j of journalsOf(dir, "killnj.csv")) rmSync(j);
    // No journal says a run was cut: the plan alone finds what the killed run made (graph-mock
    // answers a $batch whose client is gone at once: nothing lands later here).
    const again = await run(dir, importArgs("killnj.csv", scriptId), ENV);
    assert.equal(status(again), 0, again.stderr);
    assertOnePerUser(assert, await objects(scriptId), upns(1000, "killnj"));
  }));
