// The browser half of `make bench`: the module against a hand-written `fetch` and against
// Microsoft's `@microsoft/microsoft-graph-client`, side by side in one headless Chromium, one
// run, one graph-mock. Run through scripts/bench.sh, which builds target/bench-site
// (bench/browser/build-site.sh) and serves it with graph-mock --static, so the page, the
// module, the Microsoft bundle and Graph are one origin.
//   node bench/browser/run.mjs [--no-record] [--standalone]
// Normally its block is appended right after the Node bench's dated section (same run of
// scripts/bench.sh); --standalone (scripts/bench.sh --browser-only) gives it its own dated
// heading with the machine and commit.
//
// Scenarios (each contender writes into its own fresh scriptId; after each scenario graph-mock
// must hold exactly the expected number of objects for it, one per input user, with every id
// the client got back among them, or the bench fails and records nothing):
//   size       gzip -9 and brotli 11 of what a browser downloads: wasm + JS glue, against the
//              esbuild bundle of the Microsoft client making the same call
//   latency    1,000 sequential creates per contender (plain fetch, createUserState, Microsoft
//              client), run in 5 interleaved rounds of 200 with the order rotated, so a busy
//              moment on the machine hits every contender alike; median and p99 per call
//   import     from the start of import() to the first Graph request being handed to fetch,
//              on a fresh page per load, median of 10 loads per contender (interleaved)
//   in-page    the client-side cost of one call with the network taken out: the global fetch
//              answers in the page with graph-mock's 201 (2,000 calls per contender in 8
//              interleaved rounds of 250; the mean, and the fastest round as the cost least
//              disturbed by other work; nothing reaches the server, which must hold 0 for it)
//   bulk       1,000 items through one createUserStates call against the Microsoft client one by
//              one (sequential awaits)
//   page import  the admin page's Bulk import of 10,000 rows against createUserStates on the same
//              rows in the page's tab (bench/browser/page-import.mjs), with the page's long tasks
// Every contender is warmed up first (not measured, own scriptIds). Nothing is asserted but the
// exactly-N checks: the numbers are for reading.

import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { BenchFailure, MOCK, control, load, machine, q, sh, users, verify } from "../common.mjs";
import { pageImport } from "./page-import.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SITE = path.join(ROOT, "target/bench-site");
const DEPS = path.join(ROOT, "target/bench-deps/node_modules");
if (!MOCK) {
  console.error("GRAPH_MOCK_URL is not set: run scripts/bench.sh (or make bench)");
  process.exit(2);
}
const RECORD = !process.argv.includes("--no-record");
const STANDALONE = process.argv.includes("--standalone");

const N = 1000;
const ROUNDS = 5; // the latency runs: N / ROUNDS calls per contender per round
const WARM = 50; // warm-up calls per contender
const IMPORT_LOADS = 10; // fresh pages per contender for the import timing
const STUB_N = 2000; // calls per contender with fetch answered in the page
const STUB_ROUNDS = 8; // in-page cost: the fastest round is the one least disturbed by other work
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
];
const RUN = Date.now().toString(36);
const LOAD_AT_START = load();

const KINDS = ["fetch", "lib", "ms"];
const NAMES = {
  fetch: "plain `fetch` (floor)",
  lib: "`createUserState` (this module)",
  ms: "Microsoft Graph client",
};

const USERS = users("user", N);


// ---- graph-mock control API (never timed) -------------------------------------------------

const sid = (key) => `browser-${RUN}-${key}`;

/** The shared exactly-once check, plus graph-mock's own count. */
async function verifyHere(label, scriptId, list, returnedIds) {
  await verify(label, scriptId, list, returnedIds);
  const stats = await control("GET", `/_mock/stats?${q(scriptId)}`);
  if (stats.objects !== list.length) throw new BenchFailure(`${label} (scriptId ${scriptId}): /_mock/stats says ${stats.objects} objects`);
  console.error(`[bench] browser: ${label}: exactly ${list.length} on the server`);
}

// ---- numbers ------------------------------------------------------------------------------

/** Nearest-rank percentile of an array of numbers. */
function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)];
}
const median = (xs) => percentile(xs, 50);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (x, d) => x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
const ratio = (a, b) => `${fmt(a / b, 2)}x`;
const rotate = (xs, k) => xs.map((_, i) => xs[(i + k) % xs.length]);
const mdTable = (head, rows) =>
  [head, head.map((h, i) => (i === 0 ? "---" : "---:")), ...rows].map((l) => `| ${l.join(" | ")} |`).join("\n");

function sizes() {
  const row = (file) => {
    const raw = readFileSync(path.join(SITE, file));
    return {
      raw: raw.length,
      gzip: gzipSync(raw, { level: 9 }).length,
      brotli: brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    };
  };
  const sum = (...rs) => rs.reduce((t, r) => ({ raw: t.raw + r.raw, gzip: t.gzip + r.gzip, brotli: t.brotli + r.brotli }));
  const wasm = row("pkg/intune_script_user_state_bg.wasm");
  const glue = row("pkg/intune_script_user_state.js");
  return { wasm, glue, lib: sum(wasm, glue), ms: row("ms/ms-client.js"), msInit: row("ms/ms-client-init.js") };
}

// ---- versions -----------------------------------------------------------------------------

const versionOf = (dir) => {
  try {
    return JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).version;
  } catch {
    return "unknown";
  }
};


// ---- the run ------------------------------------------------------------------------------

async function main() {
  for (const f of ["index.html", "page.js", "pkg/intune_script_user_state_bg.wasm", "ms/ms-client.js"]) {
    if (!existsSync(path.join(SITE, f))) throw new BenchFailure(`${SITE}/${f} is missing: run bench/browser/build-site.sh`);
  }
  const probe = await fetch(`${MOCK}/page.js`).catch(() => null);
  if (!probe || probe.status !== 200) {
    throw new BenchFailure(`graph-mock at ${MOCK} does not serve target/bench-site (start it with --static target/bench-site)`);
  }
  await probe.arrayBuffer();

  const date = new Date().toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  const m = machine();
  const size = sizes();
  const original = await control("GET", "/_mock/config");
  const profile = mkdtempSync(path.join(tmpdir(), "browser-bench-"));
  let context = null;
  const out = {};
  try {
    await control("POST", "/_mock/config", { keepAlive: true, writeBudget: null });
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    context.setDefaultTimeout(120_000);
    out.chromium = context.browser()?.version() ?? sh(CHROMIUM, ["--version"]) ?? "unknown";

    const open = async () => {
      const page = await context.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${MOCK}/index.html`);
      await page.waitForFunction(() => window.bench !== undefined);
      return { page, errors };
    };
    const evaluate = async (page, fn, arg) => {
      try {
        return await page.evaluate(fn, arg);
      } catch (e) {
        throw new BenchFailure(e.message.split("\n")[0]);
      }
    };
    const sequential = (page, kind, scriptId, list) =>
      evaluate(page, ([k, s, l]) => window.bench.sequential(k, s, l), [kind, scriptId, list]);

    // ---- import to first request: fresh pages, one per load, closed after ----------------
    // A first, unmeasured round warms the browser (first renderer, network service).
    const imports = Object.fromEntries(KINDS.map((k) => [k, []]));
    const importUsers = users("import", IMPORT_LOADS);
    const importIds = Object.fromEntries(KINDS.map((k) => [k, []]));
    for (let i = -1; i < IMPORT_LOADS; i++) {
      for (const kind of rotate(KINDS, i + 1)) {
        const { page } = await open();
        const warm = i < 0;
        const scriptId = sid(warm ? `import-warm-${kind}` : `import-${kind}`);
        const u = warm ? users("warm", 1)[0] : importUsers[i];
        const r = await evaluate(page, ([k, s, user]) => window.bench.importTiming(k, s, user), [kind, scriptId, u]);
        await page.close();
        if (!warm) {
          imports[kind].push(r);
          importIds[kind].push(r.id);
        }
      }
    }
    for (const kind of KINDS) await verifyHere(`import, ${kind}`, sid(`import-${kind}`), importUsers, importIds[kind]);

    // ---- one page for the timed calls ----------------------------------------------------
    const { page, errors } = await open();
    await evaluate(page, () => window.bench.load());

    // Warm-up: JIT, wasm tier-up, connections. Not measured; verified all the same.
    const warm = users("warm", WARM);
    for (const kind of KINDS) {
      const r = await sequential(page, kind, sid(`warm-${kind}`), warm);
      await verifyHere(`warm-up, ${kind}`, sid(`warm-${kind}`), warm, r.ids);
    }
    const warmBulk = users("warmbulk", 100);
    {
      const r = await evaluate(page, ([s, l]) => window.bench.bulk(s, l), [sid("warm-bulk"), warmBulk]);
      await verifyHere("warm-up, createUserStates", sid("warm-bulk"), warmBulk, r.ids);
    }

    // ---- latency: 1,000 sequential creates per contender, interleaved rounds -------------
    const latencies = Object.fromEntries(KINDS.map((k) => [k, []]));
    const ids = Object.fromEntries(KINDS.map((k) => [k, []]));
    const per = N / ROUNDS;
    for (let r = 0; r < ROUNDS; r++) {
      for (const kind of rotate(KINDS, r)) {
        const res = await sequential(page, kind, sid(`seq-${kind}`), USERS.slice(r * per, (r + 1) * per));
        latencies[kind].push(...res.latencies);
        ids[kind].push(...res.ids);
      }
    }
    for (const kind of KINDS) await verifyHere(`sequential, ${kind}`, sid(`seq-${kind}`), USERS, ids[kind]);
    out.latency = Object.fromEntries(
      KINDS.map((k) => [
        k,
        { median: median(latencies[k]), p99: percentile(latencies[k], 99), mean: mean(latencies[k]), total: latencies[k].reduce((a, b) => a + b, 0) },
      ]),
    );

    // ---- in-page cost: fetch answered in the page --------------------------------------
    const stubMs = Object.fromEntries(KINDS.map((k) => [k, 0]));
    const stubBest = Object.fromEntries(KINDS.map((k) => [k, Infinity]));
    const stubUsers = users("stub", STUB_N);
    for (const kind of KINDS) await evaluate(page, ([k, s, l]) => window.bench.stubbed(k, s, l), [kind, sid(`stub-${kind}`), stubUsers.slice(0, 200)]);
    const perStub = STUB_N / STUB_ROUNDS;
    for (let r = 0; r < STUB_ROUNDS; r++) {
      for (const kind of rotate(KINDS, r)) {
        const res = await evaluate(page, ([k, s, l]) => window.bench.stubbed(k, s, l), [kind, sid(`stub-${kind}`), stubUsers.slice(r * perStub, (r + 1) * perStub)]);
        if (res.calls !== perStub) throw new BenchFailure(`in-page ${kind}: ${res.calls} fetch calls for ${perStub} creates`);
        stubMs[kind] += res.ms;
        stubBest[kind] = Math.min(stubBest[kind], (res.ms * 1000) / perStub);
      }
    }
    for (const kind of KINDS) await verifyHere(`in-page (no network), ${kind}`, sid(`stub-${kind}`), [], []);
    out.stub = Object.fromEntries(KINDS.map((k) => [k, (stubMs[k] * 1000) / STUB_N]));
    out.stubBest = stubBest;

    // ---- bulk: createUserStates against the Microsoft client one by one ------------------
    const before = await control("GET", "/_mock/stats");
    const bulk = await evaluate(page, ([s, l]) => window.bench.bulk(s, l), [sid("bulk-lib"), USERS]);
    const after = await control("GET", "/_mock/stats");
    await verifyHere("bulk, createUserStates", sid("bulk-lib"), USERS, bulk.ids);
    const bulkLog = await control("GET", `/_mock/requests?${q(sid("bulk-lib"))}`);
    const lookups = bulkLog.filter((e) => !e.batch && e.method === "GET").length;
    const direct = bulkLog.filter((e) => !e.batch).length;
    const msOne = await sequential(page, "ms", sid("bulk-ms"), USERS);
    await verifyHere("bulk, Microsoft client one by one", sid("bulk-ms"), USERS, msOne.ids);
    out.bulk = {
      lib: { ms: bulk.ms, requests: direct + (after.batches - before.batches), lookups, throttled: bulk.throttled },
      ms: { ms: msOne.ms, requests: N },
    };

    if (errors.length) throw new BenchFailure(`page errors: ${errors.join("; ")}`);
    await page.close();
    out.imports = imports;

    // ---- page import: the admin page against the module, 10,000 rows --------------------
    out.pageImport = await pageImport(context, { rows: 10_000, rounds: 1, run: RUN });
  } finally {
    await context?.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
    await control("POST", "/_mock/config", { keepAlive: original.keepAlive, writeBudget: original.writeBudget }).catch((e) =>
      console.error(`[bench] could not restore graph-mock's config: ${e.message}`),
    );
  }

  // ---- the section ----------------------------------------------------------------------
  const msVersion = versionOf(path.join(DEPS, "@microsoft/microsoft-graph-client"));
  const esbuildVersion = versionOf(path.join(DEPS, "esbuild"));
  const playwrightVersion = versionOf(path.dirname(createRequire(import.meta.url).resolve("playwright-core/package.json")));
  const L = out.latency;
  const B = out.bulk;
  const imp = Object.fromEntries(
    KINDS.map((k) => {
      const xs = out.imports[k];
      const pick = (f) => (xs[0][f] === null ? null : median(xs.map((x) => x[f])));
      return [k, { importMs: pick("importMs"), initMs: pick("initMs"), callMs: pick("callMs"), first: pick("firstRequestMs"), created: pick("createdMs"), min: Math.min(...xs.map((x) => x.firstRequestMs)), max: Math.max(...xs.map((x) => x.firstRequestMs)) }];
    }),
  );
  const ms2 = (x) => (x === null ? "–" : fmt(x, 2));

  const sizeTable = mdTable(
    ["what the browser downloads", "raw", "gzip -9", "brotli 11", "gzip x Microsoft"],
    [
      ["this module: `.wasm` + JS glue", `${fmt(size.lib.raw, 0)} B`, `**${fmt(size.lib.gzip, 0)} B**`, `${fmt(size.lib.brotli, 0)} B`, ratio(size.lib.gzip, size.ms.gzip)],
      ["&nbsp;&nbsp;`intune_script_user_state_bg.wasm`", `${fmt(size.wasm.raw, 0)} B`, `${fmt(size.wasm.gzip, 0)} B`, `${fmt(size.wasm.brotli, 0)} B`, ""],
      ["&nbsp;&nbsp;`intune_script_user_state.js`", `${fmt(size.glue.raw, 0)} B`, `${fmt(size.glue.gzip, 0)} B`, `${fmt(size.glue.brotli, 0)} B`, ""],
      ["Microsoft client, the page's bundle (`ms-entry.js`)", `${fmt(size.ms.raw, 0)} B`, `**${fmt(size.ms.gzip, 0)} B**`, `${fmt(size.ms.brotli, 0)} B`, "1.00x"],
      ["Microsoft client, `Client.init` as an app writes it (`ms-entry-init.js`)", `${fmt(size.msInit.raw, 0)} B`, `${fmt(size.msInit.gzip, 0)} B`, `${fmt(size.msInit.brotli, 0)} B`, ratio(size.msInit.gzip, size.ms.gzip)],
    ],
  );
  const latencyTable = mdTable(
    ["1,000 sequential creates", "median ms", "p99 ms", "mean ms", "median x fetch", "p99 x fetch", "median x Microsoft"],
    KINDS.map((k) => [
      NAMES[k],
      fmt(L[k].median, 2),
      fmt(L[k].p99, 2),
      fmt(L[k].mean, 3),
      ratio(L[k].median, L.fetch.median),
      ratio(L[k].p99, L.fetch.p99),
      ratio(L[k].median, L.ms.median),
    ]),
  );
  const S = out.stubBest;
  const stubTable = mdTable(
    [`in the page, no network (${fmt(STUB_N, 0)} calls each)`, "µs per call, mean", "**fastest round**", "over plain fetch", "x fetch", "x Microsoft"],
    KINDS.map((k) => [
      NAMES[k],
      fmt(out.stub[k], 1),
      `**${fmt(S[k], 1)}**`,
      k === "fetch" ? "–" : `+${fmt(S[k] - S.fetch, 1)} µs`,
      ratio(S[k], S.fetch),
      ratio(S[k], S.ms),
    ]),
  );
  const importTable = mdTable(
    [`fresh page, median of ${IMPORT_LOADS}`, "import() ms", "init ms", "call to fetch ms", "**import to first request ms**", "(min – max)", "created ms"],
    [
      ["this module: `import()`, `await init()` (fetch + instantiate the wasm), `createUserState`", ms2(imp.lib.importMs), ms2(imp.lib.initMs), ms2(imp.lib.callMs), `**${ms2(imp.lib.first)}**`, `${ms2(imp.lib.min)} – ${ms2(imp.lib.max)}`, ms2(imp.lib.created)],
      ["Microsoft client: `import()` of the bundle, the client made, `.post()`", ms2(imp.ms.importMs), ms2(imp.ms.initMs), ms2(imp.ms.callMs), `**${ms2(imp.ms.first)}**`, `${ms2(imp.ms.min)} – ${ms2(imp.ms.max)}`, ms2(imp.ms.created)],
      ["plain `fetch` (nothing to load)", "–", "–", ms2(imp.fetch.callMs), `**${ms2(imp.fetch.first)}**`, `${ms2(imp.fetch.min)} – ${ms2(imp.fetch.max)}`, ms2(imp.fetch.created)],
    ],
  );
  const bulkTable = mdTable(
    ["1,000 items", "seconds", "items/s", "x Microsoft one by one", "HTTP requests"],
    [
      [`\`createUserStates\`, one call (concurrency 4, \`$batch\` of 20)`, fmt(B.lib.ms / 1000, 3), fmt(N / (B.lib.ms / 1000), 0), `${fmt(B.ms.ms / B.lib.ms, 2)}x faster`, fmt(B.lib.requests, 0) + (B.lib.lookups ? ` (${B.lib.lookups} look-ups)` : "")],
      ["Microsoft client, one by one (sequential `await ….post()`)", fmt(B.ms.ms / 1000, 3), fmt(N / (B.ms.ms / 1000), 0), "1.00x", fmt(B.ms.requests, 0)],
    ],
  );

  // Where the module loses, in this run's numbers (the causes are in the header's note).
  const losses = [];
  if (size.lib.gzip > size.ms.gzip) losses.push(`size: ${ratio(size.lib.gzip, size.ms.gzip)} the Microsoft client gzipped (${fmt(size.lib.gzip, 0)} B against ${fmt(size.ms.gzip, 0)} B)`);
  if (imp.lib.first > imp.ms.first) losses.push(`import to first request: ${ms2(imp.lib.first)} ms against ${ms2(imp.ms.first)} ms (${ratio(imp.lib.first, imp.ms.first)})`);
  if (L.lib.median > L.ms.median) losses.push(`median per call: ${fmt(L.lib.median, 2)} ms against the Microsoft client's ${fmt(L.ms.median, 2)} ms (${ratio(L.lib.median, L.ms.median)})`);
  if (L.lib.p99 > L.ms.p99) losses.push(`p99 per call: ${fmt(L.lib.p99, 2)} ms against the Microsoft client's ${fmt(L.ms.p99, 2)} ms (${ratio(L.lib.p99, L.ms.p99)})`);
  if (S.lib > S.ms) losses.push(`client-side cost per call (fastest round): ${fmt(S.lib, 1)} µs against the Microsoft client's ${fmt(S.ms, 1)} µs (${ratio(S.lib, S.ms)})`);
  if (B.lib.ms > B.ms.ms) losses.push(`bulk: createUserStates slower than the Microsoft client one by one`);
  const lossLine = losses.length
    ? `Where the module loses in this run: ${losses.join("; ")}. Causes: see "Where the module loses, and why" at the top.`
    : "The module loses nowhere in this run.";

  const standalone = STANDALONE
    ? [
        `## ${date} (browser only)`,
        "",
        `- machine: ${m.nproc} CPUs (\`nproc\`), ${m.cpu}, ${m.os}`,
        `- commit: ${m.commit}`,
        "",
      ]
    : [];
  const section = [
    ...standalone,
    "### In headless Chromium",
    "",
    `- browser: Chromium ${out.chromium} (Debian, \`${CHROMIUM}\`, headless=new), driven by playwright-core ${playwrightVersion}; Node ${process.version}`,
    `- module: the browser build from pkg/ (\`init()\` + \`.wasm\`), wasm sha256 ${createHash("sha256").update(readFileSync(path.join(SITE, "pkg/intune_script_user_state_bg.wasm"))).digest("hex").slice(0, 12)}`,
    `- Microsoft client: \`@microsoft/microsoft-graph-client\` ${msVersion}, bundled by esbuild ${esbuildVersion} (\`--bundle --minify --format=esm\`)`,
    `- page, module, bundle and Graph on one origin (graph-mock \`--static target/bench-site\`), keepAlive on; load average at start ${LOAD_AT_START}, at end ${load()}`,
    `- exactly the expected objects verified on the server after every scenario; run started ${date}`,
    "",
    sizeTable,
    "",
    latencyTable,
    "",
    stubTable,
    "",
    importTable,
    "",
    bulkTable,
    "",
    out.pageImport.table,
    "",
    lossLine,
    "",
  ].join("\n");
  console.log(`\n${section}`);
  if (RECORD) {
    appendFileSync(path.join(ROOT, "BENCHMARKS.md"), `\n${section}`);
    console.error("[bench] browser: appended to BENCHMARKS.md");
  }
}

main().catch((e) => {
  console.error(e instanceof BenchFailure ? `\nBENCH FAILED (browser): ${e.message}` : e);
  process.exit(1);
});
