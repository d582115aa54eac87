// Talks to graph-mock's control API (its root is in GRAPH_MOCK_URL, set by scripts/with-mock.sh).
export const MOCK = process.env.GRAPH_MOCK_URL;
if (!MOCK) throw new Error("GRAPH_MOCK_URL is not set: run through scripts/with-mock.sh");

async function call(path, body) {
  const init = body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  const r = await fetch(MOCK + path, init);
  const text = await r.text();
  return text ? JSON.parse(text) : null;
}

export const fault = (rules) => call("/_mock/faults", rules);
export const objects = (scriptId) => call(`/_mock/objects?scriptId=${encodeURIComponent(scriptId)}`);
export const requests = (scriptId) => call(`/_mock/requests?scriptId=${encodeURIComponent(scriptId)}`);
export const stats = (scriptId) => call(`/_mock/stats?scriptId=${encodeURIComponent(scriptId)}`);
export const config = async (patch) => {
  const before = await call("/_mock/config");
  await call("/_mock/config", patch);
  return before;
};
export const addScripts = (scripts) => call("/_mock/scripts", scripts);
