// A minimal page over the npm package: every Graph call and every rule comes from it.
import init, { createUserState, validateUserState } from "./pkg/intune_script_user_state.js";

const $ = (id) => document.getElementById(id);
const demo = new URLSearchParams(location.search).has("demo");

await init();

if (demo) {
  $("mode").hidden = false;
  $("baseUrl").value = location.origin;
  $("token").value = "demo-token";
  $("scriptId").value = "demo-script";
}

// Numbers as typed: "" and "2.5" stay visible to the rules instead of becoming 0 or 2.
const count = (text) => (text.trim() === "" ? null : Number(text));
const userState = () => ({
  userPrincipalName: $("userPrincipalName").value,
  successDeviceCount: count($("successDeviceCount").value),
  errorDeviceCount: count($("errorDeviceCount").value),
});

function showProblems() {
  const problems = validateUserState(userState());
  for (const field of ["userPrincipalName", "successDeviceCount", "errorDeviceCount"]) {
    const problem = problems.find((p) => p.field === field);
    $(`${field}-error`).textContent = problem ? problem.message : "";
    $(field).setAttribute("aria-invalid", problem ? "true" : "false");
  }
  return problems;
}

$("create").addEventListener("input", showProblems);
$("create").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (showProblems().length) return;
  $("result").textContent = "Creating…";
  try {
    const state = await createUserState({
      token: $("token").value,
      baseUrl: $("baseUrl").value,
      scriptId: $("scriptId").value,
      userState: userState(),
    });
    $("result").textContent = JSON.stringify(state, null, 2);
  } catch (err) {
    const details = { name: err.name, message: err.message, field: err.field, status: err.status, code: err.code, requestId: err.requestId, clientRequestId: err.clientRequestId };
    $("result").textContent = JSON.stringify(details, null, 2);
  }
});
