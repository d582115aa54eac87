// fileJournal's lock (issue 17, "One run per journal"), with real processes: two runs
// contending, a lock left by a SIGKILLed run taken over, a lock from another host refused, two
// runs in one process refused. It imports the packed package by name (as `make test-node` runs
// it); LOCK_TEST_MODULE=<path to js/file-journal.cjs> runs the same tests on the source file.
import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync, symlinkSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const { fileJournal } = await import(process.env.LOCK_TEST_MODULE ?? "intune-script-user-state");
const HERE = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), "journal-lock-test-"));
let n = 0;
const journalPath = () => path.join(dir, `j${++n}.journal`);

/** Child runs (lock-child.mjs) on `file`, loaded, then told to take the lock at once. */
async function contend(file, count) {
  const runs = Array.from({ length: count }, () => child(file));
  for (const r of runs) assert.deepEqual(await r.next(), { ready: true });
  for (const r of runs) r.send("go");
  return runs;
}

const children = new Set();
// A failed assertion must not leave children waiting on stdin (the runner would wait for them).
afterEach(async () => {
  for (const proc of children) if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  children.clear();
});

/** A child run (lock-child.mjs) on `file`; `next()` gives its next JSON line. */
function child(file) {
  const proc = spawn(process.execPath, [path.join(HERE, "lock-child.mjs"), file], {
    cwd: HERE,
    stdio: ["pipe", "pipe", "inherit"],
  });
  children.add(proc);
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const exited = once(proc, "exit");
  return {
    proc,
    exited,
    next: async () => JSON.parse((await lines.next()).value),
    send: (line) => proc.stdin.write(line + "\n"),
  };
}

/** The lock file holds exactly pid, hostname and since, and nothing else. */
function assertLockContent(file, pid) {
  const text = readFileSync(file + ".lock", "utf8");
  const record = JSON.parse(text);
  assert.deepEqual(Object.keys(record), ["pid", "hostname", "since"], text);
  assert.equal(record.pid, pid);
  assert.equal(record.hostname, hostname());
  assert.ok(!Number.isNaN(Date.parse(record.since)), record.since);
  assert.equal(text, JSON.stringify(record) + "\n");
  return record;
}

/** A pid no process has: a child that has exited. */
async function deadPid() {
  const proc = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await once(proc, "exit");
  return proc.pid;
}

/** No file but the journal's lock is left beside it (no temporary or takeover file). */
function assertNoDebris(file, lockExpected) {
  const base = path.basename(file);
  const left = readdirSync(path.dirname(file)).filter((f) => f.startsWith(base + "."));
  assert.deepEqual(left, lockExpected ? [base + ".lock"] : [], left.join(", "));
}

test("two processes started together on one journal: exactly one holds it, the other is told who", async () => {
  for (let round = 0; round < 4; round++) {
    const file = journalPath();
    const runs = await contend(file, 2);
    const said = await Promise.all(runs.map((r) => r.next()));
    const held = said.filter((s) => s.held);
    assert.equal(held.length, 1, JSON.stringify(said));
    const [holder] = held;
    const refused = said.find((s) => !s.held);
    assert.equal(refused.code, "JOURNAL_IN_USE");
    assert.match(refused.message, /is in use by another run/);
    assert.ok(refused.message.includes(`process ${holder.pid} on ${JSON.stringify(hostname())} since `), refused.message);
    assertLockContent(file, holder.pid);
    const holderRun = runs[said.indexOf(holder)];
    holderRun.send("release");
    assert.deepEqual(await holderRun.next(), { released: true });
    assert.ok(!existsSync(file + ".lock"), "released: the lock file is gone");
    for (const r of runs) r.send("exit");
    await Promise.all(runs.map((r) => r.exited));
    assertNoDebris(file, false);
  }
});

test("release removes the lock, is idempotent, and the journal can be locked again", async () => {
  const file = journalPath();
  const journal = fileJournal(file);
  const release = await journal.lock();
  assertLockContent(file, process.pid);
  await release();
  await release();
  assert.ok(!existsSync(file + ".lock"));
  const again = await journal.lock();
  assertLockContent(file, process.pid);
  await again();
  assertNoDebris(file, false);
});

test("a run that exits without releasing leaves no lock behind", async () => {
  const file = journalPath();
  const [run] = await contend(file, 1);
  assert.equal((await run.next()).held, true);
  run.send("exit");
  await run.exited;
  assert.ok(!existsSync(file + ".lock"), "removed on exit");
});

test("a lock left by a SIGKILLed run is taken over, and onStaleLock says whose it was", async () => {
  const file = journalPath();
  const [run] = await contend(file, 1);
  const said = await run.next();
  assert.equal(said.held, true);
  const left = assertLockContent(file, said.pid);
  run.proc.kill("SIGKILL");
  await run.exited;
  assert.ok(existsSync(file + ".lock"), "SIGKILL left the lock");
  const stale = [];
  const release = await fileJournal(file, { onStaleLock: (s) => stale.push(s) }).lock();
  assert.deepEqual(stale, [{ lockPath: path.resolve(file) + ".lock", pid: said.pid, hostname: hostname(), since: left.since }]);
  assertLockContent(file, process.pid);
  assertNoDebris(file, true);
  await release();
  assertNoDebris(file, false);
});

test("a lock left by a process that has exited but is not yet reaped (a zombie) is taken over", { skip: !existsSync("/proc/self/stat") && "no /proc" }, async () => {
  const file = journalPath();
  // The shell starts a short sleep, then becomes a long one that never reaps it: the short
  // sleep, once it exits, is a zombie, which still answers kill(pid, 0).
  const parent = spawn("sh", ["-c", "sleep 0.2 & echo $!; exec sleep 60"], { stdio: ["ignore", "pipe", "ignore"] });
  children.add(parent);
  const [line] = await once(createInterface({ input: parent.stdout }), "line");
  const pid = Number(line);
  const state = () => readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "")[0];
  for (let i = 0; i < 200 && state() !== "Z"; i++) await new Promise((r) => setTimeout(r, 25));
  assert.equal(state(), "Z", "a zombie");
  process.kill(pid, 0); // it still answers
  const since = "2026-01-01T00:00:00.000Z";
  writeFileSync(file + ".lock", JSON.stringify({ pid, hostname: hostname(), since }) + "\n");
  const stale = [];
  const release = await fileJournal(file, { onStaleLock: (s) => stale.push(s) }).lock();
  assert.deepEqual(stale, [{ lockPath: path.resolve(file) + ".lock", pid, hostname: hostname(), since }]);
  assertLockContent(file, process.pid);
  await release();
  assertNoDebris(file, false);
  parent.kill("SIGKILL");
});

test("runs taking over one stale lock together: exactly one wins, the others are refused", async () => {
  for (let round = 0; round < 6; round++) {
    const file = journalPath();
    const gone = { pid: await deadPid(), hostname: hostname(), since: new Date(0).toISOString() };
    writeFileSync(file + ".lock", JSON.stringify(gone) + "\n");
    const runs = await contend(file, 4);
    const said = await Promise.all(runs.map((r) => r.next()));
    const held = said.filter((s) => s.held);
    assert.equal(held.length, 1, JSON.stringify(said));
    assert.deepEqual(held[0].stale, [{ lockPath: path.resolve(file) + ".lock", ...gone }]);
    for (const s of said.filter((s) => !s.held)) {
      assert.equal(s.code, "JOURNAL_IN_USE", s.message);
      assert.match(s.message, new RegExp(`process ${held[0].pid} `), s.message);
    }
    assertLockContent(file, held[0].pid);
    for (const r of runs) r.send("exit");
    await Promise.all(runs.map((r) => r.exited));
    assertNoDebris(file, false);
  }
});

test("a lock from another host is refused, naming the file to remove, and left as it was", async () => {
  const file = journalPath();
  const foreign = JSON.stringify({ pid: 4242, hostname: "build-agent-7.contoso.com", since: "2026-01-02T03:04:05.000Z" }) + "\n";
  writeFileSync(file + ".lock", foreign);
  await assert.rejects(fileJournal(file).lock(), (err) => {
    assert.equal(err.code, "JOURNAL_IN_USE");
    assert.equal(err.lockPath, path.resolve(file) + ".lock");
    assert.deepEqual(err.holder, { pid: 4242, hostname: "build-agent-7.contoso.com", since: "2026-01-02T03:04:05.000Z" });
    assert.match(err.message, /in use by another run: process 4242 on "build-agent-7\.contoso\.com" since 2026-01-02T03:04:05\.000Z, another host/);
    assert.ok(err.message.includes(`remove ${path.resolve(file)}.lock and run again`), err.message);
    return true;
  });
  assert.equal(readFileSync(file + ".lock", "utf8"), foreign);
  assertNoDebris(file, true);
});

test("two runs in one process on one journal: the second is refused, by any path to it", async () => {
  const file = journalPath();
  const link = path.join(dir, `link${n}`);
  symlinkSync(dir, link);
  const release = await fileJournal(file).lock();
  for (const other of [file, path.relative(process.cwd(), file), path.join(link, path.basename(file))]) {
    await assert.rejects(fileJournal(other).lock(), (err) => {
      assert.equal(err.code, "JOURNAL_IN_USE");
      assert.match(err.message, new RegExp(`another run in this process \\(pid ${process.pid}\\)`));
      return true;
    });
  }
  // Two at once, neither holding yet: one wins.
  await release();
  const both = await Promise.allSettled([fileJournal(file).lock(), fileJournal(file).lock()]);
  assert.deepEqual(both.map((s) => s.status).sort(), ["fulfilled", "rejected"]);
  await both.find((s) => s.status === "fulfilled").value();
  assertNoDebris(file, false);
});

test("this process's own pid in a lock it does not hold (a pid reused after a restart) is stale", async () => {
  const file = journalPath();
  const old = { pid: process.pid, hostname: hostname(), since: "2026-01-01T00:00:00.000Z" };
  writeFileSync(file + ".lock", JSON.stringify(old) + "\n");
  const stale = [];
  const release = await fileJournal(file, { onStaleLock: (s) => stale.push(s) }).lock();
  assert.equal(stale.length, 1);
  assert.equal(stale[0].since, old.since);
  assert.notEqual(assertLockContent(file, process.pid).since, old.since);
  await release();
});

test("a live process of this host holds it: refused, and the lock is left alone", async () => {
  const file = journalPath();
  const live = { pid: process.ppid, hostname: hostname(), since: "2026-01-01T00:00:00.000Z" };
  writeFileSync(file + ".lock", JSON.stringify(live) + "\n");
  await assert.rejects(fileJournal(file).lock(), (err) => {
    assert.equal(err.code, "JOURNAL_IN_USE");
    assert.equal(
      err.message,
      `fileJournal: the journal ${JSON.stringify(file)} is in use by another run: process ${process.ppid} on ${JSON.stringify(hostname())} since 2026-01-01T00:00:00.000Z (lock file ${path.resolve(file)}.lock)`,
    );
    return true;
  });
  assert.equal(JSON.parse(readFileSync(file + ".lock", "utf8")).pid, process.ppid);
});

test("an unreadable lock file, or a takeover cut short, is refused with the files to remove", async () => {
  const file = journalPath();
  writeFileSync(file + ".lock", "");
  await assert.rejects(fileJournal(file).lock(), (err) => {
    assert.equal(err.code, "JOURNAL_IN_USE");
    assert.ok(err.message.includes(`lock file ${path.resolve(file)}.lock cannot be read`), err.message);
    return true;
  });
  const gone = (pid) => JSON.stringify({ pid, hostname: hostname(), since: "2026-01-01T00:00:00.000Z" }) + "\n";
  writeFileSync(file + ".lock", gone(await deadPid()));
  writeFileSync(file + ".lock.takeover", gone(await deadPid()));
  await assert.rejects(fileJournal(file).lock(), (err) => {
    assert.equal(err.code, "JOURNAL_IN_USE");
    assert.match(err.message, /a takeover of its lock by process \d+ .* was cut short/);
    assert.ok(err.message.includes(`remove ${path.resolve(file)}.lock.takeover and ${path.resolve(file)}.lock`), err.message);
    return true;
  });
});

test("onStaleLock throwing: the lock is let go and lock() rejects with that", async () => {
  const file = journalPath();
  writeFileSync(file + ".lock", JSON.stringify({ pid: await deadPid(), hostname: hostname(), since: "2026-01-01T00:00:00.000Z" }) + "\n");
  const boom = new Error("boom");
  await assert.rejects(fileJournal(file, { onStaleLock: () => { throw boom; } }).lock(), (e) => e === boom);
  assert.ok(!existsSync(file + ".lock"));
  await (await fileJournal(file).lock())();
  assert.throws(() => fileJournal(file, { onStaleLock: 1 }), TypeError);
});

test("a file system error (no such directory) says which journal it was for, and holds nothing", async () => {
  const file = path.join(dir, "missing", "j.journal");
  await assert.rejects(fileJournal(file).lock(), (err) => {
    assert.equal(err.code, "ENOENT");
    assert.equal(err.message, `fileJournal: cannot lock the journal ${JSON.stringify(file)} (${file}.lock): ENOENT`);
    return true;
  });
  // Nothing held in this process: once the directory exists, the lock is taken.
  mkdirSync(path.dirname(file));
  await (await fileJournal(file).lock())();
});
