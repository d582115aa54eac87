// The plain-fetch floors the benches compare with: hand-written `fetch` loops sending exactly
// what the library sends (same URLs, headers, bodies; no timer, no validation, no retries).
import { randomUUID } from "node:crypto";
import { BenchFailure, MOCK } from "./common.mjs";

export const BATCH = 20; // Graph's $batch limit, and what createUserStates packs per request.
export const TOKEN = "bench-token";
const ODATA_TYPE = "#microsoft.graph.deviceManagementScriptUserState";

const collectionUrl = (scriptId) =>
  `${MOCK}/beta/deviceManagement/deviceManagementScripts/${encodeURIComponent(scriptId)}/userRunStates`;
const relativeUrl = (scriptId) =>
  `/deviceManagement/deviceManagementScripts/${encodeURIComponent(scriptId)}/userRunStates`;
const bodyOf = (u) => ({
  "@odata.type": ODATA_TYPE,
  successDeviceCount: u.successDeviceCount,
  errorDeviceCount: u.errorDeviceCount,
  userPrincipalName: u.userPrincipalName,
});
// Same headers, in the same order, and the same RequestInit options as the wasm edge
// (src/transport.rs); the library adds a per-attempt timer and AbortController on top.
const init = (clientRequestId, body) => ({
  method: "POST",
  headers: {
    Authorization: `Bearer ${TOKEN}`,
    Accept: "application/json",
    "client-request-id": clientRequestId,
    "Content-Type": "application/json",
  },
  body: JSON.stringify(body),
  credentials: "omit",
  redirect: "error",
  referrerPolicy: "no-referrer",
});

export async function fetchSingle(scriptId, list) {
  const url = collectionUrl(scriptId);
  const ids = [];
  for (const u of list) {
    const r = await fetch(url, init(randomUUID(), bodyOf(u)));
    const text = await r.text();
    if (r.status !== 201) throw new BenchFailure(`plain fetch POST answered ${r.status}: ${text.slice(0, 200)}`);
    ids.push(JSON.parse(text).id);
  }
  return { ids };
}

export async function fetchBatch(scriptId, list) {
  const url = `${MOCK}/beta/$batch`;
  const rel = relativeUrl(scriptId);
  const clientRequestId = randomUUID(); // createUserStates uses one per run, too
  const ids = [];
  for (let start = 0; start < list.length; start += BATCH) {
    const chunk = list.slice(start, start + BATCH);
    const requests = chunk.map((u, k) => ({
      id: String(start + k),
      method: "POST",
      url: rel,
      headers: { "Content-Type": "application/json" },
      body: bodyOf(u),
    }));
    const r = await fetch(url, init(clientRequestId, { requests }));
    const text = await r.text();
    if (r.status !== 200) throw new BenchFailure(`plain $batch answered ${r.status}: ${text.slice(0, 200)}`);
    const { responses } = JSON.parse(text);
    if (responses.length !== chunk.length) throw new BenchFailure(`plain $batch: ${responses.length} answers for ${chunk.length} requests`);
    for (const inner of responses) {
      if (inner.status !== 201) throw new BenchFailure(`plain $batch inner ${inner.id} answered ${inner.status}`);
      ids.push(inner.body.id);
    }
  }
  return { ids };
}
