#!/usr/bin/env node
// intune-script-user-state: the npm package's command line (its `bin`), built on the package's
// own API: `import` reads a CSV with readUserStatesCsv and creates the rows with
// createUserStates and a fileJournal (resumable), `list` prints a script's user states, and
// `scripts` lists the scripts of a kind. Node 20+, no dependency. Data goes to
// stdout; progress and errors to stderr, one plain sentence each (a stack trace only with
// --verbose). Exit codes: 0 done, 1 some rows not created, 2 bad usage or an unusable file,
// 130 stopped by Ctrl-C (143 by SIGTERM).
//
// The token comes from GRAPH_TOKEN or from --token-command, run through the shell whenever a
// token is needed (cached until a 401 or about 50 minutes). A token is never printed or
// logged, never put on a child's command line or in its environment, and is scrubbed from
// everything this command writes.
import { spawn } from "node:child_process";
import { readFile, rename, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import readline from "node:readline";
import { parseArgs } from "node:util";

const require = createRequire(import.meta.url);
const NAME = "intune-script-user-state";
const EXIT = { ok: 0, failed: 1, usage: 2 };
const MAX_LISTED = 20; // rows with problems, or failed rows, named one by one on stderr

/** A failure that ends the command with `code` and one sentence on stderr. */
class Stop extends Error {
  constructor(message, code = EXIT.usage, hint = null) {
    super(message);
    this.code = code;
    this.hint = hint;
  }
}

/** What the token command threw: the run stops, and the journal lets it resume. */
class TokenCommandError extends Error {
  constructor(message) {
    super(message);
    this.name = "TokenCommandError";
  }
}

// --- everything written goes through these: no token, ever

const secrets = new Set();
function scrub(text) {
  let s = String(text);
  for (const secret of secrets) if (secret.length >= 4) s = s.split(secret).join("[token]");
  return s;
}
const err = (line) => process.stderr.write(scrub(line) + "\n");

// --- options

const COMMON = {
  "token-command": { type: "string" },
  "script-kind": { type: "string" },
  cloud: { type: "string" },
  "base-url": { type: "string" },
  "max-retries": { type: "string" },
  "timeout-ms": { type: "string" },
  verbose: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
};
const COMMANDS = {
  import: {
    options: { ...COMMON, "script-id": { type: "string" }, journal: { type: "string" }, results: { type: "string" }, concurrency: { type: "string" } },
    positionals: 1,
  },
  list: { options: { ...COMMON, "script-id": { type: "string" }, format: { type: "string" } }, positionals: 0 },
  scripts: { options: { ...COMMON, format: { type: "string" } }, positionals: 0 },
};

const COMMON_HELP = `Connection options:
      --token-command <cmd>  Run <cmd> through the shell whenever a token is needed and read
                             the access token from its stdout (default: the GRAPH_TOKEN
                             environment variable)
      --cloud <cloud>        global, usgov, usgovdod or china [default: global]
      --base-url <url>       A Graph root over https, or http(s)://127.0.0.1, localhost or
                             [::1] with a port (a local stand-in); overrides --cloud
      --script-kind <kind>   deviceManagementScripts, deviceShellScripts or
                             deviceCustomAttributeShellScripts [default: deviceManagementScripts]
      --max-retries <n>      Resends of a failed request, 0 to 10 [default: 3]
      --timeout-ms <ms>      Time limit of one request, 1 to 600000 [default: 30000]
  -v, --verbose              Name every failed row; a stack trace for unexpected errors
  -h, --help                 Show this help`;

const HELP = {
  main: `${NAME} VERSION
Create and list Intune device management script user run states in Microsoft Graph (beta).

Usage: ${NAME} <command> [options]

Commands:
  import <file.csv>  Create a user state for every good row of a CSV file, resumably
  list               Print every user state of a script to stdout, as CSV or JSON
  scripts            Print the scripts' ids and names to stdout
  help [command]     Show the help of a command

Options:
  -h, --help         Show this help
  -V, --version      Print the version

The token: the GRAPH_TOKEN environment variable, or --token-command "<command>", run whenever
a token is needed, for example
  --token-command "az account get-access-token --resource-type ms-graph --query accessToken -o tsv"

Exit codes: 0 done (every row created), 1 some rows not created, 2 bad usage or an unusable
file, 130 stopped by Ctrl-C. Run '${NAME} <command> --help' for a command's options.`,
  import: `Create a user state for every good row of a CSV file (JSON $batch, exactly once).

Usage: ${NAME} import <file.csv> --script-id <id> [options]

The file needs the header userPrincipalName,successDeviceCount,errorDeviceCount (columns in
any order; quoted fields, a BOM and CRLF accepted). Rows with problems are named by line on
stderr and skipped. The run is recorded in a journal: stopped by Ctrl-C, a crash or a lost
connection, the same command run again resumes it, with no row created twice or lost. Run
again after it finished, it sends nothing and reports the same results.

Options:
      --script-id <id>       The script whose user states to create (required)
      --journal <path>       The run's journal [default: <file.csv>.journal]
      --results <out.csv>    Write row,userPrincipalName,status,id,error for every row
                             (status: created, failed, skipped or cancelled)
      --concurrency <n>      $batch requests in flight, 1 to 8 [default: 4]

${COMMON_HELP}

Exit codes: 0 every row of the file created, 1 some rows skipped, failed or not sent (a failed
token command), 2 bad usage or an unusable file or journal, 130 stopped by Ctrl-C.`,
  list: `Print every user state of a script to stdout.

Usage: ${NAME} list --script-id <id> [options]

Options:
      --script-id <id>       The script whose user states to list (required)
      --format <format>      csv (id,userPrincipalName,successDeviceCount,errorDeviceCount)
                             or json (an array of the objects as Graph returned them)
                             [default: csv]

${COMMON_HELP}

Exit codes: 0 listed, 1 the service or the network failed, 2 bad usage.`,
  scripts: `Print the scripts of a kind (--script-kind) with their ids and names to stdout.

Usage: ${NAME} scripts [options]

Options:
      --format <format>      csv (id,displayName) or json [default: csv]

${COMMON_HELP}

Exit codes: 0 listed, 1 the service or the network failed, 2 bad usage.`,
};

/** The package and its version. */
function loadPackage() {
  const api = require("../node/intune_script_user_state.cjs");
  const { version } = require("../package.json");
  return { api, version };
}

function parse(command, args) {
  const spec = COMMANDS[command];
  let parsed;
  try {
    parsed = parseArgs({ args, options: spec.options, allowPositionals: true, strict: true });
  } catch (e) {
    const quoted = /'([^']+)'/.exec(e.message)?.[1];
    const what = {
      ERR_PARSE_ARGS_UNKNOWN_OPTION: `unknown option '${quoted}'`,
      ERR_PARSE_ARGS_INVALID_OPTION_VALUE: `option '${quoted}' needs a value`,
      ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL: `unexpected argument '${quoted}'`,
    }[e.code];
    throw new Stop(what ?? e.message, EXIT.usage, `Run '${NAME} ${command} --help' for its options.`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { values, positionals, help: true };
  if (positionals.length > spec.positionals) {
    throw new Stop(`unexpected argument '${positionals[spec.positionals]}'`, EXIT.usage, `Run '${NAME} ${command} --help' for its options.`);
  }
  return { values, positionals, help: false };
}

function whole(values, name) {
  const text = values[name];
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new Stop(`--${name} must be a whole number, not '${text}'`);
  return Number(text);
}

/** The options every call takes, from the command line. */
function callOptions(values, token) {
  const options = { token };
  if (values.cloud !== undefined) options.cloud = values.cloud;
  if (values["base-url"] !== undefined) options.baseUrl = values["base-url"];
  if (values["script-kind"] !== undefined) options.scriptKind = values["script-kind"];
  const maxRetries = whole(values, "max-retries");
  if (maxRetries !== undefined) options.maxRetries = maxRetries;
  const timeoutMs = whole(values, "timeout-ms");
  if (timeoutMs !== undefined) options.timeoutMs = timeoutMs;
  return options;
}

function required(values, name) {
  const v = values[name];
  if (v === undefined || v === "") throw new Stop(`--${name} is required`);
  return v;
}

function format(values) {
  const f = values.format ?? "csv";
  if (f !== "csv" && f !== "json") throw new Stop(`--format must be csv or json, not '${f}'`);
  return f;
}

// --- the token

/**
 * The token source: a function that runs --token-command when no cached token is fresh
 * (about 50 minutes, or less when the token says it expires sooner), or GRAPH_TOKEN.
 */
function tokenSource(values) {
  const command = values["token-command"];
  if (command !== undefined) {
    if (command.trim() === "") throw new Stop("--token-command must not be empty");
    return commandToken(command);
  }
  const token = (process.env.GRAPH_TOKEN ?? "").trim();
  if (!token) {
    throw new Stop("no token: set GRAPH_TOKEN or pass --token-command \"<command>\"", EXIT.usage, `Run '${NAME} --help' for an example.`);
  }
  secrets.add(token);
  return token;
}

const FIFTY_MINUTES = 50 * 60 * 1000;

/** How long a token may be reused: 50 minutes, or until a minute before its `exp` (a JWT). */
function lifetime(token) {
  try {
    const exp = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8")).exp;
    if (Number.isFinite(exp)) return Math.min(FIFTY_MINUTES, Math.max(30_000, exp * 1000 - Date.now() - 60_000));
  } catch {}
  return FIFTY_MINUTES;
}

function commandToken(command) {
  let cached = null; // { token, until }
  let running = null;
  let failed = null; // a failure stops the run: the command is not run again for the sends still asking
  const source = () => {
    if (failed) return failed;
    if (cached && Date.now() < cached.until) return cached.token;
    running ??= runTokenCommand(command)
      .then(
        (token) => {
          cached = { token, until: Date.now() + lifetime(token) };
          return token;
        },
        (err) => {
          failed = Promise.reject(err);
          failed.catch(() => {});
          throw err;
        },
      )
      .finally(() => {
        running = null;
      });
    return running;
  };
  source.forget = () => {
    cached = null;
  };
  return source;
}

function runTokenCommand(command) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.GRAPH_TOKEN; // the command makes its own; it never gets one from us
    // Through the platform shell (sh -c, cmd.exe /d /s /c): the command as the user wrote it.
    const child = spawn(command, { shell: true, stdio: ["ignore", "pipe", "pipe"], env, windowsHide: true });
    let out = "";
    let errText = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d) => {
      if (errText.length < 64 * 1024) errText += d;
    });
    child.on("error", (e) => reject(new TokenCommandError(`the token command could not be started: ${e.message}`)));
    child.on("close", (code, signal) => {
      const token = out.trim();
      // Whatever it printed is treated as secret, even when it then failed.
      if (token) secrets.add(token);
      for (const word of out.split(/\s+/)) if (word.length >= 8) secrets.add(word);
      if (code !== 0) {
        const first = scrub(errText.split(/\r?\n/).find((l) => l.trim() !== "") ?? "").trim();
        const how = signal ? `signal ${signal}` : `exit ${code}`;
        return reject(new TokenCommandError(`the token command failed (${how})${first ? `: ${first}` : ""}`));
      }
      if (!token) return reject(new TokenCommandError("the token command printed no token"));
      if (/\s/.test(token)) {
        return reject(new TokenCommandError("the token command printed more than a token (several words or lines): it must print the access token alone"));
      }
      resolve(token);
    });
  });
}

/**
 * After a 401 (an inner `$batch` answer's too) the package asks the token function again:
 * the package's `onResponse` tells of every answer before that, so the command runs again.
 */
function refreshOn401(token) {
  if (typeof token !== "function") return {};
  return { onResponse: ({ status }) => status === 401 && token.forget() };
}

// --- errors in one sentence

const OPTION_OF = {
  concurrency: "--concurrency",
  maxRetries: "--max-retries",
  timeoutMs: "--timeout-ms",
  baseUrl: "--base-url",
  cloud: "--cloud",
  scriptKind: "--script-kind",
  scriptId: "--script-id",
  token: "the token",
};

/** One sentence for an error of the package (or anything thrown), token-free. */
function describe(e, lineOf = null) {
  if (e instanceof TokenCommandError || e instanceof Stop) return e.message;
  if (!(e instanceof Error)) return `${typeof e === "string" ? e : "a non-Error value was thrown"}`;
  switch (e.name) {
    case "GraphError": {
      const ids = [e.requestId && `request-id ${e.requestId}`, e.clientRequestId && `client-request-id ${e.clientRequestId}`].filter(Boolean);
      return `GraphError ${e.status} ${e.code}: ${e.message}${ids.length ? ` (${ids.join(", ")})` : ""}`;
    }
    case "ValidationError": {
      const list = Array.isArray(e.errors) && e.errors.length ? e.errors : [{ field: e.field ?? "", message: e.message }];
      return list
        .map(({ field, message }) => {
          const f = String(field);
          const named = OPTION_OF[f] ?? f.replace(/^userStates\[(\d+)\]\./, "").replace(/^userState\./, "");
          const text = `${named} ${message}`;
          return lineOf ? text.replace(/userStates\[(\d+)\]/g, (_, i) => `line ${lineOf(Number(i))}`) : text;
        })
        .join("; ");
    }
    case "NetworkError":
    case "TimeoutError":
    case "AbortError":
      return `${e.name}: ${e.message}${e.clientRequestId ? ` (client-request-id ${e.clientRequestId})` : ""}`;
    default:
      return `${e.name}: ${e.message}`;
  }
}

// --- CSV out (the page's results format: CRLF, quoted when needed, formulas defused)

function csvCell(value) {
  let s = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
const csvLine = (cells) => cells.map(csvCell).join(",") + "\r\n";

/** Writes `text` to `file` whole or not at all (a temporary file, then a rename). */
async function writeWhole(file, text) {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await writeFile(tmp, text, { mode: 0o644 });
  await rename(tmp, file);
}

// --- progress on stderr

function formatDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

/**
 * A one-line bar redrawn in place when stderr is a terminal (done/total, rate, time left);
 * otherwise a plain line every 5 s at most, and one at the end. No colour either way.
 */
function progress(stream, total) {
  const tty = Boolean(stream.isTTY);
  let state = { done: 0, total, succeeded: 0, failed: 0 };
  let first = null; // the first report of this run: a resumed run's rate counts only its own items
  let drawn = 0;
  let shown = false;
  let written = null; // the last plain line
  const figures = () => {
    const seconds = first ? (Date.now() - first.at) / 1000 : 0;
    const rate = seconds > 0.5 && state.done > first.done ? (state.done - first.done) / seconds : null;
    const left = rate && state.done < state.total ? formatDuration((state.total - state.done) / rate) : null;
    return { rate: rate === null ? null : rate < 10 ? rate.toFixed(1) : String(Math.round(rate)), left };
  };
  const line = () => {
    const { rate, left } = figures();
    const parts = [`${state.done} of ${state.total} (${state.succeeded} created, ${state.failed} failed)`];
    if (rate !== null) parts.push(`${rate} per second`);
    if (left) parts.push(`about ${left} left`);
    return parts.join(", ");
  };
  const bar = () => {
    const { rate, left } = figures();
    const pct = state.total ? Math.floor((100 * state.done) / state.total) : 100;
    const tail = ` ${state.done}/${state.total} ${String(pct).padStart(3)}%  ${rate === null ? "-" : rate}/s  ${left ? `${left} left` : ""}`;
    const width = Math.max(10, Math.min(30, (stream.columns || 80) - tail.length - 3));
    const full = state.total ? Math.round((width * state.done) / state.total) : width;
    return `[${"#".repeat(full)}${".".repeat(width - full)}]${tail}`;
  };
  const draw = () => {
    if (tty) {
      stream.write("\r");
      readline.clearLine(stream, 1);
      stream.write(bar());
      shown = true;
    } else {
      const text = line();
      if (text !== written) stream.write(text + "\n");
      written = text;
    }
    drawn = Date.now();
  };
  const timer = setInterval(() => (tty || Date.now() - drawn >= 5000) && first && draw(), 1000);
  timer.unref();
  let frozen = false;
  return {
    update(p) {
      if (frozen) return;
      state = p;
      first ??= { at: Date.now(), done: p.done };
      if (tty ? Date.now() - drawn >= 100 : Date.now() - drawn >= 5000) draw();
    },
    /** Stops drawing (the run is being stopped: what settles now is not progress) and leaves the line. */
    freeze() {
      frozen = true;
      clearInterval(timer);
      if (tty && shown) {
        stream.write("\n");
        shown = false;
      }
    },
    /** The last figures, unless the run was stopped (its unsent items count as settled). */
    end({ final = true } = {}) {
      clearInterval(timer);
      if (first && final) draw();
      if (tty && shown) stream.write("\n");
      shown = false;
    },
  };
}

// --- commands

async function importCommand(api, values, [file]) {
  if (file === undefined) throw new Stop("the CSV file to import is missing", EXIT.usage, `Usage: ${NAME} import <file.csv> --script-id <id>`);
  const scriptId = required(values, "script-id");
  const concurrency = whole(values, "concurrency");
  const token = tokenSource(values);
  const options = callOptions(values, token);
  const journalPath = values.journal ?? `${file}.journal`;

  let text;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    const why = { ENOENT: "no such file", EISDIR: "it is a directory", EACCES: "permission denied" }[e.code] ?? e.message;
    throw new Stop(`cannot read ${file}: ${why}`);
  }
  const read = api.readUserStatesCsv(text);
  if (read.error) throw new Stop(`${file}: ${read.error}`);
  const rows = read.rows;
  const good = rows.filter((r) => r.problems.length === 0);
  const bad = rows.length - good.length;
  const noted = rows.filter((r) => r.problems.length || r.warnings.length);
  for (const r of noted.slice(0, MAX_LISTED)) {
    err(r.problems.length ? `${file} line ${r.line}: ${r.problems.join("; ")} (skipped)` : `${file} line ${r.line}: warning: ${r.warnings.join("; ")}`);
  }
  if (noted.length > MAX_LISTED) err(`${file}: ${noted.length - MAX_LISTED} more rows with problems or warnings${values.results ? ` (all of them in ${values.results})` : " (--results lists them all)"}`);

  const started = Date.now();
  let outcome = null;
  let stoppedBy = null; // the signal's name
  if (good.length > 0) {
    const announce = () =>
      err(`Importing ${good.length} user state${good.length === 1 ? "" : "s"} from ${file} into ${scriptId}${bad ? ` (${bad} row${bad === 1 ? "" : "s"} skipped)` : ""}; journal: ${journalPath}`);
    let announced = false;
    const controller = new AbortController();
    const bar = progress(process.stderr, good.length);
    const stop = (signal) => () => {
      if (stoppedBy) process.exit(signal === "SIGINT" ? 130 : 143); // a second one: the journal is write-ahead
      stoppedBy = signal;
      controller.abort();
      bar.freeze();
      err("Stopping: waiting for the requests in flight to be recorded (press Ctrl-C again to quit at once).");
    };
    const onInt = stop("SIGINT");
    const onTerm = stop("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    try {
      outcome = await api.createUserStates({
        ...options,
        ...refreshOn401(token),
        scriptId,
        userStates: good.map((r) => r.userState),
        journal: api.fileJournal(journalPath),
        signal: controller.signal,
        onProgress: (p) => {
          if (!announced) announce();
          announced = true;
          bar.update(p);
        },
        ...(concurrency === undefined ? {} : { concurrency }),
      });
    } catch (e) {
      bar.end();
      if (e?.name === "ValidationError" && e.field === "journal") {
        throw new Stop(`the journal ${journalPath} ${e.message.replace(/^journal /, "")}`, EXIT.usage, "Finish that run with the file and options it was started with, or give this one another --journal (rows that run created would be sent again).");
      }
      if (e?.name === "ValidationError") throw new Stop(describe(e, (i) => good[i]?.line ?? "?"));
      if (e instanceof TokenCommandError) throw new Stop(e.message, EXIT.failed, `Run the same command again to resume (journal: ${journalPath}).`);
      throw e;
    } finally {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
    }
    const tokenStopped = outcome.results.some((r) => !r.ok && r.error instanceof TokenCommandError);
    bar.end({ final: !stoppedBy && !tokenStopped });
  }

  // Every row of the file, in file order.
  const resultOf = new Map(good.map((r, i) => [r, outcome?.results[i]]));
  let tokenFailure = null;
  const lines = rows.map((r) => {
    const base = [r.line, r.userState.userPrincipalName];
    if (r.problems.length) return [...base, "skipped", "", r.problems.join("; ")];
    const result = resultOf.get(r);
    if (result?.ok) return [...base, "created", result.userState.id, ""];
    const e = result?.error;
    if (e instanceof TokenCommandError) {
      tokenFailure = e;
      return [...base, "cancelled", "", `not created: ${e.message}`];
    }
    if (!result || e?.name === "AbortError") return [...base, "cancelled", "", "not created: the import was stopped; run the same command again to resume"];
    return [...base, "failed", "", describe(e, (i) => good[i]?.line ?? "?")];
  });
  const count = (status) => lines.filter((l) => l[2] === status).length;
  if (values.results) {
    await writeWhole(values.results, scrub(csvLine(["row", "userPrincipalName", "status", "id", "error"]) + lines.map(csvLine).join("")));
  }
  const failed = lines.filter((l) => l[2] === "failed");
  for (const l of failed.slice(0, values.verbose ? Infinity : MAX_LISTED)) err(`${file} line ${l[0]}: ${l[1]}: ${l[4]}`);
  if (!values.verbose && failed.length > MAX_LISTED) err(`${file}: ${failed.length - MAX_LISTED} more failed rows${values.results ? ` (all of them in ${values.results})` : " (--results lists them all)"}`);

  const summary = [`${count("created")} created`, `${count("failed")} failed`];
  if (count("skipped")) summary.push(`${count("skipped")} skipped (problems in the file)`);
  if (count("cancelled")) summary.push(`${count("cancelled")} not sent`);
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  err(`${stoppedBy ? "Stopped" : "Done"}: ${summary.join(", ")}, in ${seconds} s.${values.results ? ` Results: ${values.results}` : ""}`);

  if (stoppedBy) {
    err(`Stopped. Run the same command again to resume (journal: ${journalPath}).`);
    return stoppedBy === "SIGINT" ? 130 : 143;
  }
  if (tokenFailure) throw new Stop(tokenFailure.message, EXIT.failed, `Run the same command again to resume (journal: ${journalPath}).`);
  return count("created") === rows.length ? EXIT.ok : EXIT.failed;
}

/** Writes to stdout, waiting when the pipe is full. */
function out(text) {
  return new Promise((resolve) => (process.stdout.write(scrub(text)) ? resolve() : process.stdout.once("drain", resolve)));
}

async function listCommand(api, values) {
  const scriptId = required(values, "script-id");
  const how = format(values);
  const token = tokenSource(values);
  const options = { ...callOptions(values, token), ...refreshOn401(token), scriptId };
  let n = 0;
  let started = false;
  const pages = api.listUserStatePages(options);
  for await (const page of pages) {
    // Nothing on stdout before the first page came: a failure leaves it empty.
    let chunk = started ? "" : how === "csv" ? csvLine(["id", "userPrincipalName", "successDeviceCount", "errorDeviceCount"]) : "[";
    started = true;
    for (const s of page) {
      chunk += how === "csv" ? csvLine([s.id, s.userPrincipalName, s.successDeviceCount, s.errorDeviceCount]) : `${n ? "," : ""}\n  ${JSON.stringify(s)}`;
      n += 1;
    }
    await out(chunk);
  }
  if (how === "json") await out(`${started ? "" : "["}${n ? "\n" : ""}]\n`);
  return EXIT.ok;
}

async function scriptsCommand(api, values) {
  const how = format(values);
  const token = tokenSource(values);
  const options = { ...callOptions(values, token), ...refreshOn401(token) };
  const scripts = await api.listScripts(options);
  if (how === "csv") await out(csvLine(["id", "displayName"]) + scripts.map((s) => csvLine([s.id, s.displayName])).join(""));
  else await out(JSON.stringify(scripts, null, 2) + "\n");
  return EXIT.ok;
}

// --- main

async function main(argv) {
  const [first, ...rest] = argv;
  const { api, version } = loadPackage();
  const help = (name) => process.stdout.write(HELP[name].replace("VERSION", version) + "\n");
  if (first === undefined) throw new Stop("a command is missing", EXIT.usage, `Usage: ${NAME} <command> [options]\nRun '${NAME} --help' for the commands.`);
  if (first === "-h" || first === "--help") return help("main"), EXIT.ok;
  if (first === "-V" || first === "--version") return process.stdout.write(`${NAME} ${version}\n`), EXIT.ok;
  if (first === "help") {
    const name = rest[0] ?? "main";
    if (!HELP[name]) throw new Stop(`no such command: '${name}'`, EXIT.usage, `Run '${NAME} --help' for the commands.`);
    return help(name), EXIT.ok;
  }
  if (!COMMANDS[first]) {
    throw new Stop(first.startsWith("-") ? `unknown option '${first}'` : `no such command: '${first}'`, EXIT.usage, `Run '${NAME} --help' for the commands.`);
  }
  const { values, positionals, help: wantsHelp } = parse(first, rest);
  if (wantsHelp) return help(first), EXIT.ok;
  verbose = Boolean(values.verbose);
  const run = { import: importCommand, list: listCommand, scripts: scriptsCommand }[first];
  try {
    return await run(api, values, positionals);
  } catch (e) {
    // What the package rejected with: bad options are usage, the rest the service or network.
    if (e instanceof Stop) throw e;
    if (e instanceof TokenCommandError) throw new Stop(e.message, EXIT.failed);
    if (e?.name === "ValidationError") throw new Stop(describe(e), EXIT.usage);
    if (["GraphError", "NetworkError", "TimeoutError", "AbortError"].includes(e?.name)) throw new Stop(describe(e), EXIT.failed);
    throw e;
  }
}

let verbose = false;
process.stdout.on("error", (e) => {
  if (e.code === "EPIPE") process.exit(EXIT.ok); // `| head`: the reader has what it wanted
  throw e;
});
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    if (e instanceof Stop) {
      err(`error: ${e.message}`);
      if (e.hint) err(e.hint);
      process.exitCode = e.code;
      return;
    }
    err(`error: ${describe(e)}`);
    if (verbose && e?.stack) err(e.stack);
    else err("Run again with --verbose for details.");
    process.exitCode = EXIT.failed;
  },
);
