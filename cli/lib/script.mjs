// The script a command works on: --script-id <id>, or --script <name> found by display name
// among the scripts of --script-kind (the package's listScripts); and a wrong id told as one
// sentence. Any command that takes a script spreads scriptOptions() into its options, calls
// resolveScript() once it has a token, and passes what the service rejected through noSuchScript().
import { NAME, callOptions } from "./args.mjs";
import { EXIT, Stop } from "./errors.mjs";
import { refreshOn401 } from "./token.mjs";

/** What each collection holds, as the messages name it. */
const KINDS = {
  deviceManagementScripts: "Windows PowerShell scripts",
  deviceShellScripts: "macOS shell scripts",
  deviceCustomAttributeShellScripts: "macOS custom attribute scripts",
};

const MAX_LISTED = 10; // near matches named in an error

/** The --script-id and --script options; `what` ends "The script whose user states to …". */
export function scriptOptions(what) {
  return {
    "script-id": { type: "string", arg: "<id>", help: `The script whose user states to ${what}\n(this or --script is required)` },
    script: {
      type: "string",
      arg: "<name>",
      help: "The script by its display name, instead of --script-id: one\nmust match (exactly, else ignoring case)",
    },
  };
}

/** The collection as the messages name it: `deviceShellScripts (macOS shell scripts)`. */
export function collection(values) {
  const kind = values["script-kind"] ?? "deviceManagementScripts";
  return KINDS[kind] ? `${kind} (${KINDS[kind]})` : kind;
}

/** The command that lists the scripts of this kind with their ids, for hints. */
function scriptsCommand(values) {
  const kind = values["script-kind"];
  return `${NAME} scripts${kind === undefined ? "" : ` --script-kind ${kind}`}`;
}

/**
 * Checks that the command line names a script (--script-id or --script, not both), before
 * anything is read or sent. Usage errors (exit 2).
 */
export function checkScriptOptions(values) {
  const id = values["script-id"];
  const name = values.script;
  if (id !== undefined && name !== undefined) throw new Stop("give --script-id or --script, not both");
  if (name !== undefined && name.trim() === "") throw new Stop("--script must not be empty");
  if (id === undefined || id === "") {
    if (name === undefined) throw new Stop("--script-id is required", EXIT.usage, "Or name the script with --script <name>.");
  }
}

/**
 * The script's id and a label for messages: --script-id as given, or the one script of
 * --script-kind whose display name is --script (exactly; else the one equal ignoring case).
 * None, or several, is a usage error (exit 2) that names the candidates with their ids. The
 * service failing the look-up is exit 1, as for any call.
 */
export async function resolveScript(api, values, token) {
  checkScriptOptions(values);
  const id = values["script-id"];
  if (id !== undefined) return { id, label: id };
  const name = values.script;
  const scripts = await api.listScripts({ ...callOptions(values, token), ...refreshOn401(token) });
  const named = (s) => (typeof s.displayName === "string" ? s.displayName : "");
  let found = scripts.filter((s) => named(s) === name);
  if (found.length === 0) {
    const lower = name.trim().toLowerCase();
    found = scripts.filter((s) => named(s).trim().toLowerCase() === lower);
  }
  const where = collection(values);
  if (found.length === 1) return { id: found[0].id, label: `'${named(found[0])}' (${found[0].id})` };
  if (found.length > 1) {
    throw new Stop(
      `${found.length} scripts in ${where} are named '${name}': give the one you mean with --script-id`,
      EXIT.usage,
      listed(found),
    );
  }
  const near = nearMatches(scripts, name);
  const all = `Run '${scriptsCommand(values)}' to see every name and id.`;
  if (near.length === 0) {
    const n = scripts.length;
    throw new Stop(`no script named '${name}' in ${where}`, EXIT.usage, `None of the ${n} script${n === 1 ? "" : "s"} there has a similar name. ${all}`);
  }
  const more = near.length > MAX_LISTED ? `\n  … and ${near.length - MAX_LISTED} more` : "";
  throw new Stop(
    `no script named '${name}' in ${where}`,
    EXIT.usage,
    `Similar names:\n${listed(near.slice(0, MAX_LISTED))}${more}\nGive the one you mean with --script-id <id>, or its exact name with --script. ${all}`,
  );
}

/** Scripts as hint lines: `  <id>  <displayName>`. */
const listed = (scripts) => scripts.map((s) => `  ${s.id}  ${printable(s.displayName)}`).join("\n");

/** A name on one line: control characters (a line break in a name) as spaces. */
const printable = (text) => String(text ?? "").replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, " ");

/**
 * The scripts whose names are near `name`, nearest first: a name containing the text (or
 * contained in it), ignoring case, or within a small edit distance of it (a third of its
 * length, at most 3).
 */
export function nearMatches(scripts, name) {
  const want = name.trim().toLowerCase();
  const limit = Math.min(3, Math.floor(want.length / 3));
  const scored = [];
  for (const s of scripts) {
    const have = typeof s.displayName === "string" ? s.displayName.trim().toLowerCase() : "";
    if (!have) continue;
    const distance = editDistance(want, have, limit);
    const contains = have.includes(want) || (have.length >= 3 && want.includes(have));
    if (distance <= limit || contains) scored.push({ s, score: distance <= limit ? distance : limit + 1 + Math.abs(have.length - want.length) });
  }
  return scored.sort((a, b) => a.score - b.score).map(({ s }) => s);
}

/** Levenshtein distance of `a` and `b`, or `limit + 1` once it is sure to be over `limit`. */
export function editDistance(a, b, limit) {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      best = Math.min(best, row[j]);
    }
    if (best > limit) return limit + 1;
    previous = row;
  }
  return Math.min(previous[b.length], limit + 1);
}

/**
 * What the service said about the script, as a Stop when it says the script is missing: a
 * 404 on the script's user-state collection (graph-mock answers a missing script so, and so
 * does Graph: GRAPH.md, "Scripts") is told by missingScript(). Anything else is returned as it
 * is.
 */
export function noSuchScript(e, values, id) {
  return e?.name === "GraphError" && e.status === 404 ? missingScript(values, id, e) : e;
}

/**
 * One sentence, `no script with id X in <collection>`, with Graph's answer (`{ status, code?,
 * requestId?, clientRequestId? }`: a GraphError or an onResponse's ResponseInfo) and how to
 * find the id as the hint. Exit 1, as any failure of the service.
 */
export function missingScript(values, id, answer) {
  const ids = [answer.requestId && `request-id ${answer.requestId}`, answer.clientRequestId && `client-request-id ${answer.clientRequestId}`].filter(Boolean);
  return new Stop(
    `no script with id ${id} in ${collection(values)}`,
    EXIT.failed,
    `Graph answered ${answer.status}${answer.code ? ` ${answer.code}` : ""}${ids.length ? ` (${ids.join(", ")})` : ""}. Run '${scriptsCommand(values)}' to see the scripts and their ids.`,
  );
}
