// "Bulk import": read a CSV (chosen or dropped), preview it and compare it with the script's
// user states (import-plan.js), apply the plan (syncUserStates: create the missing, update the
// changed, optionally delete the server-only) with progress and cancel, then a results table and
// a results CSV to download. Every import keeps a journal (indexedDbJournal) and its parsed rows
// (saved-imports.js), so one cut short by a closed tab or a crash is offered again, for the
// same script, to resume or discard.
import { $, errorBox, fill, h, saveCsv } from "./dom.js";
import { forgetImport, importRows, journalName, saveImport, saveProgress, unfinishedImport } from "./saved-imports.js";
import { readUserStatesCsv, resultsCsv, toCsv } from "./csv.js";
import { PLAN_COLUMNS, planRows } from "./plan-rows.js";
import { describeError, describeStop, inUseElsewhere } from "./errors.js";
import { describeProblem, progressFigures } from "./format.js";
import { drawPlan, hidePlan, plannedActions, showPlanStatus, startLabel } from "./import-plan.js";
import { createUserStates, planUserStates, readCsv, syncUserStates } from "./worker-client.js";

const PREVIEW_ROWS = 100;
/** Result rows drawn at once; "Show more rows" draws the next as many. */
export const RESULT_ROWS = 100;
/** The progress line and bar repaint at most this often (ms). */
const PAINT_MS = 250;
/** How far the run got is saved at most this often (ms). */
const SAVE_MS = 250;
const MAX_BYTES = 10 * 1024 * 1024;

export function setupImport({ api, options, checkScript }) {
  let file = null; // { name, rows }
  let run = null; // { controller } while importing
  let results = null;
  let offered = null; // the saved import the page offers to resume
  let plan = null; // the plan of `file` against the chosen script, once compared
  let comparing = 0; // only the latest comparison may show its plan
  let comparingNow = false;

  const rootOf = (o) => o.baseUrl ?? o.cloud;
  let asked = 0; // only the latest look-up may change the offer
  async function offerResume() {
    const o = options();
    const mine = ++asked;
    const found = run || !o.scriptId ? null : await unfinishedImport(o.scriptId, o.scriptKind, rootOf(o)).catch(() => null);
    if (mine !== asked) return;
    offered = run ? null : found;
    $("resumeOffer").hidden = !offered;
    if (!offered) return;
    fill(
      $("resumeText"),
      "An import of ",
      h("strong", {}, offered.fileName),
      ` into ${offered.scriptId}, started ${new Date(offered.startedAt).toLocaleString()}, did not finish: `,
      h("strong", {}, `${doneOf(offered)} of ${offered.total}`),
      " done.",
    );
    const created = offered.created ?? offered.done ?? 0;
    const failed = offered.failed ?? 0;
    const left = Math.max(0, offered.total - created - failed);
    const verb = offered.mode === "sync" && !/^c*$/.test(offered.planned ?? "") ? "done" : "created";
    $("resumeCounts").textContent =
      offered.mode === "sync"
        ? `${created} ${verb}, ${failed} failed, ${left} not sent yet. Resume compares the file with the server again and sends only what is still missing or different, failed rows included: none is created twice.`
        : `${created} created, ${failed} failed, ${left} not sent yet. Resume sends only those, and checks any that were in flight when it stopped: none is created twice.`;
  }
  let compareTimer = null;
  let comparedFor = null; // the script (id and kind) the plan shown or coming is for
  const scriptKey = (o) => JSON.stringify([o.scriptId, o.scriptKind]);
  // Another script: compare again (a "change" with the same script, as on leaving the field, is not).
  const compareSoon = () => {
    clearTimeout(compareTimer);
    if (file && !run && !$("preview").hidden && scriptKey(options()) !== comparedFor) compareTimer = setTimeout(compare, 400);
  };
  for (const id of ["scriptId", "scriptKind"]) {
    for (const type of ["input", "change"]) {
      $(id).addEventListener(type, offerResume);
      $(id).addEventListener(type, compareSoon);
    }
  }
  let resuming = false; // one click, one resume (or discard)
  $("resumeImport").addEventListener("click", async () => {
    if (!offered || run || resuming) return;
    resuming = true;
    $("resumeImport").disabled = $("resumeDiscard").disabled = true;
    try {
      const saved = offered;
      file = { name: saved.fileName, rows: saved.rows ?? (await importRows(saved.id)) };
      await start(saved);
    } finally {
      resuming = false;
      $("resumeImport").disabled = $("resumeDiscard").disabled = false;
    }
  });
  $("resumeDiscard").addEventListener("click", async () => {
    if (!offered || run || resuming) return;
    resuming = true;
    $("resumeImport").disabled = $("resumeDiscard").disabled = true;
    try {
      const { id } = offered;
      await api.indexedDbJournal(journalName(id)).clear();
      await forgetImport(id);
      await offerResume();
    } finally {
      resuming = false;
      $("resumeImport").disabled = $("resumeDiscard").disabled = false;
    }
  });
  offerResume();

  const status = (...content) => fill($("csvStatus"), ...content);

  // --- choosing or dropping a file
  $("csvFile").addEventListener("change", () => {
    const chosen = $("csvFile").files[0];
    if (chosen) read(chosen);
    $("csvFile").value = "";
  });
  const zone = $("dropZone");
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    const dropped = e.dataTransfer?.files?.[0];
    if (dropped) read(dropped);
  });
  // A file dropped beside the zone must not replace the page.
  for (const type of ["dragover", "drop"]) window.addEventListener(type, (e) => e.preventDefault());

  async function read(chosen) {
    if (run) return status(h("p", { class: "field-error" }, "An import is running: cancel it or wait before choosing another file."));
    $("preview").hidden = $("results").hidden = $("progress").hidden = true;
    if (chosen.size > MAX_BYTES) return status(errorLine(`${chosen.name} is larger than 10 MB.`));
    // Read in a worker: a file of 10,000 rows takes the package hundreds of milliseconds.
    const text = await chosen.text();
    const parsed = await readCsv(text, api).catch(() => readUserStatesCsv(text, api));
    if (parsed.error) return status(errorLine(`${chosen.name}: ${parsed.error}`));
    status();
    file = { name: chosen.name, rows: parsed.rows };
    plan = null;
    preview();
    compare();
  }

  /** Compares the file with the script's user states (reads only) and shows the plan. */
  async function compare() {
    clearTimeout(compareTimer);
    plan = null;
    const mine = ++comparing;
    if (!file || run) return;
    const valid = file.rows.filter((r) => r.problems.length === 0);
    const o = options();
    comparedFor = scriptKey(o);
    if (valid.length === 0) {
      hidePlan();
    } else if (!o.scriptId) {
      showPlanStatus("Choose the script (above) to compare this file with its user states before anything is written.");
    } else {
      comparingNow = true;
      labelStart();
      showPlanStatus(`Comparing the file with the user states of ${o.scriptId}…`);
      try {
        const made = await planUserStates(options({ userStates: valid.map((r) => r.userState), maxRetries: 6 }), { api });
        if (mine !== comparing) return;
        plan = { made, scriptId: o.scriptId, scriptKind: o.scriptKind, valid };
        drawPlan(made, valid, file.rows.length - valid.length);
      } catch (err) {
        if (mine !== comparing) return;
        const d = describeError(err, "list");
        showPlanStatus(h("span", { class: "field-error" }, `Could not compare with the server: ${d.title}. ${d.advice}`));
      } finally {
        if (mine === comparing) comparingNow = false;
      }
    }
    labelStart();
  }

  /** The one button: its label follows the plan (and the box to delete the server-only). */
  function labelStart() {
    if (!file) return;
    const good = file.rows.filter((r) => r.problems.length === 0).length;
    const { text, name } = startLabel(plan?.made ?? null, $("planDeleteExtra").checked, good);
    $("importStart").textContent = text;
    if (name) $("importStart").setAttribute("aria-label", name);
    else $("importStart").removeAttribute("aria-label");
    $("importStart").disabled = good === 0 || comparingNow || Boolean(run);
  }
  $("planDeleteExtra").addEventListener("change", labelStart);

  // The plan as the command line's `import --plan` writes it: every change, not only the first rows shown.
  $("planDownload").addEventListener("click", () => {
    if (!plan || !file) return;
    const lineOf = (i) => plan.valid[i]?.line ?? "";
    saveCsv(toCsv([PLAN_COLUMNS, ...planRows(plan.made, lineOf, $("planDeleteExtra").checked)]), `${file.name.replace(/\.csv$/i, "")}-plan.csv`);
  });

  function preview() {
    const { rows, name } = file;
    const bad = rows.filter((r) => r.problems.length);
    const warned = rows.filter((r) => r.warnings.length);
    const good = rows.length - bad.length;
    $("previewFile").textContent = name;
    fill(
      $("previewSummary"),
      `${rows.length} row${rows.length === 1 ? "" : "s"}: `,
      h("strong", {}, `${good} ready`),
      bad.length ? `, ${bad.length} with problems (skipped)` : "",
      warned.length ? `, ${warned.length} with warnings` : "",
      ".",
    );
    fill(
      $("previewProblems"),
      [...bad, ...warned].sort((a, b) => a.line - b.line).slice(0, 200).map((r) =>
        h("li", { class: r.problems.length ? "problem" : "warning" }, h("strong", {}, `Line ${r.line}: `), [...r.problems, ...r.warnings].join("; ")),
      ),
    );
    fill(
      $("previewBody"),
      rows.slice(0, PREVIEW_ROWS).map((r) =>
        h(
          "tr",
          { class: r.problems.length ? "bad" : "" },
          h("td", { class: "num" }, r.line),
          h("td", { class: "upn" }, r.userState.userPrincipalName || h("span", { class: "empty" }, "(empty)")),
          h("td", { class: "num" }, show(r.userState.successDeviceCount)),
          h("td", { class: "num" }, show(r.userState.errorDeviceCount)),
          h("td", {}, r.problems.length ? h("span", { class: "tag bad" }, "Problem") : r.warnings.length ? h("span", { class: "tag warn" }, "Warning") : h("span", { class: "tag ok" }, "Ready")),
        ),
      ),
    );
    $("previewCaption").textContent = rows.length > PREVIEW_ROWS ? `The first ${PREVIEW_ROWS} of ${rows.length} rows` : `All ${rows.length} rows`;
    hidePlan();
    labelStart();
    $("preview").hidden = false;
  }

  // --- the run
  $("importStart").addEventListener("click", () => {
    if (!file || run || comparingNow || !checkScript()) return;
    start(null);
  });

  /**
   * Runs the import of `file`: a new one (a sync of the file, as compared), or `saved` (resumed
   * with its journal: a sync again, or an import saved before syncs, createUserStates).
   */
  async function start(saved) {
    const valid = file.rows.filter((r) => r.problems.length === 0);
    const o = options();
    const shown = plan && plan.scriptId === o.scriptId && plan.scriptKind === o.scriptKind ? plan.made : null;
    const mode = saved ? (saved.mode ?? "create") : "sync";
    const deleteExtra = saved ? Boolean(saved.deleteExtra) : Boolean(shown && $("planDeleteExtra").checked);
    // What the plan said of each row: a resumed sync reports a row this import created as created.
    const planned = saved ? (saved.planned ?? null) : shown ? plannedActions(shown, valid.length) : null;
    const verb = mode === "create" || (planned && /^c*$/.test(planned) && !deleteExtra) ? "created" : "done";
    comparing++;
    comparingNow = false;
    comparedFor = null;
    plan = null;
    const controller = new AbortController();
    run = { controller };
    asked++;
    offered = null;
    $("resumeOffer").hidden = true;
    $("importStart").disabled = true;
    $("importStart").setAttribute("aria-busy", "true");
    const where = saved ? { scriptId: saved.scriptId, scriptKind: saved.scriptKind } : {};
    const id = saved?.id ?? crypto.randomUUID();
    if (!saved) {
      await saveImport({ id, fileName: file.name, startedAt: Date.now(), scriptId: o.scriptId, scriptKind: o.scriptKind, root: rootOf(o), rows: file.rows, total: valid.length, mode, deleteExtra, planned }).catch(() => {});
    }
    const journal = api.indexedDbJournal(journalName(id)); // the run's, kept by the worker; cleared here
    const started = performance.now();
    const bar = $("importProgress");
    bar.max = valid.length;
    bar.value = 0;
    let announced = 0;
    let latest = { done: 0, total: valid.length, succeeded: 0, failed: 0 };
    // The bar and the line repaint at most every PAINT_MS, whatever the rate of settling.
    let paintTimer = null;
    const paint = () => {
      paintTimer = null;
      const p = latest;
      bar.max = Math.max(1, p.total);
      bar.value = p.done;
      bar.setAttribute("aria-valuetext", `${p.done} of ${p.total}`);
      $("progressText").textContent = progressFigures(p, performance.now() - started, verb).text;
      const quarter = Math.floor((4 * p.done) / Math.max(1, p.total));
      if (quarter > announced) {
        announced = quarter;
        $("progressAnnounce").textContent = `${p.done} of ${p.total} done`;
      }
    };
    // How far it got, saved at most every SAVE_MS (the small record only), the newest figures.
    let saveTimer = null;
    const keep = () => {
      saveTimer = null;
      if (controller.signal.aborted) return; // Cancel's last report counts the cancelled as failed
      saveProgress(id, { created: latest.succeeded, failed: latest.failed, total: latest.total }).catch(() => {});
    };
    const onProgress = (p) => {
      latest = p;
      paintTimer ??= setTimeout(paint, PAINT_MS);
      saveTimer ??= setTimeout(keep, SAVE_MS);
    };
    const userStates = valid.map((r) => (mode === "sync" ? r.userState : withoutId(r.userState)));
    const request = options({ ...where, userStates, signal: controller.signal, concurrency: 4, maxRetries: 6, onProgress, ...(mode === "sync" ? { deleteExtra } : {}) });
    paint();
    $("progressHeading").textContent = `Importing ${valid.length} user states into ${request.scriptId}`;
    $("preview").hidden = $("results").hidden = true;
    $("progress").hidden = false;
    $("importCancel").disabled = false;
    $("importCancel").textContent = "Cancel import";
    $("importCancel").focus();
    status();
    window.addEventListener("beforeunload", stay);
    let outcome;
    try {
      // In a worker: checking and converting 10,000 items would hold the main thread for long.
      outcome = await (mode === "sync" ? syncUserStates : createUserStates)(request, { api, journalName: journalName(id) });
    } catch (err) {
      // The run as a whole failed (bad options, or stopped before it could report per row).
      outcome = { failedRun: err };
    } finally {
      window.removeEventListener("beforeunload", stay);
      clearTimeout(paintTimer);
      paint(); // the last figures, even of a run shorter than one repaint
      clearTimeout(saveTimer);
      run = null;
      $("progress").hidden = true;
      $("importStart").disabled = false;
      $("importStart").removeAttribute("aria-busy");
    }
    if (inUseElsewhere(outcome.failedRun)) {
      // Another tab (or window) runs this import: it goes on there; this one did nothing.
      status(errorBox({ title: "This import is running in another tab", advice: "It goes on there, and its results show there. Nothing was sent from this tab.", support: [] }));
      offerResume();
      return;
    }
    const ended = finish(valid, outcome, controller.signal.aborted, performance.now() - started, planned);
    if (ended.complete) {
      // Shown and downloadable now: the journal and the saved rows are done with.
      await journal.clear().catch(() => {});
      await forgetImport(id).catch(() => {});
    } else {
      // What the offer to resume says is what the results say: the cancelled are not failed.
      await saveProgress(id, { created: ended.created, failed: ended.failed, total: valid.length }).catch(() => {});
    }
    offerResume();
  }

  $("importCancel").addEventListener("click", () => {
    if (!run) return;
    run.controller.abort();
    $("importCancel").disabled = true;
    $("importCancel").textContent = "Cancelling…";
  });

  /** Shows the outcome; returns its counts, and whether every row reached an end. */
  function finish(valid, outcome, cancelled, elapsedMs, planned) {
    results = [...rowResults(file.rows, valid, outcome, planned), ...deletionResults(outcome)];
    const counts = { created: 0, updated: 0, unchanged: 0, deleted: 0, failed: 0, skipped: 0, cancelled: 0, unknown: 0 };
    for (const r of results) counts[r.status] += 1;
    const parts = [
      `${counts.created} created`,
      counts.updated && `${counts.updated} updated`,
      counts.unchanged && `${counts.unchanged} unchanged`,
      counts.deleted && `${counts.deleted} deleted`,
      `${counts.failed} failed`,
      counts.skipped && `${counts.skipped} skipped (problems in the file)`,
      counts.cancelled && `${counts.cancelled} cancelled`,
      counts.unknown && `${counts.unknown} unknown`,
    ].filter(Boolean);
    const nothing = counts.unchanged > 0 && counts.created + counts.updated + counts.deleted + counts.failed + counts.cancelled + counts.unknown === 0;
    fill($("resultsSummary"), `${cancelled ? "Cancelled. " : ""}${nothing ? "Nothing to change: the server already holds every row of this file. " : ""}${parts.join(", ")}, in ${Math.round(elapsedMs / 100) / 10} s.`);
    const complete = counts.cancelled === 0 && counts.unknown === 0;
    $("resultsResume").textContent = complete
      ? ""
      : "Rows in flight when the import stopped may have been created all the same. Resume (above) finishes the import: it checks those rows, so none is created twice.";
    if (outcome.failedRun && !cancelled) status(errorBox(describeError(outcome.failedRun, "create")));
    else if (outcome.stopped) status(errorBox(describeStop(outcome.stopped)));
    limit = RESULT_ROWS;
    drawResults();
    $("results").hidden = false;
    $("resultsDownload").focus();
    return { complete, created: counts.created + counts.updated + counts.unchanged, failed: counts.failed };
  }

  // The results table draws RESULT_ROWS rows at a time (of those the filter keeps).
  let limit = RESULT_ROWS;
  const kept = () => (results ?? []).filter((r) => !$("resultsProblemsOnly").checked || !WRITTEN.has(r.status));
  function drawResults() {
    const rows = kept();
    const shown = rows.slice(0, limit);
    fill(
      $("resultsBody"),
      shown.map((r) =>
        h(
          "tr",
          { class: `status-${r.status}`, "data-line": r.line },
          h("td", { class: "num" }, r.line === "" ? h("span", { class: "empty" }, "server only") : r.line),
          h("td", { class: "upn" }, r.userPrincipalName || h("span", { class: "empty" }, "(empty)")),
          h("td", {}, h("span", { class: `tag ${tagClass(r.status)}` }, r.status)),
          h("td", { class: r.id && !r.error ? "id" : "" }, r.id && !r.error ? h("code", {}, r.id) : r.error),
        ),
      ),
    );
    $("resultsShown").textContent = shown.length === rows.length ? `All ${rows.length} rows shown.` : `Rows 1 to ${shown.length} of ${rows.length} shown; the download has them all.`;
    $("resultsMore").hidden = shown.length === rows.length;
    $("resultsMore").textContent = `Show ${Math.min(RESULT_ROWS, rows.length - shown.length)} more rows`;
  }
  $("resultsMore").addEventListener("click", () => {
    const first = limit;
    limit += RESULT_ROWS;
    drawResults();
    // Keyboard users go on from the first new row.
    $("resultsBody").rows[first]?.cells[0]?.setAttribute("tabindex", "-1");
    $("resultsBody").rows[first]?.cells[0]?.focus();
  });

  $("resultsProblemsOnly").addEventListener("change", () => {
    $("resultsTable").classList.toggle("problems-only", $("resultsProblemsOnly").checked);
    limit = RESULT_ROWS;
    drawResults();
  });

  $("resultsDownload").addEventListener("click", () => {
    if (!results) return;
    saveCsv(resultsCsv(results), `${file.name.replace(/\.csv$/i, "")}-results.csv`);
  });
}


const stay = (e) => e.preventDefault();

/** What a row (or a deletion) ended as when all went well. */
const WRITTEN = new Set(["created", "updated", "unchanged", "deleted"]);

/** An item without its id (a create sends none: ids are the service's). */
const withoutId = ({ id: _id, ...rest }) => rest;

/** Items done of a saved import: created and failed (a cancelled item is neither). */
const doneOf = (saved) => (saved.created ?? saved.done ?? 0) + (saved.failed ?? 0);

/** What a run stopped with, rather than what an item failed with: not sent, so not failed. */
const STOPPED = (err) => !["ValidationError", "GraphError", "NetworkError", "TimeoutError"].includes(err?.name);

/**
 * One result per CSV row, in file order: skipped (problems in the file), created, updated,
 * unchanged (a sync's action), failed, cancelled (not written: the run was cancelled or stopped
 * first) or unknown (no result). `planned` (a saved sync's first plan, a letter per valid row):
 * a row found unchanged that this import planned to create or update was created or updated by
 * it, before a stop.
 */
export function rowResults(rows, valid, outcome, planned = null) {
  const indexOf = new Map(valid.map((r, i) => [r, i]));
  return rows.map((r) => {
    const base = { line: r.line, userPrincipalName: r.userState.userPrincipalName };
    if (r.problems.length) return { ...base, status: "skipped", error: r.problems.join("; ") };
    const i = indexOf.get(r);
    const result = outcome.results?.[i];
    if (!result) {
      const why = outcome.failedRun ? describeError(outcome.failedRun, "create").title : "no result";
      return { ...base, status: "unknown", error: `${why}: check the Manage view for this user` };
    }
    // The run's stop (one message above the results), not this row's own failure: not sent.
    if (outcome.stopped && result.error?.message === outcome.stopped.message) return { ...base, status: "cancelled", error: "not created: the import stopped (see the message above)" };
    if (result.ok) {
      const was = result.action === "unchanged" && planned ? { c: "created", u: "updated" }[planned[i]] : null;
      return { ...base, status: was ?? result.action ?? "created", id: result.userState.id };
    }
    if (result.error?.name === "AbortError") return { ...base, status: "cancelled", error: "not created: the import was cancelled" };
    if (STOPPED(result.error)) return { ...base, status: "cancelled", error: `not created: the import stopped (${describeError(result.error, "create").title})` };
    return { ...base, status: "failed", error: errorText(result.error, valid) };
  });
}
const show = (v) => (v === null ? h("span", { class: "empty" }, "(empty)") : v);
const errorLine = (text) => h("p", { class: "alert error", role: "alert" }, text);
const tagClass = (s) => ({ created: "ok", updated: "ok", unchanged: "muted", deleted: "warn", failed: "bad", skipped: "warn", cancelled: "muted", unknown: "warn" })[s];

/** After the rows, one result per server-only object a sync was to delete (line ""). */
export function deletionResults(outcome) {
  const upnOf = new Map((outcome.plan?.extra ?? []).map((o) => [o.id, o.userPrincipalName ?? ""]));
  return (outcome.deletions ?? []).map((d) => {
    const base = { line: "", userPrincipalName: upnOf.get(d.id) ?? "", id: d.id };
    if (d.ok) return { ...base, status: "deleted" };
    if (STOPPED(d.error)) return { ...base, status: "cancelled", error: "not deleted: the import was cancelled" };
    return { ...base, status: "failed", error: `not deleted: ${describeError(d.error, "delete").title}` };
  });
}

/**
 * One line for the results: the plain-language title, then what support needs. A rule the
 * package applied to the whole run names items as userStates[i]: say which CSV line that is.
 */
function errorText(err, valid) {
  if (err?.name === "ValidationError") {
    const line = (i) => `line ${valid[Number(i)]?.line ?? "?"}`;
    const list = Array.isArray(err.errors) && err.errors.length ? err.errors : [{ field: err.field ?? "", message: err.message }];
    return list
      .map(({ field, message }) => describeProblem({ field: String(field).replace(/^userStates\[\d+\]\./, ""), message }).replace(/userStates\[(\d+)\]/g, (_, i) => line(i)))
      .join("; ");
  }
  const d = describeError(err, "create");
  const facts = d.support.filter(([k]) => ["HTTP status", "Graph code", "request-id"].includes(k)).map(([k, v]) => `${k} ${v}`);
  return facts.length ? `${d.title} (${facts.join(", ")})` : d.title;
}
