//! The TypeScript types of the JS API, written out so the `.d.ts` says exactly what the
//! functions take and give.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r##"
/** A national cloud: which Graph root and sign-in authority to use. */
export type Cloud = "global" | "usgov" | "usgovdod" | "china";

/** The collection a script lives in. */
export type ScriptKind = "deviceManagementScripts" | "deviceShellScripts" | "deviceCustomAttributeShellScripts";

/** An access token (without "Bearer "), or a function asked for one before every attempt. */
export type TokenSource = string | (() => string | Promise<string>);

/** What onResponse is told about one HTTP answer (an inner $batch answer counts as one). */
export interface ResponseInfo {
  status: number;
  /** The answer's request-id header; undefined when absent (or not exposed to the page by CORS). */
  requestId: string | undefined;
  /** The answer's client-request-id header; undefined when absent. */
  clientRequestId: string | undefined;
}

/** Options every call takes. */
export interface CallOptions {
  /** Access token, or a function returning one; a function is asked again once after a 401. */
  token: TokenSource;
  /** Default "global". */
  cloud?: Cloud;
  /** Overrides `cloud`: a Graph root over https, or http(s)://127.0.0.1 | localhost | [::1] with any port. */
  baseUrl?: string;
  /** Default "deviceManagementScripts". */
  scriptKind?: ScriptKind;
  /** Stops the call; it then rejects with an AbortError. */
  signal?: AbortSignal;
  /** Time limit of one attempt in ms, 1 to 600000. Default 30000. */
  timeoutMs?: number;
  /** Resends after the first attempt, 0 to 10. Default 3. */
  maxRetries?: number;
  /** A GUID sent as client-request-id on every request of the call. Default: a fresh UUID v4. */
  clientRequestId?: string;
  /** Called once per HTTP answer, inner $batch answers included; what it throws is ignored. */
  onResponse?: (response: ResponseInfo) => void;
}

/** A user state to create. */
export interface UserStateInput {
  /** Integer, 0 to 2147483647. */
  successDeviceCount: number;
  /** Integer, 0 to 2147483647. */
  errorDeviceCount: number;
  /** Non-empty, no control characters, at most 1024 characters. */
  userPrincipalName: string;
  /** Sent through when given. */
  id?: string;
  "@odata.type"?: "#microsoft.graph.deviceManagementScriptUserState";
}

export interface CreateUserStateRequest extends CallOptions {
  /** The deviceManagementScriptId. */
  scriptId: string;
  userState: UserStateInput;
}

/** A user state as the service returned it, with any fields it added. */
export interface DeviceManagementScriptUserState {
  "@odata.type"?: string;
  id: string;
  successDeviceCount: number;
  errorDeviceCount: number;
  userPrincipalName: string | null;
  [property: string]: unknown;
}

/** One broken input rule. */
export interface FieldProblem {
  /** The path of the field, like "userState.successDeviceCount". */
  field: string;
  /** The rule, like "must be a whole number". */
  message: string;
}

/** Bad input; nothing was sent. */
export interface ValidationError extends Error {
  name: "ValidationError";
  /** The first broken rule's field. */
  field: string;
  /** Every broken rule. */
  errors: FieldProblem[];
}

/** The service answered with a failure. */
export interface GraphError extends Error {
  name: "GraphError";
  status: number;
  /** Graph's error code, or "invalidResponse" when the body was not what Graph sends. */
  code: string;
  requestId?: string;
  clientRequestId?: string;
  date?: string;
  /** Seconds the service asked to wait, when it said. */
  retryAfter?: number;
}

/** No answer: refused, dropped, blocked by CORS. */
export interface NetworkError extends Error {
  name: "NetworkError";
  clientRequestId: string;
}

/** An attempt got no answer within timeoutMs. */
export interface TimeoutError extends Error {
  name: "TimeoutError";
  clientRequestId: string;
  timeoutMs: number;
}

/** The signal fired. */
export interface AbortError extends Error {
  name: "AbortError";
  clientRequestId: string;
}

/** A request about one user state. */
export interface UserStateRequest extends CallOptions {
  scriptId: string;
  userStateId: string;
}

/** The fields an update changes (at least one), with the same rules as a create. */
export interface UserStateChanges {
  successDeviceCount?: number;
  errorDeviceCount?: number;
  userPrincipalName?: string;
}

export interface UpdateUserStateRequest extends UserStateRequest {
  changes: UserStateChanges;
}

export interface ListUserStatesRequest extends CallOptions {
  scriptId: string;
  /** Page size ($top), 1 to 999. */
  top?: number;
  /** An OData $filter, sent as given. */
  filter?: string;
}

/** listScripts takes the common options only; scriptKind says which collection. */
export type ListScriptsRequest = CallOptions;

/** A script as listScripts returns it: the selected fields, and any the service adds. */
export interface DeviceManagementScript {
  "@odata.type"?: string;
  id: string;
  displayName: string | null;
  description?: string | null;
  fileName?: string | null;
  /** ISO 8601, as the service sent it. */
  lastModifiedDateTime?: string | null;
  [property: string]: unknown;
}

/** How far a bulk import is. */
export interface BulkProgress {
  done: number;
  total: number;
  succeeded: number;
  failed: number;
}

/**
 * Where a bulk run writes down what it sends and what came back, so that a run cut short (a
 * closed tab, a crash, a killed process) resumes without doubling or losing an item.
 * Records are opaque text, read back in the order appended; `append` resolves once they are
 * durable. The package has two: `indexedDbJournal(name)` (browsers, Workers) and
 * `fileJournal(path)` (the Node entry). Any object of this shape works.
 */
export interface Journal {
  read(): Promise<string[]>;
  append(records: string[]): Promise<void>;
  clear(): Promise<void>;
  /**
   * Optional: holds the journal for one run, from before `read` until the run ends. Resolves,
   * once held, to the function that lets it go; rejects at once (never waits) while another
   * run holds it, with an Error whose message says so. Both journals of the package have it.
   */
  lock?(): Promise<() => Promise<void>>;
}

export interface CreateUserStatesRequest extends CallOptions {
  scriptId: string;
  /**
   * Makes the run resumable: an unfinished run of the same request in it is resumed (settled
   * items are not sent again), a finished one resolves to its recorded results and sends
   * nothing, and a journal of another run or one that cannot be read is a ValidationError on
   * `journal` with nothing sent.
   */
  journal?: Journal;
  /** At most 100000; one per user (a repeated user is a ValidationError for that item). */
  userStates: UserStateInput[];
  /** Called as items settle. */
  onProgress?: (progress: BulkProgress) => void;
  /** $batch requests in flight at most, 1 to 8. Default 4. */
  concurrency?: number;
}

/** The outcome of one item of a bulk import. */
export type BulkItemResult =
  | { ok: true; userState: DeviceManagementScriptUserState }
  | { ok: false; error: UserStateError };

export interface BulkResult {
  succeeded: number;
  failed: number;
  /** 429s the service answered during the run (inner and outer). */
  throttled: number;
  /** One per input item, in input order. */
  results: BulkItemResult[];
  /**
   * Present when an answer said the run cannot succeed (401 after the token was asked again,
   * 403, 404 for the script, 405, 501, 400 `No method match route template`): the run stopped
   * there, and every item it had not settled failed with this same error. Not journaled: a run
   * resumed from the journal tries again, its first write alone.
   */
  stopped?: GraphError;
}

/** What a call rejects with (or whatever a token function threw). */
export type UserStateError = ValidationError | GraphError | NetworkError | TimeoutError | AbortError;
"##;

// readUserStatesCsv (issue 10), kept apart from the block above.
#[wasm_bindgen(typescript_custom_section)]
const TS_CSV_TYPES: &str = r##"
/** One data row of a user-state CSV, as readUserStatesCsv read it. */
export interface UserStatesCsvRow {
  /** The line the row starts on (1-based; the header is line 1 when nothing is before it). */
  line: number;
  /** The row as typed, not coerced: "" is null, "2.5" is 2.5, "two" stays a string. */
  userState: {
    userPrincipalName: string;
    successDeviceCount: number | string | null;
    errorDeviceCount: number | string | null;
    /** The id column's cell, when the file has one and the cell is not empty (planUserStates and syncUserStates match by it). */
    id?: string;
  };
  /** The broken rules in words ("Success device count must be a whole number"); a row with any is not to be imported. */
  problems: string[];
  /** What will likely fail, such as a user repeated from an earlier line. */
  warnings: string[];
}

/** A user-state CSV read: every data row, or why the file as a whole cannot be used. */
export interface UserStatesCsv {
  rows: UserStatesCsvRow[];
  /** A sentence naming the line ("Line 3: a quoted field is not closed"), or null. */
  error: string | null;
}
"##;

// planUserStates and syncUserStates (issue 18), kept apart from the blocks above.
#[wasm_bindgen(typescript_custom_section)]
const TS_SYNC_TYPES: &str = r##"
/** Items to compare with the script's user states: the rules and limits of createUserStates, one item per user. */
export interface PlanUserStatesRequest extends CallOptions {
  scriptId: string;
  /**
   * At most 100000, one per user: a second item with the same id, or the same
   * userPrincipalName ignoring ASCII case, is invalid. An item's id (as the list's id column
   * gives it) is used to match and never sent.
   */
  userStates: UserStateInput[];
}

/** The fields of a user state that a sync sets. */
export interface UserStateValues {
  userPrincipalName: string;
  successDeviceCount: number;
  errorDeviceCount: number;
}

/** What an import of the items would change; every input index is in exactly one of create, update, unchanged, invalid. */
export interface UserStatesPlan {
  /** Items no object of the script matches: to create (without their id). */
  create: { index: number; userState: UserStateValues }[];
  /** Items whose object differs: `before` is the service's object, `changes` only the differing fields, with the item's values. */
  update: { index: number; id: string; before: DeviceManagementScriptUserState; changes: UserStateChanges }[];
  /** Items whose object already holds their values. */
  unchanged: { index: number; id: string }[];
  /** The service's objects no item matched, a second object of a matched user among them, in the order listed. */
  extra: DeviceManagementScriptUserState[];
  /** Items the rules refuse, each with its ValidationError. */
  invalid: { index: number; error: ValidationError }[];
}

export interface SyncUserStatesRequest extends PlanUserStatesRequest {
  /** Also delete the service's objects no item matched (the plan's extra). Default false. */
  deleteExtra?: boolean;
  /**
   * Marks where a sync is: a sync run after one cut short waits a moment before it lists, so
   * a create still landing is matched, not made again. Give a sync its own journal (one of a
   * createUserStates run is refused).
   */
  journal?: Journal;
  /** Called as items and deletions settle; unchanged and invalid items count as done from the plan on. */
  onProgress?: (progress: BulkProgress) => void;
  /** $batch requests in flight at most, 1 to 8. Default 4. */
  concurrency?: number;
}

/** The outcome of one item of a sync. */
export type SyncItemResult =
  | { ok: true; action: "created" | "updated" | "unchanged"; userState: DeviceManagementScriptUserState }
  | { ok: false; error: UserStateError };

/** The outcome of one deletion of a sync. */
export type SyncDeletion =
  | { ok: true; id: string }
  | { ok: false; id: string; error: UserStateError };

export interface SyncResult {
  /** The plan the sync applied. */
  plan: UserStatesPlan;
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  /** Items that failed (invalid ones included), and deletions that failed. */
  failed: number;
  /** 429s the service answered during the run (inner and outer). */
  throttled: number;
  /** One per input item, in input order. */
  results: SyncItemResult[];
  /** One per object the sync was to delete (none without deleteExtra). */
  deletions: SyncDeletion[];
  /**
   * Present when an answer said the writes cannot succeed: a create's, as BulkResult.stopped
   * (401 after the token was asked again, 403, 404 for the script, 405, 501, 400 `No method
   * match route template`), or else an update's or delete's (403, 405, 501, 400 `No method
   * match route template`; a 404 there fails its write alone). The phase it stopped (the
   * creates, or the updates and deletes) sent nothing more, and every write of that phase not
   * settled failed with this same error. The first such answer is the one reported.
   */
  stopped?: GraphError;
}
"##;
