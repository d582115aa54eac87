// A plan (the package's planUserStates) as rows of a CSV, one per change: the command line's
// `import --plan <out.csv>` and the page's "Download the plan (CSV)" write the same file
// (scripts/build-pkg.sh copies this file beside the command line's lib/). Pure.

export const PLAN_COLUMNS = Object.freeze(["action", "row", "userPrincipalName", "id", "field", "serverValue", "fileValue"]);
const COUNTS = ["successDeviceCount", "errorDeviceCount"];
const FIELDS = ["userPrincipalName", ...COUNTS];

/**
 * Each change of the plan, one per field, in the plan's order: { action: "create" | "update",
 * index, user, id, field, server, file }. A create (a new user) has its two counts, no id and
 * no server value (`null`); an update only the fields that differ, `server` being the server's
 * value (`null` when it had none). The page's table of changes and the plan file both read it.
 */
export function planChanges(plan) {
  const rows = [];
  for (const { index, userState } of plan.create) {
    for (const field of COUNTS) rows.push({ action: "create", index, user: userState.userPrincipalName, id: "", field, server: null, file: userState[field] });
  }
  for (const { index, id, before, changes } of plan.update) {
    const user = changes.userPrincipalName ?? before.userPrincipalName;
    for (const field of FIELDS) if (field in changes) rows.push({ action: "update", index, user, id, field, server: before[field] ?? null, file: changes[field] });
  }
  return rows;
}

/**
 * Each change of the plan, one per field: [action, row, userPrincipalName, id, field,
 * serverValue, fileValue]. `create` (a new user: its two counts, no server value), `update`
 * (only the fields that differ), then the server-only objects: `delete` when they are to be
 * deleted, else `server-only` (kept), the field empty and the server's counts as their value.
 * `lineOf(i)` is the file's line of item i.
 */
export function planRows(plan, lineOf, deleteExtra) {
  const rows = planChanges(plan).map((c) => [c.action, lineOf(c.index), c.user, c.id, c.field, c.server ?? "", c.file]);
  for (const o of plan.extra) {
    rows.push([deleteExtra ? "delete" : "server-only", "", o.userPrincipalName ?? "", o.id, "", `${o.successDeviceCount ?? ""} success, ${o.errorDeviceCount ?? ""} errors`, ""]);
  }
  return rows;
}
