// The admin page. Every Graph call and every input rule comes from the npm package in pkg/;
// this file wires the connection (cloud, token source, demo mode) to the three views.
// Demo mode (?demo=1) lives in js/demo.js, loaded only then; the deployable site (`make site`)
// leaves that file out and turns its import into null, so there ?demo=1 changes nothing.
import init, * as api from "../pkg/intune_script_user_state.js";
import { $, fill, h, tabs } from "./dom.js";
import { CLOUDS, authorityFor, connectPolicy, loadSettings, saveSettings, scopeFor, settingsProblems } from "./settings.js";
import { MsalSession, REDIRECT_URI, pastedToken } from "./auth.js";
import { describeError } from "./errors.js";
import { setupCreate } from "./create.js";
import { setupManage } from "./manage.js";
import { setupImport } from "./import.js";
import { setupPicker } from "./picker.js";
import { setupConnectionFold, setupScrollCues } from "./layout.js";

const wantsDemo = new URLSearchParams(location.search).get("demo") === "1";
const demoModule = wantsDemo ? await import("./demo.js") : null;
const demo = demoModule ? await demoModule.demoMode() : null;
const settings = loadSettings(localStorage);

// Narrow the CSP from index.html to the chosen cloud: a second policy, enforced alongside.
document.head.append(h("meta", { "http-equiv": "Content-Security-Policy", content: connectPolicy(settings.cloud, Boolean(demo)) }));

// The ids of every answer, as the package's onResponse tells them, kept per call (by the call's
// client-request-id), so a success can show them too (a failure carries them on the error).
const answers = new Map();
const MAX_CALLS = 200;
const MAX_ANSWERS = 200; // per call: a bulk import keeps the last ones
function recordAnswers(callId) {
  return ({ status, requestId }) => {
    const list = answers.get(callId) ?? [];
    answers.delete(callId); // most recent last, so the oldest call is dropped first
    answers.set(callId, [...list.slice(1 - MAX_ANSWERS), { status, requestId }]);
    if (answers.size > MAX_CALLS) answers.delete(answers.keys().next().value);
  };
}

try {
  await init();
} catch (err) {
  document.body.prepend(h("p", { class: "alert error", role: "alert" }, `The page could not start: ${err?.message ?? err}. Reload to try again.`));
  throw err;
}

// --- Connection: token source and settings ---------------------------------------------------
const pasted = pastedToken($("token"));
let session = null; // MsalSession, created when the user chooses to sign in
const msalReady = () => !demo && settings.clientId !== "";

function tokenSource() {
  if (settings.tokenSource === "paste" || demo) return pasted;
  return msalSession().token;
}

function msalSession() {
  session ??= new MsalSession(settings, () => renderConnection());
  return session;
}

function renderConnection() {
  const source = demo || settings.tokenSource === "paste" ? "paste" : "msal";
  $("sourceMsal").checked = source === "msal";
  $("sourcePaste").checked = source === "paste";
  $("source-msal").classList.toggle("active", source === "msal");
  $("source-paste").classList.toggle("active", source === "paste");
  $("signIn").disabled = !msalReady();
  $("sourceMsal").disabled = Boolean(demo);
  const account = session?.account;
  $("signOut").hidden = !account;
  $("signIn").hidden = Boolean(account);
  fill(
    $("account"),
    demo
      ? demo.account
      : account
        ? h("span", {}, "Signed in as ", h("strong", {}, account.username ?? account.name ?? "unknown account"))
        : settings.clientId
          ? "Not signed in."
          : "Enter the application (client) id in Settings first.",
  );
  const where = demo ? demo.where : CLOUDS[settings.cloud].graph;
  const who = source === "paste" ? "pasted token" : account ? account.username : "not signed in";
  fill($("connection"), h("span", { class: "pill" }, demo ? demo.label : settings.cloud), ` ${where} · ${who}`);
  refreshFold?.();
}
let refreshFold = null;

function renderSettingsForm() {
  fill($("cloud"), Object.entries(CLOUDS).map(([value, c]) => h("option", { value }, c.label)));
  $("cloud").value = settings.cloud;
  $("clientId").value = settings.clientId;
  $("tenant").value = settings.tenant;
  $("redirectUri").textContent = REDIRECT_URI;
  renderSettingsFacts();
  $("settingsSummary").textContent = ` ${settings.cloud}${settings.clientId ? "" : ", no client id yet"}`;
}

function formSettings() {
  return { ...settings, cloud: $("cloud").value, clientId: $("clientId").value.trim(), tenant: $("tenant").value.trim() };
}

function renderSettingsFacts() {
  const s = formSettings();
  const ok = Object.hasOwn(CLOUDS, s.cloud);
  $("authority").textContent = ok ? authorityFor(s.cloud, s.tenant || "organizations") : "";
  $("scope").textContent = ok ? scopeFor(s.cloud) : "";
}

function showSettingsProblems(problems) {
  for (const field of ["clientId", "tenant"]) {
    const p = problems.find((x) => x.field === field);
    $(`${field}-error`).textContent = p ? p.message : "";
    $(field).setAttribute("aria-invalid", String(Boolean(p)));
  }
}

$("settingsForm").addEventListener("input", () => {
  renderSettingsFacts();
  showSettingsProblems(settingsProblems(formSettings()));
});
$("settingsForm").addEventListener("submit", async (event) => {
  event.preventDefault();
  const next = formSettings();
  const problems = settingsProblems(next);
  showSettingsProblems(problems);
  if (problems.length) return;
  const changed = next.cloud !== settings.cloud || next.tenant !== settings.tenant || next.clientId !== settings.clientId;
  if (changed && session) await session.signOut().catch(() => {});
  saveSettings(localStorage, next);
  $("settingsStatus").textContent = "Saved. Reloading…";
  location.reload();
});

/** Switches the token source; remembered outside demo mode (demo mode saves nothing). */
function useSource(source) {
  if (settings.tokenSource === source) return;
  settings.tokenSource = source;
  if (!demo) saveSettings(localStorage, settings);
  renderConnection();
}
for (const radio of document.querySelectorAll('input[name="tokenSource"]')) {
  radio.addEventListener("change", () => useSource(radio.value));
}
$("token").addEventListener("input", () => {
  if ($("token").value) useSource("paste");
});
$("tokenClear").addEventListener("click", () => {
  $("token").value = "";
  $("token").focus();
});

$("signIn").addEventListener("click", async () => {
  fill($("signInStatus"));
  $("signIn").disabled = true;
  try {
    await msalSession().signIn();
    useSource("msal");
    picker.load(); // a token is there now: list the scripts by name
  } catch (err) {
    const d = describeError(err);
    fill($("signInStatus"), h("div", { class: "alert error small", role: "alert" }, h("p", { class: "alert-title" }, d.title), h("p", {}, d.advice)));
  } finally {
    renderConnection();
  }
});
$("signOut").addEventListener("click", async () => {
  await session?.signOut();
  renderConnection();
  $("signIn").focus();
});

// --- The script every view works on ---------------------------------------------------------
/** Whether a call could get a token now without asking the user anything new. */
function hasToken() {
  if (demo || settings.tokenSource === "paste") return $("token").value.trim() !== "";
  return Boolean(session?.account);
}

/** The options every package call takes: a fresh client-request-id, and onResponse keeping the ids. */
function callOptions(extra = {}) {
  const clientRequestId = extra.clientRequestId ?? crypto.randomUUID();
  const o = { token: tokenSource(), scriptKind: $("scriptKind").value, ...extra, clientRequestId, onResponse: recordAnswers(clientRequestId) };
  if (demo) o.baseUrl = demo.baseUrl;
  else o.cloud = settings.cloud;
  return o;
}

/** `callOptions` plus the script the field names (an id, or a listed script's exact name). */
const options = (extra = {}) => callOptions({ scriptId: picker.resolve($("scriptId").value), ...extra });

const picker = setupPicker({ api, callOptions });

/** Shows a missing script id at the script field; true when there is one. */
function checkScript({ focus = true } = {}) {
  const missing = $("scriptId").value.trim() === "";
  showScriptProblem(missing ? "Choose a script, or enter its id, first." : "");
  if (missing && focus) $("scriptId").focus();
  return !missing;
}

function showScriptProblem(message) {
  $("scriptId-error").textContent = message;
  $("scriptId").setAttribute("aria-invalid", String(Boolean(message)));
}
$("scriptId").addEventListener("input", () => showScriptProblem(""));

/** After a create or list: Graph's 404 means the script id is wrong, said at the field too. */
function explainScriptError(err, op) {
  if ((op === "create" || op === "list") && err?.name === "GraphError" && err.status === 404) {
    showScriptProblem(`No ${picker.kindName()} has the id “${$("scriptId").value.trim()}”. Choose the script from the list, or check the id and the script type.`);
  }
}

// The scripts are listed once a token is there: at start in demo mode, after a token is pasted
// (when typing stops), after signing in (above), and for each script type chosen.
let tokenTimer = null;
$("token").addEventListener("input", () => {
  clearTimeout(tokenTimer);
  tokenTimer = setTimeout(() => (hasToken() ? picker.load() : picker.forget("Scripts are listed by name once a token is there.")), 600);
});
$("scriptKind").addEventListener("change", () => (hasToken() ? picker.load() : picker.forget("Scripts are listed by name once a token is there.")));
$("scriptsLoad").addEventListener("click", () => picker.load());

const ctx = { api, options, checkScript, showScriptProblem, explainScriptError, answersFor: (id) => answers.get(id) ?? [], requestIdsFor: (id) => (answers.get(id) ?? []).map((a) => a.requestId).filter(Boolean) };

demo?.show();
picker.showChosen();
if (demo) picker.load();
refreshFold = setupConnectionFold({
  hasToken,
  describe: () => `${demo ? demo.label : settings.cloud} · ${demo || settings.tokenSource === "paste" ? ($("token").value ? "pasted token" : "no token") : (session?.account?.username ?? "not signed in")}`,
});
renderSettingsForm();
renderConnection();
setupScrollCues();
tabs($("tablist"));
setupCreate(ctx);
setupManage(ctx);
setupImport(ctx);
document.body.dataset.ready = "true";
