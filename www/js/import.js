// "Bulk import": read a CSV (chosen or dropped), preview it, import with progress and cancel,
// then a results table and a results CSV to download. Every import keeps a journal
// (indexedDbJournal) and its parsed rows (saved-imports.js), so one cut short by a closed tab
// or a crash is offered again, for the same script, to resume or discard.
import { $, errorBox, fill, h } from "./dom.js";
import { forgetImport, importRows, journalName, saveImport, saveProgress, unfinishedImport } from "./saved-imports.js";
import { readUserStatesCsv, resultsCsv } from "./csv.js";
import { describeError, describeStop, inUseElsewhere } from "./errors.js";
import { describeProblem, progressFigures } from "./format.js";
import { createUserStates, readCsv } from "./worker-client.js";

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
    $("resumeCounts").textContent = `${created} created, ${failed} failed, ${left} not sent yet. Resume sends only those, and checks any that were in flight when it stopped: none is created twice.`;
  }
  for (const id of ["scriptId", "scriptKind"]) for (const type of ["input", "change"]) $(id).addEventListener(type, offerResume);
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
    preview();
  }

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
    $("importStart").textContent = `Import ${good} user state${good === 1 ? "" : "s"}`;
    $("importStart").disabled = good === 0;
    $("preview").hidden = false;
  }

  // --- the run
  $("importStart").addEventListener("click", () => {
    if (!file || run || !checkScript()) return;
    start(null);
  });

  /** Runs the import of `file`: a new one, or `saved` (resumed with its journal). */
  async function start(saved) {
    const valid = file.rows.filter((r) => r.problems.length === 0);
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
      const o = options();
      await saveImport({ id, fileName: file.name, startedAt: Date.now(), scriptId: o.scriptId, scriptKind: o.scriptKind, root: rootOf(o), rows: file.rows, total: valid.length }).catch(() => {});
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
      bar.value = p.done;
      bar.setAttribute("aria-valuetext", `${p.done} of ${p.total}`);
      $("progressText").textContent = progressFigures(p, performance.now() - started).text;
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
    const request = options({ ...where, userStates: valid.map((r) => r.userState), signal: controller.signal, concurrency: 4, maxRetries: 6, onProgress });
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
      outcome = await createUserStates(request, { api, journalName: journalName(id) });
    } catch (err) {
      // The run as a whole failed (bad options, or stopped before it could report per row).
      outcome = { failedRun: err };
    } finally {
      window.removeEventListener("beforeunload", stay);
      clearTimeout(paintTimer);
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
    const shown = finish(valid, outcome, controller.signal.aborted, performance.now() - started);
    if (shown.complete) {
      // Shown and downloadable now: the journal and the saved rows are done with.
      await journal.clear().catch(() => {});
      await forgetImport(id).catch(() => {});
    } else {
      // What the offer to resume says is what the results say: the cancelled are not failed.
      await saveProgress(id, { created: shown.created, failed: shown.failed, total: valid.length }).catch(() => {});
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
  function finish(valid, outcome, cancelled, elapsedMs) {
    results = rowResults(file.rows, valid, outcome);
    const counts = { created: 0, failed: 0, skipped: 0, cancelled: 0, unknown: 0 };
    for (const r of results) counts[r.status] += 1;
    const parts = [
      `${counts.created} created`,
      `${counts.failed} failed`,
      counts.skipped && `${counts.skipped} skipped (problems in the file)`,
      counts.cancelled && `${counts.cancelled} cancelled`,
      counts.unknown && `${counts.unknown} unknown`,
    ].filter(Boolean);
    fill($("resultsSummary"), `${cancelled ? "Cancelled. " : ""}${parts.join(", ")}, in ${Math.round(elapsedMs / 100) / 10} s.`);
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
    return { complete, created: counts.created, failed: counts.failed };
  }

  // The results table draws RESULT_ROWS rows at a time (of those the filter keeps).
  let limit = RESULT_ROWS;
  const kept = () => (results ?? []).filter((r) => !$("resultsProblemsOnly").checked || r.status !== "created");
  function drawResults() {
    const rows = kept();
    const shown = rows.slice(0, limit);
    fill(
      $("resultsBody"),
      shown.map((r) =>
        h(
          "tr",
          { class: `status-${r.status}`, "data-line": r.line },
          h("td", { class: "num" }, r.line),
          h("td", { class: "upn" }, r.userPrincipalName || h("span", { class: "empty" }, "(empty)")),
          h("td", {}, h("span", { class: `tag ${tagClass(r.status)}` }, r.status)),
          h("td", { class: r.id ? "id" : "" }, r.id ? h("code", {}, r.id) : r.error),
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
    const blob = new Blob([resultsCsv(results)], { type: "text/csv;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const a = h("a", { href: url, download: `${file.name.replace(/\.csv$/i, "")}-results.csv`, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  });
}

const stay = (e) => e.preventDefault();

/** Items done of a saved import: created and failed (a cancelled item is neither). */
const doneOf = (saved) => (saved.created ?? saved.done ?? 0) + (saved.failed ?? 0);

/** What a run stopped with, rather than what an item failed with: not sent, so not failed. */
const STOPPED = (err) => !["ValidationError", "GraphError", "NetworkError", "TimeoutError"].includes(err?.name);

/**
 * One result per CSV row, in file order: skipped (problems in the file), created, failed,
 * cancelled (not created: the run was cancelled or stopped first) or unknown (no result).
 */
export function rowResults(rows, valid, outcome) {
  const byRow = new Map();
  valid.forEach((r, i) => byRow.set(r, outcome.results?.[i]));
  return rows.map((r) => {
    const base = { line: r.line, userPrincipalName: r.userState.userPrincipalName };
    if (r.problems.length) return { ...base, status: "skipped", error: r.problems.join("; ") };
    const result = byRow.get(r);
    if (!result) {
      const why = outcome.failedRun ? describeError(outcome.failedRun, "create").title : "no result";
      return { ...base, status: "unknown", error: `${why}: check the Manage view for this user` };
    }
    if (result.ok) return { ...base, status: "created", id: result.userState.id };
    // The run's stop (one message above the results), not this row's own failure: not sent.
    if (outcome.stopped && result.error?.message === outcome.stopped.message) return { ...base, status: "cancelled", error: "not created: the import stopped (see the message above)" };
    if (result.error?.name === "AbortError") return { ...base, status: "cancelled", error: "not created: the import was cancelled" };
    if (STOPPED(result.error)) return { ...base, status: "cancelled", error: `not created: the import stopped (${describeError(result.error, "create").title})` };
    return { ...base, status: "failed", error: errorText(result.error, valid) };
  });
}
const show = (v) => (v === null ? h("span", { class: "empty" }, "(empty)") : v);
const errorLine = (text) => h("p", { class: "alert error", role: "alert" }, text);
const tagClass = (s) => ({ created: "ok", failed: "bad", skipped: "warn", cancelled: "muted", unknown: "warn" })[s];

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
