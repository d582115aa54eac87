// Issue 17 in the browser: two pages of one origin on one indexedDbJournal (the second is
// refused), the admin page's Resume in a second tab while the first runs, and the page's one
// message when the service refuses the write.
// Run: scripts/demo.sh --site-only && scripts/with-mock.sh --static target/site -- node --test tests/page/
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { RUN, launch, mock, open } from "./helpers.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const script = (name) => `page-safe-${name}-${RUN}`;
const csvOf = (n, prefix) => ["userPrincipalName,successDeviceCount,errorDeviceCount", ...Array.from({ length: n }, (_, i) => `${prefix}${i}@contoso.com,${i % 4},0`)].join("\n");

/** Loads the package into the page as `window.P` (the site serves it at /pkg/). */
const loadPackage = (page) =>
  page.evaluate(async () => {
    const m = await import("/pkg/intune_script_user_state.js");
    await m.default();
    window.P = m;
  });

test("two pages of one origin on one indexedDbJournal: the second run is refused and sends nothing", async () => {
  const scriptId = script("two");
  const journal = `safe-two-${RUN}`;
  // Each batch held 400 ms: the first run (20 batches, 4 in flight) is still running, under
  // any load, when the second asks for the journal.
  await mock.fault({ scriptId, op: "create", delayMs: 400, times: 400 });
  const first = await open(browser.context, "/?demo=1");
  const second = await open(browser.context, "/?demo=1");
  try {
    for (const { page } of [first, second]) await loadPackage(page);
    const base = await first.page.evaluate(() => location.origin);
    const request = (token) => ({ token, baseUrl: base, scriptId, userStates: Array.from({ length: 400 }, (_, i) => ({ userPrincipalName: `two${i}@contoso.com`, successDeviceCount: 1, errorDeviceCount: 0 })) });
    await first.page.evaluate(([req, name]) => {
      window.progressed = 0;
      window.run = window.P.createUserStates({ ...req, journal: window.P.indexedDbJournal(name), onProgress: (p) => (window.progressed = p.done) });
    }, [request("page-safe-first-token"), journal]);
    await first.page.waitForFunction(() => window.progressed >= 20, null, { timeout: 30_000 });
    const refused = await second.page.evaluate(async ([req, name]) => {
      try {
        await window.P.createUserStates({ ...req, journal: window.P.indexedDbJournal(name) });
        return { ran: true };
      } catch (e) {
        return { ran: false, name: e.name, field: e.field, message: e.message, code: e.cause?.code };
      }
    }, [request("page-safe-second-token"), journal]);
    assert.equal(refused.ran, false);
    assert.equal(refused.name, "ValidationError");
    assert.equal(refused.field, "journal");
    assert.equal(refused.code, "JOURNAL_IN_USE");
    assert.match(refused.message, /in use by another run/);
    const out = await first.page.evaluate(() => window.run.then((o) => ({ succeeded: o.succeeded })));
    assert.equal(out.succeeded, 400);
    const log = await mock.requests(scriptId);
    assert.ok(!log.some((e) => JSON.stringify(e.headers).includes("page-safe-second-token")), "the refused run sent a request");
    assert.equal((await mock.objects(scriptId)).length, 400);
    assert.deepEqual(first.seen.errors, []);
    assert.deepEqual(second.seen.errors, []);
  } finally {
    await mock.clearFaults();
    await first.page.close();
    await second.page.close();
  }
});

test("the admin page: Resume in a second tab while the first runs says the import runs in another tab, and does nothing else", async () => {
  const scriptId = script("tabs");
  const first = await open(browser.context, "/?demo=1#import");
  let second;
  try {
    await first.page.fill("#scriptId", scriptId);
    await first.page.setInputFiles("#csvFile", { name: "tabs.csv", mimeType: "text/csv", buffer: Buffer.from(csvOf(600, "tabs")) });
    await first.page.locator("#preview").waitFor();
    // A write budget slow enough that the first tab still runs when the second resumes
    // (600 rows at 60 writes per 2 s: at least 18 s).
    await mock.config({ writeBudget: { writes: 60, windowMs: 2000 } });
    await first.page.click("#importStart");
    await first.page.waitForFunction(() => document.querySelector("#importProgress").value >= 20, null, { timeout: 30_000 });

    second = await open(browser.context, "/?demo=1#import");
    // The second tab's own token: whatever it sent carries it in graph-mock's request log.
    const secondToken = `page-safe-second-tab-${RUN}`;
    await second.page.fill("#token", secondToken);
    await second.page.fill("#scriptId", scriptId);
    await second.page.locator("#resumeOffer").waitFor();
    await second.page.click("#resumeImport");
    const message = second.page.locator("#csvStatus .alert.error");
    await message.waitFor({ timeout: 30_000 });
    assert.match(await message.innerText(), /This import is running in another tab/);
    assert.match(await message.innerText(), /Nothing was sent from this tab/);
    assert.ok(await second.page.locator("#results").isHidden(), "no results in the second tab");
    assert.ok(await second.page.locator("#progress").isHidden(), "no progress in the second tab");

    await first.page.locator("#results").waitFor({ timeout: 120_000 });
    assert.match(await first.page.locator("#resultsSummary").innerText(), /^600 created, 0 failed, in [\d.]+ s\.$/);
    const objects = await mock.objects(scriptId);
    assert.equal(objects.length, 600);
    assert.equal(new Set(objects.map((o) => o.userPrincipalName)).size, 600);
    // Nothing was sent from the second tab: no request for the script carries its token, while
    // the first tab's (the demo token) are there.
    const log = await mock.requests(scriptId);
    const carries = (token) => log.filter((e) => JSON.stringify(e.headers).includes(token)).length;
    assert.ok(carries("demo-token") > 0, "the first tab's requests are in the log");
    assert.equal(carries(secondToken), 0, "the second tab sent a request");
    assert.deepEqual(first.seen.errors, []);
    assert.deepEqual(second.seen.errors, []);
  } finally {
    await mock.config({ writeBudget: null });
    await first.page.close();
    await second?.page.close();
  }
});

test("the admin page against a service refusing the write: one message, not a row error per row; Resume offered", async () => {
  const scriptId = script("refused");
  await mock.config({ refuseRunStateWrites: [scriptId] });
  const { page, seen } = await open(browser.context, "/?demo=1#import");
  try {
    await page.fill("#scriptId", scriptId);
    await page.setInputFiles("#csvFile", { name: "refused.csv", mimeType: "text/csv", buffer: Buffer.from(csvOf(300, "refused")) });
    await page.locator("#preview").waitFor();
    await page.click("#importStart");
    await page.locator("#results").waitFor({ timeout: 30_000 });
    const alerts = page.locator("#csvStatus .alert.error");
    assert.equal(await alerts.count(), 1);
    const text = await alerts.innerText();
    assert.match(text, /The import stopped: this tenant does not offer this write/);
    assert.match(text, /no such write route in this tenant/);
    assert.match(await page.locator("#resultsSummary").innerText(), /^0 created, 0 failed, 300 cancelled, in [\d.]+ s\.$/);
    const rowErrors = await page.locator("#resultsBody tr").evaluateAll((rows) => rows.map((r) => r.cells[3].innerText));
    assert.ok(rowErrors.length > 0 && rowErrors.every((e) => e === "not created: the import stopped (see the message above)"), rowErrors[0]);
    assert.ok((await mock.stats(scriptId)).writes <= 2);
    await page.locator("#resumeOffer").waitFor();
    assert.deepEqual(seen.errors, []);
  } finally {
    await mock.config({ refuseRunStateWrites: false });
    await page.close();
  }
});
