// `report`: one row per device run state of a script (or of one user's devices with --user),
// page by page as they come (listDeviceRunStatePages: memory stays flat however many devices),
// as CSV or JSON; the script's run summary on stderr first.
import { callOptions, format } from "../lib/args.mjs";
import { EXIT, Stop, describe } from "../lib/errors.mjs";
import { csvLine, err, out } from "../lib/output.mjs";
import { checkScriptOptions, noSuchScript, resolveScript, scriptOptions } from "../lib/script.mjs";
import { refreshOn401, tokenSource } from "../lib/token.mjs";

/** The columns of a row, in order (the CSV header; the keys of a JSON row). */
export const COLUMNS = ["userPrincipalName", "deviceName", "operatingSystem", "runState", "errorCode", "lastStateUpdateDateTime", "resultMessage"];

export default {
  name: "report",
  args: "",
  summary: "Print every device's run of a script (state, error, output) to stdout",
  description: "Print one row per device run state of a script to stdout (the run summary goes to stderr first).",
  usage: "report (--script-id <id> | --script <name>) [--user <upn>] [options]",
  about:
    `Rows:\n  ${COLUMNS.join(",")}\n` +
    "userPrincipalName is the user's (with --user) or the device's primary user's;\n" +
    "resultMessage is the script's output. Rows are written as each page arrives.",
  options: {
    ...scriptOptions("report on"),
    user: {
      type: "string",
      arg: "<upn>",
      help: "Only this user's devices: the user state whose userPrincipalName\nis <upn> (ignoring ASCII case)",
    },
    format: {
      type: "string",
      arg: "<format>",
      help: "csv (the columns above, cells quoted and formulas defused as in\nthe results file) or json (an array of rows with those keys)\n[default: csv]",
    },
  },
  positionals: 0,
  exitCodes: "0 listed, 1 the service or the network failed (or no such user), 2 bad usage.",
  run,
};

/** `s` with A-Z lowered and nothing else touched (how Entra ID compares user names here). */
const asciiLower = (s) => String(s).replace(/[A-Z]/g, (c) => c.toLowerCase());

/** The user states of the script whose userPrincipalName is `upn`, ignoring ASCII case. */
async function usersNamed(api, options, upn) {
  const want = asciiLower(upn);
  const found = [];
  for await (const page of api.listUserStatePages(options)) {
    for (const s of page) if (typeof s.userPrincipalName === "string" && asciiLower(s.userPrincipalName) === want) found.push(s);
  }
  return found;
}

/**
 * Whether the service refused the summary as a route it does not have (GRAPH.md reports that
 * for some scripts' runSummary): the report goes on without it. Any other failure stops.
 */
const refused = (e) => e?.name === "GraphError" && ((e.status === 400 && e.code === "No method match route template") || e.status === 405 || e.status === 501);

/** The run summary in one line on stderr. */
async function summary(api, options) {
  try {
    const s = await api.getRunSummary(options);
    const n = (v) => (typeof v === "number" ? v : "?");
    err(
      `Run summary: ${n(s.successDeviceCount)} devices succeeded, ${n(s.errorDeviceCount)} failed; ` +
        `${n(s.successUserCount)} users succeeded, ${n(s.errorUserCount)} failed.`,
    );
  } catch (e) {
    if (!refused(e)) throw e;
    err(`warning: no run summary: ${describe(e)}`);
  }
}

/** One row of a device run state; `upn` is the user's, when the devices are one user's. */
export function row(state, upn) {
  const d = state.managedDevice ?? {};
  const cell = (v) => (v === undefined ? null : v);
  return {
    userPrincipalName: cell(upn ?? d.userPrincipalName),
    deviceName: cell(d.deviceName),
    operatingSystem: cell(d.operatingSystem),
    runState: cell(state.runState),
    errorCode: cell(state.errorCode),
    lastStateUpdateDateTime: cell(state.lastStateUpdateDateTime),
    resultMessage: cell(state.resultMessage),
  };
}

async function run(api, values) {
  checkScriptOptions(values);
  const how = format(values);
  const upn = values.user;
  if (upn !== undefined && upn.trim() === "") throw new Stop("--user must not be empty");
  const token = tokenSource(values);
  const { id: scriptId } = await resolveScript(api, values, token);
  const options = { ...callOptions(values, token), ...refreshOn401(token), scriptId };

  // The first reads: a 404 there is a script that is not there, said in one sentence.
  let sources = [{ request: options, upn: undefined }];
  try {
    await summary(api, options);
    if (upn !== undefined) {
      const users = await usersNamed(api, options, upn);
      if (users.length === 0) throw new Stop(`script ${scriptId} has no user state for ${upn}`, EXIT.failed);
      sources = users.map((u) => ({ request: { ...options, userStateId: u.id }, upn: u.userPrincipalName }));
    }
  } catch (e) {
    throw noSuchScript(e, values, scriptId);
  }

  let n = 0;
  let started = false;
  for (const { request, upn: user } of sources) {
    for await (const page of api.listDeviceRunStatePages(request)) {
      // Nothing on stdout before the first page came: a failure leaves it empty.
      let chunk = started ? "" : how === "csv" ? csvLine(COLUMNS) : "[";
      started = true;
      for (const state of page) {
        const r = row(state, user);
        chunk += how === "csv" ? csvLine(COLUMNS.map((c) => r[c])) : `${n ? "," : ""}\n  ${JSON.stringify(r)}`;
        n += 1;
      }
      await out(chunk);
    }
  }
  if (how === "csv" && !started) await out(csvLine(COLUMNS));
  if (how === "json") await out(`${started ? "" : "["}${n ? "\n" : ""}]\n`);
  return EXIT.ok;
}
