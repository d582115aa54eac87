// `make bench`: the npm package's create paths against graph-mock, side by side with plain
// `fetch` loops doing the same requests, in one Node process and one run.
//
// Run through scripts/bench.sh (it starts graph-mock and sets GRAPH_MOCK_URL). Options:
//   --no-record   print the table only; do not append a section to BENCHMARKS.md
//
// Rows (each into its own fresh scriptId, each checked afterwards: the server must hold
// exactly N objects for it, one per input user, or the bench fails):
//   lib-single   createUserState, one awaited call after another
//   lib-bulk     createUserStates, default concurrency
//   fetch-single plain fetch: the same POST createUserState sends, one after another (floor)
//   fetch-batch  plain fetch: $batch, 20 creates per request, one batch after another (floor)
//   lib-budget   createUserStates under a scaled write budget (floor: the budget's minimum)
//   large        the command line's import of 100,000 rows, no budget, in a child process, bounded
//                (bench/large.mjs; floor: the fetch-batch loop over the same rows)
//   devices      the device report: first row and all of 10,000 device run states (the package
//                and the command line's report), the command line's peak memory for 100,000
//                (bench/devices.mjs; floor: plain fetch over the same pages)
//   sync         syncUserStates of 10,000 users under the 10,000-item budget, against
//                createUserStates of the same rows, then the same sync again unchanged (0 writes
//                or the bench fails) (bench/sync.mjs, bounded)
// Benchmarks are not assertions: only the exactly-N check can fail the run.

import { createRequire } from "node:module";
import { existsSync, readFileSync, writeFileSync, appendFileSync, statSync } from "node:fs";
import { crossings } from "./crossings.mjs";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import os from "node:os";
import path from "node:path";
import { BenchFailure, MOCK, control, load, machine, q, sh, users, verify } from "./common.mjs";
import { BATCH, TOKEN, fetchBatch, fetchSingle } from "./floors.mjs";
import { largeRun } from "./large.mjs";
import { devicesRun } from "./devices.mjs";
import { syncRun } from "./sync.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
if (!MOCK) {
  console.error("GRAPH_MOCK_URL is not set: run scripts/bench.sh (or make bench)");
  process.exit(2);
}
const RECORD = !process.argv.includes("--no-record");

// What `require("intune-script-user-state")` resolves to in Node (the "node" export). The wasm
// is read once, here: a pkg/ rebuilt while the bench runs does not change what is measured.
const lib = createRequire(import.meta.url)(path.join(ROOT, "pkg/node/intune_script_user_state.cjs"));
const WASM = path.join(ROOT, "pkg/node/intune_script_user_state_bg.wasm");
const PKG = `wasm sha256 ${createHash("sha256").update(readFileSync(WASM)).digest("hex").slice(0, 12)}, built ${statSync(WASM).mtime.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC")}`;

const N = 1000;
const DEFAULT_CONCURRENCY = 4; // createUserStates' documented default (not passed below).
// Intune's real budget is { writes: 200, windowMs: 20000 }: 1,000 items would take 80 s at
// best. Scaled down 20x in time (and half the writes) to keep the bench short.
const BUDGET = { writes: 100, windowMs: 2000 };
// The long import: 10,000 items under Intune's own 200 writes a window, the window ten times
// shorter (at least 98 s instead of 16 minutes).
const BUDGET_10K = { writes: 200, windowMs: 2000 };
const N_10K = 10_000;
const RUN = Date.now().toString(36);
// Other work on the machine moves these numbers a lot: recorded with each run.
const LOAD_AT_START = load();
const USERS = users("user", N);

// ---- graph-mock control API (never timed) -------------------------------------------------

// ---- the library ------------------------------------------------------------------------

async function libSingle(scriptId, list) {
  const ids = [];
  for (const userState of list) {
    const state = await lib.createUserState({ token: TOKEN, baseUrl: MOCK, scriptId, userState });
    ids.push(state.id);
  }
  return { ids };
}

async function libBulk(scriptId, list) {
  const out = await lib.createUserStates({ token: TOKEN, baseUrl: MOCK, scriptId, userStates: list });
  if (out.succeeded !== list.length || out.failed !== 0) {
    const first = out.results.find((r) => !r.ok);
    throw new BenchFailure(
      `createUserStates: ${out.succeeded} succeeded, ${out.failed} failed` +
        (first ? ` (first: ${first.error?.name} ${first.error?.status ?? ""} ${first.error?.message})` : ""),
    );
  }
  return { ids: out.results.map((r) => r.userState.id), throttled: out.throttled };
}

// ---- the exactly-N check ------------------------------------------------------------------

// ---- running a scenario ------------------------------------------------------------------

async function scenario(key, label, run, list = USERS) {
  const scriptId = `bench-${RUN}-${key}`;
  const before = await control("GET", "/_mock/stats");
  const t0 = performance.now();
  const out = await run(scriptId, list);
  const seconds = (performance.now() - t0) / 1000;
  const after = await control("GET", "/_mock/stats");
  const stats = await control("GET", `/_mock/stats?${q(scriptId)}`);
  await verify(label, scriptId, list, out.ids);
  if (stats.objects !== list.length) throw new BenchFailure(`${label}: /_mock/stats says ${stats.objects} objects`);
  // HTTP requests on the wire: the script's own (POSTs, look-ups) plus the outer $batch ones
  // (scenarios run one after another, so the global $batch count's growth is this one's).
  const log = await control("GET", `/_mock/requests?${q(scriptId)}`);
  const direct = log.filter((e) => !e.batch).length;
  const inner = log.length - direct;
  return {
    key,
    label,
    items: list.length,
    seconds,
    throttledLib: out.throttled,
    throttledServer: stats.throttled,
    wire: direct + (after.batches - before.batches),
    inner,
    lookups: log.filter((e) => !e.batch && e.method === "GET").length,
  };
}

// ---- machine and commit ------------------------------------------------------------------


// ---- output -------------------------------------------------------------------------------

const fmt = (x, d) => x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });

function table(rows) {
  const head = ["scenario", "items", "seconds", "items/s", "x floor", "429s (lib / server)", "HTTP requests"];
  const lines = [head, head.map((h, i) => (i === 0 ? "---" : "---:"))];
  for (const r of rows) {
    lines.push([
      r.label,
      fmt(r.items, 0),
      fmt(r.seconds, 3),
      fmt(r.items / r.seconds, 0),
      r.floorSeconds ? `${fmt(r.seconds / r.floorSeconds, 2)}x ${r.floorName}` : "—",
      `${r.throttledLib ?? "–"} / ${r.throttledServer}`,
      fmt(r.wire, 0) + (r.lookups ? ` (${r.lookups} look-ups)` : ""),
    ]);
  }
  return lines.map((l) => `| ${l.join(" | ")} |`).join("\n");
}

const HEADER = `# Benchmarks

\`make bench\` (\`scripts/bench.sh\`) runs two halves in one invocation, against one graph-mock
(release build, on loopback, \`keepAlive: true\` for the run so connections are reused; restored
afterwards), and appends both to one dated section below: first the Node table
(\`bench/bench.mjs\`), then **In headless Chromium** (\`bench/browser/\`). Each scenario writes
into its own fresh scriptId, and afterwards the bench checks that the server holds **exactly**
the expected objects for it (1,000 for the main scenarios), one per input user, and that every
id the client got back is among them; otherwise it fails and records nothing. Nothing else is
asserted: the numbers are for reading, not for gating. Every contender is warmed up first (not
measured, its own scriptIds).

Node rows (one Node process, the package's Node build, Node's own \`fetch\`):

- **createUserState, sequential**: 1,000 \`await createUserState(...)\`, one after another.
- **createUserStates, bulk**: one \`createUserStates\` call with the 1,000 items, default
  concurrency (4 \`$batch\` requests of 20 in flight).
- **plain fetch POST, sequential**: the floor for one-at-a-time: a hand-written \`fetch\` loop
  sending exactly the POST \`createUserState\` sends (same URL, headers, body; no timer, no
  validation, no retries).
- **plain fetch $batch x20, sequential**: the floor for batching: \`$batch\` requests of 20
  creates, one after another, with the body \`createUserStates\` sends.
- **createUserStates, write budget**: the bulk call again with graph-mock's write budget on.
  Intune's real budget is 200 writes per 20 s; the bench scales it (see each run's budget
  line) so it finishes in seconds. Its floor is the budget's theoretical minimum: the first
  \`writes\` go at once, then \`writes\` per window, so
  min = ceil((N - writes) / writes) x windowMs.
- **Large run**: the command line's \`import\` of 100,000 rows (\`BENCH_LARGE_ITEMS\`),
  \`pkg/cli/intune-script-user-state.mjs\` run by Node in a child process, no write budget
  (\`bench/large.mjs\`): its wall time as a ratio to the plain \`$batch\` loop's for the same
  rows, and the command line's peak memory (getrusage's max RSS at its exit). A run still
  going after \`BENCH_LARGE_SECONDS\` (900) is stopped with SIGTERM and recorded as "did not
  finish in N s".
- **Device report**: 10,000 device run states (\`BENCH_DEVICES_ITEMS\`, seeded through
  graph-mock's control API, not timed) read with the device expanded, through
  \`listDeviceRunStatePages\` in this process and through the command line's \`report\` in a
  child process (CSV to a pipe): the time to the first row and to the whole report, and the
  command line's peak memory; then the command line's \`report\` of 100,000
  (\`BENCH_DEVICES_LARGE\`) with its peak memory (\`bench/devices.mjs\`). The floor is plain
  \`fetch\` following the same pages.
- **Sync** (issue 18, \`bench/sync.mjs\`): 10,000 users (\`BENCH_SYNC_ITEMS\`) under the
  10,000-item row's budget (200 writes per 2 s, a window waited out before each run):
  \`syncUserStates\` into a fresh script against \`createUserStates\` of the same rows into
  another (time, HTTP requests and writes from graph-mock; goal: sync at most 1.05x), then the
  same sync again, unchanged (0 writes or the bench fails; goal: at least 50x sooner than the
  first). Exactly 10,000 objects with the input's values checked after each; every call
  bounded by \`BENCH_SYNC_SECONDS\` (600).

Columns: *seconds* is wall time of the scenario (client side, \`performance.now()\`);
*x floor* is seconds divided by the floor's seconds (1.00x = as fast as the floor; the
one-at-a-time rows compare with the plain POST loop, the bulk rows with the plain \`$batch\` loop,
the budget row with the budget's minimum); *429s* is what \`createUserStates\` reports as
\`throttled\` / what graph-mock counted for the scriptId (\`/_mock/stats\`); *HTTP requests*
counts requests on the wire (\`$batch\` counts once; look-ups are the GETs a bulk run sends
to settle uncertain items).

**In headless Chromium** (\`bench/browser/run.mjs\` drives \`bench/browser/page.js\` through
playwright-core): Debian's Chromium (\`/usr/bin/chromium\`, \`--headless=new\`, a fresh profile).
graph-mock serves \`target/bench-site\` (built by \`bench/browser/build-site.sh\`: the page, the
module's browser build from \`pkg/\`, the Microsoft bundle), so the page and every contender are
one origin and nobody pays a CORS preflight. Three contenders make the same create:

- **plain \`fetch\`**: the floor, exactly the POST \`createUserState\` sends.
- **\`createUserState\`** (this module; \`token\` a string, \`baseUrl\` the page's origin).
- **Microsoft Graph client**: \`@microsoft/microsoft-graph-client\` 3.x,
  \`client.api(path).version("beta").post(body)\`. It and esbuild are installed by npm into
  \`target/bench-deps/\` (git-ignored, never committed, no lock file; versions pinned in
  \`build-site.sh\`, skipped when present), and \`bench/browser/ms-entry.js\` is bundled with
  \`esbuild --bundle --minify --format=esm\`; the page loads that bundle. The client's
  authentication and telemetry handlers act only on \`https\` Graph hosts, so against
  \`http://127.0.0.1\` they would send no token and no \`client-request-id\`: the entry keeps
  Graph's root and \`Client.init\`'s browser chain (authentication, retry, telemetry, HTTP) and
  swaps only the last handler for one that sends to the page's origin, so every handler does
  what it does against Graph.

Its tables:

- **Size**: gzip -9 and brotli 11 of what the browser downloads (\`.wasm\` + JS glue) against
  the Microsoft bundle the page runs, and, for reference, \`Client.init\` as an application
  writes it (\`ms-entry-init.js\`; the loopback handler adds about 120 B).
- **1,000 sequential creates** per contender, in 5 interleaved rounds of 200 with the order
  rotated, so a busy moment on the machine hits every contender alike. Per-call latency by
  \`performance.now()\` in the page (Chromium rounds it to 0.1 ms outside cross-origin
  isolation); median and p99 (nearest rank). *x fetch* is the overhead over a bare \`fetch\`.
- **In the page, no network**: 2,000 creates per contender (8 interleaved rounds) with the
  global \`fetch\` answering at once, in the page, with graph-mock's 201; nothing reaches the
  server (which must hold 0). The client-side CPU per call, without loopback noise; the
  fastest round is the one least disturbed by other work on the machine.
- **Import to first request**, on a fresh tab per load (closed after; graph-mock sends
  \`Cache-Control: no-store\`, so no HTTP or wasm code cache): from the start of \`import()\` to
  the moment the first Graph request is handed to \`fetch\` (a wrapper on \`fetch\` notes it).
  Module: \`import()\` of the glue, \`await init()\` (fetch, compile and instantiate the \`.wasm\`),
  then \`createUserState\` up to its fetch (*call to fetch*). Microsoft: \`import()\` of the bundle,
  the client made, \`.post()\` up to its fetch. Median of 10 loads per contender, interleaved,
  after one unmeasured round.
- **1,000 items**: one \`createUserStates\` call against the Microsoft client one by one
  (sequential \`await ….post()\`). The Microsoft client has a \`$batch\` helper
  (\`BatchRequestContent\`); this row does not use it.

Each browser block ends with the places where the module loses in that run, from its numbers.

### Where the module loses, and why

Measured 2026-11-29 (Chromium 156, Microsoft client 3.0.7) with DevTools' sampling profiler
on the in-page loop, an instrumented copy of the glue counting wasm-to-JS calls, and V8 flags.

- **Size: about 7.4x the Microsoft client** (78.0 KB against 10.5 KB gzipped). The \`.wasm\`
  (71 KB) carries the Rust allocator, panic and formatting support and the async executor (a
  fixed few tens of KB) and then all seven exports, the bulk importer and every input rule:
  a wasm module is one unit that the application's bundler cannot tree-shake, so an app that
  only creates pays for all of it. The Microsoft bundle does no validation, no look-up before
  a resend and no \`$batch\` retries. See the README's Size section for what was cut already.
- **Import to first request: about 2x** (40–43 ms against 20–24 ms). Three costs the single
  JS file does not have: (1) a waterfall: \`init()\` starts fetching the \`.wasm\` only after the
  glue module has loaded (*init* 16–18 ms is that second request plus compiling and
  instantiating 159 KB of wasm); (2) V8 compiles wasm functions lazily, on their first call, so
  the first \`createUserState\` spends about 11 ms (*call to fetch*, against 3–4 ms for the
  Microsoft client) compiling the create path: with \`--js-flags=--no-wasm-lazy-compilation\` it
  drops to 3 ms and \`init\` grows by about 17 ms instead. (The glue's own \`import()\` costs what
  the Microsoft bundle's does.) An application hides (1) with \`<link rel="modulepreload">\` for
  the glue and a \`<link rel="preload">\` of the \`.wasm\` (or an early \`fetch()\` of it handed to
  \`init\`), and hides the whole of \`init\` by calling it at page load rather than at the first
  click; the lazy compile of the create path stays with the first call.
- **Client-side CPU per call: about 1.5–1.8x the Microsoft client's** (in the page: +215–260 µs
  over a bare \`fetch\`, against +100–115 µs). One \`createUserState\` crosses from wasm into JS
  about **214 times** and decodes **37 strings** with \`TextDecoder\`: the request object is
  walked field by field from Rust (a \`Reflect.get\` and type checks per field: the hand-written
  walk that keeps \`serde-wasm-bindgen\` out of the module), the body is built as a Rust JSON
  value, rebuilt as a JS object and then \`JSON.stringify\`'d; the answer is \`JSON.parse\`'d,
  walked back into Rust, checked, and rebuilt as a JS object (13 \`Reflect.set\`), each string
  crossing paying a \`TextDecoder.decode\`. wasm-bindgen-futures adds 4 closures per call (each
  registered with a \`FinalizationRegistry\`) and a \`queueMicrotask\` per await. Of the module's
  own self time in the profile: glue functions about 40%, wasm code about 20%, \`TextDecoder\`
  about 15%, boundary transitions about 8%, the per-attempt \`AbortController\`, bound \`abort\`,
  \`setTimeout\` and \`clearTimeout\` about 10% (5–8 µs in a micro-benchmark: not the cause),
  \`queueMicrotask\` and the UUID's \`getRandomValues\` the rest. Fixes that would cut it (in src/,
  not made here): hand \`fetch\` one body string serialized in Rust instead of a JS object, read
  the answer's text into Rust and parse it there, and give the caller \`JSON.parse\` of one
  Rust-built string instead of an object rebuilt field by field. The cost is CPU, not wire
  time: a few percent of a call on loopback (6–8 ms here), well under 1% against the real
  Graph (tens to hundreds of milliseconds per call).
- **Per-call latency on loopback**: the median is 1.12–1.13x plain \`fetch\`, the Microsoft
  client's 1.03–1.15x; p99 is level (0.94–1.06x). Whether the module or the Microsoft client is
  ahead on the median changes between runs: the CPU difference above, inside loopback noise on
  a busy machine.
- Where it wins: 1,000 items through \`createUserStates\` take about 0.4 s, about 20x the
  Microsoft client one by one (\`$batch\` of 20, 4 in flight).

Each section records the load average: the one-at-a-time and bulk rows take well under a second
to a few seconds, so other work on the machine moves them (2-3x between runs on a busy 2-CPU
box); compare ratios from quiet runs. The write-budget row is dominated by waiting and is
stable within a few percent.

Run: \`make bench\` (builds \`pkg/\` first), or \`scripts/bench.sh\` (builds \`pkg/\` only if it is
missing; \`--no-record\` prints without appending here, \`--no-browser\` runs the Node half only,
\`--browser-only\` the Chromium half only, under its own dated heading). Sections below are
appended by each recorded run, newest last.
`;

// ---- main ---------------------------------------------------------------------------------

async function main() {
  const m = machine(); // the commit as the run starts (others may commit while it runs)
  const date = new Date().toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  const original = await control("GET", "/_mock/config");
  const rows = [];
  let budgetLine = "";
  let largeLine = "";
  let devicesLine = "";
  let syncLine = "";
  try {
    await control("POST", "/_mock/config", { keepAlive: true, writeBudget: null });

    // Warm-up: JIT, wasm, connection pools. Not measured, own scriptIds (failures still throw).
    const warm = users("warm", 100);
    await libSingle(`bench-${RUN}-warm-1`, warm.slice(0, 50));
    await fetchSingle(`bench-${RUN}-warm-2`, warm.slice(0, 50));
    await libBulk(`bench-${RUN}-warm-3`, warm);
    await fetchBatch(`bench-${RUN}-warm-4`, warm);

    const say = (r) =>
      console.error(`[bench] ${r.label}: ${fmt(r.seconds, 3)} s, ${fmt(r.items / r.seconds, 0)} items/s, exactly ${r.items} on the server`);
    const run = async (...args) => {
      const r = await scenario(...args);
      say(r);
      rows.push(r);
      return r;
    };

    const single = await run("lib-single", "createUserState, sequential", libSingle);
    const bulk = await run("lib-bulk", `createUserStates, bulk (concurrency ${DEFAULT_CONCURRENCY})`, libBulk);
    const floorSingle = await run("fetch-single", "plain fetch POST, sequential (floor)", fetchSingle);
    const floorBatch = await run("fetch-batch", `plain fetch $batch x${BATCH}, sequential (floor)`, fetchBatch);

    const underBudget = async (key, budget, list) => {
      await control("POST", "/_mock/config", { writeBudget: budget });
      try {
        const label = `createUserStates, ${list.length.toLocaleString("en-US")} items, write budget ${budget.writes}/${budget.windowMs / 1000} s`;
        const r = await run(key, label, libBulk, list);
        const minMs = Math.ceil((list.length - budget.writes) / budget.writes) * budget.windowMs;
        r.floorSeconds = minMs / 1000;
        r.floorName = "budget min";
        const share = (100 * r.throttledServer) / list.length;
        return (
          `Write budget \`{writes: ${budget.writes}, windowMs: ${budget.windowMs}}\`, ${list.length} items: theoretical minimum ` +
          `ceil((${list.length} - ${budget.writes}) / ${budget.writes}) x ${budget.windowMs / 1000} s = ${fmt(minMs / 1000, 1)} s; ` +
          `took ${fmt(r.seconds, 3)} s (${fmt(r.seconds / (minMs / 1000), 3)}x), ${r.throttledLib} 429s reported by createUserStates, ` +
          `${r.throttledServer} counted by graph-mock (${fmt(share, 1)}% of the creates).`
        );
      } finally {
        await control("POST", "/_mock/config", { writeBudget: null });
      }
    };
    budgetLine = [
      "Intune's real budget is `{writes: 200, windowMs: 20000}`; the bench scales it so it finishes in seconds.",
      await underBudget("lib-budget", BUDGET, USERS),
      await underBudget("lib-budget-10k", BUDGET_10K, users("long", N_10K)),
    ].join("\n\n");

    // The command line's import of 100,000 rows, no write budget (bounded: bench/large.mjs).
    largeLine = (await largeRun({ run: RUN })).line;

    // The device report: 10,000 device run states, first row and all; the command line's peak
    // memory for 100,000 (bench/devices.mjs).
    devicesLine = (await devicesRun({ run: RUN })).line;

    // Imports that never double (issue 18): sync against create-only under the 10,000-item
    // budget, then the unchanged re-run (bench/sync.mjs; restores no config: the finally does).
    syncLine = (await syncRun({ run: RUN, budget: BUDGET_10K })).line;

    single.floorSeconds = floorSingle.seconds;
    single.floorName = "POST";
    floorSingle.floorSeconds = floorSingle.seconds;
    floorSingle.floorName = "POST";
    bulk.floorSeconds = floorBatch.seconds;
    bulk.floorName = "$batch";
    floorBatch.floorSeconds = floorBatch.seconds;
    floorBatch.floorName = "$batch";
  } finally {
    // Whatever happened: the mock's config as it was.
    await control("POST", "/_mock/config", { keepAlive: original.keepAlive, writeBudget: original.writeBudget }).catch(
      (e) => console.error(`[bench] could not restore graph-mock's config: ${e.message}`),
    );
  }

  const { perCall } = await crossings(path.join(ROOT, "target/wasm-pack/web"));
  const section = [
    `## ${date}`,
    "",
    `- machine: ${m.nproc} CPUs (\`nproc\`), ${m.cpu}, ${m.os}; load average at start ${LOAD_AT_START}, at end ${load()}`,
    `- Node ${m.node}; this table runs in Node (its own fetch), no browser`,
    `- commit: ${m.commit}; pkg/: ${PKG}`,
    `- graph-mock: release build, loopback, keepAlive on; ${N} items per scenario, each into a fresh scriptId, exactly ${N} verified on the server`,
    "",
    table(rows),
    "",
    budgetLine,
    "",
    largeLine,
    "",
    devicesLine,
    "",
    syncLine,
    "",
    `Calls from wasm into JS per \`createUserState\` (\`bench/crossings.mjs\`, fetch answering at once; deterministic): ${perCall}.`,
    "",
  ].join("\n");
  console.log(`\n${section}`);
  if (RECORD) {
    const file = path.join(ROOT, "BENCHMARKS.md");
    if (!existsSync(file)) writeFileSync(file, HEADER);
    appendFileSync(file, `\n${section}`);
    console.error(`[bench] appended to BENCHMARKS.md`);
  }
}

main().catch((e) => {
  console.error(e instanceof BenchFailure ? `\nBENCH FAILED: ${e.message}` : e);
  process.exit(1);
});
