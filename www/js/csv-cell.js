// One CSV cell, the one rule for every CSV this project writes: the page's downloads (csv.js)
// and the command line's output and results file (scripts/build-pkg.sh copies this file into
// the package's cli/lib/). No imports: it runs in the browser and in Node alike.

/** One CSV cell: quoted when needed; a leading = + - @ tab or CR is defused for spreadsheets. */
export function csvCell(value) {
  let s = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
