// Demo mode (?demo=1, what `make demo` opens): the page talks to graph-mock on its own origin
// with a demo token and says so in a banner. Only js/app.js imports this module, and only in
// demo mode; the deployable site (`make site`) leaves it and demo.css out.
import { $, h } from "./dom.js";

/** Loads the banner's style, then returns what the page shows and sends differently in demo mode. */
export async function demoMode() {
  await new Promise((resolve) => {
    document.head.append(h("link", { rel: "stylesheet", href: new URL("../demo.css", import.meta.url).href, onload: resolve, onerror: resolve }));
  });
  const origin = location.origin;
  return {
    baseUrl: origin,
    label: "Demo",
    where: `graph-mock at ${origin}`,
    account: "Not available in demo mode.",
    /** The banner, and the demo token and script filled in. */
    show() {
      const banner = h(
        "div",
        { id: "demoBanner", class: "demo-banner" },
        h("strong", {}, "Demo mode"),
        h("span", {}, "Requests go to the local stand-in (graph-mock) at ", h("code", { id: "demoOrigin" }, origin), " with a demo token. Nothing reaches Microsoft."),
        h("a", { href: "./" }, "Leave demo mode"),
      );
      document.querySelector(".topbar").before(banner);
      document.body.classList.add("demo");
      $("token").value = "demo-token";
      $("scriptId").value = "demo-script";
    },
  };
}
