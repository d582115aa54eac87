// A run contending for a fileJournal's lock (tests/js/lock.test.mjs): prints {"ready":true}
// once loaded, and on the line "go" takes the lock of the journal at argv[2] and prints one
// JSON line saying how that went; then "release" (release, print {"released":true}) and "exit"
// (exit without releasing).
import { createInterface } from "node:readline";
const { fileJournal } = await import(process.env.LOCK_TEST_MODULE ?? "intune-script-user-state");
const say = (o) => process.stdout.write(JSON.stringify(o) + "\n");
let release = null;
say({ ready: true });
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "go") {
    const stale = [];
    try {
      release = await fileJournal(process.argv[2], { onStaleLock: (s) => stale.push(s) }).lock();
      say({ held: true, pid: process.pid, stale });
    } catch (e) {
      say({ held: false, pid: process.pid, code: e.code, message: e.message });
    }
  } else if (line === "release" && release) {
    await release();
    say({ released: true });
  } else if (line === "exit") {
    process.exit(0);
  }
}
