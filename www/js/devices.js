// The devices of the report (issue 20): the script's run summary at the top of the report
// (getRunSummary, read when the user states are loaded), and a devices view: a user's row
// opens that user's devices ("Devices" in its actions), "All devices" reads every device of
// the script. Both stream in page by page (listDeviceRunStatePages, the device expanded), can
// be filtered by run state, exported as CSV (what is shown) and are drawn a page of rows at a
// time, so 10,000 devices stay responsive. The script's output is text: every value from the
// service becomes a text node (dom.js), long output is folded, with a copy button.
import { $, errorBox, fill, h, saveCsv } from "./dom.js";
import { describeError } from "./errors.js";
import {
  OTHER,
  RUN_STATES,
  devicesCsv,
  devicesExportName,
  errorCodeText,
  foldOutput,
  runStateCounts,
  runStateKey,
  runStateText,
  shownDevices,
  summaryFigures,
  timeText,
} from "./devices-report.js";

/** Rows the devices table draws at once; Previous and Next move by as many. */
export const DEVICES_PER_PAGE = 100;
/** While pages stream in, the view redraws at most this often (ms). */
const DRAW_MS = 300;

export function setupDevices({ api, options, checkScript, explainScriptError }) {
  const section = $("devices");
  const body = $("devicesBody");
  const status = $("devicesStatus");
  const filter = $("deviceRunState");
  let target = null; // { scriptId, scriptKind } of the loaded user states
  let view = null; // { upn, userStateId } or { upn: null } for every device of the script
  let states = []; // the device run states read, in order
  let page = 0; // the page of the table shown
  let reading = null; // { controller, stopped } while pages stream in
  let generation = 0;

  const say = (...content) => fill(status, ...content);
  const fail = (err, box, op) => {
    explainScriptError?.(err, op);
    fill(box, errorBox(describeError(err, op)));
  };

  // --- The run summary, read with the user states ---------------------------------------------
  let summaryGeneration = 0;
  $("listLoad").addEventListener("click", async () => {
    if (!checkScript({ focus: false })) return;
    const mine = ++summaryGeneration;
    const o = options();
    target = { scriptId: o.scriptId, scriptKind: o.scriptKind };
    stopReading();
    states = [];
    view = null;
    section.hidden = false;
    $("devicesView").hidden = true;
    say();
    $("runSummary").hidden = true;
    fill($("runSummaryStatus"));
    try {
      const summary = await api.getRunSummary(o);
      if (mine !== summaryGeneration) return;
      const f = summaryFigures(summary);
      const text = (v) => (v === null ? "–" : String(v));
      $("summarySuccessDevices").textContent = text(f.successDevices);
      $("summaryErrorDevices").textContent = text(f.errorDevices);
      $("summarySuccessUsers").textContent = text(f.successUsers);
      $("summaryErrorUsers").textContent = text(f.errorUsers);
      $("runSummary").hidden = false;
    } catch (err) {
      // A script that is not there, or no access: the listing beside it says so in full.
      if (mine !== summaryGeneration || (err?.name === "GraphError" && [401, 403, 404].includes(err.status))) return;
      $("runSummary").hidden = false;
      for (const id of ["summarySuccessDevices", "summaryErrorDevices", "summarySuccessUsers", "summaryErrorUsers"]) $(id).textContent = "–";
      fill($("runSummaryStatus"), h("p", { class: "muted" }, `The run summary could not be read: ${describeError(err, "summary").title}`));
    }
  });

  // --- The devices view -----------------------------------------------------------------------
  $("listBody").addEventListener("devices", (e) => {
    const { state } = e.detail;
    open({ upn: state.userPrincipalName ?? "(none)", userStateId: state.id });
  });
  $("devicesAll").addEventListener("click", () => open({ upn: null }));
  $("devicesStop").addEventListener("click", () => {
    if (!reading) return;
    reading.stopped = true;
    reading.controller.abort();
    $("devicesStop").disabled = true;
  });
  filter.addEventListener("change", () => {
    page = 0;
    render();
  });
  $("devicesPrev").addEventListener("click", () => {
    page = Math.max(0, page - 1);
    render();
  });
  $("devicesNext").addEventListener("click", () => {
    page += 1;
    render();
  });
  $("devicesExport").addEventListener("click", () =>
    saveCsv(devicesCsv(shown(), view?.upn ?? null), devicesExportName(target?.scriptId ?? "script", view?.upn ?? null)),
  );

  function stopReading() {
    generation += 1;
    reading?.controller.abort();
    reading = null;
  }

  async function open(which) {
    if (!target) return;
    stopReading();
    const mine = generation;
    view = which;
    states = [];
    page = 0;
    say();
    section.hidden = false;
    $("devicesView").hidden = false;
    $("devicesTitle").textContent = which.upn === null ? "All devices of the script" : `Devices of ${which.upn}`;
    const controller = new AbortController();
    const o = { ...options({ signal: controller.signal }), ...target };
    if (which.userStateId) o.userStateId = which.userStateId;
    let pages;
    try {
      pages = api.listDeviceRunStatePages(o);
    } catch (err) {
      return fail(err, status, "devices");
    }
    reading = { controller, stopped: false };
    const mineReading = reading;
    $("devicesStop").hidden = false;
    $("devicesStop").disabled = false;
    $("devicesTable").setAttribute("aria-busy", "true");
    render();
    $("devicesTitle").focus();
    let timer = null;
    let failed = null;
    try {
      for (;;) {
        const next = await pages.next();
        if (mine !== generation || next.done) break;
        for (const s of next.value) states.push(s);
        $("devicesRead").textContent = `${states.length} read so far…`;
        // The first page at once, then at most every DRAW_MS; the last when reading ends.
        if (states.length === next.value.length) render();
        else
          timer ??= setTimeout(() => {
            timer = null;
            if (mine === generation) render();
          }, DRAW_MS);
        if (mineReading.stopped) break;
      }
    } catch (err) {
      if (!(mineReading.stopped && err?.name === "AbortError")) failed = err;
    } finally {
      pages.free?.();
      clearTimeout(timer);
    }
    if (mine !== generation) return;
    reading = null;
    $("devicesStop").hidden = true;
    $("devicesTable").removeAttribute("aria-busy");
    $("devicesRead").textContent = "";
    if (failed) fail(failed, status, "devices");
    else if (mineReading.stopped) say(h("p", { class: "muted" }, `Stopped after ${states.length} devices: the view covers only those.`));
    else if (states.length === 0) say(h("p", { class: "muted" }, which.upn === null ? "This script has no device run states yet." : `${which.upn} has no device run states.`));
    render();
  }

  const shown = () => shownDevices(states, filter.value);

  /** Draws one page of the rows shown, the counts and the pager. */
  function render() {
    const visible = shown();
    const pages = Math.max(1, Math.ceil(visible.length / DEVICES_PER_PAGE));
    page = Math.min(page, pages - 1);
    const from = page * DEVICES_PER_PAGE;
    const drawn = visible.slice(from, from + DEVICES_PER_PAGE);
    body.replaceChildren(...drawn.map(row));
    $("devicesTable").hidden = visible.length === 0;
    const counts = runStateCounts(states);
    for (const option of filter.options) {
      if (option.value === "") option.textContent = `All run states (${states.length})`;
      else option.textContent = `${option.value === OTHER ? "Other" : RUN_STATES[option.value]} (${counts[option.value]})`;
    }
    $("devicesShown").textContent =
      visible.length === 0
        ? ""
        : `${visible.length === states.length ? `${states.length} devices` : `${visible.length} of ${states.length} devices`}; showing ${from + 1}–${from + drawn.length}`;
    $("devicesPager").hidden = pages <= 1;
    $("devicesPrev").disabled = page === 0;
    $("devicesNext").disabled = page >= pages - 1;
    $("devicesPageText").textContent = `Page ${page + 1} of ${pages}`;
    $("devicesExport").disabled = visible.length === 0;
    $("devicesTable").closest(".table-wrap")?.dispatchEvent(new Event("redraw"));
  }

  function row(s) {
    const d = s.managedDevice ?? {};
    const name = d.deviceName ?? "(unknown device)";
    return h(
      "tr",
      { "data-id": s.id },
      h("th", { scope: "row", class: "device" }, name, view?.upn === null && d.userPrincipalName ? h("span", { class: "muted device-user" }, d.userPrincipalName) : null),
      h("td", {}, d.operatingSystem ?? ""),
      h("td", {}, h("span", { class: `run-state run-${runStateKey(s.runState)}` }, runStateText(s.runState))),
      h("td", { class: "time" }, s.lastStateUpdateDateTime ? h("time", { datetime: s.lastStateUpdateDateTime }, timeText(s.lastStateUpdateDateTime)) : ""),
      h("td", { class: "num" }, errorCodeText(s.errorCode)),
      h("td", { class: "error-description" }, s.errorDescription ?? ""),
      h("td", { class: "output" }, output(s.resultMessage, name)),
    );
  }

  /** The script's output as text: short output in full, long output folded; a copy button. */
  function output(text, device) {
    if (typeof text !== "string" || text === "") return h("span", { class: "muted" }, "(none)");
    const { fold, short } = foldOutput(text);
    const copy = h("button", { type: "button", class: "small secondary copy", "aria-label": `Copy the output of ${device}` }, "Copy");
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(text);
        copy.textContent = "Copied";
      } catch {
        copy.textContent = "Copy failed";
      }
      setTimeout(() => (copy.textContent = "Copy"), 2000);
    });
    const full = h("pre", { class: "output-text" }, text);
    return fold ? [h("details", { class: "output-fold" }, h("summary", {}, short), full), copy] : [full, copy];
  }
}
