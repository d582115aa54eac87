// `npx intune-script-user-state`: help and version, `list` in both formats, `scripts`, and the
// token: missing, from a command that fails (at once, or mid-run, then resumed), and never
// shown, whatever the token command or the service echoes.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { MOCK, RUN, addScripts, assertOnePerUser, config, fault, journalsOf, objects, project, requests, run, splitCsv, start, status, untilAsync, writeUsers } from "./helpers.mjs";

let dir;
before(() => {
  dir = project();
});
const OPTIONS = ["--token-command", "--cloud", "--base-url", "--script-kind", "--max-retries", "--timeout-ms", "--verbose", "--help"];
const upns = (n, prefix) => Array.from({ length: n }, (_, i) => `${prefix}${i}@contoso.com`);

test("--help for the command and each subcommand names every option; --version; bad usage is exit 2 in one sentence", async () => {
  const main = await run(dir, ["--help"]);
  assert.equal(status(main), 0);
  for (const word of ["import <file.csv>", "list", "scripts", "--version", "GRAPH_TOKEN", "--token-command", "Exit codes"]) assert.ok(main.stdout.includes(word), word);
  const want = { import: [...OPTIONS, "--script-id", "--script", "--dry-run", "--plan", "--delete-extra", "--create-only", "--journal", "--results", "--concurrency"], list: [...OPTIONS, "--script-id", "--script", "--format"], scripts: [...OPTIONS, "--format"] };
  for (const [command, options] of Object.entries(want)) {
    const help = await run(dir, [command, "--help"]);
    assert.equal(status(help), 0);
    assert.equal(help.stderr, "");
    for (const option of options) assert.ok(help.stdout.includes(option), `${command} --help names ${option}`);
    assert.equal((await run(dir, ["help", command])).stdout, help.stdout);
  }
  const { version } = JSON.parse(readFileSync(path.join(dir, "node_modules/intune-script-user-state/package.json"), "utf8"));
  assert.equal((await run(dir, ["--version"])).stdout, `intune-script-user-state ${version}\n`);

  for (const [args, first] of [
    [["import", "--nope"], "error: unknown option '--nope'"],
    [["import", "a.csv", "b.csv", "--script-id", "s"], "error: unexpected argument 'b.csv'"],
    [["list", "--script-id"], "error: option '--script-id <value>' needs a value"],
    [["list"], "error: --script-id is required"],
    [["list", "--script-id", "s", "--format", "xml"], "error: --format must be csv or json, not 'xml'"],
    [["import", "a.csv", "--script-id", "s", "--concurrency", "four"], "error: --concurrency must be a whole number, not 'four'"],
    [["frobnicate"], "error: no such command: 'frobnicate'"],
    [[], "error: a command is missing"],
  ]) {
    const out = await run(dir, args, { GRAPH_TOKEN: "t0k-usage-1" });
    assert.equal(status(out), 2, `${args.join(" ")}: ${out.stderr}`);
    assert.equal(out.stderr.split("\n")[0], first);
    assert.ok(!/\n\s+at /.test(out.stderr), "no stack trace");
  }
});

test("list prints every user state, as CSV and as JSON; a Graph failure is one sentence with status, code and ids", async () => {
  const scriptId = `cli-list-${RUN}`;
  writeUsers(dir, "list.csv", 250, "list"); // more than graph-mock's page of 100
  const env = { GRAPH_TOKEN: "cli-list-token-1234abcd" };
  assert.equal(status(await run(dir, ["import", "list.csv", "--script-id", scriptId, "--base-url", MOCK], env)), 0);
  const held = await objects(scriptId);

  const csv = await run(dir, ["list", "--script-id", scriptId, "--base-url", MOCK], env);
  assert.equal(status(csv), 0, csv.stderr);
  const rows = splitCsv(csv.stdout);
  assert.deepEqual(rows[0], ["id", "userPrincipalName", "successDeviceCount", "errorDeviceCount"]);
  assert.deepEqual(rows.slice(1), held.map((o) => [o.id, o.userPrincipalName, String(o.successDeviceCount), String(o.errorDeviceCount)]));

  const json = await run(dir, ["list", "--script-id", scriptId, "--base-url", MOCK, "--format", "json"], env);
  assert.equal(status(json), 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), held);

  const empty = await run(dir, ["list", "--script-id", `cli-empty-${RUN}`, "--base-url", MOCK, "--format", "json"], env);
  assert.deepEqual(JSON.parse(empty.stdout), []);

  // A missing script: one sentence, Graph's status, code and ids in the hint (tests/cli/script.test.mjs).
  const missing = await run(dir, ["list", "--script-id", "missing-script", "--base-url", MOCK], env);
  assert.equal(status(missing), 1);
  assert.equal(missing.stdout, "", "nothing on stdout when the first page failed");
  assert.match(missing.stderr, /^error: no script with id missing-script in deviceManagementScripts \(Windows PowerShell scripts\)\nGraph answered 404 ResourceNotFound \(request-id [0-9a-f-]{36}, client-request-id [0-9a-f-]{36}\)\. .+\n$/);
  // Any other failure of the first page is Graph's own sentence, as before.
  await fault({ scriptId, op: "list", status: 503, code: "ServiceUnavailable", message: "Try later.", times: 100 });
  try {
    const failed = await run(dir, ["list", "--script-id", scriptId, "--base-url", MOCK, "--max-retries", "0"], env);
    assert.equal(status(failed), 1);
    assert.match(failed.stderr, /^error: GraphError 503 ServiceUnavailable: Try later\. \(request-id [0-9a-f-]{36}, client-request-id [0-9a-f-]{36}\)\n$/);
  } finally {
    await fault([]);
  }
});

test("scripts: the scripts of a kind with their ids and names, as CSV and as JSON", async () => {
  // macOS custom attribute scripts: a collection no other test seeds.
  const kind = "deviceCustomAttributeShellScripts";
  const names = [`CLI inventory ${RUN}`, `CLI "quoted", name ${RUN}`];
  const stored = await addScripts(names.map((displayName) => ({ displayName, scriptKind: kind })));
  const args = ["scripts", "--script-kind", kind, "--base-url", MOCK];
  const csv = await run(dir, args, { GRAPH_TOKEN: "cli-scripts-token-1" });
  assert.equal(status(csv), 0, csv.stderr);
  const rows = splitCsv(csv.stdout);
  assert.deepEqual(rows[0], ["id", "displayName"]);
  for (const s of stored) assert.ok(rows.some(([id, name]) => id === s.id && name === s.displayName), s.displayName);
  const json = await run(dir, [...args, "--format", "json"], { GRAPH_TOKEN: "cli-scripts-token-1" });
  assert.equal(status(json), 0, json.stderr);
  const listed = JSON.parse(json.stdout);
  for (const s of stored) assert.equal(listed.find((x) => x.id === s.id)?.displayName, s.displayName);
  assert.ok(listed.every((x) => !("scriptContent" in x)), "the scripts' content is never asked for");
});

test("no token: exit 2 before anything is read or sent", async () => {
  const scriptId = `cli-notoken-${RUN}`;
  writeUsers(dir, "notoken.csv", 3, "nt");
  for (const args of [["import", "notoken.csv", "--script-id", scriptId, "--base-url", MOCK], ["list", "--script-id", scriptId, "--base-url", MOCK]]) {
    const out = await run(dir, args);
    assert.equal(status(out), 2);
    assert.match(out.stderr, /^error: no token: set GRAPH_TOKEN or pass --token-command "<command>"\n/);
  }
  assert.deepEqual(await requests(scriptId), []);
});

test("a token command that fails stops the run with its exit code and first line of stderr; nothing sent", async () => {
  const scriptId = `cli-tokfail-${RUN}`;
  writeUsers(dir, "tokfail.csv", 30, "tf");
  const out = await run(dir, ["import", "tokfail.csv", "--script-id", scriptId, "--base-url", MOCK, "--token-command", "echo 'ERROR: Please run az login to setup account.' >&2; echo more >&2; exit 3"]);
  assert.equal(status(out), 1, out.stderr);
  assert.match(out.stderr, /^error: the token command failed \(exit 3\): ERROR: Please run az login to setup account\.$/m);
  assert.match(out.stderr, /^Nothing was written\. Run the same command again once the token command works\.$/m);
  assert.deepEqual(await requests(scriptId), []);
  assert.ok(!/\n\s+at /.test(out.stderr), "no stack trace");
  // The same command with a working token command goes on from there.
  const again = await run(dir, ["import", "tokfail.csv", "--script-id", scriptId, "--base-url", MOCK, "--token-command", "echo cli-working-token-5678"]);
  assert.equal(status(again), 0, again.stderr);
  assertOnePerUser(assert, await objects(scriptId), upns(30, "tf"));
});

test("an inner $batch 401 runs the token command again too, and the run ends with every row created once", async () => {
  const scriptId = `cli-inner401-${RUN}`;
  writeUsers(dir, "inner401.csv", 100, "i401");
  const counter = path.join(dir, "inner-token-calls");
  writeFileSync(counter, "");
  const tokenCommand = `echo x >> '${counter}'; echo cli-inner-token-$(wc -l < '${counter}' | tr -d ' ')-9c8d7e6f`;
  let out;
  try {
    // One create inside a $batch is refused as an expired token.
    await fault({ op: "create", scriptId, status: 401, code: "InvalidAuthenticationToken", message: "Lifetime validation failed, the token is expired.", times: 1 });
    out = await run(dir, ["import", "inner401.csv", "--script-id", scriptId, "--base-url", MOCK, "--token-command", tokenCommand]);
  } finally {
    await fault([]);
  }
  assert.equal(status(out), 0, out.stderr);
  assert.equal(readFileSync(counter, "utf8").split("\n").length - 1, 2, "run twice: at the start and after the inner 401");
  assert.ok(!out.stderr.includes("cli-inner-token-"), "no token on stderr");
  assertOnePerUser(assert, await objects(scriptId), upns(100, "i401"));
});

test("the token command runs again after a 401; failing then, the run stops and the same command resumes exactly once", async () => {
  const scriptId = `cli-tok401-${RUN}`;
  writeUsers(dir, "tok401.csv", 1000, "t401");
  // Prints a token the first time, fails every time after.
  const counter = path.join(dir, "token-calls");
  writeFileSync(counter, "");
  const tokenCommand = `echo x >> '${counter}'; if [ $(wc -l < '${counter}') -gt 1 ]; then echo 'token service down' >&2; exit 4; fi; echo cli-first-token-0a1b2c3d`;
  const before = await config({ writeBudget: { writes: 100, windowMs: 500 } });
  let out;
  try {
    const first = start(dir, ["import", "tok401.csv", "--script-id", scriptId, "--base-url", MOCK, "--token-command", tokenCommand, "--results", "tok401-results.csv"]);
    await untilAsync(async () => (await objects(scriptId)).length >= 200);
    // graph-mock's outer $batch rules match no script id: this one hits the next $batch.
    await fault({ op: "batch", status: 401, code: "InvalidAuthenticationToken", message: "Lifetime validation failed, the token is expired.", times: 1 });
    out = await first.done;
  } finally {
    await config(before);
    await fault([]);
  }
  assert.equal(status(out), 1, out.stderr);
  assert.match(out.stderr, /^error: the token command failed \(exit 4\): token service down$/m);
  assert.match(out.stderr, /^Run the same command again to resume \(journal: tok401\.csv\.[0-9a-f]{8}\.journal\)\.$/m);
  assert.equal(readFileSync(counter, "utf8").split("\n").length - 1, 2, "run twice: at the start and after the 401");
  const results = splitCsv(readFileSync(path.join(dir, "tok401-results.csv"), "utf8")).slice(1);
  assert.ok(results.some((r) => r[2] === "cancelled" && r[4] === "not written: the token command failed (exit 4): token service down"));
  const made = (await objects(scriptId)).length;
  assert.ok(made >= 200 && made < 1000, `${made} created before the stop`);

  const again = await run(dir, ["import", "tok401.csv", "--script-id", scriptId, "--base-url", MOCK, "--token-command", "echo cli-second-token-4e5f6a7b"]);
  assert.equal(status(again), 0, again.stderr);
  assertOnePerUser(assert, await objects(scriptId), upns(1000, "t401"));
});

test("a token never shows: not what the token command printed, not what the service echoes, not in the journal or results", async () => {
  const SECRET = "cli-secret-token-9f8e7d6c5b4a";
  const scriptId = `cli-secret-${RUN}`;
  writeUsers(dir, "secret.csv", 30, "sec");
  const texts = [];
  const check = (out) => {
    texts.push(out.stdout, out.stderr);
    return out;
  };
  // It printed the token, then failed, echoing it on stderr.
  const echoed = check(await run(dir, ["list", "--script-id", scriptId, "--base-url", MOCK, "--token-command", `echo ${SECRET}; echo "could not refresh ${SECRET}" >&2; exit 5`]));
  assert.equal(status(echoed), 1);
  assert.match(echoed.stderr, /^error: the token command failed \(exit 5\): could not refresh \[token\]$/m);
  // It printed more than a token (PowerShell's table, say): refused without repeating it.
  const table = check(await run(dir, ["list", "--script-id", scriptId, "--base-url", MOCK, "--token-command", `echo "Token : ${SECRET}"; echo "ExpiresOn : tomorrow"`]));
  assert.equal(status(table), 1);
  assert.match(table.stderr, /^error: the token command printed more than a token \(several words or lines\): it must print the access token alone$/m);
  // The service echoes the token in its error message, for a single item and for a whole run.
  await fault({ scriptId, op: "create", status: 400, code: "BadRequest", message: `token ${SECRET} is not welcome`, times: 3 });
  const command = ["--token-command", `printf '%s\\n' ${SECRET}`];
  const imported = check(await run(dir, ["import", "secret.csv", "--script-id", scriptId, "--base-url", MOCK, "--results", "secret-results.csv", "--verbose", ...command]));
  assert.equal(status(imported), 1, imported.stderr);
  assert.match(imported.stderr, /GraphError 400 BadRequest/);
  await fault({ scriptId, op: "list", status: 400, code: "BadRequest", message: `token ${SECRET} is not welcome`, times: 1 });
  check(await run(dir, ["list", "--script-id", scriptId, "--base-url", MOCK, ...command]));
  const fromEnv = check(await run(dir, ["list", "--script-id", "missing-x", "--base-url", MOCK], { GRAPH_TOKEN: SECRET }));
  assert.equal(status(fromEnv), 1);
  // The token command gets no token from us: GRAPH_TOKEN is not in its environment.
  const clean = check(await run(dir, ["list", "--script-id", scriptId, "--base-url", MOCK, "--token-command", `test -z "$GRAPH_TOKEN" && echo cli-clean-token-1 || { echo "GRAPH_TOKEN was passed on" >&2; exit 9; }`], { GRAPH_TOKEN: SECRET }));
  assert.equal(status(clean), 0, clean.stderr);
  await fault([]);

  texts.push(readFileSync(path.join(dir, "secret-results.csv"), "utf8"), ...journalsOf(dir, "secret.csv").map((j) => readFileSync(j, "utf8")));
  for (const t of texts) assert.ok(!t.includes(SECRET), `the token leaked: ${t.slice(0, 500)}`);
  // What Graph sent was the token itself, as a bearer token (so it was not lost on the way).
  const sent = await requests(scriptId);
  assert.ok(sent.some((r) => r.headers.authorization === `Bearer ${SECRET}`));
});
