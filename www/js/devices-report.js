// The devices view's data (issue 20): which device run states are shown for a run-state
// filter, how a state reads in the table (time, error code, folded output), the run summary's
// figures and the CSV export of what is shown. Pure functions (the node tests import them);
// devices.js draws them.
import { toCsv } from "./csv.js";

/** The run states Graph documents, with the words the page shows. Others are kept as they come. */
export const RUN_STATES = Object.freeze({
  success: "Success",
  fail: "Failed",
  scriptError: "Script error",
  pending: "Pending",
  notApplicable: "Not applicable",
  unknown: "Unknown",
});

/** The filter's value for a run state the enum does not name (the service adds values). */
export const OTHER = "other";

/** A state's run state as the filter and the counts know it: a documented one, else OTHER. */
export const runStateKey = (runState) => (Object.hasOwn(RUN_STATES, runState ?? "") ? runState : OTHER);

/** A run state in words: the documented ones named, any other as it came, none as "(none)". */
export const runStateText = (s) => (s === null || s === undefined || s === "" ? "(none)" : (RUN_STATES[s] ?? String(s)));

/**
 * The states to show for `runState` ("" for all, OTHER for values outside the enum), in the
 * order they were read.
 */
export function shownDevices(states, runState = "") {
  if (runState === "") return states;
  return states.filter((s) => runStateKey(s.runState) === runState);
}

/** How many states have each run state (documented ones, then OTHER). */
export function runStateCounts(states) {
  const counts = Object.fromEntries([...Object.keys(RUN_STATES), OTHER].map((k) => [k, 0]));
  for (const s of states) counts[runStateKey(s.runState)] += 1;
  return counts;
}

/** "2026-12-07 03:00:00 UTC" from Graph's ISO 8601 time; anything else as it came. */
export function timeText(iso) {
  if (typeof iso !== "string" || iso === "") return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** An error code as the page shows it: "0" stays "0"; others with their HRESULT, "-2147024894 (0x80070002)". */
export function errorCodeText(code) {
  if (code === null || code === undefined) return "";
  if (!Number.isInteger(code) || code === 0) return String(code);
  return `${code} (0x${(code >>> 0).toString(16).toUpperCase().padStart(8, "0")})`;
}

/** Output longer than this many characters, or lines, is folded behind its first line. */
export const FOLD_CHARS = 160;
export const FOLD_LINES = 3;

/** Whether the script's output is long enough to fold, and the short text shown folded. */
export function foldOutput(text) {
  const s = typeof text === "string" ? text : "";
  const lines = s.split(/\r\n|\r|\n/);
  const fold = s.length > FOLD_CHARS || lines.length > FOLD_LINES;
  const first = lines[0].length > 80 ? `${lines[0].slice(0, 80)}…` : lines[0];
  return { fold, short: fold ? `${first} … (${lines.length} line${lines.length === 1 ? "" : "s"}, ${s.length} characters)` : s };
}

/** The export's columns, in the order the table shows them (the user first). */
export const DEVICE_COLUMNS = Object.freeze([
  "userPrincipalName",
  "deviceName",
  "operatingSystem",
  "runState",
  "lastStateUpdateDateTime",
  "errorCode",
  "errorDescription",
  "resultMessage",
]);

/** One export row: the device's fields, the user's (or the device's primary user's) name. */
export function deviceRow(s, upn = null) {
  const d = s.managedDevice ?? {};
  return {
    userPrincipalName: upn ?? d.userPrincipalName ?? "",
    deviceName: d.deviceName ?? "",
    operatingSystem: d.operatingSystem ?? "",
    runState: s.runState ?? "",
    lastStateUpdateDateTime: s.lastStateUpdateDateTime ?? "",
    errorCode: s.errorCode ?? "",
    errorDescription: s.errorDescription ?? "",
    resultMessage: s.resultMessage ?? "",
  };
}

/** The export of what is shown: the header, then one line per device state (cells defused as every CSV of the page). */
export const devicesCsv = (states, upn = null) =>
  toCsv([DEVICE_COLUMNS, ...states.map((s) => {
    const r = deviceRow(s, upn);
    return DEVICE_COLUMNS.map((c) => r[c]);
  })]);

/** A file name for the export: the script id, and the user when the view is one user's. */
export function devicesExportName(scriptId, upn = null) {
  const safe = (x) => String(x).replace(/[^A-Za-z0-9._@-]+/g, "-").replace(/^-+|-+$/g, "");
  return `${safe(scriptId) || "script"}${upn ? `-${safe(upn)}` : ""}-devices.csv`;
}

/** The run summary's four figures, each a number or null when the service left it out. */
export function summaryFigures(summary) {
  const n = (v) => (Number.isInteger(v) ? v : null);
  return {
    successDevices: n(summary?.successDeviceCount),
    errorDevices: n(summary?.errorDeviceCount),
    successUsers: n(summary?.successUserCount),
    errorUsers: n(summary?.errorUserCount),
  };
}
