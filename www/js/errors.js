// Plain-language messages for what a call can fail with. Branches on `name`, `status`, `code`
// and MSAL's `errorCode`, never on message text. Pure: node tests import it.
import { PERMISSION } from "./settings.js";
import { describeProblem } from "./format.js";

/** Graph's code for a route the service does not have (docs/retries.md). */
const NO_ROUTE = "No method match route template";

/**
 * An import stopped by an answer that says the run cannot succeed (BulkResult.stopped or
 * SyncResult.stopped): one message for the whole import, what the answer means and that a
 * resume goes on.
 */
export function describeStop(err) {
  const d = describeError(err, "create");
  return {
    ...d,
    title: `The import stopped: ${d.title.charAt(0).toLowerCase()}${d.title.slice(1)}`,
    advice: `${d.advice} Nothing more was sent after that answer, and no row that was not created is counted as failed: once this is fixed, Resume (above) goes on with them, none created twice.`,
  };
}

/** The journal of this import is held by a run elsewhere (another tab, window or Worker). */
export const inUseElsewhere = (err) => err?.name === "ValidationError" && err.field === "journal" && err.cause?.code === "JOURNAL_IN_USE";

/**
 * @param err what a package call or the token source rejected with
 * @param op "create" | "list" | "get" | "update" | "delete" | "scripts" (words the 404 advice)
 * @returns {{ title: string, advice: string, retryAfter: number | null, support: Array<[string, string]> }}
 */
export function describeError(err, op = "create") {
  const e = err ?? {};
  const support = supportDetails(e);
  const out = (title, advice, retryAfter = null) => ({ title, advice, retryAfter, support });
  switch (e.name) {
    case "ValidationError": {
      const list = Array.isArray(e.errors) && e.errors.length ? e.errors : [{ field: e.field ?? "input", message: e.message }];
      return out("Check the input", `Nothing was sent. ${list.map(describeProblem).join("; ")}.`);
    }
    case "GraphError":
      return graphError(e, op, out);
    case "NetworkError":
      return out("Microsoft Graph could not be reached", "No answer came back: check the network, a proxy or VPN, and the cloud chosen in Settings. For a change, check the list before trying again: it may have been made.");
    case "TimeoutError":
      return out("Microsoft Graph did not answer in time", `No answer within ${Math.round((e.timeoutMs ?? 30000) / 1000)} s. The change may or may not have been made: check the list before trying again.`);
    case "AbortError":
      return out("Cancelled", "The request was stopped before it finished.");
    case "InteractionRequiredAuthError":
      return out("Sign in again", "Your sign-in needs to be renewed: choose Sign in with Microsoft.");
  }
  switch (e.errorCode) {
    case "interaction_in_progress":
      return out("A sign-in window is already open", "Finish or close the other Microsoft sign-in window, then try again.");
    case "popup_window_error":
    case "empty_window_error":
      return out("The browser blocked the sign-in window", "Allow pop-ups for this page, then choose Sign in with Microsoft again.");
    case "user_cancelled":
      return out("Sign-in was cancelled", "The sign-in window was closed before signing in finished.");
    case "no_account_error":
    case "no_tokens_found":
      return out("Not signed in", "Choose Sign in with Microsoft, or paste an access token.");
  }
  if (e.name === "TokenMissing") return out("No access token", e.message);
  if (typeof e.errorCode === "string") {
    return out("Sign-in failed", `Microsoft sign-in reported ${e.errorCode}. Check the client id, tenant and cloud in Settings.`);
  }
  return out("Something went wrong", typeof e.message === "string" && e.message ? e.message : String(err));
}

function graphError(e, op, out) {
  const retry = Number.isFinite(e.retryAfter) ? Math.ceil(e.retryAfter) : null;
  switch (e.status) {
    case 401:
      return out("Sign in again", "Microsoft Graph did not accept the access token: it is missing, expired or for another cloud. Sign in again, or paste a fresh token.");
    case 403:
      return out("Access denied", `The signed-in account lacks the permission ${PERMISSION} (it needs admin consent), or the tenant has no Intune licence.`);
    case 404:
      if (op === "scripts") return out("The scripts could not be listed", "Microsoft Graph has no such script collection here (HTTP 404): check the cloud chosen in Settings. The script id can still be typed or pasted.");
      return op === "create" || op === "list"
        ? out("No such script", "There is no script with this id and type in the tenant. Check the script id, and whether it is a Windows or a macOS script.")
        : out("Not found", "This user state (or its script) no longer exists. Load the list again.");
    case 429:
      return out(
        "Microsoft Graph is throttling requests",
        retry === null ? "Too many requests for this tenant. Wait a minute, then try again." : `Too many requests for this tenant. Waiting ${retry} seconds before you can try again.`,
        retry,
      );
  }
  if (e.status === 400 && e.code === NO_ROUTE) {
    return out(
      "This tenant does not offer this write",
      "Microsoft Graph has no such write route in this tenant: Intune computes script run states from the devices that run the script, so the documented write may not be available.",
    );
  }
  if (e.status === 405 || e.status === 501) {
    return out("This tenant does not offer this write", `Microsoft Graph does not allow this write here (HTTP ${e.status}${e.code ? `, ${e.code}` : ""}): the documented write may not be available.`);
  }
  if (e.code === "invalidResponse") {
    return out("Unexpected answer", `The answer (HTTP ${e.status}) was not Microsoft Graph's: a proxy or firewall may be in the way.`);
  }
  if (e.status >= 500) {
    const maybe = op === "create" || op === "update" || op === "delete" ? " The change may or may not have been made: check the list before trying again." : "";
    return out("Microsoft Graph had a problem", `The service answered HTTP ${e.status}.${maybe}`);
  }
  return out("Microsoft Graph refused the request", `HTTP ${e.status}${e.code ? ` (${e.code})` : ""}: see the details below.`);
}

/** The facts support asks for, as [label, value] pairs (text only; never the token). */
function supportDetails(e) {
  const pairs = [
    ["HTTP status", e.status],
    ["Graph code", e.code],
    ["Service message", e.name === "GraphError" ? e.message : undefined],
    ["request-id", e.requestId],
    ["client-request-id", e.clientRequestId],
    ["Date", e.date],
    ["Error", e.name && e.name !== "GraphError" ? e.name : undefined],
    ["MSAL error code", e.errorCode],
  ];
  return pairs.filter(([, v]) => v !== undefined && v !== null && v !== "").map(([k, v]) => [k, String(v)]);
}
