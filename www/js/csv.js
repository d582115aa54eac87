// CSV for the bulk import. Reading is the package's (readUserStatesCsv, the same reader the
// command line uses: RFC 4180 quoting, CRLF or LF, an optional BOM, errors naming the line);
// writing the results download is here (each cell by csv-cell.js, the command line's rule too).
import { csvCell } from "./csv-cell.js";

export { csvCell };

export const COLUMNS = Object.freeze(["userPrincipalName", "successDeviceCount", "errorDeviceCount"]);

/**
 * Reads a user-state CSV with the package `api` (its readUserStatesCsv).
 * Returns { rows: [{ line, userState, problems: string[], warnings: string[] }], error }:
 * `error` (a message naming the line) when the file as a whole cannot be read, else null and
 * each row with its own problems; rows without problems are ready to import.
 */
export const readUserStatesCsv = (text, api) => api.readUserStatesCsv(text);

/** Rows of cells to CSV text with CRLF line ends (what spreadsheets expect). */
export const toCsv = (rows) => rows.map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";

export const RESULT_COLUMNS = Object.freeze(["row", "userPrincipalName", "status", "id", "error"]);

/** The results download: one line per CSV row, in file order. */
export const resultsCsv = (results) =>
  toCsv([RESULT_COLUMNS, ...results.map((r) => [r.line, r.userPrincipalName, r.status, r.id ?? "", r.error ?? ""])]);
