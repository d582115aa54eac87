// The large run: the command line's `import` of LARGE_ITEMS rows (100,000, the documented
// maximum) against graph-mock with no write budget, as a user runs it, in a child process:
// its wall time as a ratio to the plain `$batch` loop's for the same rows, and its peak memory.
// Bounded: a run that has not finished after LARGE_LIMIT_SECONDS is sent SIGTERM (then SIGKILL
// if SIGTERM is not heard within 10 s) and reported as "did not finish in N s"; the bench goes
// on. A finished run must leave exactly one object per row on the server, or the bench fails.
//
// Part of `make bench` (bench/bench.mjs); on its own, under graph-mock:
//   scripts/with-mock.sh -- node bench/large.mjs [--items N] [--limit SECONDS]
// (or BENCH_LARGE_ITEMS, BENCH_LARGE_SECONDS). Needs pkg/ (the command line in pkg/cli).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { BenchFailure, MOCK, ROOT, control, isMain, onItsOwn, spawnMeasured, users, verify } from "./common.mjs";
import { TOKEN, fetchBatch } from "./floors.mjs";

export const LARGE_ITEMS = Number(process.env.BENCH_LARGE_ITEMS ?? 100_000);
export const LARGE_LIMIT_SECONDS = Number(process.env.BENCH_LARGE_SECONDS ?? 900);
const CLI = path.join(ROOT, "pkg/cli/intune-script-user-state.mjs");

const fmt = (x, d) => x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
const mib = (kib) => `${fmt(kib / 1024, 0)} MiB`;

/**
 * Runs the command line's import of `items` rows into a fresh script, stopping it after
 * `limitSeconds`. Resolves to { finished, seconds, code, signal, peakKiB, peakExact, stderrTail,
 * killed, ids } (ids: from its results file, when it finished).
 */
async function cliImport(dir, scriptId, list, limitSeconds) {
  const csv = path.join(dir, "users.csv");
  const results = path.join(dir, "results.csv");
  const lines = ["userPrincipalName,successDeviceCount,errorDeviceCount", ...list.map((u) => `${u.userPrincipalName},${u.successDeviceCount},${u.errorDeviceCount}`)];
  writeFileSync(csv, lines.join("\r\n") + "\r\n");
  const args = [CLI, "import", csv, "--script-id", scriptId, "--base-url", MOCK, "--results", results];
  const t0 = performance.now();
  const { child, peak } = spawnMeasured(dir, args, { cwd: dir, env: { GRAPH_TOKEN: TOKEN }, stdio: ["ignore", "ignore", "pipe"], sampleMs: 200 });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  let killed = null; // what it took to stop it: "SIGTERM" or "SIGKILL"
  let seconds = null;
  const closed = new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
  child.on("exit", () => (seconds = (performance.now() - t0) / 1000));
  const limit = setTimeout(() => {
    killed = "SIGTERM";
    child.kill("SIGTERM");
    setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) {
        killed = "SIGKILL";
        child.kill("SIGKILL");
      }
    }, 10_000).unref();
  }, limitSeconds * 1000);
  const { code, signal } = await closed;
  clearTimeout(limit);
  const { peakKiB, exact } = peak();
  const finished = killed === null;
  const ids = finished && code === 0 ? readFileSync(results, "utf8").split("\r\n").slice(1, -1).map((l) => l.split(",")[3]) : null;
  return { finished, seconds, code, signal, killed, peakKiB, peakExact: exact, stderrTail: stderr.trim().split("\n").slice(-3).join(" | "), ids };
}

/**
 * The plain `$batch` loop, then the command line, each into a fresh scriptId (graph-mock with no
 * write budget, keep-alive on: the caller sets that). Resolves to { line, ... }: `line` is the
 * sentence for BENCHMARKS.md.
 */
export async function largeRun({ run, items = LARGE_ITEMS, limitSeconds = LARGE_LIMIT_SECONDS, log = (s) => console.error(`[bench] ${s}`) } = {}) {
  const list = users("large", items);
  const n = fmt(items, 0);
  log(`large run: plain $batch loop, ${n} items`);
  const floorId = `bench-${run}-large-floor`;
  const t0 = performance.now();
  const floor = await fetchBatch(floorId, list);
  const floorSeconds = (performance.now() - t0) / 1000;
  await verify("plain $batch loop, large run", floorId, list, floor.ids);
  log(`large run: plain $batch loop ${fmt(floorSeconds, 1)} s; the command line's import of ${n} rows (at most ${limitSeconds} s)`);

  const dir = mkdtempSync(path.join(tmpdir(), "bench-large-"));
  try {
    const scriptId = `bench-${run}-large-cli`;
    const r = await cliImport(dir, scriptId, list, limitSeconds);
    const peak = r.peakKiB === null ? "peak memory unknown" : `peak memory of the command line ${r.peakExact ? "" : "at least "}${mib(r.peakKiB)} (max RSS)`;
    const head = `Large run: \`import\` of ${n} rows through the command line (\`node pkg/cli/intune-script-user-state.mjs\`, a child process), no write budget; plain \`$batch\` loop for the same rows ${fmt(floorSeconds, 1)} s`;
    let line;
    if (!r.finished) {
      const held = (await control("GET", `/_mock/stats?scriptId=${encodeURIComponent(scriptId)}`)).objects;
      const how =
        r.killed === "SIGKILL"
          ? "SIGTERM was not heard within 10 s: killed with SIGKILL"
          : r.code === 143
            ? "stopped by SIGTERM, exit 143"
            : `SIGTERM sent, then exit ${r.code ?? r.signal}: ${r.stderrTail || "no output"}`;
      line = `${head}; the command line **did not finish in ${limitSeconds} s** (${how}; ${fmt(held, 0)} objects on the server by then); ${peak} by then.`;
    } else {
      if (r.code !== 0) throw new BenchFailure(`large run: the command line exited ${r.code ?? r.signal}: ${r.stderrTail}`);
      await verify("the command line's import, large run", scriptId, list, r.ids);
      line = `${head}; the command line ${fmt(r.seconds, 1)} s (**${fmt(r.seconds / floorSeconds, 2)}x** the loop), exactly ${n} objects on the server; ${peak}.`;
    }
    log(line);
    return { line, floorSeconds, ...r, ids: undefined };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// On its own: `scripts/with-mock.sh -- node bench/large.mjs [--items N] [--limit SECONDS]`.
if (isMain(import.meta.url)) {
  await onItsOwn({ needs: CLI, restoreConfig: true }, async (arg) => {
    await control("POST", "/_mock/config", { keepAlive: true, writeBudget: null });
    await largeRun({ run: Date.now().toString(36), items: arg("--items", LARGE_ITEMS), limitSeconds: arg("--limit", LARGE_LIMIT_SECONDS) });
  });
}
