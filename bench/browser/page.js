// The in-page half of the browser bench (bench/browser/run.mjs drives it through
// playwright-core's page.evaluate). Served by graph-mock from target/bench-site together with
// the module (pkg/) and the Microsoft client bundle (ms/), so every contender talks to the
// same origin: no CORS preflight for anyone. All times are performance.now() in the page.
//
// Nothing is imported up front: `importTiming` measures the imports on a fresh page, and
// `load` imports both contenders for the runs that time calls.

const ORIGIN = location.origin;
const PKG = `${ORIGIN}/pkg/intune_script_user_state.js`;
const MS = `${ORIGIN}/ms/ms-client.js`;
const TOKEN = "bench-token";
const ODATA_TYPE = "#microsoft.graph.deviceManagementScriptUserState";

const collectionUrl = (scriptId) =>
  `${ORIGIN}/beta/deviceManagement/deviceManagementScripts/${encodeURIComponent(scriptId)}/userRunStates`;
const bodyOf = (u) => ({
  "@odata.type": ODATA_TYPE,
  successDeviceCount: u.successDeviceCount,
  errorDeviceCount: u.errorDeviceCount,
  userPrincipalName: u.userPrincipalName,
});

// The floor: exactly the POST createUserState sends (URL, headers in the same order, body,
// RequestInit options), without the timer, AbortController, validation or retries.
async function plainCreate(scriptId, u) {
  const r = await fetch(collectionUrl(scriptId), {
    method: "POST",
    headers: {
      Authorization: `Bearer ${TOKEN}`,
      Accept: "application/json",
      "client-request-id": crypto.randomUUID(),
      "Content-Type": "application/json",
    },
    body: JSON.stringify(bodyOf(u)),
    credentials: "omit",
    redirect: "error",
    referrerPolicy: "no-referrer",
  });
  const text = await r.text();
  if (r.status !== 201) throw new Error(`plain fetch POST answered ${r.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

let lib = null;
let ms = null;
let msClient = null;

/** Imports and initialises both contenders (for the runs that time calls, not imports). */
async function load() {
  lib = await import(PKG);
  await lib.default();
  ms = await import(MS);
  msClient = ms.createClient(TOKEN, ORIGIN);
  return true;
}

const creators = {
  fetch: (scriptId, u) => plainCreate(scriptId, u),
  lib: (scriptId, u) => lib.createUserState({ token: TOKEN, baseUrl: ORIGIN, scriptId, userState: u }),
  ms: (scriptId, u) => ms.createUserState(msClient, scriptId, u),
};

/** `users` one after another through `kind`; the latency of each call, in ms. */
async function sequential(kind, scriptId, users) {
  const create = creators[kind];
  if (!create) throw new Error(`unknown contender ${kind}`);
  const latencies = new Array(users.length);
  const ids = new Array(users.length);
  const t0 = performance.now();
  for (let i = 0; i < users.length; i++) {
    const t = performance.now();
    const state = await create(scriptId, users[i]);
    latencies[i] = performance.now() - t;
    ids[i] = state.id;
  }
  return { ms: performance.now() - t0, latencies, ids };
}

/**
 * The client-side cost of a call with the network taken out: the global `fetch` (which every
 * contender calls) answers at once, in the page, with graph-mock's 201 (headers and body as it
 * sends them, a fresh id each time). Nothing reaches the server. The whole loop is timed:
 * one call is below performance.now()'s 0.1 ms resolution here.
 */
async function stubbed(kind, scriptId, users) {
  const create = creators[kind];
  if (!create) throw new Error(`unknown contender ${kind}`);
  const realFetch = globalThis.fetch;
  let n = 0;
  globalThis.fetch = async (input, init) => {
    // What fetch does before the network, for every contender alike (Fetch standard, fetch()
    // step 2): the Request object, with its headers, body and signal, made from (input, init).
    const request = new Request(input, init);
    const id = `00000000-0000-4000-8000-${String(n++).padStart(12, "0")}`;
    const clientRequestId = request.headers.get("client-request-id") ?? id;
    return new Response(
      `{"@odata.type":"${ODATA_TYPE}","id":"${id}","successDeviceCount":1,"errorDeviceCount":0,"userPrincipalName":"stub@bench.contoso.com"}`,
      {
        status: 201,
        statusText: "Created",
        headers: {
          "request-id": id,
          "client-request-id": clientRequestId,
          date: "Sun, 29 Nov 2026 12:00:00 GMT",
          "content-type": "application/json",
        },
      },
    );
  };
  try {
    const t0 = performance.now();
    for (const u of users) await create(scriptId, u);
    return { ms: performance.now() - t0, calls: n };
  } finally {
    globalThis.fetch = realFetch;
  }
}

/** One createUserStates call with every item (default concurrency). */
async function bulk(scriptId, users) {
  const t0 = performance.now();
  const out = await lib.createUserStates({ token: TOKEN, baseUrl: ORIGIN, scriptId, userStates: users });
  const ms = performance.now() - t0;
  if (out.succeeded !== users.length || out.failed !== 0) {
    const first = out.results.find((r) => !r.ok);
    throw new Error(
      `createUserStates: ${out.succeeded} succeeded, ${out.failed} failed` +
        (first ? ` (first: ${first.error?.name} ${first.error?.status ?? ""} ${first.error?.message})` : ""),
    );
  }
  return { ms, ids: out.results.map((r) => r.userState.id), throttled: out.throttled };
}

/**
 * On a fresh page: from the start of `import()` to the moment the first Graph request is
 * handed to `fetch`, for one contender. `fetch` is wrapped to note that moment (the module's
 * own fetch of its .wasm goes through the wrapper too, and is not a Graph request).
 */
async function importTiming(kind, scriptId, u) {
  const realFetch = globalThis.fetch;
  let firstRequest = null;
  globalThis.fetch = function (input, init) {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (firstRequest === null && url.startsWith(`${ORIGIN}/beta/`)) firstRequest = performance.now();
    return realFetch.call(this, input, init);
  };
  try {
    let imported = null;
    let initialised = null;
    let done;
    const t0 = performance.now();
    if (kind === "lib") {
      const m = await import(PKG);
      imported = performance.now();
      await m.default();
      initialised = performance.now();
      done = m.createUserState({ token: TOKEN, baseUrl: ORIGIN, scriptId, userState: u });
    } else if (kind === "ms") {
      const m = await import(MS);
      imported = performance.now();
      const client = m.createClient(TOKEN, ORIGIN);
      initialised = performance.now();
      done = m.createUserState(client, scriptId, u);
    } else if (kind === "fetch") {
      done = plainCreate(scriptId, u);
    } else {
      throw new Error(`unknown contender ${kind}`);
    }
    const state = await done;
    const end = performance.now();
    if (firstRequest === null) throw new Error(`${kind}: no Graph request was seen`);
    return {
      importMs: imported === null ? null : imported - t0,
      initMs: initialised === null ? null : initialised - imported,
      callMs: firstRequest - (initialised ?? t0),
      firstRequestMs: firstRequest - t0,
      createdMs: end - t0,
      id: state.id,
    };
  } finally {
    globalThis.fetch = realFetch;
  }
}

window.bench = { load, sequential, stubbed, bulk, importTiming };
