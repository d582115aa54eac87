// The admin page's bulk import with a semicolon file (as a European Excel saves it: BOM, CRLF)
// and a tab file, in headless Chromium against graph-mock: the package's one reader finds the
// delimiter from the header line, so the page reads them as it reads a comma file; a file it
// still refuses says what it found and what it expected.
// Run: scripts/demo.sh --site-only && scripts/with-mock.sh --static target/site -- node --test tests/page/
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { RUN, launch, mock, open, screenshot } from "./helpers.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Imports `text` as `name` into `scriptId` through the page; returns the results table. */
async function importThroughPage(name, text, scriptId, { summary, problems }) {
  const { page, seen } = await open(browser.context, "/?demo=1#import");
  try {
    await page.fill("#scriptId", scriptId);
    await page.setInputFiles("#csvFile", { name, mimeType: "text/csv", buffer: Buffer.from(text) });
    await page.locator("#preview").waitFor();
    assert.equal(await page.locator("#previewSummary").innerText(), summary);
    assert.deepEqual(await page.locator("#previewProblems li").allInnerTexts(), problems);
    await screenshot(page, `import-preview-${name.replace(/\W/g, "-")}`);
    await page.click("#importStart");
    await page.locator("#results").waitFor();
    const rows = await page.locator("#resultsBody tr").evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
    assert.deepEqual(seen.errors, []);
    assert.deepEqual(seen.dialogs, []);
    return rows;
  } finally {
    await page.close();
  }
}

test("a semicolon file from a European Excel (BOM, CRLF, quoted commas and semicolons) imports like a comma file", async () => {
  const scriptId = `page-semicolon-${RUN}`;
  const text =
    "\uFEFF" +
    [
      "userPrincipalName;successDeviceCount;errorDeviceCount",
      "semi0@contoso.com;2;0",
      '"o\'brien, pat; semi1@contoso.com";0;1',
      "semi2@contoso.com;1,5;0",
      "semi3@contoso.com;3;2",
    ].join("\r\n") +
    "\r\n";
  const rows = await importThroughPage("excel-semicolon.csv", text, scriptId, {
    summary: "4 rows: 3 ready, 1 with problems (skipped).",
    problems: ["Line 4: Success device count must be a number, not a string"],
  });
  const held = await mock.objects(scriptId);
  assert.deepEqual(
    held.map((o) => [o.userPrincipalName, o.successDeviceCount, o.errorDeviceCount]).sort(),
    [["o'brien, pat; semi1@contoso.com", 0, 1], ["semi0@contoso.com", 2, 0], ["semi3@contoso.com", 3, 2]],
  );
  assert.deepEqual(rows.map((r) => [r[0], r[1], r[2]]), [
    ["2", "semi0@contoso.com", "created"],
    ["3", "o'brien, pat; semi1@contoso.com", "created"],
    ["4", "semi2@contoso.com", "skipped"],
    ["5", "semi3@contoso.com", "created"],
  ]);
});

test("a tab file (columns in another order, a quoted field holding a comma and a semicolon) imports like a comma file", async () => {
  const scriptId = `page-tab-${RUN}`;
  const text = "errorDeviceCount\tuserPrincipalName\tsuccessDeviceCount\n0\ttab0@contoso.com\t4\n1\t\"tab1,;@contoso.com\"\t0\n";
  const rows = await importThroughPage("export.tsv", text, scriptId, { summary: "2 rows: 2 ready.", problems: [] });
  const held = await mock.objects(scriptId);
  assert.deepEqual(
    held.map((o) => [o.userPrincipalName, o.successDeviceCount, o.errorDeviceCount]).sort(),
    [["tab0@contoso.com", 4, 0], ["tab1,;@contoso.com", 0, 1]],
  );
  assert.deepEqual(rows.map((r) => r[2]), ["created", "created"]);
});

test("a file with another delimiter is refused with what was found and what is expected; nothing is sent", async () => {
  const scriptId = `page-pipe-${RUN}`;
  const { page } = await open(browser.context, "/?demo=1#import");
  try {
    await page.fill("#scriptId", scriptId);
    const text = "userPrincipalName|successDeviceCount|errorDeviceCount\na@contoso.com|1|0\n";
    await page.setInputFiles("#csvFile", { name: "pipe.csv", mimeType: "text/csv", buffer: Buffer.from(text) });
    const status = page.locator("#csvStatus");
    await status.getByText("the header must be").waitFor();
    assert.equal(
      (await status.innerText()).trim(),
      "pipe.csv: Line 1: the header must be userPrincipalName,successDeviceCount,errorDeviceCount (in any order; comma, semicolon or tab separated), found userPrincipalName|successDeviceCount|errorDeviceCount",
    );
    assert.ok(await page.locator("#preview").isHidden());
    assert.deepEqual(await mock.requests(scriptId), []);
  } finally {
    await page.close();
  }
});
