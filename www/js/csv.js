// CSV for the bulk import (RFC 4180: header row, quoted fields with "" for a quote, line
// breaks inside quotes, CRLF or LF, an optional UTF-8 BOM) and for the results download.
import { countFromText, describeProblem } from "./format.js";

export const COLUMNS = Object.freeze(["userPrincipalName", "successDeviceCount", "errorDeviceCount"]);

/**
 * Splits CSV text into records, each with the line it starts on (1-based).
 * Lines that are entirely empty are skipped. Throws a CsvError naming the line on a broken quote.
 */
export function parseCsv(text) {
  const src = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const records = [];
  let fields = [];
  let field = "";
  let quotedField = false; // the current field was quoted, so "" is a value, not a blank line
  let line = 1; // the line being read
  let start = 1; // the line the current record started on
  const endField = () => {
    fields.push(field);
    field = "";
    quotedField = false;
  };
  const endRecord = () => {
    const blank = fields.length === 0 && field === "" && !quotedField;
    endField();
    if (!blank) records.push({ line: start, fields });
    fields = [];
  };
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '"') {
      if (field !== "" || quotedField) throw new CsvError(line, "a quote inside an unquoted field; quote the whole field and write inner quotes twice");
      quotedField = true;
      const opened = line;
      i += 1;
      for (;;) {
        if (i >= src.length) throw new CsvError(opened, "a quoted field is not closed");
        const q = src[i];
        if (q === '"' && src[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (q === '"') {
          i += 1;
          break;
        } else {
          if (q === "\n" || (q === "\r" && src[i + 1] !== "\n")) line += 1;
          field += q;
          i += 1;
        }
      }
      const next = src[i];
      if (next !== undefined && next !== "," && next !== "\n" && next !== "\r") {
        throw new CsvError(line, "text after a closing quote; write a quote inside a quoted field twice");
      }
    } else if (c === ",") {
      endField();
      i += 1;
    } else if (c === "\r" || c === "\n") {
      endRecord();
      i += c === "\r" && src[i + 1] === "\n" ? 2 : 1;
      line += 1;
      start = line;
    } else {
      field += c;
      i += 1;
    }
  }
  if (fields.length > 0 || field !== "" || quotedField) endRecord();
  return records;
}

export class CsvError extends Error {
  constructor(line, message) {
    super(`Line ${line}: ${message}`);
    this.name = "CsvError";
    this.line = line;
  }
}

/**
 * Reads a user-state CSV. `validate` is the package's validateUserState.
 * Returns { rows: [{ line, userState, problems: string[], warnings: string[] }], error }:
 * `error` (a message) when the file as a whole cannot be read; otherwise each row carries its
 * own problems, and rows without problems are ready to import.
 */
export function readUserStatesCsv(text, validate) {
  let records;
  try {
    records = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvError) return { rows: [], error: err.message };
    throw err;
  }
  if (records.length === 0) return { rows: [], error: "The file is empty." };
  const [header, ...data] = records;
  const names = header.fields.map((f) => f.trim().toLowerCase());
  const index = COLUMNS.map((c) => names.indexOf(c.toLowerCase()));
  const unknown = header.fields.filter((_, i) => !COLUMNS.some((c) => c.toLowerCase() === names[i]));
  if (index.includes(-1) || unknown.length > 0 || names.length !== COLUMNS.length) {
    return { rows: [], error: `Line ${header.line}: the header must be ${COLUMNS.join(",")} (in any order), found ${header.fields.join(",")}` };
  }
  if (data.length === 0) return { rows: [], error: "The file has a header but no rows." };
  const firstLine = new Map();
  const rows = data.map(({ line, fields }) => {
    const [upn, success, errors] = index.map((i) => fields[i]);
    const userState = {
      userPrincipalName: upn ?? "",
      successDeviceCount: countFromText(success),
      errorDeviceCount: countFromText(errors),
    };
    const problems = [];
    const warnings = [];
    if (fields.length !== COLUMNS.length) problems.push(`has ${fields.length} field${fields.length === 1 ? "" : "s"}, expected ${COLUMNS.length}`);
    else problems.push(...validate(userState).map(describeProblem));
    const key = userState.userPrincipalName.toLowerCase();
    if (problems.length === 0 && key) {
      if (firstLine.has(key)) warnings.push(`same user principal name as line ${firstLine.get(key)}: a script has one user state per user, so this row will fail`);
      else firstLine.set(key, line);
    }
    return { line, userState, problems, warnings };
  });
  return { rows, error: null };
}

/** One CSV cell: quoted when needed; a leading = + - @ tab or CR is defused for spreadsheets. */
export function csvCell(value) {
  let s = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Rows of cells to CSV text with CRLF line ends (what spreadsheets expect). */
export const toCsv = (rows) => rows.map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";

export const RESULT_COLUMNS = Object.freeze(["row", "userPrincipalName", "status", "id", "error"]);

/** The results download: one line per CSV row, in file order. */
export const resultsCsv = (results) =>
  toCsv([RESULT_COLUMNS, ...results.map((r) => [r.line, r.userPrincipalName, r.status, r.id ?? "", r.error ?? ""])]);
