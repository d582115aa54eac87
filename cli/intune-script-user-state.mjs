#!/usr/bin/env node
// intune-script-user-state: the npm package's command line (its `bin`), built on the package's
// own API. This file parses the command line and dispatches; each command is one file in
// commands/ (its description, options and run), and lib/ holds what they share: arguments and
// help (args), the token (token), progress (progress), stdout, stderr and CSV (output), Ctrl-C
// and SIGTERM (signals), errors and exit codes (errors). Node 20+, no dependency.
//
// Data goes to stdout; progress and errors to stderr, one plain sentence each (a stack trace
// only with --verbose). Exit codes: 0 done, 1 some rows not written, 2 bad usage or an
// unusable file, 130 stopped by Ctrl-C (143 by SIGTERM). A token is never printed or logged.
import { createRequire } from "node:module";
import { NAME, commandHelp, parse } from "./lib/args.mjs";
import { EXIT, Stop, asStop, describe } from "./lib/errors.mjs";
import { err } from "./lib/output.mjs";
import importCommand from "./commands/import.mjs";
import listCommand from "./commands/list.mjs";
import reportCommand from "./commands/report.mjs";
import scriptsCommand from "./commands/scripts.mjs";

/** The commands, in the order the help lists them. */
const COMMANDS = [importCommand, listCommand, reportCommand, scriptsCommand];

const mainHelp = (version) => `${NAME} ${version}
Create and list Intune device management script user run states in Microsoft Graph (beta).

Usage: ${NAME} <command> [options]

Commands:
${[...COMMANDS.map((c) => [`${c.name} ${c.args}`.trim(), c.summary]), ["help [command]", "Show the help of a command"]]
  .map(([synopsis, summary]) => `  ${synopsis.padEnd(19)}${summary}`)
  .join("\n")}

Options:
  -h, --help         Show this help
  -V, --version      Print the version

The token: the GRAPH_TOKEN environment variable, or --token-command "<command>", run whenever
a token is needed, for example
  --token-command "az account get-access-token --resource-type ms-graph --query accessToken -o tsv"

Exit codes: 0 done (every row created, updated or unchanged), 1 some rows not, 2 bad usage or
an unusable file, 130 stopped by Ctrl-C. Run '${NAME} <command> --help' for a command's options.`;

/** The package (the Node build, beside this folder in the package) and its version. */
function loadPackage() {
  const require = createRequire(import.meta.url);
  const api = require("../node/intune_script_user_state.cjs");
  const { version } = require("../package.json");
  return { api, version };
}

let verbose = false;

async function main(argv) {
  const [first, ...rest] = argv;
  const { api, version } = loadPackage();
  const byName = new Map(COMMANDS.map((c) => [c.name, c]));
  const help = (name) => process.stdout.write((name === "main" ? mainHelp(version) : commandHelp(byName.get(name))) + "\n");
  if (first === undefined) throw new Stop("a command is missing", EXIT.usage, `Usage: ${NAME} <command> [options]\nRun '${NAME} --help' for the commands.`);
  if (first === "-h" || first === "--help") return help("main"), EXIT.ok;
  if (first === "-V" || first === "--version") return process.stdout.write(`${NAME} ${version}\n`), EXIT.ok;
  if (first === "help") {
    const name = rest[0] ?? "main";
    if (name !== "main" && !byName.has(name)) throw new Stop(`no such command: '${name}'`, EXIT.usage, `Run '${NAME} --help' for the commands.`);
    return help(name), EXIT.ok;
  }
  const command = byName.get(first);
  if (!command) {
    throw new Stop(first.startsWith("-") ? `unknown option '${first}'` : `no such command: '${first}'`, EXIT.usage, `Run '${NAME} --help' for the commands.`);
  }
  const { values, positionals, help: wantsHelp } = parse(command, rest);
  if (wantsHelp) return help(first), EXIT.ok;
  verbose = Boolean(values.verbose);
  try {
    return await command.run(api, values, positionals);
  } catch (e) {
    throw asStop(e);
  }
}

process.stdout.on("error", (e) => {
  if (e.code === "EPIPE") process.exit(EXIT.ok); // `| head`: the reader has what it wanted
  throw e;
});
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    if (e instanceof Stop) {
      err(`error: ${e.message}`);
      if (e.hint) err(e.hint);
      process.exitCode = e.code;
      return;
    }
    err(`error: ${describe(e)}`);
    if (verbose && e?.stack) err(e.stack);
    else err("Run again with --verbose for details.");
    process.exitCode = EXIT.failed;
  },
);
