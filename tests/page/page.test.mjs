// The admin page in headless Chromium against graph-mock (which also serves target/site).
// Run: scripts/demo.sh --site-only && scripts/with-mock.sh --static target/site -- node --test tests/page/
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { MOCK, RUN, fakeCloud, launch, mock, open, screenshot, splitCsv } from "./helpers.mjs";

const XSS = "<img src=x onerror=alert(1)>";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const script = (name) => `page-${name}-${RUN}`;

async function useScript(page, scriptId) {
  await page.fill("#scriptId", scriptId);
}

/** Waits until the list shows `n` rows; fails at once with the page's message if it shows an error. */
async function listRows(page, n) {
  await page.waitForFunction(
    (want) => document.querySelectorAll("#listBody tr").length === want || document.querySelector("#manageStatus .alert.error"),
    n,
  );
  const error = page.locator("#manageStatus .alert.error");
  if (await error.count()) assert.fail(`the page reported: ${await error.innerText()}`);
}

/** Violations of the page's CSP while `fn` runs in the page: [{ directive, blockedURI }]. */
async function cspViolations(page, urls) {
  return page.evaluate(async (targets) => {
    const seen = [];
    const listener = (e) => seen.push({ directive: e.effectiveDirective, blocked: e.blockedURI });
    document.addEventListener("securitypolicyviolation", listener);
    for (const url of targets) await fetch(url).catch(() => {});
    await new Promise((r) => setTimeout(r, 200));
    document.removeEventListener("securitypolicyviolation", listener);
    return seen;
  }, urls);
}

test("demo mode: marked as such, talks only to its own origin", async () => {
  const { page, seen } = await open(browser.context);
  const banner = page.locator("#demoBanner");
  assert.ok(await banner.isVisible());
  assert.match(await banner.innerText(), /Demo mode/i);
  assert.match(await banner.innerText(), new RegExp(`graph-mock\\) at ${MOCK.replace(/[.]/g, "\\.")}`));
  assert.match(await page.locator("#connection").innerText(), /Demo/);
  // The narrowed CSP: connect-src 'self' only, so no Graph root can be reached from demo mode.
  const violations = await cspViolations(page, ["https://graph.microsoft.com/beta/", `${MOCK}/beta/`]);
  assert.deepEqual(violations, [{ directive: "connect-src", blocked: "https://graph.microsoft.com/beta/" }]);
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test("create one through the form: the server holds it, the page shows it with its ids", async () => {
  const { page, seen } = await open(browser.context);
  const scriptId = script("create");
  await useScript(page, scriptId);
  await page.fill("#userPrincipalName", "ada@contoso.com");
  await page.fill("#successDeviceCount", "3");
  await page.fill("#errorDeviceCount", "1");
  await page.click("#createSubmit");
  const id = (await page.locator("#createdId").innerText({ timeout: 10_000 })).trim();
  const held = await mock.objects(scriptId);
  assert.equal(held.length, 1);
  assert.equal(held[0].id, id);
  assert.equal(held[0].userPrincipalName, "ada@contoso.com");
  assert.equal(held[0].successDeviceCount, 3);
  assert.equal(held[0].errorDeviceCount, 1);
  const facts = await page.locator("#createdFacts").innerText();
  const [sent] = await mock.requests(scriptId);
  assert.equal(sent.method, "POST");
  assert.equal(sent.headers.authorization, "Bearer demo-token");
  const clientRequestId = sent.headers["client-request-id"];
  assert.match(clientRequestId, GUID);
  assert.match(facts, new RegExp(`client-request-id\\s+${clientRequestId}`));
  // The request id shown is the one graph-mock answered with, told by onResponse: the page no
  // longer wraps fetch.
  assert.match(facts, new RegExp(`(^|\\n)request-id\\s+${sent.requestId}`));
  assert.equal(await page.evaluate(() => Function.prototype.toString.call(globalThis.fetch).includes("[native code]")), true, "fetch is the browser's own");
  assert.deepEqual(JSON.parse(await page.locator("#createdJson").innerText()), held[0]);
  assert.deepEqual(seen.errors, []);
  await screenshot(page, "create");
  await page.close();
});

test("inline validation while typing, from validateUserState; nothing is sent", async () => {
  const { page } = await open(browser.context);
  const scriptId = script("validation");
  await useScript(page, scriptId);
  const error = (field) => page.locator(`#${field}-error`).innerText();
  await page.fill("#successDeviceCount", "2.5");
  assert.equal(await error("successDeviceCount"), "Success device count must be a whole number");
  assert.equal(await page.getAttribute("#successDeviceCount", "aria-invalid"), "true");
  await page.fill("#successDeviceCount", "");
  assert.equal(await error("successDeviceCount"), "Success device count is required");
  await page.fill("#successDeviceCount", "-1");
  assert.equal(await error("successDeviceCount"), "Success device count must be between 0 and 2147483647");
  await page.fill("#errorDeviceCount", "abc");
  assert.equal(await error("errorDeviceCount"), "Error device count must be a number, not a string");
  assert.equal(await error("userPrincipalName"), "", "an untouched field is not flagged while typing elsewhere");
  await page.fill("#userPrincipalName", "x");
  await page.fill("#userPrincipalName", "");
  assert.equal(await error("userPrincipalName"), "User principal name must not be empty");
  await page.click("#createSubmit");
  assert.equal(await page.evaluate(() => document.activeElement.id), "userPrincipalName", "submit focuses the first problem on screen");
  await page.fill("#userPrincipalName", "ada@contoso.com");
  await page.click("#createSubmit");
  assert.equal(await page.evaluate(() => document.activeElement.id), "successDeviceCount", "then the next one down");
  await screenshot(page, "create-validation");
  await page.fill("#successDeviceCount", "7");
  assert.equal(await error("successDeviceCount"), "");
  assert.equal(await page.getAttribute("#successDeviceCount", "aria-invalid"), "false");
  assert.deepEqual(await mock.requests(scriptId), [], "nothing reached the service");
  await page.close();
});

test("failures in plain language: 401, 403, 404 and 429, with the ids for support", async () => {
  const { page } = await open(browser.context);
  const scriptId = script("errors");
  await useScript(page, scriptId);
  await page.fill("#userPrincipalName", "grace@contoso.com");
  const submit = async () => {
    await page.locator("#createResult").evaluate((el) => el.replaceChildren());
    await page.click("#createSubmit");
    return page.locator("#createResult .alert.error").innerText({ timeout: 10_000 });
  };
  await page.fill("#token", "expired-token-1");
  let text = await submit();
  assert.match(text, /^Sign in again/);
  await page.fill("#token", "forbidden-token-1");
  text = await submit();
  assert.match(text, /^Access denied/);
  assert.match(text, /DeviceManagementConfiguration\.ReadWrite\.All/);
  assert.match(text, /Intune licence/);
  await page.fill("#token", "demo-token");
  await useScript(page, `missing-${scriptId}`);
  text = await submit();
  assert.match(text, /^No such script/);
  await page.click("#createResult summary");
  const support = await page.locator("#createResult .support").innerText();
  assert.match(support, /HTTP status\s+404/);
  assert.match(support, /Graph code\s+ResourceNotFound/);
  assert.match(support, /request-id\s+[0-9a-f-]{36}/);
  assert.match(support, /client-request-id\s+[0-9a-f-]{36}/);
  await useScript(page, scriptId);
  await mock.fault({ scriptId, op: "create", status: 429, retryAfter: "200" });
  text = await submit();
  assert.match(text, /^Microsoft Graph is throttling requests/);
  assert.match(text, /Waiting 200 seconds/);
  assert.match(await page.locator("#createWait").innerText(), /You can try again in (200|199) s/);
  assert.ok(await page.locator("#createSubmit").isDisabled(), "the button waits out Retry-After");
  await screenshot(page, "create-error");
  assert.deepEqual(await mock.objects(scriptId), []);
  await page.close();
});

test("paste-token path: the pasted token is what Graph gets, and it is kept nowhere else", async () => {
  const context = browser.context;
  const { page, seen } = await open(context);
  const scriptId = script("paste");
  const token = `eyJ0eXAi.pasted-${RUN}-5f3e9c`;
  await useScript(page, scriptId);
  await page.fill("#token", `Bearer ${token}`);
  assert.equal(await page.getAttribute("#token", "type"), "password");
  await page.fill("#userPrincipalName", "paste@contoso.com");
  await page.click("#createSubmit");
  await page.locator("#createdId").waitFor();
  const [sent] = await mock.requests(scriptId);
  assert.equal(sent.headers.authorization, `Bearer ${token}`);
  // An error path too: the token must not come back in what the page shows.
  await mock.fault({ scriptId, op: "create", status: 400, code: "BadRequest", message: `echo ${token}` });
  await page.click("#createSubmit");
  await page.locator("#createResult .alert.error").waitFor();
  const stored = await page.evaluate(() => ({
    local: Object.entries(localStorage),
    session: Object.entries(sessionStorage),
    cookie: document.cookie,
    url: location.href,
    html: document.documentElement.outerHTML,
    text: document.body.innerText,
  }));
  const cookies = await context.cookies();
  const everything = JSON.stringify({ stored, cookies, console: seen.console });
  assert.ok(!everything.includes(token), "the token is not in storage, cookies, the URL, the DOM or the console");
  assert.ok(!everything.includes("pasted-"), "no part of it either");
  assert.deepEqual(stored.local.map(([k]) => k), [], "the page wrote nothing to localStorage in demo mode");
  assert.deepEqual(stored.session, []);
  await page.close();
});

test("manage: list page by page, edit the counts in place, delete after confirming", async () => {
  const scriptId = script("manage");
  const seeded = await mock.seed(scriptId, Array.from({ length: 23 }, (_, i) => ({ userPrincipalName: `user${i}@contoso.com`, successDeviceCount: i, errorDeviceCount: 0 })));
  const { page, seen } = await open(browser.context, "/?demo=1#manage");
  try {
    assert.equal(await page.getAttribute("#tab-manage", "aria-selected"), "true");
    await useScript(page, scriptId);
    await page.selectOption("#pageSize", "10");
    const rows = page.locator("#listBody tr");
    await page.click("#listLoad");
    await listRows(page, 10);
    assert.ok(await page.locator("#listMore").isVisible());
    await page.click("#listMore");
    await listRows(page, 20);
    await page.click("#listMore");
    await listRows(page, 23);
    await page.locator("#listMore").waitFor({ state: "hidden" });
    assert.equal(await page.locator("#manageStatus").innerText(), "All user states are listed.");
    assert.deepEqual(await rows.locator("td.id").allInnerTexts(), seeded.map((s) => s.id));
    assert.match(await page.locator("#listSummary").innerText(), /^23 user states$/);
    // The user states' pages (the run summary is read beside them: devices.test.mjs).
    const lists = (await mock.requests(scriptId)).filter((r) => r.method === "GET" && r.path.endsWith("/userRunStates"));
    assert.equal(lists.length, 3, "one request per page");
    assert.match(decodeURIComponent(lists[0].query), /\$top=10/);
    await screenshot(page, "manage");

    // Edit in place: the rules apply while typing; Save sends a PATCH; the row shows the result.
    const target = rows.nth(2);
    await target.getByRole("button", { name: "Edit counts of user2@contoso.com" }).click();
    const success = target.locator('input[data-field="successDeviceCount"]');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.field), "successDeviceCount");
    await success.fill("2.5");
    assert.match(await target.innerText(), /Success device count must be a whole number/);
    await screenshot(page, "manage-edit");
    await target.getByRole("button", { name: "Save" }).click();
    assert.equal((await mock.objects(scriptId))[2].successDeviceCount, 2, "nothing sent while invalid");
    await success.fill("9");
    await target.locator('input[data-field="errorDeviceCount"]').fill("4");
    await target.getByRole("button", { name: "Save" }).click();
    await page.waitForFunction(() => document.querySelectorAll("#listBody tr")[2].querySelector('td[data-field="successDeviceCount"]')?.textContent === "9");
    assert.equal(await target.locator('td[data-field="errorDeviceCount"]').innerText(), "4");
    const held = (await mock.objects(scriptId)).find((o) => o.id === seeded[2].id);
    assert.equal(held.successDeviceCount, 9);
    assert.equal(held.errorDeviceCount, 4);
    const patch = (await mock.requests(scriptId)).find((r) => r.method === "PATCH");
    const { "@odata.type": _type, ...sent } = JSON.parse(patch.body);
    assert.deepEqual(sent, { successDeviceCount: 9, errorDeviceCount: 4 }, "only the changed counts");
    assert.match(await page.locator("#manageStatus").innerText(), /Saved the counts of user2@contoso.com/);

    // Escape leaves the editor without saving.
    await rows.nth(3).getByRole("button", { name: /^Edit/ }).click();
    await rows.nth(3).locator('input[data-field="successDeviceCount"]').fill("99");
    await page.keyboard.press("Escape");
    assert.equal(await rows.nth(3).locator('td[data-field="successDeviceCount"]').innerText(), "3");

    // Delete: the dialog names the user; "Keep it" keeps it, "Delete" deletes it.
    await rows.nth(0).getByRole("button", { name: "Delete user0@contoso.com" }).click();
    const dialog = page.locator("#confirmDelete");
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /user0@contoso\.com/);
    assert.equal(await page.evaluate(() => document.activeElement.id), "confirmCancel", "the safe choice has focus");
    await screenshot(page, "manage-delete", { fullPage: false });
    await page.keyboard.press("Enter");
    await dialog.waitFor({ state: "hidden" });
    assert.equal((await mock.objects(scriptId)).length, 23);
    await rows.nth(0).getByRole("button", { name: "Delete user0@contoso.com" }).click();
    await page.click("#confirmDeleteButton");
    await dialog.waitFor({ state: "hidden" });
    await listRows(page, 22);
    const left = await mock.objects(scriptId);
    assert.deepEqual(left.map((o) => o.id), seeded.slice(1).map((s) => s.id));
    assert.match(await page.locator("#manageStatus").innerText(), /Deleted the user state of user0@contoso.com/);
    assert.deepEqual(seen.errors, []);
  } finally {
    await page.close();
  }
});

test("manage: a missing script is explained, not listed", async () => {
  const { page } = await open(browser.context, "/?demo=1#manage");
  await useScript(page, `missing-${RUN}`);
  await page.click("#listLoad");
  assert.match(await page.locator("#manageStatus .alert.error").innerText(), /^No such script/);
  assert.ok(await page.locator("#listTable").isHidden());
  await page.close();
});

/** Waits until the picker has listed the scripts (or failed to); returns its status line. */
async function scriptsListed(page) {
  await page.waitForFunction(() => ["loaded", "error"].includes(document.querySelector("#scriptsStatus").dataset.state));
  const text = await page.locator("#scriptsStatus").innerText();
  assert.equal(await page.getAttribute("#scriptsStatus", "data-state"), "loaded", text);
  return text;
}

const optionTexts = (page) => page.locator("#scriptOptions [role=option]").evaluateAll((lis) => lis.map((li) => [li.querySelector(".option-name").textContent, li.querySelector(".option-id").textContent]));

test("script picker: the scripts of the type by name, searchable, the id beside each; choosing one fills the id", async () => {
  const made = await mock.scripts([
    { id: `pick-fix-${RUN}`, displayName: `Picker ${RUN} Fix printers`, fileName: "fix-printers.ps1" },
    { id: `pick-wall-${RUN}`, displayName: `Picker ${RUN} Set wallpaper` },
    { id: `pick-drv-${RUN}`, displayName: `Picker ${RUN} Printer drivers` },
    { id: `pick-dock-${RUN}`, displayName: `Picker ${RUN} Dock layout`, scriptKind: "deviceShellScripts" },
  ]);
  assert.equal(made.length, 4);
  const before = (await mock.allRequests()).length;
  const { page, seen } = await open(browser.context);
  try {
    // Listed at start in demo mode (a token is there), by name, without the scripts' content.
    const windows = await mock.listedScripts("deviceManagementScripts");
    assert.equal(await scriptsListed(page), `${windows.length} Windows PowerShell scripts: type a name to search.`);
    const lists = (await mock.allRequests()).slice(before).filter((r) => r.path === "/beta/deviceManagement/deviceManagementScripts");
    assert.equal(lists.length, 1);
    assert.equal(decodeURIComponent(lists[0].query), "$select=id,displayName,description,fileName,lastModifiedDateTime");
    assert.equal(lists[0].headers.authorization, "Bearer demo-token");

    // Typing searches the names: every word, any case; the id shows beside each name.
    await page.fill("#scriptId", "");
    await page.locator("#scriptId").pressSequentially(`picker ${RUN} PRINT`);
    assert.equal(await page.getAttribute("#scriptId", "aria-expanded"), "true");
    assert.deepEqual(await optionTexts(page), [
      [`Picker ${RUN} Fix printers`, `pick-fix-${RUN}`],
      [`Picker ${RUN} Printer drivers`, `pick-drv-${RUN}`],
    ]);
    await screenshot(page, "picker", { fullPage: false });

    // The keyboard: down to the second, Enter chooses it; the field holds its id.
    await page.keyboard.press("ArrowDown");
    assert.equal(await page.getAttribute("#scriptId", "aria-activedescendant"), "scriptOption-1");
    await page.keyboard.press("Enter");
    assert.equal(await page.inputValue("#scriptId"), `pick-drv-${RUN}`);
    assert.ok(await page.locator("#scriptOptions").isHidden());
    assert.match(await page.locator("#scriptChosen").innerText(), new RegExp(`^Picker ${RUN} Printer drivers`));

    // The mouse: type, click a name.
    await page.fill("#scriptId", `${RUN} wallpaper`);
    await page.locator("#scriptOptions [role=option]").first().click();
    assert.equal(await page.inputValue("#scriptId"), `pick-wall-${RUN}`);

    // Pasting an id still works: the line under the field names the script.
    await page.fill("#scriptId", `pick-fix-${RUN}`);
    assert.ok(await page.locator("#scriptOptions").isHidden());
    assert.equal(await page.locator("#scriptChosen").innerText(), `Picker ${RUN} Fix printers · fix-printers.ps1`);
    // An id no listed script has says so, in words.
    await page.fill("#scriptId", `no-such-script-${RUN}`);
    assert.equal(await page.locator("#scriptChosen").innerText(), "No Windows PowerShell script listed has this id or name. Choose one from the list, or check the id and the script type.");

    // Another type: listed again, its own scripts only.
    await page.selectOption("#scriptKind", "deviceShellScripts");
    const mac = await mock.listedScripts("deviceShellScripts");
    assert.equal(await scriptsListed(page), `${mac.length} macOS shell script${mac.length === 1 ? "" : "s"}: type a name to search.`);
    await page.fill("#scriptId", `picker ${RUN}`);
    assert.deepEqual(await optionTexts(page), [[`Picker ${RUN} Dock layout`, `pick-dock-${RUN}`]]);
    await page.keyboard.press("Enter");
    assert.equal(await page.inputValue("#scriptId"), `pick-dock-${RUN}`);

    // The chosen script is the one the calls use: a create goes to the macOS collection, that id.
    await page.fill("#userPrincipalName", "picked@contoso.com");
    await page.click("#createSubmit");
    await page.locator("#createdId").waitFor();
    const [sent] = await mock.requests(`pick-dock-${RUN}`);
    assert.equal(sent.path, `/beta/deviceManagement/deviceShellScripts/pick-dock-${RUN}/userRunStates`);
    assert.equal(await page.locator("img").count(), 0);
    assert.deepEqual(seen.errors, []);
  } finally {
    await page.close();
  }
});

test("a wrong script id says so in plain words (graph-mock answering 404 for ids it does not hold)", async () => {
  const real = `strict-${RUN}`;
  await mock.scripts({ id: real, displayName: `Strict ${RUN}` });
  await mock.seed(real, [{ userPrincipalName: "held@contoso.com", successDeviceCount: 1, errorDeviceCount: 0 }]);
  const { page } = await open(browser.context, "/?demo=1#manage");
  try {
    await mock.config({ strictScripts: true });
    await scriptsListed(page);
    const wrong = `wrong-${RUN}`;
    await useScript(page, wrong);
    await page.click("#listLoad");
    assert.match(await page.locator("#manageStatus .alert.error").innerText(), /^No such script\s+There is no script with this id and type in the tenant/);
    assert.equal(await page.locator("#scriptId-error").innerText(), `No Windows PowerShell script has the id “${wrong}”. Choose the script from the list, or check the id and the script type.`);
    assert.equal(await page.getAttribute("#scriptId", "aria-invalid"), "true");
    assert.ok(await page.locator("#listTable").isHidden());
    const listed = (await mock.requests(wrong)).filter((r) => r.path.endsWith("/userRunStates")); // and the run summary, 404 too
    assert.deepEqual(listed.map((r) => r.method), ["GET"], "graph-mock was asked, and said 404");
    // The same on create, and nothing is made.
    await page.click("#tab-create");
    await page.fill("#userPrincipalName", "nobody@contoso.com");
    await page.click("#createSubmit");
    assert.match(await page.locator("#createResult .alert.error").innerText({ timeout: 10_000 }), /^No such script/);
    assert.match(await page.locator("#scriptId-error").innerText(), /^No Windows PowerShell script has the id/);
    assert.deepEqual(await mock.objects(wrong), []);
    // The right one works, and the message goes.
    await useScript(page, real);
    assert.equal(await page.locator("#scriptId-error").innerText(), "");
    await page.click("#tab-manage");
    await page.click("#listLoad");
    await listRows(page, 1);
  } finally {
    await mock.config({ strictScripts: false });
    await page.close();
  }
});

/** The table as shown: [upn, success, errors, id] per row. */
const tableRows = (page) =>
  page.locator("#listBody tr").evaluateAll((trs) => trs.map((tr) => [tr.querySelector("td.upn").textContent, tr.querySelector('td[data-field="successDeviceCount"]').textContent, tr.querySelector('td[data-field="errorDeviceCount"]').textContent, tr.querySelector("td.id").textContent]));

async function reportFigures(page) {
  return page.evaluate(() => ({
    users: Number(document.querySelector("#totalUsers").textContent),
    successDevices: Number(document.querySelector("#totalSuccess").textContent),
    errorDevices: Number(document.querySelector("#totalErrors").textContent),
    usersWithErrors: Number(document.querySelector("#totalUsersWithErrors").textContent),
    bar: [...document.querySelectorAll("#chartDevices rect")].map((r) => [r.getAttribute("class"), parseFloat(r.getAttribute("width")), Number(r.dataset.value)]),
    users_bar: [...document.querySelectorAll("#chartUsers rect")].map((r) => [r.getAttribute("class"), Number(r.dataset.value)]),
    text: document.querySelector("#chartDevicesText").textContent,
  }));
}

const sums = (objects) => ({
  users: objects.length,
  successDevices: objects.reduce((t, o) => t + o.successDeviceCount, 0),
  errorDevices: objects.reduce((t, o) => t + o.errorDeviceCount, 0),
  usersWithErrors: objects.filter((o) => o.errorDeviceCount > 0).length,
});

test("manage as a report: totals and chart from the service's objects, filter, sort by any column, Export CSV of what is shown", async () => {
  const scriptId = script("report");
  const people = ["ada", "grace", "alan", "edsger", "barbara", "ken", "dennis", "margaret", "linus", "frances", "john", "radia"];
  await mock.seed(scriptId, people.map((n, i) => ({ userPrincipalName: `${n}@${i % 3 === 0 ? "ops." : ""}contoso.com`, successDeviceCount: (i * 7) % 11, errorDeviceCount: i % 4 === 1 ? i : 0 })));
  const held = await mock.objects(scriptId);
  const { page, seen } = await open(browser.context, "/?demo=1#manage");
  try {
    await useScript(page, scriptId);
    await page.click("#listLoad");
    await listRows(page, 12);

    // Totals and the chart are the sums of what graph-mock holds.
    const all = sums(held);
    let figures = await reportFigures(page);
    assert.deepEqual({ users: figures.users, successDevices: figures.successDevices, errorDevices: figures.errorDevices, usersWithErrors: figures.usersWithErrors }, all);
    const share = (100 * all.successDevices) / (all.successDevices + all.errorDevices);
    assert.deepEqual(figures.bar.map(([c, , v]) => [c, v]), [["bar-success", all.successDevices], ["bar-error", all.errorDevices]]);
    assert.ok(Math.abs(figures.bar[0][1] - share) < 1e-9 && Math.abs(figures.bar[1][1] - (100 - share)) < 1e-9, JSON.stringify(figures.bar));
    assert.equal(figures.text, `${all.successDevices} success (${Math.round(share)}%) · ${all.errorDevices} with errors (${Math.round(100 - share)}%)`);
    assert.deepEqual(figures.users_bar, [["bar-success", all.users - all.usersWithErrors], ["bar-error", all.usersWithErrors]]);
    assert.equal(await page.locator("#reportShown").innerText(), "Showing all 12");

    // The request ids shown are graph-mock's, as onResponse told them (one page here).
    const gets = (await mock.requests(scriptId)).filter((r) => r.method === "GET" && r.path.endsWith("/userRunStates"));
    await page.click("#listRequests summary");
    assert.deepEqual(await page.locator("#listRequestIds code.request-id").allInnerTexts(), gets.map((r) => r.requestId));
    assert.equal(await page.locator("#listClientRequestId").innerText(), gets[0].headers["client-request-id"]);
    await screenshot(page, "report");

    // The filter: part of the user principal name, any case; totals follow what is shown.
    await page.fill("#reportFilter", "OPS.");
    const ops = held.filter((o) => o.userPrincipalName.includes("ops."));
    assert.deepEqual(await tableRows(page), ops.map((o) => [o.userPrincipalName, String(o.successDeviceCount), String(o.errorDeviceCount), o.id]));
    figures = await reportFigures(page);
    assert.equal(figures.users, ops.length);
    assert.equal(figures.successDevices, sums(ops).successDevices);
    assert.equal(figures.errorDevices, sums(ops).errorDevices);
    assert.equal(await page.locator("#reportShown").innerText(), `Showing ${ops.length} of 12`);
    await page.fill("#reportFilter", "");

    // Sorting by each column, up then down; ties keep the order they came in.
    const byCol = {
      userPrincipalName: (a, b) => a.userPrincipalName.localeCompare(b.userPrincipalName, undefined, { sensitivity: "base", numeric: true }),
      successDeviceCount: (a, b) => a.successDeviceCount - b.successDeviceCount,
      errorDeviceCount: (a, b) => a.errorDeviceCount - b.errorDeviceCount,
      id: (a, b) => a.id.localeCompare(b.id, undefined, { sensitivity: "base", numeric: true }),
    };
    const order = (cmp, dir) => held.map((o, i) => ({ o, i })).sort((x, y) => dir * cmp(x.o, y.o) || x.i - y.i).map(({ o }) => o.id);
    for (const [key, cmp] of Object.entries(byCol)) {
      await page.click(`#listTable button.sort[data-sort="${key}"]`);
      assert.equal(await page.locator(`#listTable th:has(button[data-sort="${key}"])`).getAttribute("aria-sort"), "ascending");
      assert.deepEqual((await tableRows(page)).map((r) => r[3]), order(cmp, 1), `${key} ascending`);
      await page.click(`#listTable button.sort[data-sort="${key}"]`);
      assert.equal(await page.locator(`#listTable th:has(button[data-sort="${key}"])`).getAttribute("aria-sort"), "descending");
      assert.deepEqual((await tableRows(page)).map((r) => r[3]), order(cmp, -1), `${key} descending`);
    }

    // Export CSV: exactly the rows shown, in the order shown, after a filter and a sort.
    await page.fill("#reportFilter", "contoso");
    await page.fill("#reportFilter", "a");
    await page.click('#listTable button.sort[data-sort="errorDeviceCount"]');
    const shownRows = await tableRows(page);
    assert.ok(shownRows.length > 1 && shownRows.length < 12, `${shownRows.length} rows shown`);
    await screenshot(page, "report-export");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#reportExport")]);
    assert.equal(download.suggestedFilename(), `${scriptId}-user-states.csv`);
    const csv = splitCsv(readFileSync(await download.path(), "utf8"));
    assert.deepEqual(csv, [["userPrincipalName", "successDeviceCount", "errorDeviceCount", "id"], ...shownRows]);
    const heldById = new Map(held.map((o) => [o.id, o]));
    for (const [upn, success, errors, id] of csv.slice(1)) {
      assert.deepEqual([upn, Number(success), Number(errors)], [heldById.get(id).userPrincipalName, heldById.get(id).successDeviceCount, heldById.get(id).errorDeviceCount]);
    }

    // An edit in place moves the totals with it.
    await page.fill("#reportFilter", "");
    const first = page.locator("#listBody tr").first();
    const before = await reportFigures(page);
    const was = Number(await first.locator('td[data-field="errorDeviceCount"]').innerText());
    await first.getByRole("button", { name: /^Edit counts/ }).click();
    await first.locator('input[data-field="errorDeviceCount"]').fill(String(was + 5));
    await first.getByRole("button", { name: "Save" }).click();
    await page.waitForFunction((want) => Number(document.querySelector("#totalErrors").textContent) === want, before.errorDevices + 5);
    assert.equal(sums(await mock.objects(scriptId)).errorDevices, before.errorDevices + 5);
    assert.equal(await page.locator("img").count(), 0);
    assert.deepEqual(seen.errors, []);
  } finally {
    await page.close();
  }
});

/** A CSV with a BOM, CRLF, quoted fields, the XSS name, and two bad rows (lines 4 and 9). */
function bigCsv(n) {
  const lines = ["userPrincipalName,successDeviceCount,errorDeviceCount"];
  for (let i = 0; i < n; i++) {
    if (i === 2) lines.push("bad-count@contoso.com,2.5,0");
    if (i === 6) lines.push(",1,1");
    const upn = i === 0 ? XSS : i === 1 ? '"quoted, ""name""@contoso.com"' : `bulk${i}@contoso.com`;
    lines.push(`${upn},${i % 5},${i % 3}`);
  }
  return `\uFEFF${lines.join("\r\n")}\r\n`;
}

test("bulk import: 500 rows under throttling, progress, results that match the server, results CSV", async () => {
  const scriptId = script("bulk");
  const { page, seen } = await open(browser.context, "/?demo=1#import");
  try {
    await useScript(page, scriptId);
    await page.setInputFiles("#csvFile", { name: "users.csv", mimeType: "text/csv", buffer: Buffer.from(bigCsv(500)) });
    await page.locator("#preview").waitFor();
    assert.equal(await page.locator("#previewSummary").innerText(), "502 rows: 500 ready, 2 with problems (skipped).");
    assert.deepEqual(await page.locator("#previewProblems li").allInnerTexts(), [
      "Line 4: Success device count must be a whole number",
      "Line 9: User principal name must not be empty",
    ]);
    assert.equal(await page.locator("#importStart").innerText(), "Import 500 user states");
    await screenshot(page, "import-preview");

    // Throttling: at most 100 writes per 1.5 s for the whole server, plus scripted 429s and
    // two 503s after committing (the package must not create those twice).
    await mock.config({ writeBudget: { writes: 100, windowMs: 1000 } });
    await mock.fault([{ scriptId, op: "create", status: 503, commit: true, retryAfter: "1", times: 2 }]);
    await page.click("#importStart");
    const values = new Set();
    let shot = false;
    while (!(await page.locator("#results").isVisible())) {
      const v = await page.locator("#importProgress").evaluate((el) => (el.isConnected && !el.closest("[hidden]") ? el.value : -1));
      if (v >= 0) values.add(v);
      if (!shot && v > 150) {
        await screenshot(page, "import-progress");
        assert.match(await page.locator("#progressText").innerText(), /^\d+ of 500 · \d+ created · \d+ failed · [\d.]+ per second · about .+ left$/);
        shot = true;
      }
      await page.waitForTimeout(100);
    }
    const moving = [...values].filter((v) => v > 0 && v < 500);
    assert.ok(moving.length >= 3, `the bar moved through several values: ${[...values]}`);
    const stats = await mock.stats(scriptId);
    assert.ok(stats.throttled >= 20, `the service throttled the run: ${JSON.stringify(stats)}`);
    assert.equal(stats.faults, 2, "both 503s (after committing) were served");

    // The results against the server's contents: the table draws 100 rows at a time, "Show
    // more rows" the next 100; the download has them all.
    assert.match(await page.locator("#resultsSummary").innerText(), /^500 created, 0 failed, 2 skipped \(problems in the file\), in [\d.]+ s\.$/);
    const cells = () => page.locator("#resultsBody tr").evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
    assert.equal((await cells()).length, 100);
    assert.equal(await page.locator("#resultsShown").innerText(), "Rows 1 to 100 of 502 shown; the download has them all.");
    for (let n = 200; n <= 500; n += 100) {
      await page.click("#resultsMore");
      assert.equal((await cells()).length, n);
    }
    await page.click("#resultsMore");
    const table = await cells();
    assert.equal(table.length, 502);
    assert.ok(await page.locator("#resultsMore").isHidden());
    assert.equal(await page.locator("#resultsShown").innerText(), "All 502 rows shown.");
    const held = await mock.objects(scriptId);
    assert.equal(held.length, 500, "each row created exactly once");
    const created = table.filter((r) => r[2] === "created");
    assert.deepEqual(new Set(created.map((r) => r[3])), new Set(held.map((o) => o.id)));
    const heldById = new Map(held.map((o) => [o.id, o]));
    for (const [, upn, , id] of created) assert.equal(heldById.get(id).userPrincipalName, upn);
    assert.deepEqual(table.find((r) => r[0] === "2"), ["2", XSS, "created", heldById.get(table[0][3]).id]);
    assert.equal(heldById.get(table.find((r) => r[0] === "3")[3]).userPrincipalName, 'quoted, "name"@contoso.com');
    assert.deepEqual(table.filter((r) => r[2] === "skipped").map((r) => r[0]), ["4", "9"]);
    assert.equal(await page.locator("img").count(), 0, "the XSS name stayed text");
    await screenshot(page, "import-results");

    // The download: the same rows as the table.
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#resultsDownload")]);
    assert.equal(download.suggestedFilename(), "users-results.csv");
    const csv = splitCsv(readFileSync(await download.path(), "utf8"));
    assert.deepEqual(csv[0], ["row", "userPrincipalName", "status", "id", "error"]);
    assert.equal(csv.length, 503);
    for (const [i, [line, upn, status, idOrError]] of table.entries()) {
      const [cLine, cUpn, cStatus, cId, cError] = csv[i + 1];
      assert.deepEqual([cLine, cUpn, cStatus], [line, upn === "(empty)" ? "" : upn, status]);
      assert.equal(status === "created" ? cId : cError, idOrError);
      assert.equal(status === "created" ? cError : cId, "");
    }
    assert.deepEqual(seen.dialogs, []);
    assert.deepEqual(seen.errors, []);
  } finally {
    await mock.config({ writeBudget: null });
    await mock.clearFaults();
    await page.close();
  }
});

test("bulk import: the tab closed with a $batch in flight, reopened and resumed: exactly 1,000 objects, a complete results CSV", async () => {
  const scriptId = script("resume");
  const csv = ["userPrincipalName,successDeviceCount,errorDeviceCount", ...Array.from({ length: 1000 }, (_, i) => `resume${i}@contoso.com,${i % 4},0`)].join("\n");
  let { page, seen } = await open(browser.context, "/?demo=1#import");
  try {
    await useScript(page, scriptId);
    assert.ok(await page.locator("#resumeOffer").isHidden(), "nothing to resume yet");
    await page.setInputFiles("#csvFile", { name: "thousand.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await page.locator("#preview").waitFor();
    // Slow inner creates: $batch requests are in flight whenever the tab closes.
    await mock.fault({ scriptId, op: "create", delayMs: 40, times: 1000 });
    await page.click("#importStart");
    await page.waitForFunction(() => document.querySelector("#importProgress").value >= 200, null, { timeout: 30_000 });
    const inFlight = (await mock.requests(scriptId)).length;
    await page.close(); // no beforeunload: the tab is gone at once
    await new Promise((r) => setTimeout(r, 2500)); // what was in flight lands (or not)
    await mock.clearFaults();
    const held = (await mock.objects(scriptId)).length;
    assert.ok(held >= 200 && held < 1000, `${held} on the server when the tab closed (${inFlight} requests seen)`);

    ({ page, seen } = await open(browser.context, "/?demo=1#import"));
    await useScript(page, scriptId);
    await page.locator("#resumeOffer").waitFor();
    assert.match(await page.locator("#resumeText").innerText(), new RegExp(`^An import of thousand\\.csv into ${scriptId}, started .+, did not finish: [1-9]\\d* of 1000 done\\.$`));
    await screenshot(page, "import-resume");
    await page.click("#resumeImport");
    await page.locator("#results").waitFor({ timeout: 60_000 });
    assert.match(await page.locator("#resultsSummary").innerText(), /^1000 created, 0 failed, in [\d.]+ s\.$/);

    const objects = await mock.objects(scriptId);
    assert.equal(objects.length, 1000, "exactly one object per row");
    assert.equal(new Set(objects.map((o) => o.userPrincipalName)).size, 1000, "one per user");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#resultsDownload")]);
    const rows = splitCsv(readFileSync(await download.path(), "utf8"));
    assert.equal(rows.length, 1001, "the results cover the whole import, before and after the resume");
    const ids = new Map(objects.map((o) => [o.userPrincipalName, o.id]));
    for (const [line, upn, status, id] of rows.slice(1)) {
      assert.equal(status, "created", `line ${line}`);
      assert.equal(id, ids.get(upn), `line ${line}: the server's object`);
    }
    assert.ok(await page.locator("#resumeOffer").isHidden(), `a finished import is not offered again: ${await page.locator("#resumeText").innerText()}`);
    await page.reload();
    await page.waitForSelector("body[data-ready]");
    await useScript(page, scriptId);
    await page.waitForTimeout(300);
    assert.ok(await page.locator("#resumeOffer").isHidden(), "nor after a reload");
    assert.deepEqual(seen.errors, []);
  } finally {
    await mock.clearFaults();
    await page.close();
  }
});

test("bulk import: an unfinished import can be discarded", async () => {
  const scriptId = script("discard");
  const csv = ["userPrincipalName,successDeviceCount,errorDeviceCount", ...Array.from({ length: 200 }, (_, i) => `discard${i}@contoso.com,1,0`)].join("\n");
  let { page } = await open(browser.context, "/?demo=1#import");
  try {
    await useScript(page, scriptId);
    await page.setInputFiles("#csvFile", { name: "discard.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await page.locator("#preview").waitFor();
    // A slow service (a sync of 200 new rows is otherwise done in a moment).
    await mock.config({ writeBudget: { writes: 20, windowMs: 1000 } });
    await page.click("#importStart");
    await page.waitForFunction(() => document.querySelector("#importProgress").value >= 20, null, { timeout: 30_000 });
    await page.close();
    await mock.config({ writeBudget: null });
    ({ page } = await open(browser.context, "/?demo=1#import"));
    await useScript(page, scriptId);
    await page.locator("#resumeOffer").waitFor();
    await page.click("#resumeDiscard");
    await page.locator("#resumeOffer").waitFor({ state: "hidden" });
    await page.reload();
    await page.waitForSelector("body[data-ready]");
    await useScript(page, scriptId);
    await page.waitForTimeout(300);
    assert.ok(await page.locator("#resumeOffer").isHidden(), "discarded for good");
  } finally {
    await mock.config({ writeBudget: null });
    await page.close();
  }
});

test("bulk import: a dropped file works, and Cancel stops the run", async () => {
  const scriptId = script("cancel");
  const { page } = await open(browser.context, "/?demo=1#import");
  try {
    await useScript(page, scriptId);
    const text = bigCsv(200).replace(/^.*\r\n.*\r\n.*\r\n.*\r\n/, "userPrincipalName,successDeviceCount,errorDeviceCount\r\n");
    await page.locator("#dropZone").evaluate((zone, csv) => {
      const data = new DataTransfer();
      data.items.add(new File([csv], "dropped.csv", { type: "text/csv" }));
      zone.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
    }, text);
    await page.locator("#preview").waitFor();
    assert.match(await page.locator("#previewFile").innerText(), /dropped\.csv/);
    await mock.config({ writeBudget: { writes: 20, windowMs: 1000 } });
    await page.click("#importStart");
    await page.waitForFunction(() => document.querySelector("#importProgress").value >= 20 || !document.querySelector("#results").hidden);
    assert.ok(await page.locator("#results").isHidden(), `the run ended by itself: ${await page.locator("#resultsSummary").innerText()}`);
    await page.click("#importCancel");
    await page.locator("#results").waitFor();
    const summary = await page.locator("#resultsSummary").innerText();
    assert.match(summary, /^Cancelled\. \d+ created, 0 failed, 1 skipped \(problems in the file\), \d+ cancelled/);
    const created = Number(summary.match(/(\d+) created/)[1]);
    assert.ok(created >= 20 && created < 150, `stopped early: ${created} created`);
    const atCancel = (await mock.objects(scriptId)).length;
    await page.waitForTimeout(1500);
    const later = (await mock.objects(scriptId)).length;
    assert.equal(later, atCancel, "nothing more was created after the run stopped");
    // Creates in flight when Cancel was pressed may have landed: those rows say "cancelled".
    assert.ok(later >= created && later < 199, `server ${later}, page ${created}`);
  } finally {
    await mock.config({ writeBudget: null });
    await page.close();
  }
});

test("bulk import: a row that fails says why, with its CSV line; the filter shows only those rows", async () => {
  const scriptId = script("bulk-fail");
  const { page } = await open(browser.context, "/?demo=1#import");
  try {
    await useScript(page, scriptId);
    const csv = "userPrincipalName,successDeviceCount,errorDeviceCount\nfirst@contoso.com,1,0\nsecond@contoso.com,1,0\nFIRST@contoso.com,2,0\n";
    await page.setInputFiles("#csvFile", { name: "few.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await page.locator("#preview").waitFor();
    assert.deepEqual(await page.locator("#previewProblems li").allInnerTexts(), [
      "Line 4: same user principal name as line 2: a script has one user state per user, so this row will fail",
    ]);
    // A failure of the row's own (a 403 would stop the whole import: issue 17).
    await mock.fault({ scriptId, op: "create", status: 409, code: "Conflict" });
    await page.click("#importStart");
    await page.locator("#results").waitFor();
    const rows = await page.locator("#resultsBody tr").evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
    assert.equal(rows.length, 3);
    const denied = rows.filter((r) => r[3].startsWith("Microsoft Graph refused the request"));
    assert.equal(denied.length, 1, JSON.stringify(rows));
    assert.match(denied[0][3], /^Microsoft Graph refused the request \(HTTP status 409, Graph code Conflict, request-id [0-9a-f-]{36}\)$/);
    assert.deepEqual(rows[2], ["4", "FIRST@contoso.com", "failed", "User principal name repeats the user of line 2: a script has one user state per user"]);
    assert.match(await page.locator("#resultsSummary").innerText(), /^1 created, 2 failed, in/);
    await page.check("#resultsProblemsOnly");
    assert.deepEqual(await page.locator("#resultsBody tr:visible td:first-child").allInnerTexts(), rows.filter((r) => r[2] !== "created").map((r) => r[0]));
    assert.equal((await mock.objects(scriptId)).length, 1);
  } finally {
    await mock.clearFaults();
    await page.close();
  }
});

test("an XSS user principal name typed in the form is sent and shown as text", async () => {
  const scriptId = script("xss-form");
  const { page, seen } = await open(browser.context);
  await useScript(page, scriptId);
  await page.fill("#userPrincipalName", XSS);
  await page.click("#createSubmit");
  await page.locator("#createdId").waitFor();
  assert.match(await page.locator("#createdFacts").innerText(), /User principal name\s+<img src=x onerror=alert\(1\)>/);
  assert.equal((await mock.objects(scriptId))[0].userPrincipalName, XSS);
  assert.equal(await page.locator("img").count(), 0);
  await page.waitForTimeout(300);
  assert.deepEqual(seen.dialogs, [], "no alert fired");
  await page.close();
});

test("values from the service render as text: XSS user principal names in the list and the delete dialog", async () => {
  const scriptId = script("xss-list");
  const evil = `${XSS}<script>alert(2)</script>`;
  await mock.seed(scriptId, [{ userPrincipalName: evil, successDeviceCount: 1, errorDeviceCount: 0 }, { userPrincipalName: XSS, successDeviceCount: 0, errorDeviceCount: 1 }]);
  const { page, seen } = await open(browser.context, "/?demo=1#manage");
  await useScript(page, scriptId);
  await page.click("#listLoad");
  await listRows(page, 2);
  assert.deepEqual(await page.locator("#listBody td.upn").allInnerTexts(), [evil, XSS]);
  await page.locator("#listBody tr").first().getByRole("button", { name: /^Delete/ }).click();
  assert.match(await page.locator("#confirmText").innerText(), /<img src=x onerror=alert\(1\)><script>/);
  await page.click("#confirmCancel");
  assert.equal(await page.locator("img, #listBody script, #confirmText script").count(), 0);
  await page.waitForTimeout(300);
  assert.deepEqual(seen.dialogs, [], "no alert fired");
  await page.close();
});

test("keyboard: the tabs follow the arrow keys, every input has a label", async () => {
  const { page } = await open(browser.context);
  await page.focus("#tab-create");
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.getAttribute("#tab-manage", "aria-selected"), "true");
  assert.ok(await page.locator("#view-manage").isVisible());
  assert.ok(await page.locator("#view-create").isHidden());
  await page.keyboard.press("End");
  assert.equal(await page.evaluate(() => document.activeElement.id), "tab-import");
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.evaluate(() => document.activeElement.id), "tab-create");
  const unlabeled = await page.evaluate(() =>
    [...document.querySelectorAll("input, select")].filter((el) => el.labels.length === 0 && !el.getAttribute("aria-label")).map((el) => el.id || el.outerHTML),
  );
  assert.deepEqual(unlabeled, []);
  await page.close();
});

test("narrow window: one column, nothing wider than the screen, in each view", async () => {
  const scriptId = script("narrow");
  await mock.seed(scriptId, [{ userPrincipalName: "someone.with.a.rather.long.name@contoso.onmicrosoft.com", successDeviceCount: 12, errorDeviceCount: 3 }]);
  const { page } = await open(browser.context);
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await useScript(page, scriptId);
  await page.fill("#userPrincipalName", "someone.with.a.rather.long.name@contoso.onmicrosoft.com");
  assert.ok((await overflow()) <= 0, "create view fits");
  await screenshot(page, "narrow");
  await mock.scripts({ id: `narrow-pick-${RUN}`, displayName: `Narrow ${RUN} a script with a rather long name to wrap on a phone` });
  await page.click("#scriptsLoad");
  await scriptsListed(page);
  await page.fill("#scriptId", `narrow ${RUN}`);
  assert.equal(await page.locator("#scriptOptions [role=option]").count(), 1);
  assert.ok((await overflow()) <= 0, "the open picker fits");
  await screenshot(page, "narrow-picker", { fullPage: false });
  await page.keyboard.press("Escape");
  await useScript(page, scriptId);
  await page.click("#tab-manage");
  await page.click("#listLoad");
  await listRows(page, 1);
  assert.ok(await page.locator("#report").isVisible());
  assert.ok((await overflow()) <= 0, "manage view fits (the table scrolls inside its box)");
  await screenshot(page, "narrow-manage");
  await page.click("#tab-import");
  await page.setInputFiles("#csvFile", { name: "n.csv", mimeType: "text/csv", buffer: Buffer.from("userPrincipalName,successDeviceCount,errorDeviceCount\na@contoso.com,1,x\n") });
  await page.locator("#preview").waitFor();
  assert.ok((await overflow()) <= 0, "import view fits");
  await page.close();
});

test("settings: cloud, client id and tenant; the scope per cloud; kept in localStorage; CSP follows the cloud", async () => {
  const { page, seen } = await open(browser.context, "/");
  try {
    await page.evaluate(() => localStorage.clear());
    await page.reload();
    await page.waitForSelector("body[data-ready]");
    assert.ok(await page.locator("#demoBanner").isHidden());
    assert.ok(await page.locator("#signIn").isDisabled(), "no sign-in before a client id is set");
    await page.click("#settings > summary");
    const expected = {
      global: ["https://graph.microsoft.com/DeviceManagementConfiguration.ReadWrite.All", "https://login.microsoftonline.com/organizations"],
      usgov: ["https://graph.microsoft.us/DeviceManagementConfiguration.ReadWrite.All", "https://login.microsoftonline.us/organizations"],
      usgovdod: ["https://dod-graph.microsoft.us/DeviceManagementConfiguration.ReadWrite.All", "https://login.microsoftonline.us/organizations"],
      china: ["https://microsoftgraph.chinacloudapi.cn/DeviceManagementConfiguration.ReadWrite.All", "https://login.chinacloudapi.cn/organizations"],
    };
    for (const [cloud, [scope, authority]] of Object.entries(expected)) {
      await page.selectOption("#cloud", cloud);
      assert.equal(await page.locator("#scope").innerText(), scope);
      assert.equal(await page.locator("#authority").innerText(), authority);
    }
    assert.equal(await page.locator("#redirectUri").innerText(), `${MOCK}/redirect.html`);
    await page.selectOption("#cloud", "usgov");
    await page.fill("#clientId", "not-a-guid");
    await page.fill("#tenant", "contoso.onmicrosoft.us");
    await page.click("#settingsSave");
    assert.match(await page.locator("#clientId-error").innerText(), /GUID/);
    assert.equal(await page.evaluate(() => localStorage.length), 0, "nothing saved while invalid");
    await page.fill("#clientId", "11111111-2222-4333-8444-555555555555");
    await screenshot(page, "settings");
    await Promise.all([page.waitForEvent("load"), page.click("#settingsSave")]);
    await page.waitForSelector("body[data-ready]");
    const saved = await page.evaluate(() => Object.fromEntries(Object.entries(localStorage)));
    assert.deepEqual(Object.keys(saved), ["intune-user-states.settings"]);
    assert.deepEqual(JSON.parse(saved["intune-user-states.settings"]), { cloud: "usgov", clientId: "11111111-2222-4333-8444-555555555555", tenant: "contoso.onmicrosoft.us", tokenSource: "msal" });
    assert.equal(await page.inputValue("#clientId"), "11111111-2222-4333-8444-555555555555");
    assert.equal(await page.inputValue("#cloud"), "usgov");
    assert.match(await page.locator("#connection").innerText(), /usgov https:\/\/graph\.microsoft\.us/);
    assert.ok(await page.locator("#signIn").isEnabled());
    // Only the chosen cloud's Graph root and authority may be reached now.
    const violations = await cspViolations(page, ["https://graph.microsoft.com/beta/", "https://graph.microsoft.us/beta/", "https://login.microsoftonline.us/x", "https://login.chinacloudapi.cn/x"]);
    assert.deepEqual(violations.map((v) => v.blocked), ["https://graph.microsoft.com/beta/", "https://login.chinacloudapi.cn/x"]);
    assert.equal(await page.evaluate(() => typeof window.msal), "undefined", "MSAL is not loaded before signing in");
    assert.deepEqual(seen.errors, []);
  } finally {
    await page.evaluate(() => localStorage.clear());
    await page.close();
  }
});

test("sign in with Microsoft: MSAL on demand, popup through the redirect bridge, silent token before each call, popup fallback", async () => {
  const { context } = browser;
  const clientId = "11111111-2222-4333-8444-555555555555";
  // Tokens that live 60 s, inside MSAL's 5-minute renewal margin: every silent call renews.
  let refreshWorks = true;
  let ssoWorks = true;
  const cloud = await fakeCloud(context, {
    login: "https://login.microsoftonline.us", graph: "https://graph.microsoft.us", clientId,
    expiresIn: () => 60, refresh: () => refreshWorks, sso: () => ssoWorks,
  });
  const { page, seen } = await open(context, "/");
  const scriptId = script("msal");
  const popups = [];
  const onPage = (p) => popups.push(p);
  context.on("page", onPage);
  const create = async (upn) => {
    await page.fill("#userPrincipalName", upn);
    await page.click("#createSubmit");
    await page.waitForFunction((name) => document.querySelector("#createdFacts")?.textContent.includes(name) || document.querySelector("#createResult .alert.error"), upn);
    const error = page.locator("#createResult .alert.error");
    if (await error.count()) assert.fail(`the page reported: ${await error.innerText()}`);
  };
  try {
    const scripts = [];
    page.on("request", (r) => r.resourceType() === "script" && scripts.push(new URL(r.url()).pathname));
    await page.evaluate((id) => localStorage.setItem("intune-user-states.settings", JSON.stringify({ cloud: "usgov", clientId: id, tenant: "contoso.onmicrosoft.us", tokenSource: "msal" })), clientId);
    await page.reload();
    await page.waitForSelector("body[data-ready]");
    assert.equal(await page.evaluate(() => typeof window.msal), "undefined");
    assert.ok(!scripts.includes("/vendor/msal-browser.min.js"), "MSAL is not loaded before the user signs in");

    // Sign in: a popup to the authority, answered on redirect.html, which hands the code back.
    await page.click("#signIn");
    await page.locator("#account strong").waitFor();
    assert.equal(await page.locator("#account").innerText(), "Signed in as ada@contoso.us");
    assert.ok(scripts.includes("/vendor/msal-browser.min.js"));
    assert.equal(popups.length, 1);
    const [authorize] = cloud.log.authorize;
    assert.equal(authorize.client_id, clientId);
    assert.equal(authorize.redirect_uri, `${MOCK}/redirect.html`);
    assert.deepEqual(authorize.scope.split(" ").sort(), ["https://graph.microsoft.us/DeviceManagementConfiguration.ReadWrite.All", "offline_access", "openid", "profile"]);
    assert.equal(cloud.log.token[0].grant_type, "authorization_code");
    assert.match(await page.locator("#connection").innerText(), /usgov https:\/\/graph\.microsoft\.us · ada@contoso\.us/);

    // Signed in, the page lists the scripts by name: the first call, which asks
    // acquireTokenSilent first (it renews with the refresh token, no popup), to the chosen
    // cloud's Graph root.
    await page.waitForFunction(() => ["loaded", "error"].includes(document.querySelector("#scriptsStatus").dataset.state));
    assert.equal(await page.getAttribute("#scriptsStatus", "data-state"), "loaded", await page.locator("#scriptsStatus").innerText());
    assert.equal(cloud.log.graph.at(-1).path, "/beta/deviceManagement/deviceManagementScripts");
    assert.equal(cloud.log.graph.at(-1).authorization, `Bearer ${cloud.log.issued[1]}`);

    // Each call asks acquireTokenSilent first: here it renews with the refresh token again.
    await useScript(page, scriptId);
    await create("signed-in@contoso.us");
    assert.deepEqual(cloud.log.token.map((t) => t.grant_type), ["authorization_code", "refresh_token", "refresh_token"]);
    assert.equal(cloud.log.graph.at(-1).authorization, `Bearer ${cloud.log.issued[2]}`);
    assert.equal((await mock.objects(scriptId)).length, 1);

    // The refresh token is refused: MSAL renews in a hidden iframe (through redirect.html), still no popup.
    refreshWorks = false;
    await create("iframe@contoso.us");
    assert.equal(cloud.log.authorize.at(-1).prompt, "none");
    assert.equal(popups.length, 1, "no popup while the sign-in can be renewed silently");
    assert.equal(cloud.log.graph.at(-1).authorization, `Bearer ${cloud.log.issued.at(-1)}`);

    // Silent renewal impossible (login_required): acquireTokenPopup takes over.
    ssoWorks = false;
    await create("renewed@contoso.us");
    assert.equal(popups.length, 2, "the popup fallback opened");
    assert.deepEqual(cloud.log.authorize.slice(-2).map((a) => a.prompt ?? "(none given)"), ["none", "(none given)"]);
    assert.equal(cloud.log.token.at(-1).grant_type, "authorization_code");
    assert.equal(cloud.log.graph.at(-1).authorization, `Bearer ${cloud.log.issued.at(-1)}`);
    assert.equal((await mock.objects(scriptId)).length, 3);

    // Tokens: in MSAL's sessionStorage cache only; the page's own storage, cookies, console, DOM and URL hold none.
    const state = await page.evaluate(() => ({ local: Object.entries(localStorage), session: Object.keys(sessionStorage), html: document.documentElement.outerHTML, url: location.href }));
    const outside = JSON.stringify({ local: state.local, html: state.html, url: state.url, cookies: await context.cookies(), console: seen.console });
    for (const token of cloud.log.issued) assert.ok(!outside.includes(token), "an access token leaked");
    assert.deepEqual(state.session.filter((k) => !k.startsWith("msal.")), [], "the page writes no sessionStorage keys of its own");
    assert.ok(cloud.log.graph.every((g) => g.path.startsWith("/beta/deviceManagement/")), "Graph got only the page's Graph requests");
    assert.ok(!seen.console.some((m) => /Content Security Policy/.test(m)), `no CSP violation: ${seen.console.join("\n")}`);
    await screenshot(page, "signed-in");

    // After a reload the tab's sign-in is picked up from MSAL's cache by the first call.
    refreshWorks = true;
    await page.reload();
    await page.waitForSelector("body[data-ready]");
    await useScript(page, scriptId);
    await create("after-reload@contoso.us");
    assert.equal(popups.length, 2, "no new popup");
    assert.equal(await page.locator("#account").innerText(), "Signed in as ada@contoso.us");

    // The redirect-bridge page must not send Cross-Origin-Opener-Policy (it would cut the popup off).
    const bridge = await fetch(`${MOCK}/redirect.html`);
    assert.equal(bridge.status, 200);
    assert.equal(bridge.headers.get("cross-origin-opener-policy"), null);

    await page.click("#signOut");
    assert.equal(await page.locator("#account").innerText(), "Not signed in.");
    assert.deepEqual(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => /\|(accesstoken|refreshtoken|idtoken)\|/.test(k))), []);
    assert.deepEqual(seen.errors, []);
  } finally {
    context.off("page", onPage);
    await cloud.stop();
    await page.evaluate(() => localStorage.clear()).catch(() => {});
    await page.close();
  }
});
