// Everything the command line writes goes through here, with every token it knows of replaced
// by "[token]": data to stdout (waiting when the pipe is full), progress and errors to stderr,
// CSV lines, and files written whole.
import { writeFile, rename } from "node:fs/promises";
import path from "node:path";
// The page's own rule (www/js/csv-cell.js, copied beside this file by scripts/build-pkg.sh).
import { csvCell } from "./csv-cell.js";

const secrets = new Set();

/** Remembers a token (or anything a token command printed) so that nothing written shows it. */
export function addSecret(text) {
  secrets.add(text);
}

/** `text` with every known secret of 4 characters or more replaced by "[token]". */
export function scrub(text) {
  let s = String(text);
  for (const secret of secrets) if (secret.length >= 4) s = s.split(secret).join("[token]");
  return s;
}

/** One line to stderr. */
export const err = (line) => process.stderr.write(scrub(line) + "\n");

/** Writes to stdout, waiting when the pipe is full. */
export function out(text) {
  return new Promise((resolve) => (process.stdout.write(scrub(text)) ? resolve() : process.stdout.once("drain", resolve)));
}

/** One CSV line, CRLF-terminated, as the page writes them (quoted when needed, formulas defused). */
export const csvLine = (cells) => cells.map(csvCell).join(",") + "\r\n";

/** Writes `text` to `file` whole or not at all (a temporary file, then a rename). */
export async function writeWhole(file, text) {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await writeFile(tmp, text, { mode: 0o644 });
  await rename(tmp, file);
}
