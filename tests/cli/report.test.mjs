// `npx intune-script-user-state report`: every device run state of a script (or of one user)
// as CSV and as JSON, page by page, the run summary on stderr first; a resultMessage with
// commas, quotes, newlines and a leading = survives a CSV reader (but for the defusing quote).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { MOCK, RUN, addScripts, project, run, splitCsv, status } from "./helpers.mjs";

const COLUMNS = ["userPrincipalName", "deviceName", "operatingSystem", "runState", "errorCode", "lastStateUpdateDateTime", "resultMessage"];
const TRICKY = '=HYPERLINK("http://x.example","click"), then "quotes",\r\ncommas, and\nnewlines';
const env = { GRAPH_TOKEN: "cli-report-token-77aa" };

let dir;
before(() => {
  dir = project();
});

async function control(path, body) {
  const r = await fetch(MOCK + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  assert.equal(r.status, 201, `${path}: ${r.status} ${await r.clone().text()}`);
  return r.json();
}

/** ada with `n` devices (device 1's output is TRICKY), Bob with two failed ones. */
async function seed(scriptId, n) {
  const device = (user, i, runState, resultMessage) => ({
    id: `${user}-${i}`,
    runState,
    resultMessage,
    errorCode: runState === "fail" ? -2147024894 : 0,
    lastStateUpdateDateTime: `2026-12-07T03:${String(i % 60).padStart(2, "0")}:00Z`,
    managedDevice: { deviceName: `${user}-PC-${i}`, operatingSystem: i % 2 ? "macOS" : "Windows", userPrincipalName: `${user}@contoso.com` },
  });
  const ada = Array.from({ length: n }, (_, i) => device("ada", i, "success", i === 1 ? TRICKY : `ok ${i}`));
  const bob = [device("bob", 0, "fail", "Access denied"), device("bob", 1, "someNewValue", null)];
  await control("/_mock/objects", [
    { scriptId, userPrincipalName: "Ada@Contoso.com", deviceRunStates: ada },
    { scriptId, userPrincipalName: "bob@contoso.com", deviceRunStates: bob },
  ]);
  return { ada, bob };
}

const expected = (state, upn) => ({
  userPrincipalName: upn ?? state.managedDevice.userPrincipalName,
  deviceName: state.managedDevice.deviceName,
  operatingSystem: state.managedDevice.operatingSystem,
  runState: state.runState,
  errorCode: state.errorCode,
  lastStateUpdateDateTime: state.lastStateUpdateDateTime,
  resultMessage: state.resultMessage,
});
/** A cell as a CSV reader gives it back: the text, with the defusing quote before = + - @ tab CR (so a negative error code too). */
const defused = (s) => (/^[=+\-@\t\r]/.test(s) && !/^-\d+$/.test(s) ? `'${s}` : s);
const asCsv = (row) => COLUMNS.map((c) => (row[c] === null ? "" : defused(String(row[c]))));

test("report prints every device of a script as CSV and JSON, the summary on stderr first", async () => {
  const scriptId = `cli-report-${RUN}`;
  const { ada, bob } = await seed(scriptId, 230); // more than graph-mock's page of 100
  const want = [...ada, ...bob].map((s) => expected(s));

  const csv = await run(dir, ["report", "--script-id", scriptId, "--base-url", MOCK], env);
  assert.equal(status(csv), 0, csv.stderr);
  assert.equal(csv.stderr.split("\n")[0], "Run summary: 230 devices succeeded, 1 failed; 1 users succeeded, 1 failed.");
  const rows = splitCsv(csv.stdout);
  assert.deepEqual(rows[0], COLUMNS);
  assert.equal(rows.length, 1 + 232);
  const byDevice = new Map(rows.slice(1).map((r) => [r[1], r]));
  for (const row of want) {
    const got = byDevice.get(row.deviceName);
    if (row.resultMessage === TRICKY) {
      // Unchanged through a CSV reader, but for the quote that defuses the formula.
      assert.equal(got[6], `'${TRICKY}`);
      assert.deepEqual(got.slice(0, 6), asCsv(row).slice(0, 6));
    } else {
      assert.deepEqual(got, asCsv(row), row.deviceName);
    }
  }
  assert.ok(csv.stdout.includes(`"'=HYPERLINK(""http://x.example"",""click""), then ""quotes"",\r\ncommas, and\nnewlines"`));

  const json = await run(dir, ["report", "--script-id", scriptId, "--base-url", MOCK, "--format", "json"], env);
  assert.equal(status(json), 0, json.stderr);
  const parsed = JSON.parse(json.stdout);
  assert.equal(parsed.length, 232);
  const sorted = (list) => [...list].sort((a, b) => a.deviceName.localeCompare(b.deviceName));
  assert.deepEqual(sorted(parsed), sorted(want));
  assert.ok(parsed.every((r) => Object.keys(r).join() === COLUMNS.join()));
  assert.match(json.stderr, /^Run summary: /);
});

test("report --user lists that user's devices (ASCII case ignored); no such user, a missing script and bad usage", async () => {
  const scriptId = `cli-report-user-${RUN}`;
  const { ada } = await seed(scriptId, 3);
  const out = await run(dir, ["report", "--script-id", scriptId, "--base-url", MOCK, "--user", "ADA@contoso.COM", "--format", "json"], env);
  assert.equal(status(out), 0, out.stderr);
  assert.deepEqual(JSON.parse(out.stdout), ada.map((s) => expected(s, "Ada@Contoso.com")));

  // The script by its name (--script), as for every command that takes a script.
  await addScripts([{ id: scriptId, displayName: `Report by name ${RUN}` }]);
  const named = await run(dir, ["report", "--script", `Report by name ${RUN}`, "--base-url", MOCK, "--user", "ada@contoso.com", "--format", "json"], env);
  assert.equal(status(named), 0, named.stderr);
  assert.deepEqual(JSON.parse(named.stdout), JSON.parse(out.stdout));

  const csv = await run(dir, ["report", "--script-id", scriptId, "--base-url", MOCK, "--user", "bob@contoso.com"], env);
  assert.deepEqual(splitCsv(csv.stdout).slice(1).map((r) => [r[3], r[4]]), [["fail", "-2147024894"], ["someNewValue", "0"]]);

  const nobody = await run(dir, ["report", "--script-id", scriptId, "--base-url", MOCK, "--user", "eve@contoso.com"], env);
  assert.equal(status(nobody), 1);
  assert.equal(nobody.stdout, "");
  assert.match(nobody.stderr, /error: script .+ has no user state for eve@contoso\.com/);

  const missing = await run(dir, ["report", "--script-id", "missing-script", "--base-url", MOCK], env);
  assert.equal(status(missing), 1);
  assert.equal(missing.stdout, "");
  assert.match(missing.stderr, /^error: no script with id missing-script in deviceManagementScripts \(Windows PowerShell scripts\)\nGraph answered 404 ResourceNotFound \(request-id /);
  assert.ok(!missing.stderr.includes(env.GRAPH_TOKEN));

  const help = await run(dir, ["report", "--help"]);
  assert.equal(status(help), 0);
  for (const word of ["--script-id", "--script <name>", "--user", "--format", "--token-command", COLUMNS.join(","), "Exit codes"]) assert.ok(help.stdout.includes(word), word);
  const both = await run(dir, ["report", "--script-id", scriptId, "--script", "x"], env);
  assert.equal(status(both), 2);
  assert.equal(both.stderr.split("\n")[0], "error: give --script-id or --script, not both");
  const bad = await run(dir, ["report", "--script-id", scriptId, "--format", "xml"], env);
  assert.equal(status(bad), 2);
  assert.equal(bad.stderr.split("\n")[0], "error: --format must be csv or json, not 'xml'");
});
