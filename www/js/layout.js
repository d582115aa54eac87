// Layout helpers that CSS alone cannot do: on a narrow screen the connection panel folds behind
// one button once a token is there (so the tasks are on the first screen), and a table wider than
// its box says it scrolls sideways.
import { $, h } from "./dom.js";

const NARROW = "(max-width: 860px)";

/**
 * The connection panel's fold. `hasToken()` says whether calls can be made now; `describe()`
 * gives the short line shown on the button ("Demo · pasted token"). Returns `refresh()`, to call
 * when either may have changed.
 */
export function setupConnectionFold({ hasToken, describe }) {
  const sidebar = $("sidebar");
  const toggle = $("connectionToggle");
  const narrow = matchMedia(NARROW);
  let folded = null; // null until the user or the first look decides
  const apply = () => {
    const fold = narrow.matches && folded === true;
    sidebar.classList.toggle("folded", fold);
    toggle.setAttribute("aria-expanded", String(!fold));
    $("connectionToggleState").textContent = `${describe()} · ${fold ? "show" : "hide"}`;
  };
  toggle.addEventListener("click", () => {
    folded = !(narrow.matches && folded === true);
    apply();
  });
  const refresh = () => {
    if (folded === null && narrow.matches) folded = hasToken();
    apply();
  };
  narrow.addEventListener("change", refresh);
  return refresh;
}

/** Marks each `.table-wrap` that overflows sideways, with a line above it saying so. */
export function setupScrollCues(root = document) {
  for (const wrap of root.querySelectorAll(".table-wrap")) {
    const hint = h("p", { class: "scroll-hint", hidden: true }, "The table scrolls sideways for more columns");
    wrap.before(hint);
    const check = () => {
      const over = wrap.scrollWidth > wrap.clientWidth + 1;
      wrap.toggleAttribute("data-overflow", over);
      hint.hidden = !over || !wrap.querySelector("table:not([hidden])");
    };
    new ResizeObserver(check).observe(wrap);
    wrap.addEventListener("redraw", check);
    const table = wrap.querySelector("table");
    if (table) new ResizeObserver(check).observe(table);
  }
}
