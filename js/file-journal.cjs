// fileJournal(path): a journal for createUserStates in an append-only file, for Node.
// Appended to the package's Node entry by scripts/build-pkg.sh.
// One record a line. `append` writes its records and flushes them to disk (fdatasync) before
// it resolves. A crash in the middle of an append can leave a last line without its newline:
// that record was never durable, so `read` drops it and cuts the file back to the last whole
// line, and the next append starts clean.
//
// `lock()` holds the journal for one run (issue 17): a lock file `<path>.lock` beside it,
// holding only {"pid","hostname","since"}, made to appear whole and only if absent (written to
// a file of its own, then hard-linked to its name; where links are refused, created with "wx").
// Refused (an Error, code "JOURNAL_IN_USE") when a live run holds it: a process on this host
// that still exists and has not exited (on Linux, a zombie is gone), any process on another host (which cannot be checked from here: the
// message names the file to remove), or another run in this process. A lock left by a process
// of this host that is gone (SIGKILL, a crash, a reboot) is taken over, and `onStaleLock`
// hears of it. Taking over: create `<path>.lock.takeover` exclusively, read the lock again
// and, if it is still the one found gone, rename a fresh lock over it, then remove the
// takeover file; of two takers only the one that created the takeover file can replace it.
// Released by the function `lock()` resolves to, or (best effort) when the process exits.
// Whether process `pid` has exited though it still has an entry (a zombie, "Z", or "X"), as
// Linux's /proc/<pid>/stat says: its state is the field after the command name in
// parentheses, which may itself hold ") ". False where there is no /proc or it cannot be read.
function fileJournalExited(pid) {
  let stat;
  try {
    stat = require("node:fs").readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return false;
  }
  const state = stat[stat.lastIndexOf(")") + 2];
  return state === "Z" || state === "X";
}

function fileJournal(path, options) {
  if (typeof path !== "string" || path === "") {
    throw new TypeError("fileJournal: path must be a non-empty string");
  }
  const onStaleLock = options == null ? undefined : options.onStaleLock;
  if (onStaleLock !== undefined && typeof onStaleLock !== "function") {
    throw new TypeError("fileJournal: onStaleLock must be a function");
  }
  const fs = require("node:fs/promises");
  const { dirname } = require("node:path");
  const syncDir = async () => {
    // A new file's name is durable once its directory is flushed (best effort: not every
    // platform lets a directory be opened).
    try {
      const dir = await fs.open(dirname(path), "r");
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch {}
  };
  let exists = false; // known to exist once an append wrote it (or read found it)
  return {
    async read() {
      let text;
      try {
        text = await fs.readFile(path, "utf8");
      } catch (e) {
        if (e && e.code === "ENOENT") return [];
        throw e;
      }
      exists = true;
      const end = text.lastIndexOf("\n") + 1;
      if (end < text.length) await fs.truncate(path, Buffer.byteLength(text.slice(0, end)));
      return end === 0 ? [] : text.slice(0, end - 1).split("\n");
    },
    async append(records) {
      if (records.length === 0) return;
      const lines = records.map(String);
      if (lines.some((line) => line.includes("\n"))) {
        throw new TypeError("fileJournal: a record must not hold a newline");
      }
      let created = false;
      if (!exists) {
        try {
          await fs.access(path);
        } catch {
          created = true;
        }
      }
      const file = await fs.open(path, "a", 0o600);
      try {
        await file.write(lines.join("\n") + "\n");
        await file.datasync();
      } finally {
        await file.close();
      }
      if (created) await syncDir();
      exists = true;
    },
    async clear() {
      exists = false;
      await fs.rm(path, { force: true });
      await syncDir();
    },
    lock: () => fileJournalLock(path, onStaleLock),
  };
}
exports.fileJournal = fileJournal;

// Locks this process holds: absolute lock path -> the holder record written in it.
const fileJournalLocks = new Map();
let fileJournalExitHook = false;

async function fileJournalLock(journalPath, onStaleLock) {
  const fs = require("node:fs/promises");
  const nodePath = require("node:path");
  const os = require("node:os");
  const lockPath = nodePath.resolve(journalPath) + ".lock";
  const guardPath = lockPath + ".takeover";
  const shown = JSON.stringify(journalPath);
  const inUse = (message, holder) => {
    const err = new Error(`fileJournal: the journal ${shown} is in use by another run: ${message}`);
    err.code = "JOURNAL_IN_USE";
    err.lockPath = lockPath;
    if (holder) err.holder = { pid: holder.pid, hostname: holder.hostname, since: holder.since };
    return err;
  };
  const who = (h) => `process ${h.pid} on ${JSON.stringify(h.hostname)} since ${h.since}`;

  if (fileJournalLocks.has(lockPath)) {
    throw inUse(`another run in this process (pid ${process.pid}) holds it`, fileJournalLocks.get(lockPath));
  }
  const me = { pid: process.pid, hostname: os.hostname(), since: new Date().toISOString() };
  fileJournalLocks.set(lockPath, me); // reserved before the first await: two calls cannot both pass
  const text = JSON.stringify(me) + "\n";
  const tmpPath = `${lockPath}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;

  // The holder named in a lock file, or null when it is gone; throws when unreadable.
  const readHolder = async (file) => {
    let raw;
    try {
      raw = await fs.readFile(file, "utf8");
    } catch (e) {
      if (e && e.code === "ENOENT") return null;
      throw e;
    }
    let h;
    try {
      h = JSON.parse(raw);
    } catch {}
    if (!h || !Number.isSafeInteger(h.pid) || h.pid <= 0 || typeof h.hostname !== "string" || typeof h.since !== "string") {
      throw inUse(
        `its lock file ${file} cannot be read (a run may be writing it). If no run is using the journal, remove that file and run again.`,
      );
    }
    return { pid: h.pid, hostname: h.hostname, since: h.since, raw };
  };
  // Refuses a holder that is alive or that cannot be checked; returns when it is gone: no such
  // process on this host, or this process's own pid in a lock this process does not hold (a
  // pid reused after a restart, as in a container).
  const refuseLive = (h, file) => {
    if (h.hostname !== me.hostname) {
      throw inUse(
        `${who(h)}, another host, which cannot be checked from here. If that run is no longer running, remove ${file} and run again.`,
        h,
      );
    }
    if (h.pid === process.pid) {
      for (const held of fileJournalLocks.values()) {
        if (held !== me && held.since === h.since) {
          throw inUse(`another run in this process (pid ${process.pid}) holds it (lock file ${file})`, h);
        }
      }
      return;
    }
    try {
      process.kill(h.pid, 0);
      // A zombie (exited, its parent not yet told) still answers kill(pid, 0), but runs no
      // more: as gone as a pid with no process.
      if (fileJournalExited(h.pid)) return;
    } catch (e) {
      if (e && e.code === "ESRCH") return;
    }
    throw inUse(`${who(h)} (lock file ${file})`, h);
  };
  // Makes `file` appear, whole, holding this run's record, only if absent: true when this
  // call made it.
  const create = async (file) => {
    await fs.writeFile(tmpPath, text, { flag: "wx", mode: 0o644 });
    try {
      await fs.link(tmpPath, file);
      return true;
    } catch (e) {
      if (e && e.code === "EEXIST") return false;
      if (!e || !["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EXDEV"].includes(e.code)) throw e;
    } finally {
      await fs.rm(tmpPath, { force: true });
    }
    // No hard links here (some network or FAT file systems): exclusive create, then write.
    let handle;
    try {
      handle = await fs.open(file, "wx", 0o644);
    } catch (e) {
      if (e && e.code === "EEXIST") return false;
      throw e;
    }
    try {
      await handle.writeFile(text);
    } finally {
      await handle.close();
    }
    return true;
  };
  // With the takeover file held: replace the lock if it is still `stale`. True when replaced;
  // false when the lock changed meanwhile (then look again).
  const takeOver = async (stale) => {
    if (!(await create(guardPath))) {
      const g = await readHolder(guardPath);
      if (g === null) return false; // its taker just finished: look again
      try {
        refuseLive(g, guardPath);
      } catch (e) {
        // A live taker on this host: it may win or find the lock changed; let it finish (a few
        // file operations), then look again and name whoever holds the lock then.
        if (g.hostname !== me.hostname || g.pid === process.pid) throw e;
        await new Promise((resolve) => setTimeout(resolve, 50));
        return false;
      }
      throw inUse(
        `a takeover of its lock by ${who(g)} was cut short. If no run is using the journal, remove ${guardPath} and ${lockPath} and run again.`,
        g,
      );
    }
    try {
      const now = await readHolder(lockPath);
      if (now === null) return false;
      if (now.raw !== stale.raw) return false;
      await fs.writeFile(tmpPath, text, { flag: "wx", mode: 0o644 });
      try {
        await fs.rename(tmpPath, lockPath);
      } catch (e) {
        await fs.rm(tmpPath, { force: true });
        throw e;
      }
      return true;
    } finally {
      await fs.rm(guardPath, { force: true });
    }
  };

  let staleFound = null;
  try {
    for (let attempt = 0; ; attempt++) {
      if (attempt === 20) throw inUse(`its lock file ${lockPath} kept changing while this run tried to take it`);
      if (await create(lockPath)) break;
      const h = await readHolder(lockPath);
      if (h === null) continue; // released meanwhile
      refuseLive(h, lockPath);
      if (await takeOver(h)) {
        staleFound = h;
        break;
      }
    }
  } catch (e) {
    fileJournalLocks.delete(lockPath);
    if (e && e.code !== "JOURNAL_IN_USE" && typeof e.syscall === "string") {
      // A file system error (a missing directory, no permission): say which journal it was for.
      const err = new Error(`fileJournal: cannot lock the journal ${shown} (${lockPath}): ${e.code}`, { cause: e });
      err.code = e.code;
      throw err;
    }
    throw e;
  }

  if (!fileJournalExitHook) {
    fileJournalExitHook = true;
    // A run that ends without releasing (the process exits): remove the locks it still holds.
    process.on("exit", () => {
      const fsSync = require("node:fs");
      for (const [file, holder] of fileJournalLocks) {
        try {
          if (fsSync.readFileSync(file, "utf8") === JSON.stringify(holder) + "\n") fsSync.unlinkSync(file);
        } catch {}
      }
    });
  }
  let released = null;
  const release = () =>
    (released ??= (async () => {
      try {
        // Remove the lock only if it is still this run's (a user may have removed it by hand
        // and another run taken it since).
        if ((await fs.readFile(lockPath, "utf8")) === text) await fs.rm(lockPath, { force: true });
      } catch (e) {
        if (!e || e.code !== "ENOENT") throw e;
      } finally {
        fileJournalLocks.delete(lockPath);
      }
    })());
  if (staleFound !== null && onStaleLock !== undefined) {
    const { pid, hostname, since } = staleFound;
    try {
      onStaleLock({ lockPath, pid, hostname, since });
    } catch (e) {
      await release();
      throw e;
    }
  }
  return release;
}
