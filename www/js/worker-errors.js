// Errors across postMessage: structured cloning keeps an Error's message but drops the
// properties the page reads (status, code, request ids, retryAfter, errors…), so errors travel as
// plain objects with every own property, `name` and `message` included. Pure: node tests import it.

/** A thrown value as a plain, cloneable object that describeError reads like the original. */
export function plainError(err) {
  if (err === null || typeof err !== "object") return { name: "Error", message: String(err) };
  const out = {};
  for (const key of Object.keys(err)) {
    const v = err[key];
    if (typeof v !== "function") out[key] = v;
  }
  out.name = err.name ?? "Error";
  out.message = err.message ?? String(err);
  return JSON.parse(JSON.stringify(out));
}
