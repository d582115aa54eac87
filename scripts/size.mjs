// The size budget: what a browser downloads for createUserState (the wasm module and its JS
// glue), gzipped at level 9 and brotli'd. Fails when the gzip total passes the budget.
// Bytes are deterministic, so this is a test; speed lives in `make bench`.
import { readFileSync } from "node:fs";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";

export const BUDGET_GZIP_BYTES = 105_000;

const files = ["pkg/intune_script_user_state_bg.wasm", "pkg/intune_script_user_state.js"];
const row = (file) => {
  const raw = readFileSync(file);
  return {
    file,
    raw: raw.length,
    gzip: gzipSync(raw, { level: 9 }).length,
    brotli: brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
};
const rows = files.map(row);
const total = rows.reduce((t, r) => ({ raw: t.raw + r.raw, gzip: t.gzip + r.gzip, brotli: t.brotli + r.brotli }), { raw: 0, gzip: 0, brotli: 0 });
for (const r of [...rows, { file: "total", ...total }]) {
  console.log(`${r.file.padEnd(40)} ${String(r.raw).padStart(8)} B raw ${String(r.gzip).padStart(7)} B gzip ${String(r.brotli).padStart(7)} B brotli`);
}
if (total.gzip > BUDGET_GZIP_BYTES) {
  console.error(`size: ${total.gzip} B gzipped is over the budget of ${BUDGET_GZIP_BYTES} B`);
  process.exit(1);
}
console.log(`size: ${total.gzip} B gzipped, within the budget of ${BUDGET_GZIP_BYTES} B`);
