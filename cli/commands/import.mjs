// `import <file.csv>`: reads the file with the package's readUserStatesCsv and creates every
// good row with createUserStates and a fileJournal, so a stopped run resumes exactly once.
import { readFile } from "node:fs/promises";
import { NAME, callOptions, whole } from "../lib/args.mjs";
import { EXIT, Stop, TokenCommandError, describe } from "../lib/errors.mjs";
import { csvLine, err, scrub, writeWhole } from "../lib/output.mjs";
import { progress } from "../lib/progress.mjs";
import { checkScriptOptions, missingScript, resolveScript, scriptOptions } from "../lib/script.mjs";
import { catchStopSignals } from "../lib/signals.mjs";
import { refreshOn401, tokenSource } from "../lib/token.mjs";

const MAX_LISTED = 20; // rows with problems, or failed rows, named one by one on stderr

export default {
  name: "import",
  args: "<file.csv>",
  summary: "Create a user state for every good row of a CSV file, resumably",
  description: "Create a user state for every good row of a CSV file (JSON $batch, exactly once).",
  usage: "import <file.csv> (--script-id <id> | --script <name>) [options]",
  about: `The file needs the header userPrincipalName,successDeviceCount,errorDeviceCount (columns in
any order; separated by commas, semicolons or tabs, as the header line shows; quoted fields, a
BOM and CRLF accepted). Rows with problems are named by line on
stderr and skipped. The run is recorded in a journal: stopped by Ctrl-C, a crash or a lost
connection, the same command run again resumes it, with no row created twice or lost. Run
again after it finished, it sends nothing and reports the same results.`,
  options: {
    ...scriptOptions("create"),
    journal: { type: "string", arg: "<path>", help: "The run's journal [default: <file.csv>.journal]" },
    results: {
      type: "string",
      arg: "<out.csv>",
      help: "Write row,userPrincipalName,status,id,error for every row\n(status: created, failed, skipped or cancelled)",
    },
    concurrency: { type: "string", arg: "<n>", help: "$batch requests in flight, 1 to 8 [default: 4]" },
  },
  positionals: 1,
  exitCodes: `0 every row of the file created, 1 some rows skipped, failed or not sent (a failed
token command, or an answer that stops the run: 401 after the token was asked again, 403, 404,
405, 501, 400 No method match route template), 2 bad usage or an unusable file or journal (one
in use by another run: nothing is sent), 130 stopped by Ctrl-C, 143 by SIGTERM.`,
  run,
};

async function run(api, values, [file]) {
  if (file === undefined) throw new Stop("the CSV file to import is missing", EXIT.usage, `Usage: ${NAME} import <file.csv> (--script-id <id> | --script <name>)`);
  checkScriptOptions(values);
  const concurrency = whole(values, "concurrency");
  const token = tokenSource(values);
  const options = callOptions(values, token);
  const journalPath = values.journal ?? `${file}.journal`;

  const rows = await readRows(api, file, values);
  const { id: scriptId, label } = await resolveScript(api, values, token);
  const good = rows.filter((r) => r.problems.length === 0);
  const lineOf = (i) => good[i]?.line ?? "?";

  const started = Date.now();
  let outcome = null;
  let stoppedBy = null; // the signal's name
  let missing = null; // the service's 404 when it said the script is not there
  if (good.length > 0) {
    const bad = rows.length - good.length;
    const announce = () =>
      err(`Importing ${good.length} user state${good.length === 1 ? "" : "s"} from ${file} into ${label}${bad ? ` (${bad} row${bad === 1 ? "" : "s"} skipped)` : ""}; journal: ${journalPath}`);
    let announced = false;
    const controller = new AbortController();
    const bar = progress(process.stderr, good.length);
    const signals = catchStopSignals(() => {
      controller.abort();
      bar.freeze();
      err("Stopping: waiting for the requests in flight to be recorded (press Ctrl-C again to quit at once).");
    });
    // A 404 before any row was created: the script is not there. Nothing more is sent.
    const refresh = refreshOn401(token).onResponse;
    let created = false;
    const onResponse = (r) => {
      refresh?.(r);
      if (r.status === 201) created = true;
      if (r.status === 404 && !created && !missing) {
        missing = r;
        controller.abort();
      }
    };
    try {
      outcome = await api.createUserStates({
        ...options,
        onResponse,
        scriptId,
        userStates: good.map((r) => r.userState),
        journal: api.fileJournal(journalPath, {
          onStaleLock: ({ lockPath, pid, hostname, since }) =>
            err(`Took over the lock of a run that is gone (process ${pid} on ${hostname}, since ${since}): ${lockPath}`),
        }),
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
      if (e?.name === "ValidationError" && e.field === "journal" && e.cause?.code === "JOURNAL_IN_USE") {
        // Another run holds it: nothing was read or sent. The journal's own words name it.
        throw new Stop(`${String(e.cause.message).replace(/^fileJournal: /, "")}; nothing was sent`, EXIT.usage, "Only one run may use a journal at a time: let that run finish (the same command then reports its results).");
      }
      if (e?.name === "ValidationError" && e.field === "journal") {
        throw new Stop(`the journal ${journalPath} ${e.message.replace(/^journal /, "")}`, EXIT.usage, "Finish that run with the file and options it was started with, or give this one another --journal (rows that run created would be sent again).");
      }
      if (e?.name === "ValidationError") throw new Stop(describe(e, lineOf));
      if (e instanceof TokenCommandError) throw new Stop(e.message, EXIT.failed, `Run the same command again to resume (journal: ${journalPath}).`);
      throw e;
    } finally {
      signals.release();
      stoppedBy = signals.stoppedBy();
    }
    const tokenStopped = outcome.results.some((r) => !r.ok && r.error instanceof TokenCommandError);
    bar.end({ final: !stoppedBy && !tokenStopped });
  }

  const lines = resultLines(rows, good, outcome, lineOf);
  const count = (status) => lines.filter((l) => l[2] === status).length;
  if (values.results) {
    await writeWhole(values.results, scrub(csvLine(["row", "userPrincipalName", "status", "id", "error"]) + lines.map((l) => csvLine(l.slice(0, 5))).join("")));
  }
  if (missing) {
    const e = outcome.results.find((r) => !r.ok && r.error?.name === "GraphError" && r.error.status === 404)?.error;
    const stop = missingScript(values, scriptId, e ?? missing);
    const note = count("created") ? "" : `\nNothing was created. The journal ${journalPath} holds this run: delete it, or give --journal another path, before importing into another script.`;
    throw new Stop(stop.message, stop.code, stop.hint + note);
  }
  // A stop (the service said the run cannot succeed): one sentence, not a line per row.
  const stopped = outcome?.stopped;
  const byStop = (l) => stopped && l[5] === stopped.message;
  if (stopped) err(`The import stopped: ${scrub(stopped.message)}`);
  const failed = lines.filter((l) => l[2] === "failed" && !byStop(l));
  for (const l of failed.slice(0, values.verbose ? Infinity : MAX_LISTED)) err(`${file} line ${l[0]}: ${l[1]}: ${l[4]}`);
  if (!values.verbose && failed.length > MAX_LISTED) err(`${file}: ${failed.length - MAX_LISTED} more failed rows${values.results ? ` (all of them in ${values.results})` : " (--results lists them all)"}`);

  const summary = [`${count("created")} created`, `${count("failed")} failed`];
  if (count("skipped")) summary.push(`${count("skipped")} skipped (problems in the file)`);
  if (count("cancelled")) summary.push(`${count("cancelled")} not sent`);
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  err(`${stoppedBy || stopped ? "Stopped" : "Done"}: ${summary.join(", ")}, in ${seconds} s.${values.results ? ` Results: ${values.results}` : ""}`);

  if (stoppedBy) {
    err(`Stopped. Run the same command again to resume (journal: ${journalPath}).`);
    return EXIT[stoppedBy];
  }
  const tokenFailure = outcome?.results.find((r) => !r.ok && r.error instanceof TokenCommandError)?.error;
  if (tokenFailure) throw new Stop(tokenFailure.message, EXIT.failed, `Run the same command again to resume (journal: ${journalPath}).`);
  if (stopped) err(`Once that is fixed, run the same command again: it goes on where this run stopped (journal: ${journalPath}).`);
  return count("created") === rows.length ? EXIT.ok : EXIT.failed;
}

/**
 * The file's rows ({ line, userState, problems, warnings }), the rows with problems or
 * warnings named on stderr (the first MAX_LISTED).
 */
async function readRows(api, file, values) {
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
  const noted = rows.filter((r) => r.problems.length || r.warnings.length);
  for (const r of noted.slice(0, MAX_LISTED)) {
    err(r.problems.length ? `${file} line ${r.line}: ${r.problems.join("; ")} (skipped)` : `${file} line ${r.line}: warning: ${r.warnings.join("; ")}`);
  }
  if (noted.length > MAX_LISTED) err(`${file}: ${noted.length - MAX_LISTED} more rows with problems or warnings${values.results ? ` (all of them in ${values.results})` : " (--results lists them all)"}`);
  return rows;
}

/** Every row of the file, in file order: [line, userPrincipalName, status, id, error]. */
function resultLines(rows, good, outcome, lineOf) {
  const resultOf = new Map(good.map((r, i) => [r, outcome?.results[i]]));
  return rows.map((r) => {
    const base = [r.line, r.userState.userPrincipalName];
    if (r.problems.length) return [...base, "skipped", "", r.problems.join("; ")];
    const result = resultOf.get(r);
    if (result?.ok) return [...base, "created", result.userState.id, ""];
    const e = result?.error;
    if (e instanceof TokenCommandError) return [...base, "cancelled", "", `not created: ${e.message}`];
    if (!result || e?.name === "AbortError") return [...base, "cancelled", "", "not created: the import was stopped; run the same command again to resume"];
    return [...base, "failed", "", describe(e, lineOf), e?.message];
  });
}
