// indexedDbJournal's lock (issue 17), its logic in Node: against a stand-in for the Web Locks
// API (navigator.locks, with the `ifAvailable` rule as browsers have it), and without one (the
// lock within one page). It imports the source file, js/indexeddb-journal.js (the browser
// entries append it as is). idb-lock-browser.test.mjs runs it in headless Chromium.
import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { indexedDbJournal } from "../../js/indexeddb-journal.js";

/** Web Locks as browsers have them, for exclusive locks: held names, granted in order. */
function webLocks() {
  const held = new Map(); // name -> queue of waiting grants
  const calls = [];
  return {
    calls,
    held: () => [...held.keys()],
    request(name, options, callback) {
      calls.push({ name, options: { ...options } });
      if (held.has(name)) {
        if (options.ifAvailable) return Promise.resolve().then(() => callback(null));
        return new Promise((resolve) => held.get(name).push(resolve)).then(() => run());
      }
      held.set(name, []);
      const run = () =>
        Promise.resolve()
          .then(() => callback({ name, mode: "exclusive" }))
          .finally(() => {
            const next = held.get(name).shift();
            if (next) next();
            else held.delete(name);
          });
      return run();
    },
  };
}

const setNavigator = (value) =>
  Object.defineProperty(globalThis, "navigator", { value, configurable: true, writable: true });
beforeEach(() => setNavigator(undefined));

const refused = (name) => (err) => {
  assert.equal(err.code, "JOURNAL_IN_USE");
  assert.equal(
    err.message,
    `indexedDbJournal: the journal ${JSON.stringify(name)} is in use by another run (in another tab, window or Worker of this site, or in this page)`,
  );
  return true;
};

test("a Web Lock named after the journal, asked for with ifAvailable, held until released", async () => {
  const locks = webLocks();
  setNavigator({ locks });
  const release = await indexedDbJournal("import-1").lock();
  assert.deepEqual(locks.calls, [{ name: "intune-script-user-state-journal:import-1", options: { ifAvailable: true } }]);
  assert.deepEqual(locks.held(), ["intune-script-user-state-journal:import-1"]);
  // Another run (here a second journal object of the same name) is refused at once, not queued.
  await assert.rejects(indexedDbJournal("import-1").lock(), refused("import-1"));
  assert.deepEqual(locks.held(), ["intune-script-user-state-journal:import-1"]);
  // Another name is another lock.
  const other = await indexedDbJournal("import-2").lock();
  await other();
  // Released: the lock is let go once release resolves; releasing again does nothing more.
  await release();
  assert.deepEqual(locks.held(), []);
  await release();
  await (await indexedDbJournal("import-1").lock())();
  assert.deepEqual(locks.held(), []);
});

test("a Web Locks failure (a SecurityError, say) rejects lock() with it", async () => {
  const boom = new DOMException("The request was denied.", "SecurityError");
  setNavigator({ locks: { request: () => Promise.reject(boom) } });
  await assert.rejects(indexedDbJournal("x").lock(), (e) => e === boom);
});

test("without navigator.locks: a lock within this page or Worker only", async () => {
  for (const nav of [undefined, {}]) {
    setNavigator(nav);
    const release = await indexedDbJournal("plain-http").lock();
    await assert.rejects(indexedDbJournal("plain-http").lock(), refused("plain-http"));
    await (await indexedDbJournal("another").lock())();
    await release();
    await release();
    await (await indexedDbJournal("plain-http").lock())();
  }
});
