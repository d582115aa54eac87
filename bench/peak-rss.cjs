// Preloaded into a measured child (bench/common.mjs's spawnMeasured, node --require): on exit, writes the
// process's peak resident set size (KiB, getrusage's maxrss) to BENCH_PEAK_RSS_FILE.
const { writeFileSync } = require("node:fs");
process.on("exit", () => {
  try {
    writeFileSync(process.env.BENCH_PEAK_RSS_FILE, String(process.resourceUsage().maxRSS));
  } catch {}
});
