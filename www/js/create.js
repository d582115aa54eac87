// "Create one": the form, inline validation from validateUserState, and the outcome.
import { $, details, errorBox, fill, h } from "./dom.js";
import { countFromText, describeProblem } from "./format.js";
import { describeError } from "./errors.js";

const FIELDS = ["userPrincipalName", "successDeviceCount", "errorDeviceCount"];

export function setupCreate({ api, options, checkScript, showScriptProblem, explainScriptError, requestIdsFor }) {
  const form = $("createForm");
  const result = $("createResult");
  const submit = $("createSubmit");
  const touched = new Set();
  let waitTimer = null;
  let busy = false; // one submit at a time: a second click or Enter while it runs sends nothing

  // Exactly what was typed: "" is null and "2.5" is 2.5, so the rules see it (never 0 or 2).
  const userState = () => ({
    userPrincipalName: $("userPrincipalName").value,
    successDeviceCount: countFromText($("successDeviceCount").value),
    errorDeviceCount: countFromText($("errorDeviceCount").value),
  });

  function showProblems(all) {
    const problems = api.validateUserState(userState());
    for (const field of FIELDS) {
      const problem = problems.find((p) => p.field === field);
      const shown = problem && (all || touched.has(field));
      $(`${field}-error`).textContent = shown ? describeProblem(problem) : "";
      $(field).setAttribute("aria-invalid", shown ? "true" : "false");
    }
    return problems;
  }

  form.addEventListener("input", (event) => {
    touched.add(event.target.id);
    showProblems(false);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    const problems = showProblems(true);
    // The script field (above the form) is checked too; focus goes to the first bad field on screen.
    const scriptOk = checkScript({ focus: false });
    const bad = [...(scriptOk ? [] : ["scriptId"]), ...FIELDS.filter((f) => problems.some((p) => p.field === f))];
    if (bad.length) {
      $(bad[0]).focus();
      return;
    }
    busy = true;
    const clientRequestId = crypto.randomUUID();
    const label = submit.textContent;
    submit.disabled = true;
    submit.textContent = "Creating…";
    form.setAttribute("aria-busy", "true");
    fill(result, h("p", { class: "muted" }, "Creating…"));
    let waiting = false;
    try {
      const state = await api.createUserState(options({ userState: userState(), clientRequestId }));
      fill(result, created(state, clientRequestId, requestIdsFor(clientRequestId)));
      // The outcome takes focus, so a keyboard or screen reader user hears it and goes on from there.
      result.querySelector(".alert")?.focus();
    } catch (err) {
      let scriptProblem = false;
      if (err?.name === "ValidationError" && String(err.field).startsWith("scriptId")) {
        showScriptProblem(describeProblem({ field: "scriptId", message: err.errors?.[0]?.message ?? err.message }));
        scriptProblem = true;
      }
      explainScriptError(err, "create");
      const d = describeError(err, "create");
      const wait = d.retryAfter ? h("p", { class: "countdown", id: "createWait" }) : null;
      fill(result, errorBox(d, wait));
      // A wrong script: its field; anything else: the message, which says what to do.
      if (scriptProblem || $("scriptId").getAttribute("aria-invalid") === "true") $("scriptId").focus();
      else result.querySelector(".alert")?.focus();
      if (wait) {
        waiting = true;
        countdown(wait, d.retryAfter);
      }
    } finally {
      form.removeAttribute("aria-busy");
      submit.textContent = label;
      busy = false;
    }
    if (!waiting) submit.disabled = false;
  });

  // After a 429: keep the button disabled for the seconds Graph asked for, counting down.
  function countdown(el, seconds) {
    clearInterval(waitTimer);
    let left = seconds;
    const tick = () => {
      el.textContent = left > 0 ? `You can try again in ${left} s.` : "You can try again now.";
      submit.disabled = left > 0;
      if (left-- <= 0) clearInterval(waitTimer);
    };
    tick();
    waitTimer = setInterval(tick, 1000);
  }
}

function created(state, clientRequestId, requestIds) {
  return h(
    "div",
    { class: "alert success", role: "status", tabindex: "-1" },
    h("p", { class: "alert-title" }, "User state created"),
    details(
      [
        ["Id", h("code", { id: "createdId" }, state.id)],
        ["User principal name", state.userPrincipalName ?? "(none)"],
        ["Success devices", state.successDeviceCount],
        ["Error devices", state.errorDeviceCount],
        ["request-id", requestIds.length ? requestIds.join(", ") : "(not exposed by the service)"],
        ["client-request-id", clientRequestId],
      ],
      { id: "createdFacts" },
    ),
    h("details", { class: "raw", open: true }, h("summary", {}, "As returned by Microsoft Graph"), h("pre", { id: "createdJson" }, JSON.stringify(state, null, 2))),
  );
}
