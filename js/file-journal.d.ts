
/** The lock of a run that is gone (its process no longer exists on this host), taken over. */
export interface StaleJournalLock {
  /** The lock file, absolute: the journal's path and ".lock". */
  lockPath: string;
  /** The process that held it. */
  pid: number;
  hostname: string;
  /** ISO 8601: when that run took the lock. */
  since: string;
}

export interface FileJournalOptions {
  /**
   * Called when `lock()` took over the lock of a run whose process is gone (SIGKILL, a crash),
   * before `lock()` resolves. If it throws, the lock is released and `lock()` rejects with that.
   */
  onStaleLock?: (stale: StaleJournalLock) => void;
}

/**
 * A journal for `createUserStates` in an append-only file (Node): one record a line, flushed
 * to disk before `append` resolves. `clear()` removes the file.
 *
 * `lock()` holds it for one run: a lock file `<path>.lock` beside it, made only if absent,
 * holding `{"pid","hostname","since"}` and removed on release (or, best effort, when the
 * process exits). It rejects with an `Error` whose `code` is `"JOURNAL_IN_USE"` (with `lockPath`,
 * and `holder` when known) while a live run holds it: a process of this host that exists, a
 * process on another host (not checkable: the message names the file to remove once that run
 * is known to be dead), or another run in this process. A lock whose process is gone on this
 * host is taken over, and `options.onStaleLock` is told.
 */
export function fileJournal(
  path: string,
  options?: FileJournalOptions,
): Journal & { lock(): Promise<() => Promise<void>> };
