// indexedDbJournal's lock in headless Chromium (playwright-core, /usr/bin/chromium or
// $CHROMIUM): two pages of one origin, and a page and a Worker, on one journal name. The page
// is served here on 127.0.0.1 (a secure context, so navigator.locks exists) and imports the
// source file, js/indexeddb-journal.js, as the browser entries append it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const SOURCE = readFileSync(new URL("../../js/indexeddb-journal.js", import.meta.url), "utf8");
const FILES = {
  "/": ["text/html", "<!doctype html><title>journal lock</title>"],
  "/journal.js": ["text/javascript", SOURCE],
  // A module Worker that takes the lock when told, and says how that went.
  "/worker.js": [
    "text/javascript",
    `import { indexedDbJournal } from "./journal.js";
     onmessage = async ({ data }) => {
       try { await indexedDbJournal(data).lock(); postMessage({ held: true }); }
       catch (e) { postMessage({ held: false, code: e.code, message: e.message }); }
     };
     postMessage("ready");`,
  ],
};
let server, browser, origin;
before(async () => {
  server = createServer((req, res) => {
    const file = FILES[req.url];
    res.writeHead(file ? 200 : 404, { "content-type": file ? file[0] : "text/plain" });
    res.end(file ? file[1] : "");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
});
after(async () => {
  await browser?.close();
  server?.close();
});

/** A tab of the origin, with the journal module loaded as `window.J`. */
async function tab(context) {
  const page = await context.newPage();
  await page.goto(origin + "/");
  await page.evaluate(async () => {
    window.J = await import("/journal.js");
    window.releases = {};
  });
  return page;
}
/** Takes the journal's lock in `page`: { held } or { held: false, code, message }. */
const lock = (page, name) =>
  page.evaluate(async (name) => {
    try {
      window.releases[name] = await window.J.indexedDbJournal(name).lock();
      return { held: true };
    } catch (e) {
      return { held: false, code: e.code, message: e.message };
    }
  }, name);
/** Waits until no tab or Worker holds the journal's lock (a closed one lets go soon after). */
const letGo = (page, name) =>
  page.waitForFunction(
    async (name) => !(await navigator.locks.query()).held.some((l) => l.name === `intune-script-user-state-journal:${name}`),
    name,
  );
const release = (page, name) => page.evaluate((name) => window.releases[name](), name);
const inUse = (name) => ({
  held: false,
  code: "JOURNAL_IN_USE",
  message: `indexedDbJournal: the journal "${name}" is in use by another run (in another tab, window or Worker of this site, or in this page)`,
});

test("two tabs of one origin: the second is refused at once until the first lets go or closes", async () => {
  const context = await browser.newContext();
  const [a, b] = [await tab(context), await tab(context)];
  assert.equal(await a.evaluate(() => typeof navigator.locks?.request), "function");
  assert.deepEqual(await lock(a, "import-1"), { held: true });
  assert.deepEqual(await lock(b, "import-1"), inUse("import-1"));
  assert.deepEqual(await lock(a, "import-1"), inUse("import-1"), "a second run in the same tab too");
  assert.deepEqual(await lock(b, "import-2"), { held: true }, "another journal is another lock");
  await release(a, "import-1");
  assert.deepEqual(await lock(b, "import-1"), { held: true });
  // A tab closed while it holds the lock lets it go.
  await b.close();
  await letGo(a, "import-1");
  assert.deepEqual(await lock(a, "import-1"), { held: true });
  await context.close();
});

test("a tab and a Worker of one origin: the Worker is refused while the tab holds it", async () => {
  const context = await browser.newContext();
  const page = await tab(context);
  const inWorker = (name) =>
    page.evaluate(async (name) => {
      const worker = new Worker("/worker.js", { type: "module" });
      const next = () => new Promise((r) => worker.addEventListener("message", (e) => r(e.data), { once: true }));
      await next(); // ready
      worker.postMessage(name);
      const said = await next();
      worker.terminate();
      return said;
    }, name);
  assert.deepEqual(await lock(page, "import-w"), { held: true });
  assert.deepEqual(await inWorker("import-w"), inUse("import-w"));
  await release(page, "import-w");
  assert.deepEqual(await inWorker("import-w"), { held: true });
  // The terminated Worker let it go.
  await letGo(page, "import-w");
  assert.deepEqual(await lock(page, "import-w"), { held: true });
  await context.close();
});
