// The page's pure modules under www/js, in Node (no browser): CSV, counts, settings, messages,
// the script picker's matching and the report's figures.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { readFileSync, readdirSync } from "node:fs";
import { COLUMNS, csvCell, readUserStatesCsv as readWith, resultsCsv, toCsv } from "../../www/js/csv.js";
import { countFromText, formatDuration, progressFigures } from "../../www/js/format.js";
import { CLOUDS, DEFAULTS, STORAGE_KEY, authorityFor, connectPolicy, loadSettings, saveSettings, scopeFor, settingsProblems } from "../../www/js/settings.js";
import { describeError } from "../../www/js/errors.js";
import { matchScripts, resolveScript } from "../../www/js/picker.js";
import { exportName, percent, percentText, reportCsv, shownStates, totals } from "../../www/js/report.js";

const api = createRequire(import.meta.url)("../../pkg/node/intune_script_user_state.cjs");
const { validateUserState } = api;
const HEADER = COLUMNS.join(",");
// The page reads CSV through the package's reader (the command line's too); these go through
// the page's wrapper. The reader's own cases are native tests in core/src/csv/tests.rs.
const readUserStatesCsv = (text) => readWith(text, api);
const upns = (text) => readUserStatesCsv(text).rows.map((r) => [r.line, r.userState.userPrincipalName]);

test("reading: records with their starting line; CRLF, LF, a lone CR and a BOM", () => {
  assert.deepEqual(upns(`\uFEFF${HEADER}\r\na,1,1\r\nb,1,1\r\n`), [[2, "a"], [3, "b"]]);
  assert.deepEqual(upns(`${HEADER}\na,1,1\nb,1,1`), [[2, "a"], [3, "b"]]);
  assert.deepEqual(upns(`${HEADER}\ra,1,1\rb,1,1\r`), [[2, "a"], [3, "b"]]);
});

test("reading: quoted fields with commas, doubled quotes and line breaks; blank lines skipped", () => {
  const text = `${HEADER}\r\n"x, y",1,1\r\n\r\n"say ""hi""",1,1\r\n"two\r\nlines",3,1\n"",1,1\n`;
  assert.deepEqual(upns(text), [[2, "x, y"], [4, 'say "hi"'], [5, "two\r\nlines"], [7, ""]]);
  assert.deepEqual(readUserStatesCsv(`${HEADER}\n""\n`).rows[0].problems, ["has 1 field, expected 3"], "a quoted empty field is a value, not a blank line");
});

test("reading: broken quoting names the line", () => {
  assert.match(readUserStatesCsv(`${HEADER}\na,1,1\n"open,3\n4,5`).error, /^Line 3: a quoted field is not closed/);
  assert.match(readUserStatesCsv(`${HEADER}\n"x"y,1,1\n`).error, /^Line 2: text after a closing quote/);
  assert.match(readUserStatesCsv(`${HEADER}\nab"c,1,1\n`).error, /^Line 2: a quote inside an unquoted field/);
  assert.match(readUserStatesCsv(`${HEADER}\n"multi\nline"z,1,1\n`).error, /^Line 3: /, "the line the stray text is on");
  assert.match(readUserStatesCsv(42).error, /must be a string/);
});

test("readUserStatesCsv: good rows become user states, numbers as numbers", () => {
  const { rows, error } = readUserStatesCsv(`\uFEFF${HEADER}\r\nada@contoso.com,2,0\r\n"o'brien, pat@contoso.com",0,1\r\n`);
  assert.equal(error, null);
  assert.deepEqual(rows, [
    { line: 2, userState: { userPrincipalName: "ada@contoso.com", successDeviceCount: 2, errorDeviceCount: 0 }, problems: [], warnings: [] },
    { line: 3, userState: { userPrincipalName: "o'brien, pat@contoso.com", successDeviceCount: 0, errorDeviceCount: 1 }, problems: [], warnings: [] },
  ]);
});

test("readUserStatesCsv: columns in any order, header names in any case", () => {
  const { rows } = readUserStatesCsv("ErrorDeviceCount,userprincipalname,successDeviceCount\n4,ada@contoso.com,5\n");
  assert.deepEqual(rows[0].userState, { userPrincipalName: "ada@contoso.com", successDeviceCount: 5, errorDeviceCount: 4 });
});

test("readUserStatesCsv: each bad row is reported with its line, the rules are the package's", () => {
  const text = [HEADER, "ok@contoso.com,1,1", ",1,1", "a@contoso.com,2.5,0", "b@contoso.com,,0", "c@contoso.com,0x10,0", "d@contoso.com,-1,0", "e@contoso.com,1", "f@contoso.com,1,1,extra"].join("\n");
  const { rows, error } = readUserStatesCsv(text);
  assert.equal(error, null);
  const byLine = Object.fromEntries(rows.map((r) => [r.line, r.problems]));
  assert.deepEqual(byLine[2], []);
  assert.deepEqual(byLine[3], ["User principal name must not be empty"]);
  assert.deepEqual(byLine[4], ["Success device count must be a whole number"]);
  assert.deepEqual(byLine[5], ["Success device count is required"]);
  assert.deepEqual(byLine[6], ["Success device count must be a number, not a string"]);
  assert.deepEqual(byLine[7], ["Success device count must be between 0 and 2147483647"]);
  assert.deepEqual(byLine[8], ["has 2 fields, expected 3"]);
  assert.deepEqual(byLine[9], ["has 4 fields, expected 3"]);
  assert.equal(rows[2].userState.successDeviceCount, 2.5, "2.5 is not rounded");
  assert.equal(rows[3].userState.successDeviceCount, null, "an empty count is null, not 0");
});

test("readUserStatesCsv: a line break inside quotes keeps later line numbers right", () => {
  const { rows } = readUserStatesCsv(`${HEADER}\n"x\ny@contoso.com",1,1\nz@contoso.com,1.5,0\n`);
  assert.equal(rows[0].line, 2);
  assert.deepEqual(rows[0].problems, ["User principal name must not contain control characters"]);
  assert.equal(rows[1].line, 4);
});

test("readUserStatesCsv: duplicate user principal names are flagged, not dropped", () => {
  const { rows } = readUserStatesCsv(`${HEADER}\nada@contoso.com,1,0\nADA@contoso.com,2,0\n`);
  assert.deepEqual(rows[1].problems, []);
  assert.deepEqual(rows[1].warnings, ["same user principal name as line 2: a script has one user state per user, so this row will fail"]);
});

test("readUserStatesCsv: whole-file problems", () => {
  assert.equal(readUserStatesCsv("").error, "The file is empty.");
  assert.equal(readUserStatesCsv(`${HEADER}\r\n`).error, "The file has a header but no rows.");
  assert.match(readUserStatesCsv("upn,success,errors\na,1,1\n").error, /^Line 1: the header must be userPrincipalName,successDeviceCount,errorDeviceCount/);
  assert.match(readUserStatesCsv(`${HEADER},notes\na,1,1,x\n`).error, /^Line 1: the header must be/);
  assert.match(readUserStatesCsv(`${HEADER}\n"a,1,1\n`).error, /^Line 2: a quoted field is not closed/);
});

test("csvCell/toCsv: quoting, and formulas defused for spreadsheets", () => {
  assert.equal(csvCell('a,"b"'), '"a,""b"""');
  assert.equal(csvCell("line\nbreak"), '"line\nbreak"');
  assert.equal(csvCell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
  assert.equal(csvCell("@SUM(A1)"), "'@SUM(A1)");
  assert.equal(csvCell(null), "");
  assert.equal(toCsv([["a", 1], ["b", 2]]), "a,1\r\nb,2\r\n");
  assert.equal(
    resultsCsv([{ line: 2, userPrincipalName: "ada@contoso.com", status: "created", id: "x1" }, { line: 3, userPrincipalName: "b", status: "failed", error: "Access denied (HTTP status 403)" }]),
    "row,userPrincipalName,status,id,error\r\n2,ada@contoso.com,created,x1,\r\n3,b,failed,,Access denied (HTTP status 403)\r\n",
  );
  const round = readUserStatesCsv(toCsv([COLUMNS, ["<img src=x onerror=alert(1)>", 1, 2], ['q"uote', 0, 0], ["multi\r\nline", 0, 0]]));
  assert.deepEqual(round.rows.map((r) => r.userState.userPrincipalName), ["<img src=x onerror=alert(1)>", 'q"uote', "multi\r\nline"]);
});

test("countFromText: what was typed reaches the rules uncoerced", () => {
  assert.equal(countFromText(""), null);
  assert.equal(countFromText("  "), null);
  assert.equal(countFromText("2.5"), 2.5);
  assert.equal(countFromText(" 7 "), 7);
  assert.equal(countFromText("-1"), -1);
  assert.equal(countFromText("0x10"), "0x10");
  assert.equal(countFromText("1e3"), "1e3");
  assert.equal(countFromText("two"), "two");
  assert.deepEqual(validateUserState({ userPrincipalName: "a", successDeviceCount: countFromText("2.5"), errorDeviceCount: countFromText("") }), [
    { field: "successDeviceCount", message: "must be a whole number" },
    { field: "errorDeviceCount", message: "is required" },
  ]);
});

test("progressFigures: rate and time left", () => {
  assert.equal(progressFigures({ done: 0, total: 10, succeeded: 0, failed: 0 }, 0).text, "0 of 10 · 0 created · 0 failed · rate: measuring · time left: estimating");
  const mid = progressFigures({ done: 100, total: 500, succeeded: 98, failed: 2 }, 20_000);
  assert.equal(mid.rate, 5);
  assert.equal(mid.secondsLeft, 80);
  assert.equal(mid.text, "100 of 500 · 98 created · 2 failed · 5.0 per second · about 1 min 20 s left");
  assert.equal(progressFigures({ done: 500, total: 500, succeeded: 500, failed: 0 }, 10_000).text, "500 of 500 · 500 created · 0 failed · 50 per second");
  assert.equal(formatDuration(59.4), "59 s");
  assert.equal(formatDuration(3725), "1 h 02 min");
});

test("settings: scope and authority per cloud", () => {
  const expected = {
    global: ["https://graph.microsoft.com/DeviceManagementConfiguration.ReadWrite.All", "https://login.microsoftonline.com/contoso.onmicrosoft.com"],
    usgov: ["https://graph.microsoft.us/DeviceManagementConfiguration.ReadWrite.All", "https://login.microsoftonline.us/contoso.onmicrosoft.com"],
    usgovdod: ["https://dod-graph.microsoft.us/DeviceManagementConfiguration.ReadWrite.All", "https://login.microsoftonline.us/contoso.onmicrosoft.com"],
    china: ["https://microsoftgraph.chinacloudapi.cn/DeviceManagementConfiguration.ReadWrite.All", "https://login.chinacloudapi.cn/contoso.onmicrosoft.com"],
  };
  assert.deepEqual(Object.keys(CLOUDS), Object.keys(expected));
  for (const [cloud, [scope, authority]] of Object.entries(expected)) {
    assert.equal(scopeFor(cloud), scope);
    assert.equal(authorityFor(cloud, "contoso.onmicrosoft.com"), authority);
  }
  assert.equal(connectPolicy("usgovdod", false), "connect-src 'self' https://dod-graph.microsoft.us https://login.microsoftonline.us; frame-src 'self' https://login.microsoftonline.us");
  assert.equal(connectPolicy("usgovdod", true), "connect-src 'self'; frame-src 'none'");
});

test("settings: saved and loaded without anything but the known fields; bad values fall back", () => {
  const store = new Map();
  const storage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, String(v)) };
  assert.deepEqual(loadSettings(storage), DEFAULTS);
  saveSettings(storage, { cloud: "china", clientId: "11111111-2222-3333-4444-555555555555", tenant: "contoso.partner.onmschina.cn", tokenSource: "paste", token: "secret" });
  assert.deepEqual(JSON.parse(store.get(STORAGE_KEY)), { cloud: "china", clientId: "11111111-2222-3333-4444-555555555555", tenant: "contoso.partner.onmschina.cn", tokenSource: "paste" });
  assert.equal(loadSettings(storage).cloud, "china");
  store.set(STORAGE_KEY, JSON.stringify({ cloud: "mars", clientId: "nope", tenant: "a b", tokenSource: "cookie" }));
  assert.deepEqual(loadSettings(storage), DEFAULTS);
  store.set(STORAGE_KEY, "{not json");
  assert.deepEqual(loadSettings(storage), DEFAULTS);
  assert.deepEqual(settingsProblems({ cloud: "global", clientId: "", tenant: "organizations" }), []);
  assert.deepEqual(settingsProblems({ cloud: "global", clientId: "x", tenant: "https://evil" }).map((p) => p.field), ["clientId", "tenant"]);
});

test("describeError: plain language for the common failures, ids for support", () => {
  const graph = (status, extra = {}) => ({ name: "GraphError", status, code: "Code", message: "svc says", requestId: "rid-1", clientRequestId: "cid-1", date: "d", ...extra });
  assert.match(describeError(graph(401)).advice, /Sign in again/);
  assert.match(describeError(graph(403)).advice, /DeviceManagementConfiguration\.ReadWrite\.All.*Intune licence/);
  assert.equal(describeError(graph(404)).title, "No such script");
  assert.equal(describeError(graph(404), "update").title, "Not found");
  const throttled = describeError(graph(429, { retryAfter: 12.3 }));
  assert.equal(throttled.retryAfter, 13);
  assert.match(throttled.advice, /Waiting 13 seconds/);
  assert.match(describeError(graph(503), "create").advice, /may or may not have been made/);
  assert.deepEqual(describeError(graph(403)).support, [
    ["HTTP status", "403"], ["Graph code", "Code"], ["Service message", "svc says"], ["request-id", "rid-1"], ["client-request-id", "cid-1"], ["Date", "d"],
  ]);
  assert.match(describeError({ name: "ValidationError", field: "scriptId", errors: [{ field: "scriptId", message: "must not be empty" }] }).advice, /Script id must not be empty/);
  assert.equal(describeError({ name: "NetworkError", clientRequestId: "c" }).title, "Microsoft Graph could not be reached");
  assert.equal(describeError({ name: "InteractionRequiredAuthError", errorCode: "login_required" }).title, "Sign in again");
  assert.equal(describeError({ name: "BrowserAuthError", errorCode: "popup_window_error" }).title, "The browser blocked the sign-in window");
  assert.equal(describeError(new Error("boom")).advice, "boom");
});

test("www/js never turns strings into HTML", () => {
  const dir = new URL("../../www/js/", import.meta.url);
  for (const name of readdirSync(dir)) {
    const src = readFileSync(new URL(name, dir), "utf8");
    assert.doesNotMatch(src, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/, name);
  }
});

test("www/js leaves fetch alone: request ids come from onResponse", () => {
  const dir = new URL("../../www/js/", import.meta.url);
  for (const name of readdirSync(dir)) {
    const src = readFileSync(new URL(name, dir), "utf8");
    assert.doesNotMatch(src, /(globalThis|window|self)\.fetch\s*=/, name);
  }
  assert.match(readFileSync(new URL("../../www/js/app.js", import.meta.url), "utf8"), /onResponse: recordAnswers\(clientRequestId\)/);
});

const SCRIPTS = [
  { id: "0f8fad5b-d9cb-469f-a165-70867728950e", displayName: "Fix printers" },
  { id: "s-2", displayName: "Set wallpaper" },
  { id: "s-3", displayName: "printer drivers (legacy)" },
  { id: "s-4", displayName: null },
];

test("matchScripts: every word of the query in the name, any case and order; or part of the id", () => {
  assert.deepEqual(matchScripts(SCRIPTS, "PRINT").map((s) => s.id), ["0f8fad5b-d9cb-469f-a165-70867728950e", "s-3"]);
  assert.deepEqual(matchScripts(SCRIPTS, "drivers print").map((s) => s.id), ["s-3"]);
  assert.deepEqual(matchScripts(SCRIPTS, "d9cb-469f").map((s) => s.id), ["0f8fad5b-d9cb-469f-a165-70867728950e"]);
  assert.deepEqual(matchScripts(SCRIPTS, "").map((s) => s.displayName), [null, "Fix printers", "printer drivers (legacy)", "Set wallpaper"], "all, by name");
  assert.deepEqual(matchScripts(SCRIPTS, "s-"), [], "an id is searched from three characters on");
  assert.deepEqual(matchScripts(SCRIPTS, "nothing like it"), []);
});

test("resolveScript: an id, or the exact name of one script; unknown only against a list", () => {
  assert.equal(resolveScript(SCRIPTS, " s-2 ").script.id, "s-2");
  assert.deepEqual(resolveScript(SCRIPTS, "set WALLPAPER"), { script: SCRIPTS[1], byName: true });
  assert.deepEqual(resolveScript(SCRIPTS, "s-9"), { unknown: true });
  assert.deepEqual(resolveScript(null, "s-9"), {}, "no list, nothing to say");
  assert.deepEqual(resolveScript(SCRIPTS, "  "), {});
  const twins = [...SCRIPTS, { id: "s-5", displayName: "Set wallpaper" }];
  assert.deepEqual(resolveScript(twins, "Set wallpaper"), { unknown: true }, "a name two scripts share names neither");
});

const STATES = [
  { id: "a", userPrincipalName: "ada@ops.contoso.com", successDeviceCount: 3, errorDeviceCount: 0 },
  { id: "b", userPrincipalName: "bob@contoso.com", successDeviceCount: 1, errorDeviceCount: 2 },
  { id: "c", userPrincipalName: null, successDeviceCount: 3, errorDeviceCount: 5 },
  { id: "d", userPrincipalName: "Dee@Ops.contoso.com", successDeviceCount: 0, errorDeviceCount: 2 },
];

test("shownStates: filter by user principal name (any case), sort by any column both ways, ties in load order", () => {
  const ids = (o) => shownStates(STATES, o).map((s) => s.id);
  assert.deepEqual(ids({}), ["a", "b", "c", "d"]);
  assert.deepEqual(ids({ filter: " OPS. " }), ["a", "d"]);
  assert.deepEqual(ids({ sort: { key: "successDeviceCount", dir: 1 } }), ["d", "b", "a", "c"]);
  assert.deepEqual(ids({ sort: { key: "successDeviceCount", dir: -1 } }), ["a", "c", "b", "d"], "3 and 3 keep their order");
  assert.deepEqual(ids({ sort: { key: "errorDeviceCount", dir: 1 } }), ["a", "b", "d", "c"]);
  assert.deepEqual(ids({ sort: { key: "userPrincipalName", dir: 1 } }), ["c", "a", "b", "d"], "no name sorts first");
  assert.deepEqual(ids({ filter: "ops", sort: { key: "id", dir: -1 } }), ["d", "a"]);
  assert.deepEqual(ids({ sort: { key: "nonsense", dir: 1 } }), ["a", "b", "c", "d"]);
});

test("totals and percentages: the report's figures", () => {
  assert.deepEqual(totals(STATES), { users: 4, successDevices: 7, errorDevices: 9, usersWithErrors: 3 });
  assert.deepEqual(totals([]), { users: 0, successDevices: 0, errorDevices: 0, usersWithErrors: 0 });
  assert.equal(percent(1, 3), 25);
  assert.equal(percent(0, 0), 0);
  assert.deepEqual([percentText(25), percentText(0), percentText(0.2), percentText(99.8), percentText(100)], ["25%", "0%", "<1%", ">99%", "100%"]);
});

test("reportCsv and exportName: what is shown, as the table shows it", () => {
  assert.equal(reportCsv(shownStates(STATES, { filter: "ops" })), "userPrincipalName,successDeviceCount,errorDeviceCount,id\r\nada@ops.contoso.com,3,0,a\r\nDee@Ops.contoso.com,0,2,d\r\n");
  assert.equal(reportCsv([{ id: "x", userPrincipalName: "=cmd|' /C calc'!A0", successDeviceCount: 1, errorDeviceCount: 0 }]).split("\r\n")[1], "'=cmd|' /C calc'!A0,1,0,x", "a formula is defused");
  assert.equal(exportName("0f8fad5b-d9cb"), "0f8fad5b-d9cb-user-states.csv");
  assert.equal(exportName("../a b?c"), "..-a-b-c-user-states.csv");
  assert.equal(exportName("///"), "script-user-states.csv");
});

test("rowResults: one status per CSV row; cancelled and stopped items are not failed", async () => {
  const { rowResults } = await import("../../www/js/import.js");
  const row = (line, upn, problems = []) => ({ line, userState: { userPrincipalName: upn }, problems, warnings: [] });
  const rows = [row(2, "a"), row(3, "b", ["bad"]), row(4, "c"), row(5, "d"), row(6, "e"), row(7, "f")];
  const valid = rows.filter((r) => r.problems.length === 0);
  const outcome = {
    results: [
      { ok: true, userState: { id: "1" } },
      { ok: false, error: { name: "GraphError", status: 403, code: "Forbidden" } },
      { ok: false, error: { name: "AbortError" } },
      { ok: false, error: { name: "TokenMissing", message: "no token" } },
      { ok: false, error: { name: "TimeoutError", timeoutMs: 30000 } },
    ],
  };
  assert.deepEqual(rowResults(rows, valid, outcome).map((r) => [r.line, r.status]), [[2, "created"], [3, "skipped"], [4, "failed"], [5, "cancelled"], [6, "cancelled"], [7, "failed"]]);
  assert.deepEqual(rowResults(rows, valid, { failedRun: { name: "NetworkError" } }).map((r) => r.status), ["unknown", "skipped", "unknown", "unknown", "unknown", "unknown"]);
});

test("plainError: a thrown value crosses postMessage with what describeError reads", async () => {
  const { plainError } = await import("../../www/js/worker-errors.js");
  const err = Object.assign(new Error("Forbidden here"), { name: "GraphError", status: 403, code: "Forbidden", requestId: "r-1", retryAfter: 5, toJSON: undefined });
  const plain = plainError(err);
  assert.deepEqual(plain, { status: 403, code: "Forbidden", requestId: "r-1", retryAfter: 5, name: "GraphError", message: "Forbidden here" });
  assert.deepEqual(structuredClone(plain), plain);
  assert.equal(describeError(plain).title, describeError(err).title);
  assert.deepEqual(plainError("boom"), { name: "Error", message: "boom" });
  assert.deepEqual(plainError(Object.assign(new Error("bad"), { name: "ValidationError", field: "x", errors: [{ field: "x", message: "bad" }] })).errors, [{ field: "x", message: "bad" }]);
});
