// "Manage": a script's user states as a report (totals, a chart of success against error
// devices, a filter, sorting by any column, Export CSV of what is shown). "Load user states"
// reads every page of the script (listUserStatePages), streamed in with a running count and a
// Stop button; the totals, chart, filter, sort and export cover everything read, and the table
// draws a page of rows at a time ("Load more" draws the next). The counts are edited in place,
// and a user state is deleted after confirming.
import { $, errorBox, fill, h, saveCsv } from "./dom.js";
import { countFromText, describeProblem } from "./format.js";
import { describeError } from "./errors.js";
import { drawBar, exportName, reportCsv, shownStates, totals } from "./report.js";

const COUNTS = ["successDeviceCount", "errorDeviceCount"];
const COUNT_LABELS = { successDeviceCount: "Success devices", errorDeviceCount: "Error devices" };
/** While pages stream in, the report redraws at most this often (ms). */
const DRAW_MS = 300;
/** Most rows the table draws at once, whatever the page size read from Graph. */
const MAX_DRAWN = 100;

export function setupManage({ api, options, checkScript, explainScriptError, answersFor }) {
  const body = $("listBody");
  const status = $("manageStatus");
  const more = $("listMore");
  const load = $("listLoad");
  const stop = $("listStop");
  let target = null; // the script the table shows, { scriptId, scriptKind }
  let listingId = null; // the client-request-id of the listing's requests
  const states = new Map(); // id -> user state, in load order
  const rows = new Map(); // id -> its <tr> (made when first drawn; tr.state is its user state)
  let sort = null; // { key, dir } or null for load order
  let limit = 0; // rows drawn in the table
  let reading = null; // { controller, stopped } while pages stream in
  let generation = 0; // only the latest listing may change the view
  let moreWasShown = false;

  const say = (...content) => fill(status, ...content);
  const fail = (err, op) => {
    explainScriptError(err, op);
    say(errorBox(describeError(err, op)));
  };
  const count = (n) => `${n} user state${n === 1 ? "" : "s"}`;
  const summary = () => {
    $("listSummary").textContent = reading ? "Loading user states…" : count(states.size);
  };
  const pageSize = () => Number($("pageSize").value);
  /** Rows the table draws at once (and adds per Load more): the page size, at most MAX_DRAWN. */
  const step = () => Math.min(pageSize(), MAX_DRAWN);

  load.addEventListener("click", async () => {
    if (!checkScript()) return;
    reading?.controller.abort();
    const mine = ++generation;
    say();
    fill(body);
    states.clear();
    rows.clear();
    limit = step();
    moreWasShown = false;
    $("listTable").hidden = true;
    $("report").hidden = true;
    $("listRequests").hidden = true;
    more.hidden = true;
    const controller = new AbortController();
    const o = options({ top: pageSize(), signal: controller.signal });
    target = { scriptId: o.scriptId, scriptKind: o.scriptKind };
    listingId = o.clientRequestId;
    let pages;
    try {
      const listing = api.listUserStatePages(o);
      pages = typeof listing.next === "function" ? listing : listing[Symbol.asyncIterator]();
    } catch (err) {
      return fail(err, "list");
    }
    reading = { controller, stopped: false };
    const mineReading = reading;
    stop.hidden = false;
    stop.disabled = false;
    $("listLoading").hidden = false;
    $("listCount").textContent = "0";
    $("listTable").setAttribute("aria-busy", "true");
    summary();
    let drawTimer = null;
    const drawSoon = () => {
      drawTimer ??= setTimeout(() => {
        drawTimer = null;
        if (mine === generation) render();
      }, DRAW_MS);
    };
    let failed = null;
    let read = 0;
    try {
      for (;;) {
        const page = await pages.next();
        if (mine !== generation || page.done) break;
        for (const state of page.value) states.set(state.id, state);
        $("listCount").textContent = String(states.size);
        // Drawn once the second page is there (so "Load more" shows with the first rows when
        // there is more), then at most every DRAW_MS; the last page is drawn when reading ends.
        read += 1;
        if (read === 2) render();
        else if (read > 2) drawSoon();
        if (mineReading.stopped) break;
      }
    } catch (err) {
      if (!(mineReading.stopped && err?.name === "AbortError")) failed = err;
    } finally {
      pages.free?.();
      clearTimeout(drawTimer);
    }
    if (mine !== generation) return;
    reading = null;
    stop.hidden = true;
    $("listLoading").hidden = true;
    $("listTable").removeAttribute("aria-busy");
    if (failed) fail(failed, "list");
    else if (mineReading.stopped) say(h("p", { class: "muted" }, `Stopped after ${count(states.size)}: the report covers only those. Load user states reads them all again.`));
    render();
    if (states.size === 0 && !status.firstChild) say(h("p", { class: "muted" }, "This script has no user states yet."));
    summary();
    showRequests();
  });

  stop.addEventListener("click", () => {
    if (!reading) return;
    reading.stopped = true;
    reading.controller.abort();
    stop.disabled = true;
  });

  more.addEventListener("click", () => {
    const first = limit;
    limit += step();
    render();
    if (more.hidden) {
      // Everything is drawn: focus the first new row, since the button has gone.
      body.rows[first]?.querySelector("button")?.focus();
    }
  });

  // --- The report: what is shown (filter, sort), its totals and chart ------------------------
  const shown = () => shownStates([...states.values()], { filter: $("reportFilter").value, sort });

  /** Draws the first `limit` rows shown (keeping each row element, so an open editor stays). */
  function render() {
    const visible = shown();
    const drawn = visible.slice(0, limit);
    body.replaceChildren(...drawn.map(rowFor));
    const t = totals(visible);
    $("totalUsers").textContent = t.users;
    $("totalSuccess").textContent = t.successDevices;
    $("totalErrors").textContent = t.errorDevices;
    $("totalUsersWithErrors").textContent = t.usersWithErrors;
    drawBar($("chartDevices"), $("chartDevicesText"), t.successDevices, t.errorDevices, ["success", "with errors"]);
    drawBar($("chartUsers"), $("chartUsersText"), t.users - t.usersWithErrors, t.usersWithErrors, ["without errors", "with errors"]);
    const all = states.size;
    $("reportShown").textContent = visible.length === all ? `Showing all ${all}` : `Showing ${visible.length} of ${all}`;
    $("listDrawn").textContent = drawn.length < visible.length ? `The table has the first ${drawn.length} of ${visible.length}; Load more adds ${Math.min(step(), visible.length - drawn.length)}. Export CSV has them all.` : "";
    $("report").hidden = all === 0;
    $("listTable").hidden = all === 0;
    const hadMore = !more.hidden;
    more.hidden = drawn.length >= visible.length;
    if (!more.hidden) moreWasShown = true;
    if (hadMore && more.hidden && !reading && moreWasShown && all > 0 && !status.firstChild) say(h("p", { class: "muted" }, "All user states are listed."));
    for (const th of document.querySelectorAll("#listTable th[aria-sort]")) {
      const key = th.querySelector("button.sort").dataset.sort;
      th.setAttribute("aria-sort", sort?.key === key ? (sort.dir === 1 ? "ascending" : "descending") : "none");
    }
    $("listTable").closest(".table-wrap")?.dispatchEvent(new Event("redraw"));
  }

  let filterTimer = null;
  $("reportFilter").addEventListener("input", () => {
    clearTimeout(filterTimer);
    // A large report redraws once typing pauses.
    if (states.size > 2000) filterTimer = setTimeout(render, 150);
    else render();
  });
  for (const button of document.querySelectorAll("#listTable button.sort")) {
    button.addEventListener("click", () => {
      const key = button.dataset.sort;
      sort = sort?.key === key ? { key, dir: -sort.dir } : { key, dir: 1 };
      render();
    });
  }
  $("reportExport").addEventListener("click", () => saveCsv(reportCsv(shown()), exportName(target?.scriptId ?? "script")));

  /** The request ids of the listing's answers, as onResponse told them. */
  function showRequests() {
    const seen = listingId ? answersFor(listingId) : [];
    fill(
      $("listRequestIds"),
      seen.map((a) => h("li", {}, `HTTP ${a.status} · request-id `, h("code", { class: "request-id" }, a.requestId ?? "(not exposed by the service)"))),
    );
    $("listClientRequestId").textContent = listingId ?? "";
    $("listRequests").hidden = seen.length === 0;
  }

  // One table row, made when first drawn; `state` is kept on the row and replaced after each save.
  function rowFor(state) {
    let tr = rows.get(state.id);
    if (!tr) {
      tr = h("tr", { "data-id": state.id });
      show(tr, state);
      rows.set(state.id, tr);
    }
    return tr;
  }

  function show(tr, state) {
    tr.state = state;
    states.set(state.id, state);
    const upn = state.userPrincipalName ?? "(none)";
    fill(
      tr,
      h("td", { class: "upn" }, upn),
      h("td", { class: "num", "data-field": "successDeviceCount" }, state.successDeviceCount),
      h("td", { class: "num", "data-field": "errorDeviceCount" }, state.errorDeviceCount),
      h("td", { class: "id" }, h("code", {}, state.id)),
      h(
        "td",
        { class: "actions" },
        h("button", { type: "button", class: "small secondary", "aria-label": `Edit counts of ${upn}`, onclick: () => edit(tr) }, "Edit"),
        h("button", { type: "button", class: "small danger-outline", "aria-label": `Delete ${upn}`, onclick: () => confirmDelete(tr) }, "Delete"),
        // The devices view (devices.js) opens this user's devices.
        h("button", { type: "button", class: "small secondary", "aria-label": `Devices of ${upn}`, onclick: () => tr.dispatchEvent(new CustomEvent("devices", { bubbles: true, detail: { state: tr.state } })) }, "Devices"),
      ),
    );
  }

  function edit(tr) {
    const state = tr.state;
    const upn = state.userPrincipalName ?? "(none)";
    const inputs = {};
    const errors = {};
    const cells = COUNTS.map((field) => {
      inputs[field] = h("input", { class: "count-input", inputmode: "numeric", value: state[field], "aria-label": `${COUNT_LABELS[field]} of ${upn}`, "data-field": field });
      errors[field] = h("p", { class: "field-error" });
      inputs[field].setAttribute("aria-describedby", (errors[field].id = `edit-${field}-${state.id}`));
      return h("td", { class: "num editing" }, inputs[field], errors[field]);
    });
    const values = () => Object.fromEntries(COUNTS.map((f) => [f, countFromText(inputs[f].value)]));
    // The package's rules, for the two counts only (the name is not edited here).
    const problems = () => api.validateUserState({ userPrincipalName: upn, ...values() }).filter((p) => COUNTS.includes(p.field));
    const check = () => {
      const found = problems();
      for (const f of COUNTS) {
        const p = found.find((x) => x.field === f);
        errors[f].textContent = p ? describeProblem(p) : "";
        inputs[f].setAttribute("aria-invalid", String(Boolean(p)));
      }
      return found;
    };
    const save = h("button", { type: "button", class: "small" }, "Save");
    const cancel = h("button", { type: "button", class: "small secondary" }, "Cancel");
    fill(tr, h("td", { class: "upn" }, upn), cells, h("td", { class: "id" }, h("code", {}, state.id)), h("td", { class: "actions" }, save, cancel));
    for (const f of COUNTS) inputs[f].addEventListener("input", check);
    tr.addEventListener("keydown", function keys(e) {
      if (e.key === "Escape") done();
      else if (e.key === "Enter" && e.target.tagName === "INPUT") save.click();
      else return;
      e.preventDefault();
    });
    const done = (next = state) => {
      show(tr, next);
      render();
      tr.querySelector("button").focus();
    };
    cancel.addEventListener("click", () => done());
    save.addEventListener("click", async () => {
      const found = check();
      if (found.length) return inputs[found[0].field].focus();
      const changes = Object.fromEntries(Object.entries(values()).filter(([f, v]) => v !== state[f]));
      if (Object.keys(changes).length === 0) return done();
      save.disabled = cancel.disabled = true;
      save.textContent = "Saving…";
      try {
        const common = { ...options(), ...target, userStateId: state.id };
        const updated = await api.updateUserState({ ...common, changes });
        // 204 No Content: read the object back, so the row shows what the service holds.
        const next = updated ?? (await api.getUserState(common));
        done(next);
        say(h("p", { class: "ok" }, `Saved the counts of ${upn}.`));
      } catch (err) {
        save.disabled = cancel.disabled = false;
        save.textContent = "Save";
        fail(err, "update");
      }
    });
    inputs.successDeviceCount.focus();
    inputs.successDeviceCount.select();
  }

  const dialog = $("confirmDelete");
  let pending = null;
  function confirmDelete(tr) {
    const state = tr.state;
    pending = tr;
    fill($("confirmText"), "The user state of ", h("strong", {}, state.userPrincipalName ?? "(none)"), " (id ", h("code", {}, state.id), ") will be deleted from the script. This cannot be undone.");
    dialog.showModal();
  }
  $("confirmCancel").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    if (pending && dialog.returnValue !== "delete") pending.querySelector("button")?.focus();
  });
  $("confirmDeleteButton").addEventListener("click", async () => {
    const tr = pending;
    const state = tr.state;
    const button = $("confirmDeleteButton");
    button.disabled = true;
    try {
      await api.deleteUserState({ ...options(), ...target, userStateId: state.id });
      dialog.returnValue = "delete";
      pending = null;
      dialog.close();
      const next = tr.nextElementSibling ?? tr.previousElementSibling;
      rows.delete(state.id);
      states.delete(state.id);
      tr.remove();
      render();
      summary();
      say(h("p", { class: "ok" }, `Deleted the user state of ${state.userPrincipalName ?? "(none)"}.`));
      (next?.querySelector("button") ?? load).focus();
    } catch (err) {
      dialog.close();
      fail(err, "delete");
    } finally {
      button.disabled = false;
      dialog.returnValue = "";
    }
  });
}
