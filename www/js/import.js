// "Bulk import": read a CSV (chosen or dropped), preview it, import with progress and cancel,
// then a results table and a results CSV to download. Every import keeps a journal
// (indexedDbJournal) and its parsed rows (saved-imports.js), so one cut short by a closed tab
// or a crash is offered again, for the same script, to resume or discard.
import { $, errorBox, fill, h } from "./dom.js";
import { forgetImport, journalName, saveImport, saveProgress, unfinishedImport } from "./saved-imports.js";
import { readUserStatesCsv, resultsCsv } from "./csv.js";
import { describeError } from "./errors.js";
import { describeProblem, progressFigures } from "./format.js";

const PREVIEW_ROWS = 100;
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
      h("strong", {}, `${offered.done} of ${offered.total}`),
      " done.",
    );
  }
  for (const id of ["scriptId", "scriptKind"]) for (const type of ["input", "change"]) $(id).addEventListener(type, offerResume);
  $("resumeImport").addEventListener("click", () => {
    if (!offered || run) return;
    file = { name: offered.fileName, rows: offered.rows };
    start(offered);
  });
  $("resumeDiscard").addEventListener("click", async () => {
    if (!offered || run) return;
    const { id } = offered;
    await api.indexedDbJournal(journalName(id)).clear();
    await forgetImport(id);
    await offerResume();
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
    const parsed = readUserStatesCsv(await chosen.text(), api);
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
    const where = saved ? { scriptId: saved.scriptId, scriptKind: saved.scriptKind } : {};
    const id = saved?.id ?? crypto.randomUUID();
    if (!saved) {
      const o = options();
      await saveImport({ id, fileName: file.name, startedAt: Date.now(), scriptId: o.scriptId, scriptKind: o.scriptKind, root: rootOf(o), rows: file.rows, done: 0, total: valid.length });
    }
    const journal = api.indexedDbJournal(journalName(id));
    const started = performance.now();
    const bar = $("importProgress");
    bar.max = valid.length;
    bar.value = 0;
    let announced = 0;
    // How far it got, kept current: one save at a time, the newest figures next.
    let saving = false;
    let unsaved = null;
    const keep = async () => {
      if (saving) return;
      saving = true;
      while (unsaved) {
        const { done, total } = unsaved;
        unsaved = null;
        await saveProgress(id, done, total).catch(() => {});
      }
      saving = false;
    };
    const onProgress = (p) => {
      bar.value = p.done;
      bar.setAttribute("aria-valuetext", `${p.done} of ${p.total}`);
      $("progressText").textContent = progressFigures(p, performance.now() - started).text;
      const quarter = Math.floor((4 * p.done) / p.total);
      if (quarter > announced) {
        announced = quarter;
        $("progressAnnounce").textContent = `${p.done} of ${p.total} done`;
      }
      unsaved = p;
      keep();
    };
    const request = options({ ...where, userStates: valid.map((r) => r.userState), signal: controller.signal, concurrency: 4, maxRetries: 6, onProgress, journal });
    onProgress({ done: 0, total: valid.length, succeeded: 0, failed: 0 });
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
      outcome = await api.createUserStates(request);
    } catch (err) {
      // The run as a whole failed (bad options, or stopped before it could report per row).
      outcome = { failedRun: err };
    } finally {
      window.removeEventListener("beforeunload", stay);
      run = null;
      $("progress").hidden = true;
    }
    const complete = !outcome.failedRun && !controller.signal.aborted;
    if (complete) {
      // Shown and downloadable now: the journal and the saved rows are done with.
      await journal.clear().catch(() => {});
      await forgetImport(id).catch(() => {});
    }
    finish(valid, outcome, controller.signal.aborted, performance.now() - started);
    offerResume();
  }

  $("importCancel").addEventListener("click", () => {
    if (!run) return;
    run.controller.abort();
    $("importCancel").disabled = true;
    $("importCancel").textContent = "Cancelling…";
  });

  function finish(valid, outcome, cancelled, elapsedMs) {
    const byRow = new Map();
    valid.forEach((r, i) => byRow.set(r, outcome.results?.[i]));
    results = file.rows.map((r) => {
      const base = { line: r.line, userPrincipalName: r.userState.userPrincipalName };
      if (r.problems.length) return { ...base, status: "skipped", error: r.problems.join("; ") };
      const result = byRow.get(r);
      if (!result) {
        const why = outcome.failedRun ? describeError(outcome.failedRun, "create").title : "no result";
        return { ...base, status: "unknown", error: `${why}: check the Manage view for this user` };
      }
      if (result.ok) return { ...base, status: "created", id: result.userState.id };
      if (result.error?.name === "AbortError") return { ...base, status: "cancelled", error: "not created: the import was cancelled" };
      return { ...base, status: "failed", error: errorText(result.error, valid) };
    });
    const count = (s) => results.filter((r) => r.status === s).length;
    const parts = [
      `${count("created")} created`,
      `${count("failed")} failed`,
      count("skipped") && `${count("skipped")} skipped (problems in the file)`,
      count("cancelled") && `${count("cancelled")} cancelled`,
      count("unknown") && `${count("unknown")} unknown`,
    ].filter(Boolean);
    fill($("resultsSummary"), `${cancelled ? "Cancelled. " : ""}${parts.join(", ")}, in ${Math.round(elapsedMs / 100) / 10} s.`);
    if (outcome.failedRun && !cancelled) status(errorBox(describeError(outcome.failedRun, "create")));
    fill(
      $("resultsBody"),
      results.map((r) =>
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
    $("results").hidden = false;
    $("resultsDownload").focus();
  }

  $("resultsProblemsOnly").addEventListener("change", () => {
    $("resultsTable").classList.toggle("problems-only", $("resultsProblemsOnly").checked);
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
