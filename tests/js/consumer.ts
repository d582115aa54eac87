// A TypeScript consumer of the package: `tsc --noEmit` must accept the right uses and
// reject the wrong ones (each @ts-expect-error must meet an error, or tsc fails).
import {
  createUserState,
  createUserStates,
  listScripts,
  listUserStatePages,
  listUserStates,
  planUserStates,
  syncUserStates,
  type SyncResult,
  type UserStatesPlan,
  updateUserState,
  type BulkResult,
  fileJournal,
  type Journal,
  type CreateUserStatesRequest,
  type DeviceManagementScript,
  type ResponseInfo,
  validateUserState,
  type CreateUserStateRequest,
  type DeviceManagementScriptUserState,
  type FieldProblem,
  type GraphError,
  type UserStateError,
} from "intune-script-user-state";
import init, * as web from "intune-script-user-state/web";

async function main(signal: AbortSignal): Promise<string> {
  const request: CreateUserStateRequest = {
    token: async () => "token",
    scriptId: "script",
    cloud: "usgov",
    signal,
    timeoutMs: 10_000,
    maxRetries: 2,
    userState: { userPrincipalName: "ada@contoso.com", successDeviceCount: 1, errorDeviceCount: 0 },
  };
  const state: DeviceManagementScriptUserState = await createUserState(request);
  const upn: string | null = state.userPrincipalName;
  const problems: FieldProblem[] = validateUserState({ successDeviceCount: 1 });
  try {
    await createUserState({ ...request, token: "t", baseUrl: "http://127.0.0.1:8080" });
  } catch (e) {
    const err = e as UserStateError;
    if (err.name === "GraphError") {
      const status: number = err.status;
      const retry: number | undefined = err.retryAfter;
      void [status, retry];
    } else if (err.name === "ValidationError") {
      const field: string = err.field;
      void field;
    }
  }
  const bulk: BulkResult = await createUserStates({
    token: "t",
    scriptId: "s",
    userStates: [request.userState],
    onProgress: ({ done, total }) => void [done, total],
  });
  for (const r of bulk.results) {
    if (r.ok) void r.userState.id;
    else void r.error.name;
  }
  // A run stopped by an answer that says it cannot succeed (issue 17).
  if (bulk.stopped) void [bulk.stopped.status, bulk.stopped.code, bulk.stopped.requestId];
  const journal: Journal = fileJournal("users.csv.journal");
  await createUserStates({ token: "t", scriptId: "s", userStates: [request.userState], journal });
  await journal.clear();
  await web.createUserStates({ token: "t", scriptId: "s", userStates: [], journal: web.indexedDbJournal("import") });
  // @ts-expect-error fileJournal is the Node entry's, not the browser's
  void web.fileJournal;
  const plan: UserStatesPlan = await planUserStates({ token: "t", scriptId: "s", userStates: [{ ...request.userState, id: "k" }] });
  for (const c of plan.create) void [c.index, c.userState.userPrincipalName];
  for (const u of plan.update) void [u.index, u.id, u.before.successDeviceCount, u.changes.errorDeviceCount];
  for (const u of plan.unchanged) void [u.index, u.id];
  for (const e of plan.extra) void e.id;
  for (const v of plan.invalid) void [v.index, v.error.field];
  // @ts-expect-error a plan takes no deleteExtra
  await planUserStates({ token: "t", scriptId: "s", userStates: [], deleteExtra: true });
  const synced: SyncResult = await syncUserStates({
    token: "t", scriptId: "s", userStates: [request.userState], deleteExtra: true, concurrency: 2,
    journal: fileJournal("users.csv.sync-journal"), onProgress: ({ done, total }) => void [done, total],
  });
  void [synced.created, synced.updated, synced.unchanged, synced.deleted, synced.failed, synced.throttled, synced.plan.extra];
  for (const r of synced.results) {
    if (r.ok) {
      const action: "created" | "updated" | "unchanged" = r.action;
      void [action, r.userState.id];
    } else void r.error.name;
  }
  for (const d of synced.deletions) if (!d.ok) void [d.id, d.error.name];
  if (synced.stopped) void [synced.stopped.status, synced.stopped.code, synced.stopped.message];
  // @ts-expect-error deleteExtra is a boolean
  await syncUserStates({ token: "t", scriptId: "s", userStates: [], deleteExtra: "yes" });
  await web.syncUserStates({ token: "t", scriptId: "s", userStates: [] });
  // One run per journal (issue 17): lock() resolves to the function that lets it go.
  const release: () => Promise<void> = await fileJournal("users.csv.journal", {
    onStaleLock: ({ lockPath, pid, hostname, since }) => console.error(`took over ${lockPath} (${pid} ${hostname} ${since})`),
  }).lock();
  await release();
  await (await web.indexedDbJournal("import").lock())();
  const own: Journal = { read: async () => [], append: async () => {}, clear: async () => {}, lock: async () => async () => {} };
  if (own.lock) await (await own.lock())();
  const list: DeviceManagementScriptUserState[] = await listUserStates({ token: "t", scriptId: "s", top: 50 });
  for await (const page of listUserStatePages({ token: "t", scriptId: "s" })) void page.length;
  const patched: DeviceManagementScriptUserState | null = await updateUserState({
    token: "t", scriptId: "s", userStateId: "u", changes: { errorDeviceCount: 1 },
  });
  void [list, patched];
  const ids: string[] = [];
  const scripts: DeviceManagementScript[] = await listScripts({
    token: "t",
    scriptKind: "deviceShellScripts",
    onResponse: ({ status, requestId, clientRequestId }: ResponseInfo) => {
      if (requestId !== undefined) ids.push(`${status} ${requestId} ${clientRequestId ?? ""}`);
    },
  });
  const name: string | null = scripts[0].displayName;
  void name;
  await init();
  await web.createUserState(request);
  return `${state.id} ${upn} ${problems.length}`;
}

// @ts-expect-error a journal has read, append and clear
const badJournal: CreateUserStatesRequest = { token: "t", scriptId: "s", userStates: [], journal: { read: async () => [] } };
// @ts-expect-error lock() resolves to a release function
const badLock: Journal = { read: async () => [], append: async () => {}, clear: async () => {}, lock: async () => true };
// @ts-expect-error onStaleLock is a function
const badStale = fileJournal("j", { onStaleLock: true });
// @ts-expect-error counts are numbers
const badCount: CreateUserStateRequest = { token: "t", scriptId: "s", userState: { userPrincipalName: "a", successDeviceCount: "2", errorDeviceCount: 0 } };
// @ts-expect-error the cloud must be one of four
const badCloud: CreateUserStateRequest = { token: "t", scriptId: "s", cloud: "mars", userState: { userPrincipalName: "a", successDeviceCount: 2, errorDeviceCount: 0 } };
// @ts-expect-error scriptId is required
const noScript: CreateUserStateRequest = { token: "t", userState: { userPrincipalName: "a", successDeviceCount: 2, errorDeviceCount: 0 } };
// @ts-expect-error a token function returns a string
const badToken: CreateUserStateRequest = { token: () => 42, scriptId: "s", userState: { userPrincipalName: "a", successDeviceCount: 2, errorDeviceCount: 0 } };
// @ts-expect-error changes must not carry an id
const badChange = updateUserState({ token: "t", scriptId: "s", userStateId: "u", changes: { id: "x" } });
// @ts-expect-error listScripts takes no scriptId
const scriptsWithId = listScripts({ token: "t", scriptId: "s" });
// @ts-expect-error requestId may be undefined
const answeredId = (r: ResponseInfo): string => r.requestId;
const graphError = {} as GraphError;
// @ts-expect-error status is a number
const statusText: string = graphError.status;

export { main, badLock, badStale, badCount, badCloud, noScript, badToken, badChange, statusText, badJournal, scriptsWithId, answeredId };

// readUserStatesCsv (issue 10): what the CSV reader gives is typed.
import { readUserStatesCsv, type UserStatesCsv } from "intune-script-user-state";

function readCsv(text: string): number {
  const read: UserStatesCsv = readUserStatesCsv(text);
  const error: string | null = read.error;
  const ready = read.rows.filter((r) => r.problems.length === 0 && r.warnings.length === 0);
  const first: number | string | null = read.rows[0].userState.successDeviceCount;
  void [error, first];
  return ready.length ? ready[0].line : 0;
}
// @ts-expect-error a row's line is a number
const badLine: string = readUserStatesCsv("").rows[0].line;
// @ts-expect-error the reader takes the text, not a File
readUserStatesCsv(new Blob([]));

export { readCsv, badLine };
