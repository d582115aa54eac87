// The package in a Web Worker, for the work that would hold the page's main thread for long at
// the sizes tenants have: reading a CSV of 10,000 rows and checking and converting 10,000 items
// each take hundreds of milliseconds inside the package. The page (js/worker-client.js) sends one
// job per worker; this file runs it and posts back plain data:
//   { type: "read", text }                       -> { type: "read", parsed }
//   { type: "import", request, journal, call }   -> { type: "progress", progress }*, then
//                                                   { type: "done", outcome } or { type: "failed", error }
//                                                   (call: "create", createUserStates, the default;
//                                                   "sync", syncUserStates)
//   { type: "plan", request }                    -> { type: "done", plan } or { type: "failed", error }
//   { type: "abort" }                            stops the import (its signal)
//   { type: "token", id, token | error }         the answer to a { type: "token", id } request:
//                                                   the token source stays in the page (MSAL lives there)
import init, * as api from "../pkg/intune_script_user_state.js";
import { plainError } from "./worker-errors.js";

const ready = init();
let controller = null;
const waiting = new Map(); // token requests the page has not answered yet
let asked = 0;

const token = () =>
  new Promise((resolve, reject) => {
    const id = ++asked;
    waiting.set(id, { resolve, reject });
    postMessage({ type: "token", id });
  });

onmessage = async ({ data }) => {
  switch (data.type) {
    case "abort":
      controller?.abort();
      return;
    case "token": {
      const w = waiting.get(data.id);
      waiting.delete(data.id);
      if (data.error) w?.reject(data.error);
      else w?.resolve(data.token);
      return;
    }
    case "read":
      await ready;
      postMessage({ type: "read", parsed: api.readUserStatesCsv(data.text) });
      return;
    case "plan": {
      await ready;
      controller = new AbortController();
      try {
        const plan = await api.planUserStates({ ...data.request, token, signal: controller.signal });
        postMessage({ type: "done", outcome: plainPlan(plan) });
      } catch (err) {
        postMessage({ type: "failed", error: plainError(err) });
      }
      return;
    }
    case "import": {
      await ready;
      controller = new AbortController();
      const call = data.call === "sync" ? api.syncUserStates : api.createUserStates;
      try {
        const out = await call({
          ...data.request,
          token,
          signal: controller.signal,
          journal: data.journal ? api.indexedDbJournal(data.journal) : undefined,
          onProgress: (progress) => postMessage({ type: "progress", progress }),
        });
        postMessage({ type: "done", outcome: plainOutcome(out) });
      } catch (err) {
        postMessage({ type: "failed", error: plainError(err) });
      }
    }
  }
};
postMessage({ type: "ready" });

const plainItem = (r) => (r.ok ? r : { ...r, error: plainError(r.error) });

/** A plan with its ValidationErrors as plain objects. */
function plainPlan(plan) {
  return { ...plan, invalid: plan.invalid.map(({ index, error }) => ({ index, error: plainError(error) })) };
}

/** A BulkResult or SyncResult with every error as a plain object. */
function plainOutcome(out) {
  const plain = { ...out, results: out.results.map(plainItem) };
  if (out.deletions) plain.deletions = out.deletions.map(plainItem);
  if (out.plan) plain.plan = plainPlan(out.plan);
  // A create's or a sync's stop (the service said its writes cannot succeed): its GraphError
  // as a plain object.
  if (out.stopped) plain.stopped = plainError(out.stopped);
  return plain;
}
