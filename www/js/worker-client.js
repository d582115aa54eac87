// The page's side of js/module-worker.js: reading a CSV and running a bulk import off the main
// thread. Falls back to the package on the main thread where a module worker cannot start.
import { plainError } from "./worker-errors.js";

const WORKER_URL = new URL("./module-worker.js", import.meta.url).href;

// The page's CSP requires Trusted Types for script URLs: this policy allows exactly the worker.
let policy;
function workerUrl() {
  if (!globalThis.trustedTypes) return WORKER_URL;
  policy ??= trustedTypes.createPolicy("module-worker", {
    createScriptURL: (url) => {
      if (url !== WORKER_URL) throw new TypeError("only the page's module worker may be started");
      return url;
    },
  });
  return policy.createScriptURL(WORKER_URL);
}

/** A worker running `job`; `on(message, worker, resolve, reject)` sees what it posts. */
function spawn(job, on, started = () => {}) {
  return new Promise((resolve, reject) => {
    let worker;
    try {
      worker = new Worker(workerUrl(), { type: "module" });
    } catch (err) {
      reject(Object.assign(new Error(`no worker: ${err?.message ?? err}`), { noWorker: true }));
      return;
    }
    started(worker);
    const settle = (fn, value) => {
      worker.terminate();
      fn(value);
    };
    worker.onmessage = ({ data }) => {
      if (data.type === "ready") return;
      on(data, worker, (v) => settle(resolve, v), (e) => settle(reject, e));
    };
    worker.onerror = (e) => {
      e.preventDefault?.();
      settle(reject, Object.assign(new Error(e.message || "the worker could not start"), { noWorker: true }));
    };
    worker.postMessage(job);
  });
}

/** readUserStatesCsv in a worker (or, failing that, here with `api`). */
export async function readCsv(text, api) {
  try {
    return await spawn({ type: "read", text }, (data, _w, resolve) => data.type === "read" && resolve(data.parsed));
  } catch (err) {
    if (err?.noWorker) return api.readUserStatesCsv(text);
    throw err;
  }
}

/**
 * createUserStates in a worker: `request` as the page builds it (its token source, signal,
 * onProgress and journal name stay on this side). Resolves to the BulkResult, errors as plain
 * objects. Without a worker, runs here with `api`.
 */
export const createUserStates = (request, { api, journalName }) => runJob("create", request, { api, journalName });

/** syncUserStates in a worker, as createUserStates above: resolves to the SyncResult. */
export const syncUserStates = (request, { api, journalName }) => runJob("sync", request, { api, journalName });

/** planUserStates in a worker: resolves to the plan (its errors as plain objects). */
export const planUserStates = (request, { api }) => runJob("plan", request, { api });

const DIRECT = { create: "createUserStates", sync: "syncUserStates", plan: "planUserStates" };

async function runJob(call, request, { api, journalName }) {
  const { token, signal, onProgress, onResponse: _ids, ...plain } = request;
  const job = call === "plan" ? { type: "plan", request: plain } : { type: "import", call, request: plain, journal: journalName };
  const stop = [];
  try {
    const started = (worker) => {
      if (!signal) return;
      const abort = () => worker.postMessage({ type: "abort" });
      if (signal.aborted) abort();
      signal.addEventListener("abort", abort);
      stop.push(() => signal.removeEventListener("abort", abort));
    };
    return await spawn(job, async (data, worker, resolve, reject) => {
      switch (data.type) {
        case "progress":
          onProgress?.(data.progress);
          return;
        case "token":
          try {
            const value = typeof token === "function" ? await token() : token;
            worker.postMessage({ type: "token", id: data.id, token: value });
          } catch (err) {
            worker.postMessage({ type: "token", id: data.id, error: plainError(err) });
          }
          return;
        case "done":
          resolve(data.outcome);
          return;
        case "failed":
          reject(data.error);
      }
    }, started);
  } catch (err) {
    if (!err?.noWorker) throw err;
    return api[DIRECT[call]](journalName ? { ...request, journal: api.indexedDbJournal(journalName) } : request);
  } finally {
    for (const f of stop) f();
  }
}
