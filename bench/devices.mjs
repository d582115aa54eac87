// The device report (issue 20): how soon the first row arrives and how long the whole report
// takes for DEVICES_ITEMS device run states (10,000), through the package (listDeviceRunStatePages,
// the device expanded, in this process) and through the command line's `report` (a child
// process, CSV to a pipe); and the command line's peak memory for DEVICES_LARGE (100,000).
// The seeding (graph-mock's control API) is never timed.
//
// Part of `make bench` (bench/bench.mjs); on its own, under graph-mock:
//   scripts/with-mock.sh -- node bench/devices.mjs [--items N] [--large N]
// Needs pkg/ (the Node build and the command line in pkg/cli).
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { BenchFailure, MOCK, ROOT, control, isMain, onItsOwn, spawnMeasured } from "./common.mjs";

export const DEVICES_ITEMS = Number(process.env.BENCH_DEVICES_ITEMS ?? 10_000);
export const DEVICES_LARGE = Number(process.env.BENCH_DEVICES_LARGE ?? 100_000);
const CLI = path.join(ROOT, "pkg/cli/intune-script-user-state.mjs");
const TOKEN = "bench-devices-token-0c1d";

const fmt = (x, d) => x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });

/** `n` device run states under `scriptId`, seeded 1,000 at a time (10 users' worth each). */
async function seed(scriptId, n) {
  const STATES = ["success", "success", "success", "fail", "scriptError", "pending"];
  for (let start = 0; start < n; start += 1000) {
    const chunk = [];
    for (let i = start; i < Math.min(n, start + 1000); i++) {
      chunk.push({
        scriptId,
        id: `dev-${i}`,
        runState: STATES[i % STATES.length],
        resultMessage: i % 10 === 0 ? `line one of device ${i}\nline two, with "quotes"` : `ok ${i}`,
        errorCode: i % 6 === 3 ? -2147024894 : 0,
        lastStateUpdateDateTime: "2026-12-07T03:00:00Z",
        managedDevice: { deviceName: `PC-${i}`, operatingSystem: "Windows", userPrincipalName: `user${i % 500}@bench.contoso.com` },
      });
    }
    await control("POST", "/_mock/deviceRunStates", chunk);
  }
}

/** The package in this process: ms to the first page (its first row), ms to the last, rows. */
async function viaPackage(scriptId) {
  const api = createRequire(import.meta.url)(path.join(ROOT, "pkg/node/intune_script_user_state.cjs"));
  const t0 = performance.now();
  let first = null;
  let rows = 0;
  for await (const page of api.listDeviceRunStatePages({ token: TOKEN, baseUrl: MOCK, scriptId })) {
    if (first === null && page.length) first = performance.now() - t0;
    rows += page.length;
  }
  return { first, total: performance.now() - t0, rows };
}

/**
 * The floor: plain `fetch` following the nextLinks of the same first page (the device expanded
 * as the package asks), each page parsed and counted, nothing checked. Resolves to { total, rows }.
 */
async function viaFetch(scriptId) {
  const expand = encodeURIComponent("managedDevice($select=id,deviceName,operatingSystem,userPrincipalName)");
  let url = `${MOCK}/beta/deviceManagement/deviceManagementScripts/${encodeURIComponent(scriptId)}/deviceRunStates?$expand=${expand}`;
  const t0 = performance.now();
  let rows = 0;
  while (url) {
    const r = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}`, accept: "application/json" } });
    if (r.status !== 200) throw new BenchFailure(`devices: plain fetch got ${r.status}`);
    const page = await r.json();
    rows += page.value.length;
    url = page["@odata.nextLink"] ?? null;
  }
  return { total: performance.now() - t0, rows };
}

/**
 * The command line's `report` in a child process, stdout read and counted (not kept): ms to the
 * first data row on stdout, ms to its exit, rows, peak memory (max RSS, KiB).
 */
function viaCli(dir, scriptId) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const args = [CLI, "report", "--script-id", scriptId, "--base-url", MOCK];
    const { child, peak } = spawnMeasured(dir, args, { env: { GRAPH_TOKEN: TOKEN }, stdio: ["ignore", "pipe", "pipe"], sampleMs: 100 });
    let first = null;
    let newlines = 0;
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      // Rows end with CRLF; a resultMessage's own newlines are bare LF, so count "\r\n".
      let n = 0;
      for (let i = chunk.indexOf(13); i !== -1; i = chunk.indexOf(13, i + 1)) if (chunk[i + 1] === 10) n += 1;
      newlines += n;
      if (first === null && newlines >= 2) first = performance.now() - t0;
    });
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr = (stderr + d).slice(-2000)));
    child.on("error", reject);
    child.on("close", (code) => {
      const total = performance.now() - t0;
      if (code !== 0) return reject(new BenchFailure(`devices: report exited ${code}: ${stderr.trim()}`));
      resolve({ first, total, rows: newlines - 1, ...peak() });
    });
  });
}

/** Resolves to { line } for BENCHMARKS.md. */
export async function devicesRun({ run, items = DEVICES_ITEMS, large = DEVICES_LARGE, log = (s) => console.error(`[bench] ${s}`) } = {}) {
  const scriptId = `bench-${run}-devices`;
  log(`devices: seeding ${fmt(items, 0)} device run states (not timed)`);
  await seed(scriptId, items);
  await viaPackage(scriptId); // warm-up: JIT, wasm, connections
  const lib = await viaPackage(scriptId);
  if (lib.rows !== items) throw new BenchFailure(`devices: listDeviceRunStatePages gave ${lib.rows} rows, expected ${items}`);
  const floor = await viaFetch(scriptId);
  const dir = mkdtempSync(path.join(tmpdir(), "bench-devices-"));
  try {
    const cli = await viaCli(dir, scriptId);
    if (cli.rows !== items) throw new BenchFailure(`devices: report printed ${cli.rows} rows, expected ${items}`);
    const bigId = `bench-${run}-devices-large`;
    log(`devices: seeding ${fmt(large, 0)} device run states (not timed)`);
    await seed(bigId, large);
    const big = await viaCli(dir, bigId);
    if (big.rows !== large) throw new BenchFailure(`devices: report printed ${big.rows} rows, expected ${large}`);
    const bigFloor = await viaFetch(bigId);
    const mib = (r) => `${r.exact ? "" : "at least "}${fmt(r.peakKiB / 1024, 0)} MiB`;
    const line =
      `Device report (graph-mock's page of 100, the device expanded): ${fmt(items, 0)} device run states through ` +
      `\`listDeviceRunStatePages\` in Node: first row after ${fmt(lib.first, 0)} ms, all after ${fmt(lib.total / 1000, 2)} s ` +
      `(plain fetch over the same pages ${fmt(floor.total / 1000, 2)} s); ` +
      `through the command line's \`report\` (a child process, CSV to a pipe, start-up included): first row after ${fmt(cli.first, 0)} ms, ` +
      `all after ${fmt(cli.total / 1000, 2)} s, peak memory ${mib(cli)} (max RSS). ${fmt(large, 0)} device run states through \`report\`: ` +
      `${fmt(big.total / 1000, 1)} s (plain fetch over the same pages ${fmt(bigFloor.total / 1000, 1)} s), peak memory ${mib(big)} (max RSS).`;
    log(line);
    return { line, lib, floor, cli, big, bigFloor };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await control("DELETE", `/_mock/deviceRunStates?scriptId=${encodeURIComponent(scriptId)}`).catch(() => {});
    await control("DELETE", `/_mock/deviceRunStates?scriptId=${encodeURIComponent(`bench-${run}-devices-large`)}`).catch(() => {});
  }
}

// On its own: `scripts/with-mock.sh -- node bench/devices.mjs [--items N] [--large N]`.
if (isMain(import.meta.url)) {
  await onItsOwn({ needs: CLI }, (arg) =>
    devicesRun({ run: Date.now().toString(36), items: arg("--items", DEVICES_ITEMS), large: arg("--large", DEVICES_LARGE) }),
  );
}
