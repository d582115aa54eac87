// The Import tab's plan (issue 18): the chosen file compared with the script's user states
// before anything is written (the package's planUserStates, run in the worker): the counts, a
// table of the changes (user, field, server value, file value), the users only the server has
// with a box to delete them too (off by default), and the label of the one Apply button.
import { $, fill, h } from "./dom.js";
import { planChanges } from "./plan-rows.js";

/** Rows of the change table and of the server-only table drawn at most. */
export const PLAN_ROWS = 200;
const LABELS = { userPrincipalName: "User principal name", successDeviceCount: "Success devices", errorDeviceCount: "Error devices" };

/** How many writes applying `plan` sends. */
export const writesOf = (plan, deleteExtra) => plan.create.length + plan.update.length + (deleteExtra ? plan.extra.length : 0);

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "2 to create, 2 to update, 2 unchanged, 3 on the server only" */
export const planCounts = (plan) =>
  `${plan.create.length} to create, ${plan.update.length} to update, ${plan.unchanged.length} unchanged, ${plan.extra.length} on the server only`;

/**
 * Each change, one per field: { change: "new" | "changed", line, user, field, server, file },
 * by line. A new user shows its two counts (no server value); a changed one only the differing
 * fields. The plan file's own reading of the plan (plan-rows.js), so the two cannot differ.
 */
export const changeRows = (plan, lineOf) =>
  planChanges(plan)
    .map(({ action, index, user, field, server, file }) => ({ change: action === "create" ? "new" : "changed", line: lineOf(index), user, field, server, file }))
    .sort((a, b) => a.line - b.line);

/** The plan's part of the preview says `content` (comparing, or why it could not). */
export function showPlanStatus(...content) {
  $("plan").hidden = false;
  $("planDownload").hidden = true;
  fill($("planSummary"), ...content);
  $("planChangesWrap").hidden = $("planExtra").hidden = true;
}

export function hidePlan() {
  $("plan").hidden = true;
}

/**
 * Draws `plan` of the `valid` rows (the rows without problems, in the order sent). With
 * `skipped` rows (problems in the file) the box to delete is off and disabled: a skipped row's
 * user is on the server only, and would be deleted for a typo.
 */
export function drawPlan(plan, valid, skipped = 0) {
  const lineOf = (i) => valid[i]?.line ?? "?";
  $("plan").hidden = false;
  $("planDownload").hidden = false;
  const nothing = writesOf(plan, false) === 0;
  fill(
    $("planSummary"),
    h("strong", {}, `Plan: ${planCounts(plan)}`),
    plan.invalid.length ? `, ${plural(plan.invalid.length, "row")} the rules refuse` : "",
    ".",
    nothing ? " Nothing to change: the server already holds every row of this file." : "",
    plan.extra.length ? " The users only the server has are kept unless you tick the box below." : "",
  );

  const rows = changeRows(plan, lineOf);
  $("planChangesWrap").hidden = rows.length === 0;
  $("planChangesCaption").textContent = rows.length > PLAN_ROWS ? `Changes: the first ${PLAN_ROWS} of ${rows.length}` : `Changes: ${rows.length}`;
  fill(
    $("planChangesBody"),
    rows.slice(0, PLAN_ROWS).map((r) =>
      h(
        "tr",
        { class: `change-${r.change}` },
        h("td", {}, h("span", { class: `tag ${r.change === "new" ? "ok" : "warn"}` }, r.change === "new" ? "New user" : "Changed")),
        h("td", { class: "num" }, r.line),
        h("td", { class: "upn" }, r.user),
        h("td", {}, LABELS[r.field]),
        h("td", { class: "num" }, r.server === null ? h("span", { class: "empty" }, "(none)") : String(r.server)),
        h("td", { class: "num" }, String(r.file)),
      ),
    ),
  );

  $("planExtra").hidden = plan.extra.length === 0;
  $("planDeleteExtra").checked = false;
  $("planDeleteExtra").disabled = skipped > 0;
  $("planDeleteExtraLabel").textContent =
    `Also delete ${plan.extra.length === 1 ? "this user state" : `these ${plan.extra.length} user states`} from the server` +
    (skipped > 0 ? ` (not while rows of the file have problems: the users on them would be deleted)` : "");
  fill(
    $("planExtraBody"),
    plan.extra.slice(0, PLAN_ROWS).map((o) =>
      h(
        "tr",
        {},
        h("td", { class: "upn" }, o.userPrincipalName ?? h("span", { class: "empty" }, "(no name)")),
        h("td", { class: "num" }, String(o.successDeviceCount ?? "")),
        h("td", { class: "num" }, String(o.errorDeviceCount ?? "")),
        h("td", { class: "id" }, h("code", {}, o.id)),
      ),
    ),
  );
}

/**
 * The Apply button's text (and accessible name when the text does not start with "Apply"):
 * before a plan, `Import N user states`; a plan that only creates, the same with its count;
 * otherwise `Apply: 2 to create, 2 to update, 3 to delete`, or `Apply (nothing to change)`.
 */
export function startLabel(plan, deleteExtra, good) {
  if (!plan) return { text: `Import ${plural(good, "user state")}`, name: null };
  const deletes = deleteExtra ? plan.extra.length : 0;
  if (writesOf(plan, deleteExtra) === 0) return { text: "Apply (nothing to change)", name: null };
  if (plan.update.length === 0 && deletes === 0) {
    const text = `Import ${plural(plan.create.length, "user state")}`;
    return { text, name: `Apply: ${text.toLowerCase()}` };
  }
  const parts = [plan.create.length && `${plan.create.length} to create`, plan.update.length && `${plan.update.length} to update`, deletes && `${deletes} to delete`].filter(Boolean);
  return { text: `Apply: ${parts.join(", ")}`, name: null };
}

/** The plan's action per valid row, as one letter each (c, u, n, i): kept with a saved import. */
export function plannedActions(plan, n) {
  const out = new Array(n).fill("i");
  for (const { index } of plan.create) out[index] = "c";
  for (const { index } of plan.update) out[index] = "u";
  for (const { index } of plan.unchanged) out[index] = "n";
  return out.join("");
}
