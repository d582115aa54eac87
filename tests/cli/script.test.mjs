// `--script <name>` (one match by display name, none with the near names, several) and a wrong
// `--script-id` told as one sentence, for import and list; the token never in the output.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { MOCK, RUN, addScripts, assertOnePerUser, config, objects, project, requests, run, splitCsv, status } from "./helpers.mjs";

const TOKEN = "cli-script-token-3b9f0a71";
const ENV = { GRAPH_TOKEN: TOKEN };
const KIND = "deviceShellScripts"; // macOS shell scripts: scripts no other CLI test seeds
const ID = /[0-9a-f-]{36}/.source;
let dir;
let scripts; // name -> stored script
const outputs = [];
const cli = async (args) => {
  const out = await run(dir, [...args, "--base-url", MOCK], ENV);
  outputs.push(out.stdout, out.stderr);
  return out;
};

before(async () => {
  dir = project();
  const names = [`Install Rosetta ${RUN}`, `Printer setup ${RUN}`, `Printer Setup ${RUN}`, `Printer setup ${RUN} (old)`, `Wi-Fi profile ${RUN}`];
  const stored = await addScripts(names.map((displayName) => ({ displayName, scriptKind: KIND })));
  scripts = new Map(stored.map((s) => [s.displayName, s]));
});

/** Whether `text` lists each named script as a hint line: `  <id>  <name>`. */
const lists = (text, ...names) => names.every((n) => text.includes(`  ${scripts.get(n).id}  ${n}`));

test("--script with one match: exact first, else ignoring case; import and list use its id", async () => {
  const rosetta = scripts.get(`Install Rosetta ${RUN}`);
  writeFileSync(path.join(dir, "rosetta.csv"), `userPrincipalName,successDeviceCount,errorDeviceCount\r\nr0@contoso.com,1,0\r\nr1@contoso.com,0,1\r\n`);
  // Ignoring case (and surrounding spaces): the one script whose name matches.
  const imported = await cli(["import", "rosetta.csv", "--script", ` install rosetta ${RUN} `, "--script-kind", KIND]);
  assert.equal(status(imported), 0, imported.stderr);
  assert.match(imported.stderr, new RegExp(`^Writing 2 to create into 'Install Rosetta ${RUN}' \\(${rosetta.id}\\); journal: rosetta\\.csv\\.[0-9a-f]{8}\\.journal$`, "m"));
  assertOnePerUser(assert, await objects(rosetta.id), ["r0@contoso.com", "r1@contoso.com"]);

  const listed = await cli(["list", "--script", `Install Rosetta ${RUN}`, "--script-kind", KIND]);
  assert.equal(status(listed), 0, listed.stderr);
  assert.equal(listed.stderr, "");
  assert.deepEqual(
    splitCsv(listed.stdout).slice(1).map((r) => r[1]).sort(),
    ["r0@contoso.com", "r1@contoso.com"],
  );

  // Two names equal ignoring case, one of them exactly: the exact one.
  const exact = scripts.get(`Printer Setup ${RUN}`);
  const one = await cli(["list", "--script", `Printer Setup ${RUN}`, "--script-kind", KIND, "--format", "json"]);
  assert.equal(status(one), 0, one.stderr);
  assert.deepEqual(JSON.parse(one.stdout), []);
  assert.ok((await requests(exact.id)).some((r) => r.method === "GET"), "the exact match's user states were listed");
});

test("--script with several matches ignoring case: exit 2, each listed with its id, nothing sent", async () => {
  const matches = [`Printer setup ${RUN}`, `Printer Setup ${RUN}`].map((name) => scripts.get(name).id);
  const sent = async () => (await Promise.all(matches.map(requests))).map((r) => r.length);
  const before = await sent();
  const out = await cli(["import", "rosetta.csv", "--script", `PRINTER SETUP ${RUN}`, "--script-kind", KIND, "--journal", "several.journal"]);
  assert.equal(status(out), 2, out.stderr);
  const [first, ...hint] = out.stderr.trimEnd().split("\n");
  assert.equal(first, `error: 2 scripts in deviceShellScripts (macOS shell scripts) are named 'PRINTER SETUP ${RUN}': give the one you mean with --script-id`);
  assert.ok(lists(hint.join("\n"), `Printer setup ${RUN}`, `Printer Setup ${RUN}`), out.stderr);
  assert.ok(!out.stderr.includes(`(old)`), "only the matches are listed");
  assert.deepEqual(await sent(), before);
});

test("--script with no match: exit 2 and the near names with their ids, or how to see them all", async () => {
  // A typo: within a small edit distance of one name; a part of a name: every name holding it.
  const typo = await cli(["list", "--script", `Install Rosseta ${RUN}`, "--script-kind", KIND]);
  assert.equal(status(typo), 2, typo.stderr);
  assert.equal(typo.stdout, "");
  const lines = typo.stderr.trimEnd().split("\n");
  assert.equal(lines[0], `error: no script named 'Install Rosseta ${RUN}' in deviceShellScripts (macOS shell scripts)`);
  assert.equal(lines[1], "Similar names:");
  assert.ok(lists(typo.stderr, `Install Rosetta ${RUN}`), typo.stderr);
  assert.match(lines.at(-1), /^Give the one you mean with --script-id <id>, or its exact name with --script\. Run 'intune-script-user-state scripts --script-kind deviceShellScripts' to see every name and id\.$/);

  const part = await cli(["import", "rosetta.csv", "--script", `printer setup ${RUN} (new)`, "--script-kind", KIND, "--journal", "part.journal"]);
  assert.equal(status(part), 2, part.stderr);
  assert.ok(lists(part.stderr, `Printer setup ${RUN}`, `Printer Setup ${RUN}`, `Printer setup ${RUN} (old)`), part.stderr);
  assert.ok(!part.stderr.includes("Rosetta"), part.stderr);

  const none = await cli(["list", "--script", `Nothing like it ${RUN}`, "--script-kind", KIND]);
  assert.equal(status(none), 2, none.stderr);
  const [first, second, ...rest] = none.stderr.split("\n");
  assert.equal(first, `error: no script named 'Nothing like it ${RUN}' in deviceShellScripts (macOS shell scripts)`);
  assert.deepEqual(rest, [""]);
  assert.match(second, /^None of the \d+ scripts there has a similar name\. Run 'intune-script-user-state scripts --script-kind deviceShellScripts' to see every name and id\.$/);
});

test("--script and --script-id together, an empty --script, neither: exit 2 before anything is sent", async () => {
  for (const [args, first] of [
    [["list", "--script", "x", "--script-id", "y"], "error: give --script-id or --script, not both"],
    [["import", "rosetta.csv", "--script", " "], "error: --script must not be empty"],
    [["list"], "error: --script-id is required"],
  ]) {
    const out = await cli(args);
    assert.equal(status(out), 2, out.stderr);
    assert.equal(out.stderr.split("\n")[0], first);
  }
  const help = await run(dir, ["list", "--help"]);
  assert.match(help.stdout, /--script <name>/);
  assert.match(help.stdout, /Usage: intune-script-user-state list \(--script-id <id> \| --script <name>\)/);
});

test("a wrong --script-id: one sentence naming the collection, Graph's answer in the hint, exit 1", async () => {
  const id = `missing-cli-${RUN}`;
  const listed = await cli(["list", "--script-id", id]);
  assert.equal(status(listed), 1, listed.stderr);
  assert.equal(listed.stdout, "");
  const lines = listed.stderr.trimEnd().split("\n");
  assert.equal(lines[0], `error: no script with id ${id} in deviceManagementScripts (Windows PowerShell scripts)`);
  assert.match(lines[1], new RegExp(`^Graph answered 404 ResourceNotFound \\(request-id ${ID}, client-request-id ${ID}\\)\\. Run 'intune-script-user-state scripts' to see the scripts and their ids\\.$`));
  assert.equal(lines.length, 2);

  // import: the plan's reading answers 404: the same sentence, nothing written.
  const rows = Array.from({ length: 400 }, (_, i) => `m${i}@contoso.com,1,0`);
  writeFileSync(path.join(dir, "missing.csv"), ["userPrincipalName,successDeviceCount,errorDeviceCount", ...rows].join("\n") + "\n");
  const planned = await cli(["import", "missing.csv", "--script-id", id, "--script-kind", KIND]);
  assert.equal(status(planned), 1, planned.stderr);
  const said = planned.stderr.trimEnd().split("\n");
  assert.equal(said[0], `error: no script with id ${id} in deviceShellScripts (macOS shell scripts)`);
  assert.match(said[1], new RegExp(`^Graph answered 404 ResourceNotFound \\(request-id ${ID}, client-request-id ${ID}\\)\\. Run 'intune-script-user-state scripts --script-kind deviceShellScripts' to see the scripts and their ids\\.$`));
  assert.equal(said[2], "Nothing was written.");
  assert.equal(said.length, 3, planned.stderr);
  assert.deepEqual((await requests(id)).filter((r) => r.method !== "GET"), []);

  // import --create-only: the first 404 stops the run (nothing more is sent), then the same sentence.
  const imported = await cli(["import", "missing.csv", "--script-id", id, "--create-only", "--journal", "missing.csv.journal", "--concurrency", "1", "--results", "missing-results.csv", "--script-kind", KIND]);
  assert.equal(status(imported), 1, imported.stderr);
  const errorAt = imported.stderr.split("\n").findIndex((l) => l.startsWith("error: "));
  const tail = imported.stderr.split("\n").slice(errorAt);
  assert.equal(tail[0], `error: no script with id ${id} in deviceShellScripts (macOS shell scripts)`);
  assert.match(tail[1], new RegExp(`^Graph answered 404 ResourceNotFound \\(request-id ${ID}, client-request-id ${ID}\\)\\. Run 'intune-script-user-state scripts --script-kind deviceShellScripts' to see the scripts and their ids\\.$`));
  assert.equal(tail[2], "Nothing was created. The journal missing.csv.journal holds this run: delete it, or give --journal another path, before importing into another script.");
  assert.ok(!imported.stderr.includes("line 2: m0@contoso.com"), "no raw 404 per row");
  const creates = (await requests(id)).filter((r) => r.method === "POST" && /\/userRunStates\/?$/.test(r.path));
  assert.ok(creates.length > 0 && creates.length < rows.length, `${creates.length} creates sent of ${rows.length}`);

  // With strictScripts, a script id graph-mock was not told of is missing too.
  const before = await config({ strictScripts: true });
  try {
    const unknown = await cli(["list", "--script-id", `cli-unknown-${RUN}`, "--script-kind", KIND]);
    assert.equal(status(unknown), 1, unknown.stderr);
    assert.equal(unknown.stderr.split("\n")[0], `error: no script with id cli-unknown-${RUN} in deviceShellScripts (macOS shell scripts)`);
    // A stored one is listed as before.
    const known = await cli(["list", "--script-id", scripts.get(`Wi-Fi profile ${RUN}`).id, "--script-kind", KIND]);
    assert.equal(status(known), 0, known.stderr);
  } finally {
    await config(before);
  }
});

test("the token appears in no output of these runs", () => {
  assert.ok(outputs.length > 0);
  for (const text of outputs) assert.ok(!text.includes(TOKEN), `the token leaked: ${text.slice(0, 300)}`);
});
