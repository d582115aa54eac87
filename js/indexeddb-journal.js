// indexedDbJournal(name): a journal for createUserStates kept in IndexedDB, for pages and Workers.
// Appended to the package's browser and bundler entries by scripts/build-pkg.sh.
// One database per name ("intune-script-user-state-journal:<name>"), one object store of text
// records under increasing keys, so `read` gives them back in the order they were appended.
// `append` resolves once its transaction (durability "strict") has committed.
// `lock()` holds the journal for one run (issue 17) with a Web Lock of the same name
// (navigator.locks.request with ifAvailable: refused at once, never queued, while another run
// holds it, be it in another tab, window or Worker of this origin or in this page); the lock is
// held until the function it resolves to is called, or the page or Worker goes away. Where
// navigator.locks is absent (a page over plain http other than localhost, a browser before
// 2022, Node), it falls back to a lock within this page or Worker only: two runs in one page are
// still kept apart, two tabs are not (`"locks" in navigator` says which applies). Refusing
// instead would take resumable imports away from pages that have them today.
export function indexedDbJournal(name) {
  if (typeof name !== "string" || name === "") {
    throw new TypeError("indexedDbJournal: name must be a non-empty string");
  }
  let opened = null;
  const open = () =>
    (opened ??= new Promise((resolve, reject) => {
      const idb = globalThis.indexedDB;
      if (!idb) {
        reject(new Error("indexedDbJournal: this environment has no IndexedDB (in Node, use fileJournal)"));
        return;
      }
      const req = idb.open(`intune-script-user-state-journal:${name}`, 1);
      req.onupgradeneeded = () => req.result.createObjectStore("records", { autoIncrement: true });
      req.onsuccess = () => {
        const db = req.result;
        db.onversionchange = () => {
          db.close();
          opened = null;
        };
        resolve(db);
      };
      req.onerror = () => {
        opened = null;
        reject(req.error);
      };
    }));
  const run = async (mode, work) => {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction("records", mode, { durability: "strict" });
      let result;
      work(tx.objectStore("records"), (r) => (result = r));
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error("indexedDbJournal: the transaction was aborted"));
    });
  };
  return {
    read: () =>
      run("readonly", (store, done) => {
        const r = store.getAll();
        r.onsuccess = () => done(r.result);
      }),
    append: async (records) => {
      await run("readwrite", (store) => {
        for (const record of records) store.add(String(record));
      });
    },
    clear: async () => {
      await run("readwrite", (store) => store.clear());
    },
    lock: () => indexedDbJournalLock(name),
  };
}

// Where navigator.locks is absent: the same rule, within this page or Worker only.
const indexedDbJournalHeld = new Set();
const indexedDbJournalLocks = {
  async request(name, _options, callback) {
    if (indexedDbJournalHeld.has(name)) return callback(null);
    indexedDbJournalHeld.add(name);
    try {
      return await callback({ name });
    } finally {
      indexedDbJournalHeld.delete(name);
    }
  },
};

function indexedDbJournalLock(name) {
  const locks = globalThis.navigator?.locks ?? indexedDbJournalLocks;
  return new Promise((resolve, reject) => {
    let letGo;
    const held = new Promise((r) => (letGo = r));
    // Settles once the lock is let go (or was never granted).
    const done = locks.request(`intune-script-user-state-journal:${name}`, { ifAvailable: true }, (lock) => {
      if (!lock) {
        const err = new Error(
          `indexedDbJournal: the journal ${JSON.stringify(name)} is in use by another run (in another tab, window or Worker of this site, or in this page)`,
        );
        err.code = "JOURNAL_IN_USE";
        reject(err);
        return;
      }
      resolve(() => {
        letGo();
        return done.then(() => {});
      });
      return held;
    });
    done.catch(reject); // a failure once granted: nothing to say (resolve came first)
  });
}
