// Imports the page can resume after a closed tab or a crash: the parsed rows, the file's name,
// when it started, where it goes and how far it got, kept in IndexedDB next to the package's
// journal of the run (indexedDbJournal, named after the import). Never a token.
//
// Two stores: "imports" holds each import's small record (where, when, the counts), rewritten
// as the run goes; "rows" holds its parsed rows, written once when the import starts and never
// again, so a progress save costs the same for 10 rows as for 10,000.
const DB = "intune-admin-imports";
const STORE = "imports";
const ROWS = "rows";

let opened = null;
function db() {
  return (opened ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 2);
    req.onupgradeneeded = (event) => {
      const d = req.result;
      const imports = event.oldVersion < 1 ? d.createObjectStore(STORE, { keyPath: "id" }) : req.transaction.objectStore(STORE);
      if (event.oldVersion < 2) {
        const rows = d.createObjectStore(ROWS, { keyPath: "id" });
        // Version 1 kept the rows inside each record: move them out.
        imports.openCursor().onsuccess = (e) => {
          const cursor = e.target.result;
          if (!cursor) return;
          const { rows: kept = [], ...record } = cursor.value;
          rows.put({ id: record.id, rows: kept });
          cursor.update(record);
          cursor.continue();
        };
      }
    };
    req.onsuccess = () => {
      const d = req.result;
      // Another tab opening a newer version (or deleting the database) waits for this one to let go.
      d.onversionchange = () => {
        d.close();
        opened = null;
      };
      resolve(d);
    };
    req.onerror = () => {
      opened = null;
      reject(req.error);
    };
  }));
}

async function tx(stores, mode, work) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(stores, mode);
    let result;
    work(t, (r) => (result = r));
    t.oncomplete = () => resolve(result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}

/** The journal name of an import. */
export const journalName = (id) => `admin-page-import-${id}`;

/**
 * Saves a new import: `{ id, fileName, startedAt, scriptId, scriptKind, root, total }` and its
 * parsed `rows` (stored apart, once).
 */
export const saveImport = ({ rows, ...record }) =>
  tx([STORE, ROWS], "readwrite", (t) => {
    t.objectStore(ROWS).put({ id: record.id, rows });
    t.objectStore(STORE).put({ created: 0, failed: 0, ...record });
  });

/**
 * Records how far an import got: `{ created, failed, total }` (items that reached an answer;
 * those a Cancel stopped are neither). Touches the small record only.
 */
export const saveProgress = (id, counts) =>
  tx([STORE], "readwrite", (t) => {
    const s = t.objectStore(STORE);
    const r = s.get(id);
    r.onsuccess = () => r.result && s.put({ ...r.result, ...counts });
  });

/** The unfinished import for this script, if any (the newest), without its rows. */
export const unfinishedImport = (scriptId, scriptKind, root) =>
  tx([STORE], "readonly", (t, done) => {
    const r = t.objectStore(STORE).getAll();
    r.onsuccess = () =>
      done(
        r.result
          .filter((i) => i.scriptId === scriptId && i.scriptKind === scriptKind && i.root === root)
          .sort((a, b) => b.startedAt - a.startedAt)[0] ?? null,
      );
  });

/** The parsed rows of an import (read when it is resumed). */
export const importRows = (id) =>
  tx([ROWS], "readonly", (t, done) => {
    const r = t.objectStore(ROWS).get(id);
    r.onsuccess = () => done(r.result?.rows ?? []);
  });

export const forgetImport = (id) =>
  tx([STORE, ROWS], "readwrite", (t) => {
    t.objectStore(STORE).delete(id);
    t.objectStore(ROWS).delete(id);
  });
