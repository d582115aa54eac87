// What `import` says about a plan (the package's planUserStates): the counts line, and each
// change (user, field, server value, file value) and each server-only user on stderr (the CSV
// file's rows are plan-rows.js's); and the default journal of a run, one per file, script and
// Graph root.
import { createHash } from "node:crypto";
// The plan file's rows: the page's own rule (www/js/plan-rows.js, copied beside this file by
// scripts/build-pkg.sh), so `--plan` and the page's download are one format.
export { PLAN_COLUMNS, planRows } from "./plan-rows.js";

const FIELDS = ["userPrincipalName", "successDeviceCount", "errorDeviceCount"];

/**
 * The counts line, printed before anything is written: `Plan: 120 to create, 3 to update, 877
 * unchanged, 2 on the server only (kept; --delete-extra deletes them)`, and the items the
 * package's rules refuse (a second row of one user), if any.
 */
export function planLine(plan, deleteExtra) {
  const extra = plan.extra.length;
  const parts = [`${plan.create.length} to create`, `${plan.update.length} to update`, `${plan.unchanged.length} unchanged`];
  parts.push(`${extra} on the server only${extra ? (deleteExtra ? " (to delete: --delete-extra)" : " (kept; --delete-extra deletes them)") : ""}`);
  if (plan.invalid.length) parts.push(`${plan.invalid.length} refused by the rules (named at the end)`);
  return `Plan: ${parts.join(", ")}`;
}

/** Whether applying `plan` writes anything. */
export const writesAnything = (plan, deleteExtra) => plan.create.length + plan.update.length + (deleteExtra ? plan.extra.length : 0) > 0;

/** The plan's changes as lines for a person (stderr with --verbose): one per user. */
export function planText(plan, lineOf, deleteExtra) {
  const lines = [];
  for (const { index, userState: s } of plan.create) {
    lines.push(`  create  line ${lineOf(index)} ${s.userPrincipalName}: successDeviceCount ${s.successDeviceCount}, errorDeviceCount ${s.errorDeviceCount}`);
  }
  for (const { index, id, before, changes } of plan.update) {
    const what = FIELDS.filter((f) => f in changes).map((f) => `${f} ${before[f] ?? "(none)"} -> ${changes[f]}`);
    lines.push(`  update  line ${lineOf(index)} ${changes.userPrincipalName ?? before.userPrincipalName} (id ${id}): ${what.join(", ")}`);
  }
  for (const o of plan.extra) {
    lines.push(`  ${deleteExtra ? "delete " : "server only (kept)"} ${o.userPrincipalName ?? "(no name)"} (id ${o.id}): successDeviceCount ${o.successDeviceCount}, errorDeviceCount ${o.errorDeviceCount}`);
  }
  return lines;
}

/**
 * The journal a run uses unless --journal names one: beside the file, named after the file
 * and a short digest of where the run writes (the Graph root: --base-url, else --cloud; the
 * script kind; the script id), so the same file imported into two scripts or two clouds gets
 * two journals. A sync's ends in `.journal`, a --create-only run's in `.create-journal`.
 */
export function defaultJournal(file, values, scriptId, createOnly) {
  const root = (values["base-url"] ?? "").replace(/\/+$/, "") || values.cloud || "global";
  const kind = values["script-kind"] ?? "deviceManagementScripts";
  const key = createHash("sha256").update(JSON.stringify([root, kind, scriptId])).digest("hex").slice(0, 8);
  return `${file}.${key}.${createOnly ? "create-journal" : "journal"}`;
}
