// The page's pure modules under www/js, in Node (no browser): CSV, counts, settings, messages.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { readFileSync, readdirSync } from "node:fs";
import { COLUMNS, csvCell, readUserStatesCsv as readWith, resultsCsv, toCsv } from "../../www/js/csv.js";
import { countFromText, formatDuration, progressFigures } from "../../www/js/format.js";
import { CLOUDS, DEFAULTS, STORAGE_KEY, authorityFor, connectPolicy, loadSettings, saveSettings, scopeFor, settingsProblems } from "../../www/js/settings.js";
import { describeError } from "../../www/js/errors.js";

const api = createRequire(import.meta.url)("../../pkg/node/intune_script_user_state.cjs");
const { validateUserState } = api;
const HEADER = COLUMNS.join(",");
// The page reads CSV through the package's reader (the command line's too); these go through
// the page's wrapper. The reader's own cases are native tests in src/csv/tests.rs.
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
