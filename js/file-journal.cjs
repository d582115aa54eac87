// fileJournal(path): a journal for createUserStates in an append-only file, for Node.
// Appended to the package's Node entry by scripts/build-pkg.sh.
// One record a line. `append` writes its records and flushes them to disk (fdatasync) before
// it resolves. A crash in the middle of an append can leave a last line without its newline:
// that record was never durable, so `read` drops it and cuts the file back to the last whole
// line, and the next append starts clean.
function fileJournal(path) {
  if (typeof path !== "string" || path === "") {
    throw new TypeError("fileJournal: path must be a non-empty string");
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
  };
}
exports.fileJournal = fileJournal;
