// The admin page's Bulk import against the module's own createUserStates: the same rows, the
// same graph-mock, the same Chromium (issue 19: the page may take at most 1.5x the module's
// time, with no main-thread task over 200 ms). bench/browser/run.mjs runs it as its "page
// import" scenario; it also runs alone:
//   bench/browser/build-site.sh && scripts/with-mock.sh --static target/bench-site -- node bench/browser/page-import.mjs [ROWS] [ROUNDS]
// (defaults 10000 rows, 2 rounds; prints its table, records nothing).
//
// Each round, in alternating order: the module (one createUserStates call in the admin page's
// tab, with the page's options: concurrency 4, maxRetries 6, and an IndexedDB journal as the page
// keeps, then once more without a journal), and the page (the CSV chosen, Import clicked, until
// the results are shown, timed from Node). Every run writes into its own scriptId, and must leave
// exactly one object per row on the server or the bench fails. The page's long tasks (over 50 ms,
// PerformanceObserver "longtask") are recorded during its import.
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { BenchFailure, MOCK, control, q, users, verify } from "../common.mjs";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
];

const csvOf = (list) =>
  ["userPrincipalName,successDeviceCount,errorDeviceCount", ...list.map((u) => `${u.userPrincipalName},${u.successDeviceCount},${u.errorDeviceCount}`)].join("\r\n") + "\r\n";

/** Opens the admin page (demo mode: Graph is this graph-mock) on its Import tab. */
async function openAdmin(context) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${MOCK}/admin/?demo=1#import`);
  await page.waitForSelector("body[data-ready]");
  return { page, errors };
}

/** createUserStates in the admin page's tab, as the page calls it; ms and the ids. */
async function moduleRun(context, scriptId, list, journal) {
  const { page } = await openAdmin(context);
  try {
    return await page.evaluate(
      async ([s, l, withJournal]) => {
        const api = await import(new URL("pkg/intune_script_user_state.js", location.href).href);
        const name = `bench-${s}`;
        const j = withJournal ? api.indexedDbJournal(name) : undefined;
        const t = performance.now();
        const r = await api.createUserStates({ token: "demo-token", baseUrl: location.origin, scriptId: s, userStates: l, concurrency: 4, maxRetries: 6, journal: j });
        const ms = performance.now() - t;
        await j?.clear();
        return { ms, ids: r.results.map((x) => x.userState?.id), failed: r.failed };
      },
      [scriptId, list, journal],
    );
  } finally {
    await page.close();
  }
}

/** The page's import of `list`: from the click on Import to the results shown. */
async function pageRun(context, scriptId, list) {
  const { page, errors } = await openAdmin(context);
  try {
    await page.fill("#scriptId", scriptId);
    await page.setInputFiles("#csvFile", { name: "bench.csv", mimeType: "text/csv", buffer: Buffer.from(csvOf(list)) });
    await page.locator("#preview").waitFor();
    await page.evaluate(() => {
      window.__long = [];
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) window.__long.push(e.duration);
      }).observe({ type: "longtask" });
    });
    const t = Date.now();
    await page.click("#importStart");
    await page.locator("#results").waitFor({ timeout: 600_000 });
    const ms = Date.now() - t;
    const summary = await page.locator("#resultsSummary").innerText();
    const long = await page.evaluate(() => window.__long);
    if (!summary.startsWith(`${list.length} created, 0 failed`)) throw new BenchFailure(`page import: ${summary}`);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#resultsDownload")]);
    const text = await (await import("node:fs/promises")).readFile(await download.path(), "utf8");
    const ids = text.split("\r\n").slice(1, -1).map((line) => line.split(",")[3]);
    if (errors.length) throw new BenchFailure(`page errors: ${errors.join("; ")}`);
    return { ms, ids, long };
  } finally {
    await page.close();
  }
}

/**
 * Runs the scenario in `context` (a Chromium context on graph-mock serving target/bench-site,
 * the admin page under admin/). Returns the figures and a markdown table.
 */
export async function pageImport(context, { rows = 10_000, rounds = 2, run = Date.now().toString(36) } = {}) {
  const list = users("page", rows);
  const sid = (k) => `page-import-${run}-${k}`;
  const times = { journal: [], plain: [], page: [] };
  const long = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ["journal", "page", "plain"] : ["page", "plain", "journal"];
    for (const kind of order) {
      const scriptId = sid(`${kind}-${r}`);
      const out = kind === "page" ? await pageRun(context, scriptId, list) : await moduleRun(context, scriptId, list, kind === "journal");
      await verify(`page import, ${kind}`, scriptId, list, out.ids);
      const stats = await control("GET", `/_mock/stats?${q(scriptId)}`);
      if (stats.objects !== rows) throw new BenchFailure(`${kind}: /_mock/stats says ${stats.objects} objects`);
      times[kind].push(out.ms);
      if (out.long) long.push(...out.long);
      console.error(`[bench] page import, round ${r + 1}, ${kind}: ${(out.ms / 1000).toFixed(2)} s, exactly ${rows} on the server`);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const m = { journal: median(times.journal), plain: median(times.plain), page: median(times.page) };
  const longest = long.length ? Math.max(...long) : 0;
  const fmt = (ms) => (ms / 1000).toFixed(2);
  const table = [
    `| ${rows.toLocaleString("en-US")} rows, median of ${rounds} | seconds | x module (journal) | x module (no journal) |`,
    "| --- | ---: | ---: | ---: |",
    `| \`createUserStates\` in the page's tab, IndexedDB journal (what the page runs) | ${fmt(m.journal)} | 1.00x | ${(m.journal / m.plain).toFixed(2)}x |`,
    `| \`createUserStates\` in the page's tab, no journal | ${fmt(m.plain)} | ${(m.plain / m.journal).toFixed(2)}x | 1.00x |`,
    `| the admin page: Import clicked to the results shown | **${fmt(m.page)}** | **${(m.page / m.journal).toFixed(2)}x** | ${(m.page / m.plain).toFixed(2)}x |`,
    "",
    `Main-thread long tasks during the page's imports: ${long.length} over 50 ms, the longest ${Math.round(longest)} ms (bound: 200 ms).`,
  ].join("\n");
  return { rows, rounds, times, median: m, longTasks: long, longest, table };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!MOCK) {
    console.error("GRAPH_MOCK_URL is not set: run under scripts/with-mock.sh --static target/bench-site");
    process.exit(2);
  }
  const rows = Number(process.argv[2] ?? 10_000);
  const rounds = Number(process.argv[3] ?? 2);
  const context = await chromium.launchPersistentContext("", { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, acceptDownloads: true });
  context.setDefaultTimeout(600_000);
  try {
    await control("POST", "/_mock/config", { keepAlive: true, writeBudget: null });
    const out = await pageImport(context, { rows, rounds });
    console.log(out.table);
  } catch (e) {
    console.error(e instanceof BenchFailure ? `BENCH FAILED (page import): ${e.message}` : e);
    process.exitCode = 1;
  } finally {
    await context.close();
  }
}
