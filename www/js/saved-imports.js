// Imports the page can resume after a closed tab or a crash: the parsed rows, the file's name,
// when it started, where it goes and how far it got, kept in IndexedDB next to the package's
// journal of the run (indexedDbJournal, named after the import). Never a token.
const DB = "intune-admin-imports";
const STORE = "imports";

let opened = null;
function db() {
  return (opened ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => {
      opened = null;
      reject(req.error);
    };
  }));
}

async function tx(mode, work) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(STORE, mode);
    let result;
    work(t.objectStore(STORE), (r) => (result = r));
    t.oncomplete = () => resolve(result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}

/** The journal name of an import. */
export const journalName = (id) => `admin-page-import-${id}`;

/** Saves (or replaces) an import: { id, fileName, startedAt, scriptId, scriptKind, root, rows, done, total }. */
export const saveImport = (record) => tx("readwrite", (s) => s.put(record));

/** Updates how far an import got. */
export const saveProgress = (id, done, total) =>
  tx("readwrite", (s) => {
    const r = s.get(id);
    r.onsuccess = () => r.result && s.put({ ...r.result, done, total });
  });

/** The unfinished import for this script, if any (the newest). */
export const unfinishedImport = (scriptId, scriptKind, root) =>
  tx("readonly", (s, done) => {
    const r = s.getAll();
    r.onsuccess = () =>
      done(
        r.result
          .filter((i) => i.scriptId === scriptId && i.scriptKind === scriptKind && i.root === root)
          .sort((a, b) => b.startedAt - a.startedAt)[0] ?? null,
      );
  });

export const forgetImport = (id) => tx("readwrite", (s) => s.delete(id));
