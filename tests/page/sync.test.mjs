// The Import tab's plan (issue 18) in headless Chromium against graph-mock seeded with user
// states: the plan table shows the new, changed and server-only users before anything is
// written; Apply leaves the server exact (the server-only kept, or deleted with the box ticked);
// the same file applied again says there is nothing to change and writes nothing.
// Run: scripts/demo.sh --site-only && scripts/with-mock.sh --static target/site -- node --test tests/page/
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { MOCK, RUN, launch, mock, open, screenshot, splitCsv } from "./helpers.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Stores user states as they are (graph-mock's POST /_mock/objects: duplicates, any case). */
async function seed(states) {
  const r = await fetch(`${MOCK}/_mock/objects`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(states) });
  if (r.status !== 201) throw new Error(`seed: ${r.status} ${await r.text()}`);
  return r.json();
}

/**
 * same@ equal to the file, changed@ with other counts, Case@ (the file says case@), twice@
 * twice (an earlier double import), only1@ and only2@ only on the server; the file adds new1@
 * and new2@.
 */
const seeded = (scriptId) =>
  seed([
    { scriptId, userPrincipalName: "same@contoso.com", successDeviceCount: 1, errorDeviceCount: 0 },
    { scriptId, userPrincipalName: "changed@contoso.com", successDeviceCount: 5, errorDeviceCount: 5 },
    { scriptId, userPrincipalName: "Case@contoso.com", successDeviceCount: 2, errorDeviceCount: 0 },
    { scriptId, userPrincipalName: "twice@contoso.com", successDeviceCount: 3, errorDeviceCount: 1 },
    { scriptId, userPrincipalName: "twice@contoso.com", successDeviceCount: 3, errorDeviceCount: 1 },
    { scriptId, userPrincipalName: "only1@contoso.com", successDeviceCount: 0, errorDeviceCount: 1 },
    { scriptId, userPrincipalName: "only2@contoso.com", successDeviceCount: 4, errorDeviceCount: 0 },
  ]);
const CSV = [
  "userPrincipalName,successDeviceCount,errorDeviceCount",
  "same@contoso.com,1,0",
  "changed@contoso.com,6,0",
  "case@contoso.com,2,0",
  "twice@contoso.com,3,1",
  "new1@contoso.com,7,0",
  "new2@contoso.com,0,2",
].join("\r\n");
const FILE_VALUES = { "same@contoso.com": [1, 0], "changed@contoso.com": [6, 0], "case@contoso.com": [2, 0], "twice@contoso.com": [3, 1], "new1@contoso.com": [7, 0], "new2@contoso.com": [0, 2] };

const cells = (page, body) => page.locator(`#${body} tr`).evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
const writes = async (scriptId) => (await mock.stats(scriptId)).writes;

async function choose(page) {
  await page.setInputFiles("#csvFile", { name: "states.csv", mimeType: "text/csv", buffer: Buffer.from(CSV) });
  await page.locator("#preview").waitFor();
  await page.waitForFunction(() => /^Plan:|Could not compare/.test(document.querySelector("#planSummary")?.textContent ?? ""));
}

test("the plan before any write: new, changed and server-only users; Apply with the box ticked leaves the server exact; again: nothing to change", async () => {
  const scriptId = `page-sync-${RUN}`;
  const held = await seeded(scriptId);
  const { page, seen } = await open(browser.context, "/?demo=1#import");
  try {
    await page.fill("#scriptId", scriptId);
    await choose(page);
    assert.equal(
      await page.locator("#planSummary").innerText(),
      "Plan: 2 to create, 2 to update, 2 unchanged, 3 on the server only. The users only the server has are kept unless you tick the box below.",
    );
    assert.equal(await writes(scriptId), 0, "comparing writes nothing");
    assert.ok((await mock.requests(scriptId)).every((r) => r.method === "GET"), "comparing only reads");

    // The changes: user, field, server value, file value.
    const changes = await cells(page, "planChangesBody");
    assert.deepEqual(changes, [
      ["Changed", "3", "changed@contoso.com", "Success devices", "5", "6"],
      ["Changed", "3", "changed@contoso.com", "Error devices", "5", "0"],
      ["Changed", "4", "case@contoso.com", "User principal name", "Case@contoso.com", "case@contoso.com"],
      ["New user", "6", "new1@contoso.com", "Success devices", "(none)", "7"],
      ["New user", "6", "new1@contoso.com", "Error devices", "(none)", "0"],
      ["New user", "7", "new2@contoso.com", "Success devices", "(none)", "0"],
      ["New user", "7", "new2@contoso.com", "Error devices", "(none)", "2"],
    ]);
    // The server-only users, with the box to delete them off by default.
    const extra = await cells(page, "planExtraBody");
    assert.deepEqual(extra.map((r) => r[0]).sort(), ["only1@contoso.com", "only2@contoso.com", "twice@contoso.com"]);
    const twiceIds = held.filter((o) => o.userPrincipalName === "twice@contoso.com").map((o) => o.id);
    assert.ok(twiceIds.includes(extra.find((r) => r[0] === "twice@contoso.com")[3]), "the duplicate is one of the two");
    assert.equal(await page.getByLabel("Also delete these 3 user states from the server").isChecked(), false);
    // The whole plan as a file, as the command line's --plan writes it.
    const [planned] = await Promise.all([page.waitForEvent("download"), page.click("#planDownload")]);
    assert.equal(planned.suggestedFilename(), "states-plan.csv");
    const planCsv = splitCsv(readFileSync(await planned.path(), "utf8"));
    assert.deepEqual(planCsv[0], ["action", "row", "userPrincipalName", "id", "field", "serverValue", "fileValue"]);
    assert.deepEqual(planCsv.slice(1).map((r) => r[0]), ["create", "create", "create", "create", "update", "update", "update", "server-only", "server-only", "server-only"]);
    const [, row, user, , , server, inFile] = planCsv.find((r) => r[0] === "update" && r[4] === "userPrincipalName");
    assert.deepEqual([row, user, server, inFile], ["4", "case@contoso.com", "Case@contoso.com", "case@contoso.com"]);
    const apply = page.getByRole("button", { name: /^Apply/ });
    assert.equal(await apply.innerText(), "Apply: 2 to create, 2 to update");
    await page.getByLabel("Also delete these 3 user states from the server").check();
    assert.equal(await apply.innerText(), "Apply: 2 to create, 2 to update, 3 to delete");
    await screenshot(page, "import-plan");

    await apply.click();
    await page.locator("#results").waitFor();
    assert.match(await page.locator("#resultsSummary").innerText(), /^2 created, 2 updated, 2 unchanged, 3 deleted, 0 failed, in [\d.]+ s\.$/);
    const after = await mock.objects(scriptId);
    assert.equal(after.length, 6, "exactly the file's users");
    for (const o of after) assert.deepEqual([o.successDeviceCount, o.errorDeviceCount], FILE_VALUES[o.userPrincipalName], o.userPrincipalName);
    assert.deepEqual(new Set(after.map((o) => o.userPrincipalName)), new Set(Object.keys(FILE_VALUES)));
    // The results: an action per row, the deletions after the rows; the same in the download.
    const results = await cells(page, "resultsBody");
    assert.deepEqual(results.slice(0, 6).map((r) => [r[0], r[1], r[2]]), [
      ["2", "same@contoso.com", "unchanged"],
      ["3", "changed@contoso.com", "updated"],
      ["4", "case@contoso.com", "updated"],
      ["5", "twice@contoso.com", "unchanged"],
      ["6", "new1@contoso.com", "created"],
      ["7", "new2@contoso.com", "created"],
    ]);
    assert.deepEqual(results.slice(6).map((r) => [r[0], r[2]]), [["server only", "deleted"], ["server only", "deleted"], ["server only", "deleted"]]);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#resultsDownload")]);
    const csv = splitCsv(readFileSync(await download.path(), "utf8"));
    assert.equal(csv.length, 10);
    assert.deepEqual(csv.slice(7).map((r) => [r[0], r[2]]), [["", "deleted"], ["", "deleted"], ["", "deleted"]]);
    await screenshot(page, "import-plan-results");

    // The same file again: nothing to change, and applying it writes nothing.
    const before = await writes(scriptId);
    await choose(page);
    assert.match(await page.locator("#planSummary").innerText(), /^Plan: 0 to create, 0 to update, 6 unchanged, 0 on the server only\. Nothing to change: the server already holds every row of this file\.$/);
    assert.ok(await page.locator("#planChangesWrap").isHidden());
    assert.ok(await page.locator("#planExtra").isHidden());
    assert.equal(await apply.innerText(), "Apply (nothing to change)");
    await apply.click();
    await page.locator("#results").waitFor();
    assert.match(await page.locator("#resultsSummary").innerText(), /^Nothing to change: the server already holds every row of this file\. 0 created, 6 unchanged, 0 failed, in /);
    assert.equal(await writes(scriptId), before, "no write the second time");
    assert.deepEqual(seen.errors, []);
  } finally {
    await page.close();
  }
});

test("Apply without the box: the server-only users are untouched, the rest is the file's", async () => {
  const scriptId = `page-sync-keep-${RUN}`;
  const held = await seeded(scriptId);
  const { page, seen } = await open(browser.context, "/?demo=1#import");
  try {
    await page.fill("#scriptId", scriptId);
    await choose(page);
    await page.getByRole("button", { name: /^Apply/ }).click();
    await page.locator("#results").waitFor();
    assert.match(await page.locator("#resultsSummary").innerText(), /^2 created, 2 updated, 2 unchanged, 0 failed, in /);
    const after = await mock.objects(scriptId);
    assert.equal(after.length, 9, "6 users of the file, the duplicate and the 2 server-only kept");
    const byId = new Map(after.map((o) => [o.id, o]));
    for (const o of held.filter((o) => o.userPrincipalName.startsWith("only"))) assert.deepEqual(byId.get(o.id), o, "untouched");
    for (const [upn, [s, e]] of Object.entries(FILE_VALUES)) {
      assert.ok(after.some((o) => o.userPrincipalName === upn && o.successDeviceCount === s && o.errorDeviceCount === e), upn);
    }
    assert.deepEqual(seen.errors, []);
  } finally {
    await page.close();
  }
});

test("a file with a broken row: the box to delete the server-only users is off and disabled (that row's user would be deleted)", async () => {
  const scriptId = `page-sync-broken-${RUN}`;
  await seeded(scriptId);
  const { page } = await open(browser.context, "/?demo=1#import");
  try {
    await page.fill("#scriptId", scriptId);
    await page.setInputFiles("#csvFile", { name: "broken.csv", mimeType: "text/csv", buffer: Buffer.from(CSV.replace("new2@contoso.com,0,2", "only1@contoso.com,2.5,0")) });
    await page.locator("#preview").waitFor();
    await page.waitForFunction(() => /^Plan:/.test(document.querySelector("#planSummary")?.textContent ?? ""));
    const box = page.locator("#planDeleteExtra");
    assert.equal(await box.isDisabled(), true);
    assert.equal(await box.isChecked(), false);
    assert.match(await page.locator("#planDeleteExtraLabel").innerText(), /not while rows of the file have problems/);
  } finally {
    await page.close();
  }
});

test("Manage's Export CSV feeds Bulk import: edited counts and a renamed user are matched by id, nothing is created", async () => {
  const scriptId = `page-sync-export-${RUN}`;
  await seed(Array.from({ length: 5 }, (_, i) => ({ scriptId, userPrincipalName: `ex${i}@contoso.com`, successDeviceCount: i, errorDeviceCount: 0 })));
  const { page, seen } = await open(browser.context, "/?demo=1#manage");
  try {
    await page.fill("#scriptId", scriptId);
    await page.click("#listLoad");
    await page.waitForFunction(() => document.querySelectorAll("#listBody tr").length === 5);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#reportExport")]);
    const rows = splitCsv(readFileSync(await download.path(), "utf8"));
    const header = rows[0];
    assert.ok(header.includes("id"), header.join(","));
    const col = (name) => header.indexOf(name);
    const byUser = new Map(rows.slice(1).map((r) => [r[col("userPrincipalName")], r]));
    byUser.get("ex1@contoso.com")[col("errorDeviceCount")] = "9";
    byUser.get("ex2@contoso.com")[col("userPrincipalName")] = "renamed@contoso.com";
    const text = rows.map((r) => r.map((c) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(",")).join("\r\n") + "\r\n";

    await page.click("#tab-import");
    await page.setInputFiles("#csvFile", { name: "exported.csv", mimeType: "text/csv", buffer: Buffer.from(text) });
    await page.locator("#preview").waitFor();
    await page.waitForFunction(() => /^Plan:/.test(document.querySelector("#planSummary")?.textContent ?? ""));
    assert.match(await page.locator("#planSummary").innerText(), /^Plan: 0 to create, 2 to update, 3 unchanged, 0 on the server only\./);
    assert.deepEqual((await cells(page, "planChangesBody")).map((r) => [r[0], r[2], r[3], r[4], r[5]]).sort(), [
      ["Changed", "ex1@contoso.com", "Error devices", "0", "9"],
      ["Changed", "renamed@contoso.com", "User principal name", "ex2@contoso.com", "renamed@contoso.com"],
    ]);
    await page.getByRole("button", { name: /^Apply/ }).click();
    await page.locator("#results").waitFor();
    assert.match(await page.locator("#resultsSummary").innerText(), /^0 created, 2 updated, 3 unchanged, 0 failed, in /);
    const after = await mock.objects(scriptId);
    assert.equal(after.length, 5, "nothing created");
    assert.ok(after.some((o) => o.userPrincipalName === "renamed@contoso.com"));
    assert.equal(after.find((o) => o.userPrincipalName === "ex1@contoso.com").errorDeviceCount, 9);
    assert.deepEqual(seen.errors, []);
  } finally {
    await page.close();
  }
});
