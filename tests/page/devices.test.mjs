// The devices of the report (issue 20) in headless Chromium against graph-mock: the run summary
// the report opens with, a user's devices, the script's output as text (never HTML), long output
// folded with a copy button, the run-state filter across every device of the script, the CSV
// export of what is shown, and 10,000 devices drawn a page at a time.
// Run: scripts/demo.sh --site-only && scripts/with-mock.sh --static target/site -- node --test tests/page/
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { MOCK, RUN, launch, mock, open, screenshot, splitCsv, watchLongTasks } from "./helpers.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const script = (name) => `devices-${name}-${RUN}`;
const XSS = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">`;
const LONG = Array.from({ length: 20 }, (_, i) => `line ${i + 1}: Get-Printer returned printer-${i}`).join("\n");

async function control(path, body) {
  const r = await fetch(MOCK + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (r.status !== 201) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

const device = (user, i, runState, extra = {}) => ({
  id: `${user}-${i}`,
  runState,
  resultMessage: `ok from ${user} ${i}`,
  errorCode: 0,
  errorDescription: null,
  lastStateUpdateDateTime: "2026-12-07T03:00:00Z",
  managedDevice: { deviceName: `${user.toUpperCase()}-PC-${i}`, operatingSystem: i % 2 ? "macOS" : "Windows", userPrincipalName: `${user}@contoso.com` },
  ...extra,
});

/** Loads the user states of `scriptId` and waits for `n` rows and the run summary. */
async function load(page, scriptId, n) {
  await page.fill("#scriptId", scriptId);
  await page.click("#listLoad");
  await page.waitForFunction((want) => document.querySelectorAll("#listBody tr").length === want || document.querySelector("#manageStatus .alert.error"), n);
  await page.locator("#runSummary").waitFor();
}

/** Waits until the devices view has read everything (no Stop button) and returns its rows. */
async function devicesRead(page) {
  await page.waitForFunction(() => document.querySelector("#devicesView") && !document.querySelector("#devicesView").hidden && document.querySelector("#devicesStop").hidden);
  const error = page.locator("#devicesStatus .alert.error");
  if (await error.count()) assert.fail(`the page reported: ${await error.innerText()}`);
  return page.locator("#devicesBody tr");
}

test("the report opens with the run summary; a user's row opens that user's devices, the output as text", async () => {
  const scriptId = script("user");
  await control("/_mock/objects", [
    {
      scriptId,
      userPrincipalName: "ada@contoso.com",
      deviceRunStates: [
        device("ada", 0, "success"),
        device("ada", 1, "fail", { errorCode: -2147024894, errorDescription: "The system cannot find the file specified.", resultMessage: XSS }),
        device("ada", 2, "scriptError", { resultMessage: LONG }),
      ],
    },
    { scriptId, userPrincipalName: "bob@contoso.com", deviceRunStates: [device("bob", 0, "success"), device("bob", 1, "success")] },
    { scriptId, userPrincipalName: "carol@contoso.com", deviceRunStates: [device("carol", 0, "pending")] },
  ]);
  const { page, seen } = await open(browser.context, "/?demo=1#manage");
  try {
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: MOCK });
    await load(page, scriptId, 3);
    // The run summary, as graph-mock computes it: 3 succeeded, 2 with errors; bob succeeded, ada did not.
    const figures = await page.locator("#runSummary dd").allInnerTexts();
    assert.deepEqual(figures, ["3", "2", "1", "1"]);
    const order = await page.evaluate(() => {
      const panel = document.getElementById("view-manage");
      const all = [...panel.querySelectorAll("#runSummary, #report")];
      return all.map((e) => e.id);
    });
    assert.deepEqual(order, ["runSummary", "report"], "the summary comes first");

    await page.locator("#listBody tr").nth(0).getByRole("button", { name: "Devices of ada@contoso.com" }).click();
    const rows = await devicesRead(page);
    assert.equal(await page.locator("#devicesTitle").innerText(), "Devices of ada@contoso.com");
    assert.equal(await rows.count(), 3);
    const cells = await rows.nth(1).locator("th, td").allInnerTexts();
    assert.deepEqual(cells.slice(0, 6), ["ADA-PC-1", "macOS", "Failed", "2026-12-07 03:00:00 UTC", "-2147024894 (0x80070002)", "The system cannot find the file specified."]);
    assert.equal(await rows.nth(2).locator(".run-state").innerText(), "Script error");

    // The output is text: the markup shows as typed, nothing ran and no element was made.
    assert.equal(await rows.nth(1).locator("pre.output-text").textContent(), XSS);
    assert.equal(await page.locator("#devicesBody img, #devicesBody script").count(), 0);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);

    // Long output is folded behind its first line; it opens to the whole text; Copy copies it.
    const fold = rows.nth(2).locator("details.output-fold");
    assert.equal(await fold.getAttribute("open"), null);
    assert.match(await fold.locator("summary").innerText(), /^line 1: Get-Printer returned printer-0 … \(20 lines, \d+ characters\)$/);
    assert.ok(await fold.locator("pre").isHidden());
    await fold.locator("summary").click();
    assert.equal(await fold.locator("pre").textContent(), LONG);
    await rows.nth(2).getByRole("button", { name: "Copy the output of ADA-PC-2" }).click();
    await page.waitForFunction(() => [...document.querySelectorAll("#devicesBody button.copy")].some((b) => b.textContent !== "Copy"));
    assert.equal(await rows.nth(2).locator("button.copy").innerText(), "Copied");
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), LONG);
    await screenshot(page, "devices-user");

    // Another user's row replaces the view.
    await page.locator("#listBody tr").nth(2).getByRole("button", { name: "Devices of carol@contoso.com" }).click();
    await page.waitForFunction(() => document.querySelector("#devicesTitle").textContent === "Devices of carol@contoso.com");
    assert.deepEqual(await (await devicesRead(page)).locator(".run-state").allInnerTexts(), ["Pending"]);

    // What was asked of the service: the summary, and each user's devices with the device expanded.
    const sent = (await mock.requests(scriptId)).filter((r) => r.method === "GET").map((r) => r.path + "?" + decodeURIComponent(r.query));
    assert.ok(sent.some((p) => p.startsWith(`/beta/deviceManagement/deviceManagementScripts/${scriptId}/runSummary`)), sent.join("\n"));
    assert.ok(sent.some((p) => /\/userRunStates\/[^/]+\/deviceRunStates\?\$expand=managedDevice\(\$select=id,deviceName,operatingSystem,userPrincipalName\)/.test(p)), sent.join("\n"));
    assert.deepEqual(seen.errors, []);
    assert.deepEqual(seen.dialogs, []);
  } finally {
    await page.close();
  }
});

test("every device of the script: the run-state filter and Export CSV of what is shown", async () => {
  const scriptId = script("all");
  const states = ["success", "success", "fail", "scriptError", "pending", "someNewValue"];
  const all = Array.from({ length: 250 }, (_, i) =>
    device("dev", i, states[i % states.length], i === 2 ? { resultMessage: "=HYPERLINK(\"http://x.example\"), \"quoted\"\nsecond line", errorCode: -1 } : {}),
  );
  await control("/_mock/objects", [{ scriptId, userPrincipalName: "dev@contoso.com", deviceRunStates: all }]);
  const { page, seen } = await open(browser.context, "/?demo=1#manage");
  try {
    await load(page, scriptId, 1);
    await page.click("#devicesAll");
    const rows = await devicesRead(page);
    assert.equal(await page.locator("#devicesTitle").innerText(), "All devices of the script");
    assert.equal(await page.locator("#devicesShown").innerText(), "250 devices; showing 1–100");
    assert.equal(await rows.count(), 100, "a page of rows at a time");
    assert.equal(await page.locator("#devicesPageText").innerText(), "Page 1 of 3");
    await page.click("#devicesNext");
    assert.equal(await rows.first().locator("th").innerText(), "DEV-PC-100\ndev@contoso.com");

    const optionText = await page.locator("#deviceRunState option").allInnerTexts();
    assert.deepEqual(optionText, ["All run states (250)", "Success (84)", "Failed (42)", "Script error (42)", "Pending (41)", "Not applicable (0)", "Unknown (0)", "Other (41)"]);
    await page.selectOption("#deviceRunState", "fail");
    assert.equal(await page.locator("#devicesShown").innerText(), "42 of 250 devices; showing 1–42");
    assert.deepEqual([...new Set(await rows.locator(".run-state").allInnerTexts())], ["Failed"]);
    assert.ok(await page.locator("#devicesPager").isHidden());
    await page.selectOption("#deviceRunState", "other");
    assert.deepEqual([...new Set(await rows.locator(".run-state").allInnerTexts())], ["someNewValue"], "an unknown run state is shown as it came");
    await screenshot(page, "devices-filter");

    // The export has what is shown (every page of it), cells defused as every CSV of the page.
    await page.selectOption("#deviceRunState", "fail");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#devicesExport")]);
    assert.equal(download.suggestedFilename(), `${scriptId}-devices.csv`);
    const csv = splitCsv(readFileSync(await download.path(), "utf8"));
    assert.deepEqual(csv[0], ["userPrincipalName", "deviceName", "operatingSystem", "runState", "lastStateUpdateDateTime", "errorCode", "errorDescription", "resultMessage"]);
    const failed = all.filter((s) => s.runState === "fail");
    assert.deepEqual(csv.slice(1).map((r) => r[1]), failed.map((s) => s.managedDevice.deviceName));
    assert.deepEqual(csv[1], ["dev@contoso.com", "DEV-PC-2", "Windows", "fail", "2026-12-07T03:00:00Z", "-1", "", "'=HYPERLINK(\"http://x.example\"), \"quoted\"\nsecond line"]);
    assert.deepEqual(seen.errors, []);
  } finally {
    await page.close();
  }
});

test("10,000 devices: read page by page, drawn 100 rows at a time, filtered and paged", async () => {
  const scriptId = script("large");
  const states = ["success", "success", "success", "fail", "pending"];
  for (let start = 0; start < 10_000; start += 1000) {
    const chunk = Array.from({ length: 1000 }, (_, j) => ({ scriptId, ...device("big", start + j, states[(start + j) % states.length]) }));
    await control("/_mock/deviceRunStates", chunk);
  }
  await mock.seed(scriptId, [{ userPrincipalName: "big@contoso.com", successDeviceCount: 1, errorDeviceCount: 0 }]);
  const { page, seen } = await open(browser.context, "/?demo=1#manage");
  try {
    await load(page, scriptId, 1);
    const tasks = await watchLongTasks(page);
    await page.click("#devicesAll");
    const rows = await devicesRead(page);
    assert.equal(await page.locator("#devicesShown").innerText(), "10000 devices; showing 1–100");
    assert.equal(await rows.count(), 100);
    await page.selectOption("#deviceRunState", "fail");
    assert.equal(await page.locator("#devicesShown").innerText(), "2000 of 10000 devices; showing 1–100");
    assert.equal(await page.locator("#devicesPageText").innerText(), "Page 1 of 20");
    await page.click("#devicesNext");
    assert.equal(await page.locator("#devicesShown").innerText(), "2000 of 10000 devices; showing 101–200");
    assert.equal(await rows.count(), 100);
    // Not an assertion (no timing is asserted here): the longest main-thread tasks, for the record.
    console.log(`devices page, 10,000 devices: longest tasks ${(await tasks.read()).slice(0, 3).map((t) => Math.round(t)).join(", ") || "none over 50"} ms`);
    assert.deepEqual(seen.errors, []);
  } finally {
    await page.close();
  }
});
