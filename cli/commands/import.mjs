// `import <file.csv>`: reads the file with the package's readUserStatesCsv, compares it with the
// script's user states (planUserStates), prints the plan, then applies it (syncUserStates:
// creates the missing, updates the changed, with --delete-extra deletes the server-only), so the
// same import run twice writes nothing the second time. --dry-run stops after the plan;
// --create-only is the plain createUserStates run with its resumable journal.
import { readFile } from "node:fs/promises";
import { NAME, callOptions, whole } from "../lib/args.mjs";
import { EXIT, Stop, TokenCommandError, describe } from "../lib/errors.mjs";
import { csvLine, err, scrub, writeWhole } from "../lib/output.mjs";
import { PLAN_COLUMNS, defaultJournal, planLine, planRows, planText, writesAnything } from "../lib/plan.mjs";
import { progress } from "../lib/progress.mjs";
import { checkScriptOptions, missingScript, resolveScript, scriptOptions } from "../lib/script.mjs";
import { catchStopSignals } from "../lib/signals.mjs";
import { refreshOn401, tokenSource } from "../lib/token.mjs";

const MAX_LISTED = 20; // rows with problems, or failed rows, named one by one on stderr
const RESULT_COLUMNS = ["row", "userPrincipalName", "status", "id", "error"];
const DONE = new Set(["created", "updated", "unchanged"]);

export default {
  name: "import",
  args: "<file.csv>",
  summary: "Make a script's user states match a CSV file: plan, then create and update",
  description: "Compare a CSV file with a script's user states, then create the missing and update the\nchanged (JSON $batch; never a user twice; with --verbose, each change of the plan).",
  usage: "import <file.csv> (--script-id <id> | --script <name>) [options]",
  about: `The file needs the header userPrincipalName,successDeviceCount,errorDeviceCount (columns in
any order; separated by commas, semicolons or tabs, as the header line shows; quoted fields, a
BOM and CRLF accepted); an id column (as 'list --format csv' writes
it) is accepted and used for matching. Rows with problems are named by line on stderr and
skipped. The command first reads the script's user states and prints the plan (what it will
create, update, leave unchanged, and the users only the server has), then applies it. A row
matches the server's object by id, else by userPrincipalName ignoring letter case; it is
changed when a count or the name's exact text differs. Run again, it writes nothing. Stopped
anywhere (Ctrl-C, a crash, a lost connection), the same command run again finishes the job
with no user created twice. Only one run may use a journal at a time; a service that refuses
the writes (403, 405, 501, no such route) stops the run with one sentence.`,
  options: {
    ...scriptOptions("import into"),
    "dry-run": { type: "boolean", help: "Print the plan and write nothing" },
    plan: {
      type: "string",
      arg: "<out.csv>",
      help: "Write each change of the plan: action,row,userPrincipalName,id,\nfield,serverValue,fileValue (action: create, update,\nserver-only or delete)",
    },
    "delete-extra": { type: "boolean", help: "Also delete the user states that only the server has" },
    "create-only": { type: "boolean", help: "Only create, without reading the server first (no update,\nno delete; resumable by its journal)" },
    journal: {
      type: "string",
      arg: "<path>",
      help: "The run's journal [default: <file.csv>.<8 hex digits>.journal\n(.create-journal with --create-only), one per script and cloud]",
    },
    results: {
      type: "string",
      arg: "<out.csv>",
      help: "Write row,userPrincipalName,status,id,error for every row, then the\ndeleted objects (status: created, updated, unchanged, failed,\nskipped, cancelled; deleted)",
    },
    concurrency: { type: "string", arg: "<n>", help: "$batch requests in flight, 1 to 8 [default: 4]" },
  },
  positionals: 1,
  exitCodes: `0 every row of the file created, updated or unchanged (and every server-only user
state deleted, with --delete-extra; with --dry-run: the plan was made and every row is good),
1 some rows skipped, failed or not sent (a failed token command, or an answer that stops the
run: 401 after the token was asked again, 403, 404, 405, 501, 400 No method match route
template), 2 bad usage or an unusable file or journal (one in use by another run: nothing is
sent), 130 stopped by Ctrl-C, 143 by SIGTERM.`,
  run,
};

async function run(api, values, [file]) {
  if (file === undefined) throw new Stop("the CSV file to import is missing", EXIT.usage, `Usage: ${NAME} import <file.csv> (--script-id <id> | --script <name>)`);
  checkScriptOptions(values);
  const concurrency = whole(values, "concurrency");
  const createOnly = Boolean(values["create-only"]);
  if (createOnly) {
    const other = ["dry-run", "plan", "delete-extra"].find((o) => values[o] !== undefined && values[o] !== false);
    if (other) throw new Stop(`--create-only cannot be combined with --${other}: it does not read the server`);
  }
  const token = tokenSource(values);
  const rows = await readRows(api, file, values);
  const { id: scriptId, label } = await resolveScript(api, values, token);
  const job = {
    api,
    values,
    file,
    scriptId,
    label,
    token,
    options: callOptions(values, token),
    concurrency: concurrency === undefined ? {} : { concurrency },
    journalPath: values.journal ?? defaultJournal(file, values, scriptId, createOnly),
    started: Date.now(),
  };
  job.rows = rows;
  job.good = job.rows.filter((r) => r.problems.length === 0);
  job.lineOf = (i) => job.good[i]?.line ?? "?";
  return createOnly ? importCreateOnly(job) : importSync(job);
}

/** Plans, prints the plan, and (unless --dry-run) applies it with syncUserStates. */
async function importSync(job) {
  const { api, values, file, scriptId, good, lineOf, journalPath } = job;
  const deleteExtra = Boolean(values["delete-extra"]);
  const items = good.map((r) => r.userState);
  const skipped = job.rows.length - good.length;
  if (deleteExtra && skipped && !values["dry-run"]) {
    // A skipped row's user would be on the server only, and deleted: a typo must not delete data.
    throw new Stop(
      `--delete-extra with ${skipped} row${skipped === 1 ? "" : "s"} skipped (problems in the file): the users on ${skipped === 1 ? "it" : "them"} would be deleted from the server; nothing was sent`,
      EXIT.usage,
      "Fix those rows first, or import without --delete-extra.",
    );
  }
  if (values.journal !== undefined) await refuseOtherSync(journalPath, scriptId);

  let plan;
  let outcome = null;
  const stoppable = stopSignals();
  try {
    if (good.length > 0 || deleteExtra) {
      plan = await api.planUserStates({ ...job.options, ...refreshOn401(job.token), scriptId, userStates: items, signal: stoppable.signal });
    } else {
      plan = { create: [], update: [], unchanged: [], extra: [], invalid: [] };
    }
  } catch (e) {
    stoppable.release();
    if (stoppable.stoppedBy()) {
      err("Stopped before anything was written.");
      return EXIT[stoppable.stoppedBy()];
    }
    if (e instanceof TokenCommandError) throw new Stop(e.message, EXIT.failed, "Nothing was written. Run the same command again once the token command works.");
    if (e?.name === "GraphError" && e.status === 404) {
      // The script is not there: one sentence, as list and report say it.
      const stop = missingScript(values, scriptId, e);
      throw new Stop(stop.message, stop.code, `${stop.hint}\nNothing was written.`);
    }
    throw e;
  }
  err(planLine(plan, deleteExtra));
  if (values.verbose) for (const line of planText(plan, lineOf, deleteExtra)) err(line);
  if (values.plan) await writeWhole(values.plan, scrub(csvLine(PLAN_COLUMNS) + planRows(plan, lineOf, deleteExtra).map(csvLine).join("")));

  if (values["dry-run"]) {
    stoppable.release();
    const refused = plan.invalid.length + (job.rows.length - good.length);
    err(`Dry run: nothing was written.${values.plan ? ` Plan: ${values.plan}` : ""}`);
    return refused ? EXIT.failed : EXIT.ok;
  }

  let stoppedBy = null;
  if (writesAnything(plan, deleteExtra)) {
    const total = good.length + (deleteExtra ? plan.extra.length : 0);
    const onlyCreates = plan.create.length === good.length;
    const what = [plan.create.length && `${plan.create.length} to create`, plan.update.length && `${plan.update.length} to update`, deleteExtra && plan.extra.length && `${plan.extra.length} to delete`].filter(Boolean);
    // Said once the journal is held (at the first progress): a run refused its journal writes nothing.
    const announce = () => err(`Writing ${what.join(", ")} into ${job.label}; journal: ${journalPath}`);
    const run = await runStoppable(stoppable, total, onlyCreates ? "created" : "done", announce, (signal, onProgress) =>
      api.syncUserStates({
        ...job.options,
        ...refreshOn401(job.token),
        scriptId,
        userStates: items,
        deleteExtra,
        journal: journalOf(job),
        signal,
        onProgress,
        ...job.concurrency,
      }),
    job);
    outcome = run.outcome;
    stoppedBy = run.stoppedBy;
  } else {
    stoppable.release();
    if (good.length) err(plan.invalid.length ? "Nothing to write (besides the rows the rules refuse)." : "Nothing to change: the server already holds every row of the file.");
    // The plan is the outcome: nothing to send.
    outcome = planOutcome(plan, good.length);
  }

  const lines = [...resultLines(job, outcome, "written"), ...deletionLines(outcome, plan)];
  return finish(job, lines, outcome, stoppedBy);
}

/** The plain create run (--create-only): createUserStates with its journal, no reading. */
async function importCreateOnly(job) {
  const { api, good, journalPath, rows } = job;
  let outcome = null;
  let stoppedBy = null;
  let missing = null; // the service's 404 when it said the script is not there
  if (good.length > 0) {
    const bad = rows.length - good.length;
    const announce = () =>
      err(`Importing ${good.length} user state${good.length === 1 ? "" : "s"} from ${job.file} into ${job.label}${bad ? ` (${bad} row${bad === 1 ? "" : "s"} skipped)` : ""}; journal: ${journalPath}`);
    const stoppable = stopSignals();
    // A 404 before any row was created: the script is not there. Nothing more is sent.
    const refresh = refreshOn401(job.token).onResponse;
    let created = false;
    const onResponse = (r) => {
      refresh?.(r);
      if (r.status === 201) created = true;
      if (r.status === 404 && !created && !missing) {
        missing = r;
        stoppable.abort();
      }
    };
    const run = await runStoppable(stoppable, good.length, "created", announce, (signal, onProgress) =>
      api.createUserStates({
        ...job.options,
        onResponse,
        scriptId: job.scriptId,
        // An id column is for matching; a create never sends one.
        userStates: good.map(({ userState: { id: _id, ...s } }) => s),
        journal: journalOf(job),
        signal,
        onProgress,
        ...job.concurrency,
      }),
    job);
    outcome = run.outcome;
    stoppedBy = run.stoppedBy;
  }
  const lines = resultLines(job, outcome, "created");
  if (missing) {
    if (job.values.results) await writeResults(job.values.results, lines);
    const e = outcome?.results.find((r) => r && !r.ok && r.error?.name === "GraphError" && r.error.status === 404)?.error;
    const stop = missingScript(job.values, job.scriptId, e ?? missing);
    const note = lines.some((l) => l[2] === "created") ? "" : `\nNothing was created. The journal ${journalPath} holds this run: delete it, or give --journal another path, before importing into another script.`;
    throw new Stop(stop.message, stop.code, stop.hint + note);
  }
  return finish(job, lines, outcome, stoppedBy);
}

/** Ctrl-C and SIGTERM from now on abort `signal` (the run then stops cleanly). */
function stopSignals() {
  const controller = new AbortController();
  let onStop = () => {};
  const signals = catchStopSignals(() => {
    controller.abort();
    onStop();
    err("Stopping: waiting for the requests in flight to be recorded (press Ctrl-C again to quit at once).");
  });
  return {
    signal: controller.signal,
    stoppedBy: signals.stoppedBy,
    release: signals.release,
    onStop: (f) => (onStop = f),
    // Aborts without a signal: the run itself decided to stop (create-only's missing script).
    abort: () => controller.abort(),
  };
}

/** The run's fileJournal; a stale lock taken over is said in one line. */
function journalOf(job) {
  return job.api.fileJournal(job.journalPath, {
    onStaleLock: ({ lockPath, pid, hostname, since }) => err(`Took over the lock of a run that is gone (process ${pid} on ${hostname}, since ${since}): ${lockPath}`),
  });
}

/** The results CSV: the first five columns of each line. */
function writeResults(path, lines) {
  return writeWhole(path, scrub(csvLine(RESULT_COLUMNS) + lines.map((l) => csvLine(l.slice(0, 5))).join("")));
}

/**
 * The answer that stopped the run, when the service said no write of it can succeed: the
 * result's `stopped` (a create's, or a sync's: its creates' or its updates' and deletes').
 */
function stopOf(outcome) {
  return outcome?.stopped ?? null;
}

/**
 * Runs `call(signal, onProgress)` with a progress bar, `announce()` at the first progress (the
 * journal is held then); { outcome, stoppedBy }.
 */
async function runStoppable(stoppable, total, verb, announce, call, job) {
  if (stoppable.stoppedBy()) {
    stoppable.release();
    return { outcome: null, stoppedBy: stoppable.stoppedBy() };
  }
  const bar = progress(process.stderr, total, { verb });
  stoppable.onStop(() => bar.freeze());
  let outcome;
  try {
    let announced = false;
    outcome = await call(stoppable.signal, (p) => {
      if (!announced) announce();
      announced = true;
      bar.update(p);
    });
  } catch (e) {
    bar.end();
    if (e?.name === "AbortError" && stoppable.stoppedBy()) return { outcome: null, stoppedBy: stoppable.stoppedBy() };
    if (e?.name === "ValidationError" && e.field === "journal" && e.cause?.code === "JOURNAL_IN_USE") {
      // Another run holds it: nothing was written (a sync's plan has read the list by then).
      // The journal's own words name it.
      throw new Stop(`${String(e.cause.message).replace(/^fileJournal: /, "")}; nothing was written`, EXIT.usage, "Only one run may use a journal at a time: let that run finish (the same command then reports its results).");
    }
    if (e?.name === "ValidationError" && e.field === "journal") {
      throw new Stop(`the journal ${job.journalPath} ${e.message.replace(/^journal /, "")}`, EXIT.usage, "Finish that run with the file and options it was started with, or give this one another --journal.");
    }
    if (e?.name === "ValidationError") throw new Stop(describe(e, job.lineOf));
    if (e instanceof TokenCommandError) throw new Stop(e.message, EXIT.failed, `Run the same command again to resume (journal: ${job.journalPath}).`);
    throw e;
  } finally {
    stoppable.release();
  }
  const stoppedBy = stoppable.stoppedBy();
  const tokenStopped = outcome.results.some((r) => !r.ok && r.error instanceof TokenCommandError);
  bar.end({ final: !stoppedBy && !tokenStopped });
  return { outcome, stoppedBy };
}

/** A sync's outcome when the plan has nothing to write: every item unchanged (or invalid). */
function planOutcome(plan, n) {
  const results = new Array(n);
  for (const { index, id } of plan.unchanged) results[index] = { ok: true, action: "unchanged", userState: { id } };
  for (const { index, error } of plan.invalid) results[index] = { ok: false, error };
  return { plan, results, deletions: [] };
}

/** The results, the failed rows named, the summary; the exit code. */
async function finish(job, lines, outcome, stoppedBy) {
  const { values, file, rows, journalPath, started } = job;
  const count = (status) => lines.filter((l) => l[2] === status).length;
  if (values.results) await writeResults(values.results, lines);
  // A stop (the service said the run cannot succeed): one sentence, not a line per row.
  const stopped = stopOf(outcome);
  const byStop = (l) => stopped && l[5] === stopped.message;
  if (stopped) err(`The import stopped: ${scrub(stopped.message)}`);
  const failed = lines.filter((l) => l[2] === "failed" && !byStop(l));
  for (const l of failed.slice(0, values.verbose ? Infinity : MAX_LISTED)) {
    err(l[0] === "" ? `${file}: server-only ${l[1] || "(no name)"} (id ${l[3]}): ${l[4]}` : `${file} line ${l[0]}: ${l[1]}: ${l[4]}`);
  }
  if (!values.verbose && failed.length > MAX_LISTED) err(`${file}: ${failed.length - MAX_LISTED} more failed rows${values.results ? ` (all of them in ${values.results})` : " (--results lists them all)"}`);

  const summary = [`${count("created")} created`];
  for (const s of ["updated", "unchanged", "deleted"]) if (count(s)) summary.push(`${count(s)} ${s}`);
  summary.push(`${count("failed")} failed`);
  if (count("skipped")) summary.push(`${count("skipped")} skipped (problems in the file)`);
  if (count("cancelled")) summary.push(`${count("cancelled")} not sent`);
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  err(`${stoppedBy || stopped ? "Stopped" : "Done"}: ${summary.join(", ")}, in ${seconds} s.${values.results ? ` Results: ${values.results}` : ""}`);

  if (stoppedBy) {
    err(`Stopped. Run the same command again to resume (journal: ${journalPath}).`);
    return EXIT[stoppedBy];
  }
  const tokenFailure = outcome?.results.find((r) => r && !r.ok && r.error instanceof TokenCommandError)?.error;
  if (tokenFailure) throw new Stop(tokenFailure.message, EXIT.failed, `Run the same command again to resume (journal: ${journalPath}).`);
  if (stopped) err(`Once that is fixed, run the same command again: it goes on where this run stopped (journal: ${journalPath}).`);
  const rowsDone = lines.filter((l) => l[0] !== "" && DONE.has(l[2])).length;
  const deletionsLeft = lines.filter((l) => l[0] === "" && l[2] !== "deleted").length;
  return rowsDone === rows.length && deletionsLeft === 0 ? EXIT.ok : EXIT.failed;
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

/**
 * Every row of the file, in file order: [line, userPrincipalName, status, id, error]. A
 * result's `action` (a sync's) is its status; a create's success is "created".
 */
function resultLines({ rows, good, lineOf }, outcome, verb) {
  const resultOf = new Map(good.map((r, i) => [r, outcome?.results[i]]));
  return rows.map((r) => {
    const base = [r.line, r.userState.userPrincipalName];
    if (r.problems.length) return [...base, "skipped", "", r.problems.join("; ")];
    const result = resultOf.get(r);
    if (result?.ok) return [...base, result.action ?? "created", result.userState.id, ""];
    const e = result?.error;
    if (e instanceof TokenCommandError) return [...base, "cancelled", "", `not ${verb}: ${e.message}`];
    if (!result || e?.name === "AbortError") return [...base, "cancelled", "", `not ${verb}: the import was stopped; run the same command again to resume`];
    return [...base, "failed", "", describe(e, lineOf), e?.message];
  });
}

/** After the rows, one line per server-only object the run was to delete: ["", upn, status, id, error]. */
function deletionLines(outcome, plan) {
  const upnOf = new Map(plan.extra.map((o) => [o.id, o.userPrincipalName ?? ""]));
  return (outcome?.deletions ?? []).map((d) => {
    const base = ["", upnOf.get(d.id) ?? "", "", d.id];
    if (d.ok) return [base[0], base[1], "deleted", d.id, ""];
    if (d.error instanceof TokenCommandError || d.error?.name === "AbortError") return [base[0], base[1], "cancelled", d.id, `not deleted: ${d.error.message}`];
    return [base[0], base[1], "failed", d.id, `not deleted: ${describe(d.error)}`, d.error?.message];
  });
}

/**
 * An explicitly named journal that holds another script's sync is refused, as a create run's
 * journal is refused by the package: the user meant another run.
 */
async function refuseOtherSync(path, scriptId) {
  let text;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return;
  }
  for (const line of text.split("\n")) {
    let record;
    try {
      record = JSON.parse(line);
    } catch {
      continue;
    }
    if (record?.sync === "started" && typeof record.scriptId === "string" && record.scriptId !== scriptId) {
      throw new Stop(`the journal ${path} holds a different run (scriptId ${record.scriptId}); nothing was sent`, EXIT.usage, "Give this run another --journal, or leave --journal out (each file, script and cloud then has its own).");
    }
  }
}
