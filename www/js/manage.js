// "Manage": a script's user states as a report (totals, a chart of success against error
// devices, a filter, sorting by any column, Export CSV of what is shown), loaded page by page;
// the counts are edited in place, and a user state is deleted after confirming.
import { $, errorBox, fill, h } from "./dom.js";
import { countFromText, describeProblem } from "./format.js";
import { describeError } from "./errors.js";
import { drawBar, exportName, reportCsv, shownStates, totals } from "./report.js";

const COUNTS = ["successDeviceCount", "errorDeviceCount"];
const COUNT_LABELS = { successDeviceCount: "Success devices", errorDeviceCount: "Error devices" };

export function setupManage({ api, options, checkScript, explainScriptError, answersFor }) {
  const body = $("listBody");
  const status = $("manageStatus");
  const more = $("listMore");
  const load = $("listLoad");
  let pages = null; // the async iterator of the current listing, while it has more
  let ahead = null; // the next page, read ahead
  let target = null; // the script the table shows, { scriptId, scriptKind }
  let listingId = null; // the client-request-id of the listing's requests
  const rows = new Map(); // id -> the row (<tr>, its user state in tr.state), in load order
  let sort = null; // { key, dir } or null for load order

  const say = (...content) => fill(status, ...content);
  const fail = (err, op) => {
    explainScriptError(err, op);
    say(errorBox(describeError(err, op)));
  };
  const summary = () => {
    const n = rows.size;
    $("listSummary").textContent = `${n} user state${n === 1 ? "" : "s"}${pages ? " so far" : ""}`;
  };

  load.addEventListener("click", async () => {
    if (!checkScript()) return;
    say();
    fill(body);
    rows.clear();
    $("listTable").hidden = true;
    $("report").hidden = true;
    $("listRequests").hidden = true;
    more.hidden = true;
    const o = options({ top: Number($("pageSize").value) });
    target = { scriptId: o.scriptId, scriptKind: o.scriptKind };
    listingId = o.clientRequestId;
    discard();
    try {
      const listing = api.listUserStatePages(o);
      pages = typeof listing.next === "function" ? listing : listing[Symbol.asyncIterator]();
    } catch (err) {
      pages = null;
      return fail(err, "list");
    }
    await nextPage();
  });
  more.addEventListener("click", nextPage);

  // The listing holds memory in the wasm module until freed (never while a page is loading).
  function discard() {
    pages?.free?.();
    pages = null;
    ahead = null;
  }

  // Shows the page read ahead (or reads one), then reads the next one ahead, so "Load more"
  // appears only when there is more.
  async function nextPage() {
    if (!pages) return;
    load.disabled = more.disabled = true;
    $("listTable").setAttribute("aria-busy", "true");
    $("listSummary").textContent = "Loading…";
    try {
      const page = ahead ?? (await pages.next());
      ahead = null;
      if (!page.done) {
        for (const state of page.value) rows.set(state.id, row(state));
        render();
        ahead = await pages.next();
      }
      if (page.done || ahead.done) {
        discard();
        if (rows.size > 0 && more.hidden === false) say(h("p", { class: "muted" }, "All user states are listed."));
      }
    } catch (err) {
      discard();
      fail(err, "list");
    } finally {
      load.disabled = more.disabled = false;
      $("listTable").removeAttribute("aria-busy");
    }
    render();
    more.hidden = !pages;
    if (rows.size === 0 && !pages && !status.firstChild) say(h("p", { class: "muted" }, "This script has no user states yet."));
    summary();
    showRequests();
  }

  // --- The report: what is shown (filter, sort), its totals and chart ------------------------
  const states = () => [...rows.values()].map((tr) => tr.state);
  const shown = () => shownStates(states(), { filter: $("reportFilter").value, sort });

  /** Puts the rows in the order shown (keeping each row element, so an open editor stays). */
  function render() {
    const visible = shown();
    body.replaceChildren(...visible.map((s) => rows.get(s.id)));
    const t = totals(visible);
    $("totalUsers").textContent = t.users;
    $("totalSuccess").textContent = t.successDevices;
    $("totalErrors").textContent = t.errorDevices;
    $("totalUsersWithErrors").textContent = t.usersWithErrors;
    drawBar($("chartDevices"), $("chartDevicesText"), t.successDevices, t.errorDevices, ["success", "with errors"]);
    drawBar($("chartUsers"), $("chartUsersText"), t.users - t.usersWithErrors, t.usersWithErrors, ["without errors", "with errors"]);
    const all = rows.size;
    $("reportShown").textContent = visible.length === all ? `Showing all ${all}` : `Showing ${visible.length} of ${all}`;
    $("report").hidden = all === 0;
    $("listTable").hidden = all === 0;
    for (const th of document.querySelectorAll("#listTable th[aria-sort]")) {
      const key = th.querySelector("button.sort").dataset.sort;
      th.setAttribute("aria-sort", sort?.key === key ? (sort.dir === 1 ? "ascending" : "descending") : "none");
    }
  }

  $("reportFilter").addEventListener("input", render);
  for (const button of document.querySelectorAll("#listTable button.sort")) {
    button.addEventListener("click", () => {
      const key = button.dataset.sort;
      sort = sort?.key === key ? { key, dir: -sort.dir } : { key, dir: 1 };
      render();
    });
  }
  $("reportExport").addEventListener("click", () => {
    const blob = new Blob([reportCsv(shown())], { type: "text/csv;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const a = h("a", { href: url, download: exportName(target?.scriptId ?? "script"), hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  });

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

  // One table row; `state` is kept on the row and replaced after each save.
  function row(state) {
    const tr = h("tr", { "data-id": state.id });
    show(tr, state);
    return tr;
  }

  function show(tr, state) {
    tr.state = state;
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
