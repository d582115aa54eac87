
/**
 * A journal for `createUserStates` in an append-only file (Node): one record a line, flushed
 * to disk before `append` resolves. `clear()` removes the file.
 */
export function fileJournal(path: string): Journal;
