// `scripts`: the scripts of a kind (listScripts) with their ids and names, as CSV or JSON.
import { callOptions, format } from "../lib/args.mjs";
import { EXIT } from "../lib/errors.mjs";
import { csvLine, out } from "../lib/output.mjs";
import { refreshOn401, tokenSource } from "../lib/token.mjs";

export default {
  name: "scripts",
  args: "",
  summary: "Print the scripts' ids and names to stdout",
  description: "Print the scripts of a kind (--script-kind) with their ids and names to stdout.",
  usage: "scripts [options]",
  options: {
    format: { type: "string", arg: "<format>", help: "csv (id,displayName) or json [default: csv]" },
  },
  positionals: 0,
  exitCodes: "0 listed, 1 the service or the network failed, 2 bad usage.",
  run,
};

async function run(api, values) {
  const how = format(values);
  const token = tokenSource(values);
  const options = { ...callOptions(values, token), ...refreshOn401(token) };
  const scripts = await api.listScripts(options);
  if (how === "csv") await out(csvLine(["id", "displayName"]) + scripts.map((s) => csvLine([s.id, s.displayName])).join(""));
  else await out(JSON.stringify(scripts, null, 2) + "\n");
  return EXIT.ok;
}
