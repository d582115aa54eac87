// Imports that never double (issue 18, "Speed"): SYNC_ITEMS users (10,000) under the scaled write
// budget of the 10,000-item budget row (200 writes per 2 s), through the package's Node build:
//   1. `syncUserStates` into a fresh script (its plan reads an empty list, then creates every
//      user), and `createUserStates` of the same rows into another fresh script: times, HTTP
//      requests and writes (graph-mock's stats), the ratio sync / create-only (goal: <= 1.05x);
//   2. the same `syncUserStates` again on the first script, unchanged: writes sent (must be 0,
//      or the bench fails) and its time as a ratio to the first run (goal: >= 50x sooner).
// After each run the server must hold exactly SYNC_ITEMS objects for the script, one per user,
// with the input's values, and every id the client got among them (else BenchFailure).
// Bounded: every library call gets an AbortSignal of SYNC_LIMIT_SECONDS (600); a run stopped
// by it fails the bench.
//
// Part of `make bench` (bench/bench.mjs); on its own, under graph-mock:
//   scripts/with-mock.sh -- node bench/sync.mjs [--items N] [--limit SECONDS]
// (or BENCH_SYNC_ITEMS, BENCH_SYNC_SECONDS). Needs pkg/ (the Node build).
import { createRequire } from "node:module";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { BenchFailure, MOCK, ROOT, control, isMain, onItsOwn, q, users, verify } from "./common.mjs";
import { TOKEN } from "./floors.mjs";

export const SYNC_ITEMS = Number(process.env.BENCH_SYNC_ITEMS ?? 10_000);
export const SYNC_LIMIT_SECONDS = Number(process.env.BENCH_SYNC_SECONDS ?? 600);
// The same scaled budget as bench.mjs's 10,000-item row (Intune's 200 writes, the window 10x
// shorter than its 20 s).
export const SYNC_BUDGET = { writes: 200, windowMs: 2000 };
const NODE_PKG = path.join(ROOT, "pkg/node/intune_script_user_state.cjs");

const fmt = (x, d) => x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Exactly one object per user (common.mjs's check), and each holding the input's counts. */
async function exact(label, scriptId, list, ids) {
  await verify(label, scriptId, list, ids);
  const objects = await control("GET", `/_mock/objects?${q(scriptId)}`);
  const want = new Map(list.map((u) => [u.userPrincipalName, u]));
  const wrong = objects.filter((o) => {
    const u = want.get(o.userPrincipalName);
    return o.successDeviceCount !== u.successDeviceCount || o.errorDeviceCount !== u.errorDeviceCount;
  });
  if (wrong.length) throw new BenchFailure(`${label} (scriptId ${scriptId}): ${wrong.length} objects with other counts than the input's (first: ${wrong[0].userPrincipalName})`);
}

/**
 * Runs `call` (one library call) against `scriptId`, timed, and counts what it sent: HTTP
 * requests on the wire (the script's direct requests plus the outer `$batch` requests: runs go
 * one after another, so the global `$batch` count's growth is this run's), writes, GETs and the
 * `$top` the GETs asked for (from graph-mock's request log, read from the run's first `seq`).
 */
async function measured(scriptId, call) {
  const before = await control("GET", "/_mock/stats");
  const beforeScript = await control("GET", `/_mock/stats?${q(scriptId)}`);
  // The script's last logged request before the run (0 for a fresh script, or when it has
  // left the log): the script's entries after it are the run's.
  const earlier = await control("GET", `/_mock/requests?${q(scriptId)}`);
  const lastSeq = earlier.length ? earlier[earlier.length - 1].seq : 0;
  const t0 = performance.now();
  const out = await call();
  const seconds = (performance.now() - t0) / 1000;
  const after = await control("GET", "/_mock/stats");
  const afterScript = await control("GET", `/_mock/stats?${q(scriptId)}`);
  const log = await control("GET", `/_mock/requests?${q(scriptId)}&since=${lastSeq}`);
  const scriptRequests = afterScript.requests - beforeScript.requests;
  if (log.length !== scriptRequests) {
    throw new BenchFailure(`sync bench: graph-mock's log holds ${log.length} requests of the run, its stats ${scriptRequests} (log overflowed?)`);
  }
  const direct = log.filter((e) => !e.batch);
  const gets = direct.filter((e) => e.method === "GET");
  const tops = [...new Set(gets.map((e) => /(?:^|&)\$top=(\d+)/.exec(decodeURIComponent(e.query ?? ""))?.[1] ?? "none"))];
  return {
    out,
    seconds,
    wire: direct.length + (after.batches - before.batches),
    writes: afterScript.writes - beforeScript.writes,
    gets: gets.length,
    tops,
    throttled: afterScript.throttled - beforeScript.throttled,
  };
}

/** Resolves to { line } for BENCHMARKS.md, and the figures. The caller restores the config. */
export async function syncRun({ run, items = SYNC_ITEMS, limitSeconds = SYNC_LIMIT_SECONDS, budget = SYNC_BUDGET, log = (s) => console.error(`[bench] ${s}`) } = {}) {
  const lib = createRequire(import.meta.url)(NODE_PKG);
  const list = users("sync", items);
  const n = fmt(items, 0);
  const base = { token: TOKEN, baseUrl: MOCK };
  const limit = () => AbortSignal.timeout(limitSeconds * 1000);
  const settle = async (what, promise) => {
    try {
      return await promise;
    } catch (e) {
      if (e?.name === "AbortError" || e?.name === "TimeoutError") throw new BenchFailure(`sync bench: ${what} did not finish in ${limitSeconds} s`);
      throw e;
    }
  };
  const syncOk = (what, out) => {
    if (out.failed !== 0) {
      const first = out.results.find((r) => !r.ok);
      if (first?.error?.name === "AbortError") throw new BenchFailure(`sync bench: ${what} did not finish in ${limitSeconds} s`);
      throw new BenchFailure(`sync bench: ${what}: ${out.failed} failed (first: ${first?.error?.name} ${first?.error?.status ?? ""} ${first?.error?.message})`);
    }
    return out.results.map((r) => r.userState.id);
  };
  // A fresh window: the budget is a sliding window over the whole server, so wait it out
  // before each measured run, with nothing else writing.
  const freshBudget = async () => {
    await control("POST", "/_mock/config", { keepAlive: true, writeBudget: budget });
    await sleep(budget.windowMs + 200);
  };

  // Warm-up (not measured, its own scriptId, no budget): JIT, wasm, connections, both paths.
  await control("POST", "/_mock/config", { keepAlive: true, writeBudget: null });
  const warm = users("syncwarm", 200);
  await settle("warm-up", lib.syncUserStates({ ...base, scriptId: `bench-${run}-sync-warm`, userStates: warm, signal: limit() }));
  await settle("warm-up", lib.syncUserStates({ ...base, scriptId: `bench-${run}-sync-warm`, userStates: warm, signal: limit() }));
  await settle("warm-up", lib.createUserStates({ ...base, scriptId: `bench-${run}-sync-warm-2`, userStates: warm, signal: limit() }));

  const syncId = `bench-${run}-sync`;
  const createId = `bench-${run}-sync-create`;
  const b = `${budget.writes}/${budget.windowMs / 1000} s`;

  await freshBudget();
  log(`sync: syncUserStates of ${n} users into a fresh script, write budget ${b} (at most ${limitSeconds} s)`);
  const first = await measured(syncId, () => settle("the first syncUserStates", lib.syncUserStates({ ...base, scriptId: syncId, userStates: list, signal: limit() })));
  const firstIds = syncOk("the first syncUserStates", first.out);
  if (first.out.created !== items) throw new BenchFailure(`sync bench: the first syncUserStates created ${first.out.created}, expected ${items}`);
  await exact("syncUserStates, first run", syncId, list, firstIds);
  log(`sync: first run ${fmt(first.seconds, 2)} s, ${first.wire} HTTP requests (${first.gets} GETs), ${first.writes} writes; exactly ${n} on the server`);

  await freshBudget();
  log(`sync: createUserStates of the same ${n} rows into a fresh script, write budget ${b}`);
  const create = await measured(createId, () => settle("createUserStates", lib.createUserStates({ ...base, scriptId: createId, userStates: list, signal: limit() })));
  if (create.out.succeeded !== items || create.out.failed !== 0) {
    const f = create.out.results.find((r) => !r.ok);
    throw new BenchFailure(`sync bench: createUserStates: ${create.out.succeeded} succeeded, ${create.out.failed} failed (first: ${f?.error?.name} ${f?.error?.message})`);
  }
  await exact("createUserStates, same rows", createId, list, create.out.results.map((r) => r.userState.id));
  log(`sync: create-only ${fmt(create.seconds, 2)} s, ${create.wire} HTTP requests, ${create.writes} writes; exactly ${n} on the server`);

  await freshBudget();
  log(`sync: the same syncUserStates again on the first script (unchanged)`);
  const again = await measured(syncId, () => settle("the second syncUserStates", lib.syncUserStates({ ...base, scriptId: syncId, userStates: list, signal: limit() })));
  const againIds = syncOk("the second syncUserStates", again.out);
  if (again.writes !== 0) throw new BenchFailure(`sync bench: the unchanged re-run sent ${again.writes} writes, expected 0`);
  if (again.out.unchanged !== items) throw new BenchFailure(`sync bench: the unchanged re-run found ${again.out.unchanged} unchanged, expected ${items}`);
  await exact("syncUserStates, unchanged re-run", syncId, list, againIds);
  log(`sync: re-run ${fmt(again.seconds, 3)} s, ${again.wire} HTTP requests (${again.gets} GETs, $top ${again.tops.join("/")}), ${again.writes} writes; exactly ${n} on the server`);

  const ratio = first.seconds / create.seconds;
  const requestsRatio = first.wire / create.wire;
  const sooner = first.seconds / again.seconds;
  const minS = (Math.ceil((items - budget.writes) / budget.writes) * budget.windowMs) / 1000;
  const line =
    `Sync (\`bench/sync.mjs\`, issue 18), ${n} users, write budget \`{writes: ${budget.writes}, windowMs: ${budget.windowMs}}\` ` +
    `(minimum ${fmt(minS, 0)} s): first \`syncUserStates\` into a fresh script ${fmt(first.seconds, 2)} s, ${fmt(first.wire, 0)} HTTP requests ` +
    `(${first.gets} list GET${first.gets === 1 ? "" : "s"}, $top ${first.tops.join("/")}), ${fmt(first.writes, 0)} writes (${first.throttled} answered 429); ` +
    `\`createUserStates\` of the same rows ${fmt(create.seconds, 2)} s, ${fmt(create.wire, 0)} HTTP requests, ${fmt(create.writes, 0)} writes (${create.throttled} answered 429): ` +
    `sync **${fmt(ratio, 3)}x** create-only in time (goal at most 1.05x), ${fmt(requestsRatio, 3)}x in requests. ` +
    `The same sync again, unchanged: ${fmt(again.seconds, 3)} s, ${fmt(again.wire, 0)} HTTP requests (${again.gets} list GETs of $top ${again.tops.join("/")}), ` +
    `**${again.writes} writes**, **${fmt(sooner, 0)}x** sooner than the first run (goal at least 50x). Exactly ${n} objects, one per user, after each.`;
  log(line);
  return { line, first: { ...first, out: undefined }, create: { ...create, out: undefined }, again: { ...again, out: undefined }, ratio, sooner };
}

// On its own: `scripts/with-mock.sh -- node bench/sync.mjs [--items N] [--limit SECONDS]`.
if (isMain(import.meta.url)) {
  await onItsOwn({ needs: NODE_PKG, restoreConfig: true }, (arg) =>
    syncRun({ run: Date.now().toString(36), items: arg("--items", SYNC_ITEMS), limitSeconds: arg("--limit", SYNC_LIMIT_SECONDS) }),
  );
}
