// The script picker: the scripts of the chosen type by name (listScripts), searchable as you
// type in the script field, the id shown small beside each. Choosing one puts its id in the
// field; typing or pasting an id still works. The matching is pure (node tests import it).
import { $, fill, h } from "./dom.js";
import { describeError } from "./errors.js";

/** What the page calls each type, singular and plural. */
export const KINDS = Object.freeze({
  deviceManagementScripts: ["Windows PowerShell script", "Windows PowerShell scripts"],
  deviceShellScripts: ["macOS shell script", "macOS shell scripts"],
  deviceCustomAttributeShellScripts: ["macOS custom attribute", "macOS custom attributes"],
});

/** Most options shown at once; typing narrows the list. */
export const MAX_OPTIONS = 50;

const words = (text) => text.toLocaleLowerCase().split(/\s+/).filter(Boolean);

/**
 * The scripts that match `query`, by name: every word of the query is in the display name (any
 * case, any order), or the query is part of the id. An empty query matches all. Sorted by name.
 */
export function matchScripts(scripts, query) {
  const q = words(query);
  const id = query.trim().toLocaleLowerCase();
  return scripts
    .filter((s) => {
      const name = (s.displayName ?? "").toLocaleLowerCase();
      return q.length === 0 || q.every((w) => name.includes(w)) || (id.length >= 3 && String(s.id).toLocaleLowerCase().includes(id));
    })
    .sort((a, b) => (a.displayName ?? "").localeCompare(b.displayName ?? "", undefined, { sensitivity: "base", numeric: true }));
}

/**
 * What the field's text names: `{ script }` when it is a listed script's id (or the exact name
 * of exactly one listed script), `{ unknown: true }` when scripts are listed and it is neither,
 * `{}` when there is nothing to say (empty, or no list to compare with).
 */
export function resolveScript(scripts, text) {
  const t = text.trim();
  if (t === "" || scripts === null) return {};
  const byId = scripts.find((s) => s.id === t);
  if (byId) return { script: byId };
  const byName = scripts.filter((s) => (s.displayName ?? "").trim().toLocaleLowerCase() === t.toLocaleLowerCase());
  if (byName.length === 1) return { script: byName[0], byName: true };
  return { unknown: true };
}

/**
 * Wires the picker. `callOptions()` gives the common options of a call (token, cloud or
 * baseUrl, scriptKind, onResponse); `onChosen()` is told when the field's script changes.
 * Returns `{ load, resolve }`: `load()` lists the scripts of the chosen type, `resolve(text)`
 * is the id a call should use for the field's text.
 */
export function setupPicker({ api, callOptions, onChosen = () => {} }) {
  const input = $("scriptId");
  const list = $("scriptOptions");
  const status = $("scriptsStatus");
  const chosen = $("scriptChosen");
  let scripts = null; // the listed scripts of `listedKind`, or null before a list
  let listedKind = null;
  let matches = [];
  let active = -1;
  let loading = 0; // the latest load; an older one that ends later is ignored

  const kind = () => $("scriptKind").value;
  const say = (state, ...content) => {
    status.dataset.state = state;
    fill(status, ...content);
  };

  async function load() {
    const mine = ++loading;
    const k = kind();
    say("loading", `Loading the ${KINDS[k][1]}…`);
    $("scriptsLoad").disabled = true;
    try {
      const found = await api.listScripts(callOptions());
      if (mine !== loading) return;
      scripts = found;
      listedKind = k;
      const n = found.length;
      say("loaded", n === 0 ? `No ${KINDS[k][1]} in this tenant.` : `${n} ${KINDS[k][n === 1 ? 0 : 1]}: type a name to search.`);
    } catch (err) {
      if (mine !== loading) return;
      scripts = null;
      listedKind = null;
      const d = describeError(err, "scripts");
      say("error", h("span", { class: "field-error" }, `${d.title}. `), d.advice);
    } finally {
      if (mine === loading) $("scriptsLoad").disabled = false;
    }
    showChosen();
    if (document.activeElement === input && input.value.trim() !== "") open();
  }

  /** Forgets the list (the type changed, or there is no token to list with). */
  function forget(message) {
    loading++;
    scripts = null;
    listedKind = null;
    close();
    say("idle", message);
    $("scriptsLoad").disabled = false;
    showChosen();
  }

  function resolve(text) {
    const r = resolveScript(listedKind === kind() ? scripts : null, text);
    return r.script ? r.script.id : text.trim();
  }

  function showChosen() {
    const r = resolveScript(listedKind === kind() ? scripts : null, input.value);
    const [one] = KINDS[kind()];
    if (r.script) {
      fill(chosen, r.byName ? "Uses " : "", h("strong", { class: "chosen-name" }, r.script.displayName ?? "(no name)"), r.script.fileName ? ` · ${r.script.fileName}` : "", r.byName ? h("span", {}, " · id ", h("code", {}, r.script.id)) : "");
      chosen.className = "chosen";
    } else if (r.unknown) {
      fill(chosen, `No ${one} listed has this id or name. Choose one from the list, or check the id and the script type.`);
      chosen.className = "chosen unknown";
    } else {
      fill(chosen);
      chosen.className = "chosen";
    }
    onChosen(r.script ?? null);
  }

  function open() {
    if (scripts === null || listedKind !== kind()) return close();
    const text = input.value;
    // An id pasted whole: nothing to choose from, the line under the field names the script.
    matches = scripts.some((s) => s.id === text.trim()) ? [] : matchScripts(scripts, text);
    if (matches.length === 0) return close();
    active = Math.min(Math.max(active, 0), matches.length - 1);
    const shown = matches.slice(0, MAX_OPTIONS);
    fill(
      list,
      shown.map((s, i) =>
        h(
          "li",
          { role: "option", id: `scriptOption-${i}`, class: i === active ? "option active" : "option", "aria-selected": String(i === active), "data-id": s.id, onmousedown: (e) => (e.preventDefault(), choose(s)) },
          h("span", { class: "option-name" }, s.displayName ?? "(no name)"),
          h("code", { class: "option-id" }, s.id),
        ),
      ),
      matches.length > MAX_OPTIONS ? h("li", { class: "option-more", role: "presentation" }, `${matches.length - MAX_OPTIONS} more: type to narrow the list`) : null,
    );
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    input.setAttribute("aria-activedescendant", `scriptOption-${active}`);
    list.children[active]?.scrollIntoView?.({ block: "nearest" });
  }

  function close() {
    list.hidden = true;
    fill(list);
    matches = [];
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function choose(script) {
    input.value = script.id;
    close();
    showChosen();
    input.focus();
  }

  input.addEventListener("input", () => {
    active = 0;
    open();
    showChosen();
  });
  input.addEventListener("click", () => (list.hidden ? open() : close()));
  input.addEventListener("blur", close);
  input.addEventListener("keydown", (e) => {
    const shown = Math.min(matches.length, MAX_OPTIONS);
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (list.hidden) {
        active = 0;
        return open();
      }
      active = (active + (e.key === "ArrowDown" ? 1 : shown - 1)) % shown;
      open();
    } else if (e.key === "Enter" && !list.hidden && matches[active]) {
      e.preventDefault();
      choose(matches[active]);
    } else if (e.key === "Escape" && !list.hidden) {
      e.preventDefault();
      close();
    }
  });

  return { load, forget, resolve, showChosen, kindName: () => KINDS[kind()][0] };
}
