
/**
 * A journal for `createUserStates` kept in IndexedDB (browsers and Workers): one database
 * per `name`. `clear()` empties it.
 */
export function indexedDbJournal(name: string): Journal;
