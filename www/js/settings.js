// Connection settings: the national cloud, and the app registration used to sign in.
// Kept in localStorage (never a token). Pure functions first, so node tests can import them.

/** Each cloud's Graph root (also the scope's resource) and sign-in authority host. */
export const CLOUDS = Object.freeze({
  global: { label: "Global", graph: "https://graph.microsoft.com", login: "https://login.microsoftonline.com" },
  usgov: { label: "US Government (GCC High, L4)", graph: "https://graph.microsoft.us", login: "https://login.microsoftonline.us" },
  usgovdod: { label: "US Government DoD (L5)", graph: "https://dod-graph.microsoft.us", login: "https://login.microsoftonline.us" },
  china: { label: "China (21Vianet)", graph: "https://microsoftgraph.chinacloudapi.cn", login: "https://login.chinacloudapi.cn" },
});

export const PERMISSION = "DeviceManagementConfiguration.ReadWrite.All";
export const STORAGE_KEY = "intune-user-states.settings";
export const DEFAULTS = Object.freeze({ cloud: "global", clientId: "", tenant: "organizations", tokenSource: "msal" });

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TENANT = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|organizations|common|(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+)$/i;

/** The delegated scope to ask for: the cloud's Graph root plus the permission. */
export const scopeFor = (cloud) => `${CLOUDS[cloud].graph}/${PERMISSION}`;

/** The sign-in authority for a tenant (id, domain, or "organizations"). */
export const authorityFor = (cloud, tenant) => `${CLOUDS[cloud].login}/${tenant}`;

/** What the settings form says is wrong, as [{ field, message }]; empty when fine. */
export function settingsProblems(s) {
  const problems = [];
  if (!Object.hasOwn(CLOUDS, s.cloud)) problems.push({ field: "cloud", message: "Choose one of the four clouds." });
  if (s.clientId !== "" && !GUID.test(s.clientId)) {
    problems.push({ field: "clientId", message: "The client id is a GUID, like 00000000-0000-0000-0000-000000000000." });
  }
  if (!TENANT.test(s.tenant)) {
    problems.push({ field: "tenant", message: "Enter a tenant id (GUID), a domain like contoso.onmicrosoft.com, or organizations." });
  }
  return problems;
}

/** Reads the saved settings, falling back to the defaults for anything missing or invalid. */
export function loadSettings(storage) {
  let saved = {};
  try {
    saved = JSON.parse(storage.getItem(STORAGE_KEY) ?? "{}") ?? {};
  } catch {
    saved = {};
  }
  const s = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS)) if (typeof saved[key] === "string") s[key] = saved[key];
  if (!["msal", "paste"].includes(s.tokenSource)) s.tokenSource = DEFAULTS.tokenSource;
  for (const { field } of settingsProblems(s)) s[field] = DEFAULTS[field];
  return s;
}

/** Saves exactly the known, non-secret fields. */
export function saveSettings(storage, s) {
  const out = {};
  for (const key of Object.keys(DEFAULTS)) out[key] = s[key];
  storage.setItem(STORAGE_KEY, JSON.stringify(out));
}

/**
 * The connect-src/frame-src policy for this page: its own origin (the wasm file, and graph-mock
 * in demo mode) plus, outside demo mode, the selected cloud's Graph root and sign-in authority.
 * Frames: MSAL renews a sign-in in a hidden iframe that goes to the authority and comes back
 * to redirect.html on this origin.
 */
export function connectPolicy(cloud, demo) {
  if (demo) return "connect-src 'self'; frame-src 'none'";
  const { graph, login } = CLOUDS[cloud];
  return `connect-src 'self' ${graph} ${login}; frame-src 'self' ${login}`;
}
