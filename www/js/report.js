// "Manage" as a report: totals, the success-against-error chart, the filter, the sort and the
// CSV export of what is shown. The functions on data are pure (node tests import them); the
// chart is built with DOM APIs only (SVG elements and attributes, no style attribute: the CSP
// allows only the style sheet).
import { toCsv } from "./csv.js";

/** The columns a report sorts by, and how. */
export const SORTS = Object.freeze({
  userPrincipalName: "text",
  successDeviceCount: "number",
  errorDeviceCount: "number",
  id: "text",
});

/** The CSV export's columns: what the table shows, in its order. */
export const EXPORT_COLUMNS = Object.freeze(["userPrincipalName", "successDeviceCount", "errorDeviceCount", "id"]);

const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });

/**
 * The user states to show, in order: those whose user principal name contains `filter`
 * (ignoring case; an empty filter keeps all), sorted by `sort.key` ascending or descending
 * (`sort.dir` 1 or -1), ties in the order they were loaded. Without a sort, load order.
 */
export function shownStates(states, { filter = "", sort = null } = {}) {
  const needle = filter.trim().toLocaleLowerCase();
  const kept = states
    .map((state, index) => ({ state, index }))
    .filter(({ state }) => needle === "" || (state.userPrincipalName ?? "").toLocaleLowerCase().includes(needle));
  if (sort && Object.hasOwn(SORTS, sort.key)) {
    const numeric = SORTS[sort.key] === "number";
    kept.sort((a, b) => {
      const x = a.state[sort.key];
      const y = b.state[sort.key];
      const c = numeric ? (Number(x) || 0) - (Number(y) || 0) : collator.compare(String(x ?? ""), String(y ?? ""));
      return c * sort.dir || a.index - b.index;
    });
  }
  return kept.map(({ state }) => state);
}

/** Totals of `states`: users, success devices, error devices, users with at least one error device. */
export function totals(states) {
  const t = { users: 0, successDevices: 0, errorDevices: 0, usersWithErrors: 0 };
  for (const s of states) {
    t.users += 1;
    t.successDevices += Number(s.successDeviceCount) || 0;
    t.errorDevices += Number(s.errorDeviceCount) || 0;
    if ((Number(s.errorDeviceCount) || 0) > 0) t.usersWithErrors += 1;
  }
  return t;
}

/** The share of `part` in `part + rest`, as a percentage (0 when both are 0). */
export const percent = (part, rest) => (part + rest === 0 ? 0 : (100 * part) / (part + rest));

/** "82%" (no decimals), "<1%" for a share that rounds to 0 but is not 0. */
export const percentText = (p) => (p > 0 && p < 0.5 ? "<1%" : p < 100 && p > 99.5 ? ">99%" : `${Math.round(p)}%`);

/** The export: the header row, then one line per state shown, as the table shows them. */
export const reportCsv = (states) => toCsv([EXPORT_COLUMNS, ...states.map((s) => EXPORT_COLUMNS.map((c) => s[c] ?? ""))]);

/** A file name for the export from the script id: letters, digits, dot, dash and underscore. */
export const exportName = (scriptId) => `${String(scriptId).replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "") || "script"}-user-states.csv`;

const SVG = "http://www.w3.org/2000/svg";

function rect(cls, x, width, value) {
  const r = document.createElementNS(SVG, "rect");
  r.setAttribute("class", cls);
  r.setAttribute("x", `${x}%`);
  r.setAttribute("y", "0");
  r.setAttribute("width", `${width}%`);
  r.setAttribute("height", "100%");
  r.setAttribute("data-value", String(value));
  return r;
}

/**
 * Draws one bar into `svg`: `good` (green) against `bad` (red), side by side across the width,
 * and writes the figures into `text`. With nothing to show, an empty grey bar.
 */
export function drawBar(svg, text, good, bad, [goodWord, badWord]) {
  const p = percent(good, bad);
  const shapes = good + bad === 0 ? [rect("bar-empty", 0, 100, 0)] : [rect("bar-success", 0, p, good), rect("bar-error", p, 100 - p, bad)];
  svg.replaceChildren(...shapes);
  text.textContent = good + bad === 0 ? "none" : `${good} ${goodWord} (${percentText(p)}) · ${bad} ${badWord} (${percentText(100 - p)})`;
}
