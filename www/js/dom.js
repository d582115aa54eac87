// DOM helpers. Everything from the service, a CSV file or the user becomes a text node:
// this page never assigns HTML from strings (and its CSP requires Trusted Types, so it could not).

export const $ = (id) => document.getElementById(id);

/** h("td", { class: "num" }, "text", child): an element; strings and numbers become text nodes. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "hidden" || k === "disabled" || k === "checked") el[k] = Boolean(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's content with `children` (text or nodes). */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A <dl> of [term, value] pairs. */
export const details = (pairs, attrs = {}) => h("dl", { class: "facts", ...attrs }, pairs.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));

/** An error box built from describeError's output. */
export function errorBox(d, extra = []) {
  return h(
    "div",
    { class: "alert error", role: "alert", tabindex: "-1" },
    h("p", { class: "alert-title" }, d.title),
    h("p", {}, d.advice),
    extra,
    d.support.length ? h("details", { class: "support" }, h("summary", {}, "Details for support"), details(d.support)) : null,
  );
}

/** Accessible tabs: arrow keys, Home/End, roving tabindex. */
export function tabs(list) {
  const all = [...list.querySelectorAll('[role="tab"]')];
  const select = (tab, focus) => {
    for (const t of all) {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
    }
    if (focus) tab.focus();
    history.replaceState(null, "", `${location.search}#${tab.dataset.view}`);
  };
  for (const t of all) t.addEventListener("click", () => select(t, false));
  list.addEventListener("keydown", (e) => {
    const i = all.indexOf(document.activeElement);
    if (i < 0) return;
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: all.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    select(all[(to + all.length) % all.length], true);
  });
  const start = all.find((t) => `#${t.dataset.view}` === location.hash) ?? all[0];
  select(start, false);
  return (view) => select(all.find((t) => t.dataset.view === view), true);
}

/** Offers `text` as a CSV download named `name` (the page's exports and results files). */
export function saveCsv(text, name) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const a = h("a", { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
