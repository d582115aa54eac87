// "Manage": list a script's user states page by page, edit the counts in place, delete.
import { $, errorBox, fill, h } from "./dom.js";
import { countFromText, describeProblem } from "./format.js";
import { describeError } from "./errors.js";

const COUNTS = ["successDeviceCount", "errorDeviceCount"];
const COUNT_LABELS = { successDeviceCount: "Success devices", errorDeviceCount: "Error devices" };

export function setupManage({ api, options, checkScript }) {
  const body = $("listBody");
  const status = $("manageStatus");
  const more = $("listMore");
  const load = $("listLoad");
  let pages = null; // the async iterator of the current listing, while it has more
  let ahead = null; // the next page, read ahead
  let listed = 0;
  let target = null; // the script the table shows, { scriptId, scriptKind }

  const say = (...content) => fill(status, ...content);
  const fail = (err, op) => say(errorBox(describeError(err, op)));
  const summary = () => {
    $("listSummary").textContent = `${listed} user state${listed === 1 ? "" : "s"}${pages ? " so far" : ""}`;
  };

  load.addEventListener("click", async () => {
    if (!checkScript()) return;
    say();
    fill(body);
    listed = 0;
    $("listTable").hidden = true;
    more.hidden = true;
    const o = options({ top: Number($("pageSize").value) });
    target = { scriptId: o.scriptId, scriptKind: o.scriptKind };
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
        for (const state of page.value) body.append(row(state));
        listed += page.value.length;
        $("listTable").hidden = listed === 0;
        ahead = await pages.next();
      }
      if (page.done || ahead.done) {
        discard();
        if (listed > 0 && more.hidden === false) say(h("p", { class: "muted" }, "All user states are listed."));
      }
    } catch (err) {
      discard();
      fail(err, "list");
    } finally {
      load.disabled = more.disabled = false;
      $("listTable").removeAttribute("aria-busy");
    }
    $("listTable").hidden = listed === 0;
    more.hidden = !pages;
    if (listed === 0 && !pages && !status.firstChild) say(h("p", { class: "muted" }, "This script has no user states yet."));
    summary();
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
      tr.remove();
      listed -= 1;
      summary();
      $("listTable").hidden = listed === 0;
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
