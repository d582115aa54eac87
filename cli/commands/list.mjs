// `list`: every user state of a script to stdout, page by page as they come
// (listUserStatePages), as CSV or JSON.
import { callOptions, format } from "../lib/args.mjs";
import { EXIT } from "../lib/errors.mjs";
import { csvLine, out } from "../lib/output.mjs";
import { checkScriptOptions, noSuchScript, resolveScript, scriptOptions } from "../lib/script.mjs";
import { refreshOn401, tokenSource } from "../lib/token.mjs";

export default {
  name: "list",
  args: "",
  summary: "Print every user state of a script to stdout, as CSV or JSON",
  description: "Print every user state of a script to stdout.",
  usage: "list (--script-id <id> | --script <name>) [options]",
  options: {
    ...scriptOptions("list"),
    format: {
      type: "string",
      arg: "<format>",
      help: "csv (id,userPrincipalName,successDeviceCount,errorDeviceCount)\nor json (an array of the objects as Graph returned them)\n[default: csv]",
    },
  },
  positionals: 0,
  exitCodes: "0 listed, 1 the service or the network failed, 2 bad usage.",
  run,
};

async function run(api, values) {
  checkScriptOptions(values);
  const how = format(values);
  const token = tokenSource(values);
  const { id } = await resolveScript(api, values, token);
  const options = { ...callOptions(values, token), ...refreshOn401(token), scriptId: id };
  let n = 0;
  let started = false;
  const pages = api.listUserStatePages(options);
  try {
    for await (const page of pages) {
      // Nothing on stdout before the first page came: a failure leaves it empty.
      let chunk = started ? "" : how === "csv" ? csvLine(["id", "userPrincipalName", "successDeviceCount", "errorDeviceCount"]) : "[";
      started = true;
      for (const s of page) {
        chunk += how === "csv" ? csvLine([s.id, s.userPrincipalName, s.successDeviceCount, s.errorDeviceCount]) : `${n ? "," : ""}\n  ${JSON.stringify(s)}`;
        n += 1;
      }
      await out(chunk);
    }
  } catch (e) {
    // A 404 before the first page: the script is not there (later, it went while listing).
    throw started ? e : noSuchScript(e, values, id);
  }
  if (how === "json") await out(`${started ? "" : "["}${n ? "\n" : ""}]\n`);
  return EXIT.ok;
}
