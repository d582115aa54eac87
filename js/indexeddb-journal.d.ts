
/**
 * A journal for `createUserStates` kept in IndexedDB (browsers and Workers): one database
 * per `name`. `clear()` empties it.
 *
 * `lock()` holds it for one run with a Web Lock (`navigator.locks`, `ifAvailable`): it rejects
 * at once, with an `Error` whose `code` is `"JOURNAL_IN_USE"`, while another run holds it in
 * another tab, window or Worker of this origin or in this page. Where `navigator.locks` is
 * absent (plain http other than localhost, browsers before 2022), the lock keeps two runs of
 * one page or Worker apart only.
 */
export function indexedDbJournal(name: string): Journal & { lock(): Promise<() => Promise<void>> };
