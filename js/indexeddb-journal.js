// indexedDbJournal(name): a journal for createUserStates kept in IndexedDB, for pages and Workers.
// Appended to the package's browser and bundler entries by scripts/build-pkg.sh.
// One database per name ("intune-script-user-state-journal:<name>"), one object store of text
// records under increasing keys, so `read` gives them back in the order they were appended.
// `append` resolves once its transaction (durability "strict") has committed.
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
  };
}
