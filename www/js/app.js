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

const wantsDemo = new URLSearchParams(location.search).get("demo") === "1";
const demoModule = wantsDemo ? await import("./demo.js") : null;
const demo = demoModule ? await demoModule.demoMode() : null;
const settings = loadSettings(localStorage);

// Narrow the CSP from index.html to the chosen cloud: a second policy, enforced alongside.
document.head.append(h("meta", { "http-equiv": "Content-Security-Policy", content: connectPolicy(settings.cloud, Boolean(demo)) }));

// Graph echoes client-request-id and adds request-id to every answer; keep them so a success can
// show them too (a failure carries them on the error). Only response headers are read.
const requestIds = new Map();
const realFetch = globalThis.fetch;
globalThis.fetch = async function observedFetch(...args) {
  const response = await realFetch.apply(this, args);
  const clientId = response.headers.get("client-request-id");
  const requestId = response.headers.get("request-id");
  if (clientId && requestId) {
    requestIds.set(clientId, [...(requestIds.get(clientId) ?? []), requestId]);
    if (requestIds.size > 2000) requestIds.delete(requestIds.keys().next().value);
  }
  return response;
};

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
}

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
/** The options every package call takes, plus `extra`. */
function options(extra = {}) {
  const o = { token: tokenSource(), scriptKind: $("scriptKind").value, scriptId: $("scriptId").value.trim(), ...extra };
  if (demo) o.baseUrl = demo.baseUrl;
  else o.cloud = settings.cloud;
  return o;
}

/** Shows a missing script id at the script field; true when there is one. */
function checkScript() {
  const missing = $("scriptId").value.trim() === "";
  showScriptProblem(missing ? "Enter the script id first." : "");
  if (missing) $("scriptId").focus();
  return !missing;
}

function showScriptProblem(message) {
  $("scriptId-error").textContent = message;
  $("scriptId").setAttribute("aria-invalid", String(Boolean(message)));
}
$("scriptId").addEventListener("input", () => showScriptProblem(""));

const ctx = { api, options, checkScript, showScriptProblem, requestIdsFor: (id) => requestIds.get(id) ?? [] };

demo?.show();
renderSettingsForm();
renderConnection();
tabs($("tablist"));
setupCreate(ctx);
setupManage(ctx);
setupImport(ctx);
document.body.dataset.ready = "true";
