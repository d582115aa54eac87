// Arguments and help: the options every command takes, parsing a command's arguments with
// node:util's parseArgs, reading option values, and the help text built from each command's
// own description and options (so a new option is one entry in its command's file).
import { parseArgs } from "node:util";
import { EXIT, Stop } from "./errors.mjs";

export const NAME = "intune-script-user-state";

/**
 * An option: its parseArgs `type` (and `short`), `arg` (the value's name in the help) and
 * `help` (its description, lines split by "\n"). These go with every command.
 */
export const COMMON_OPTIONS = {
  "token-command": {
    type: "string",
    arg: "<cmd>",
    help: "Run <cmd> through the shell whenever a token is needed and read\nthe access token from its stdout (default: the GRAPH_TOKEN\nenvironment variable)",
  },
  cloud: { type: "string", arg: "<cloud>", help: "global, usgov, usgovdod or china [default: global]" },
  "base-url": {
    type: "string",
    arg: "<url>",
    help: "A Graph root over https, or http(s)://127.0.0.1, localhost or\n[::1] with a port (a local stand-in); overrides --cloud",
  },
  "script-kind": {
    type: "string",
    arg: "<kind>",
    help: "deviceManagementScripts, deviceShellScripts or\ndeviceCustomAttributeShellScripts [default: deviceManagementScripts]",
  },
  "max-retries": { type: "string", arg: "<n>", help: "Resends of a failed request, 0 to 10 [default: 3]" },
  "timeout-ms": { type: "string", arg: "<ms>", help: "Time limit of one request, 1 to 600000 [default: 30000]" },
  verbose: { type: "boolean", short: "v", help: "Name every failed row; a stack trace for unexpected errors" },
  help: { type: "boolean", short: "h", help: "Show this help" },
};

const COLUMN = 29; // where an option's description starts

/** The help lines of `options`, in their order. */
export function optionsHelp(options) {
  return Object.entries(options)
    .map(([name, o]) => {
      const left = `${o.short ? `  -${o.short}, ` : "      "}--${name}${o.arg ? ` ${o.arg}` : ""}`;
      const [first, ...rest] = o.help.split("\n");
      return [(left.length > COLUMN - 2 ? `${left}  ` : left.padEnd(COLUMN)) + first, ...rest.map((l) => " ".repeat(COLUMN) + l)].join("\n");
    })
    .join("\n");
}

/**
 * A command's help: its description, usage, what it says about itself (`about`), its options,
 * the connection options and its exit codes.
 */
export function commandHelp(command) {
  return [
    command.description,
    `Usage: ${NAME} ${command.usage}`,
    ...(command.about ? [command.about] : []),
    `Options:\n${optionsHelp(command.options)}`,
    `Connection options:\n${optionsHelp(COMMON_OPTIONS)}`,
    `Exit codes: ${command.exitCodes}`,
  ].join("\n\n");
}

/**
 * The arguments after the command's name, against its options and its number of positionals.
 * Returns { values, positionals, help } (help: --help was given; nothing else is checked then).
 */
export function parse(command, args) {
  const options = Object.fromEntries(
    Object.entries({ ...COMMON_OPTIONS, ...command.options }).map(([name, o]) => [name, o.short ? { type: o.type, short: o.short } : { type: o.type }]),
  );
  const hint = `Run '${NAME} ${command.name} --help' for its options.`;
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    const quoted = /'([^']+)'/.exec(e.message)?.[1];
    const what = {
      ERR_PARSE_ARGS_UNKNOWN_OPTION: `unknown option '${quoted}'`,
      ERR_PARSE_ARGS_INVALID_OPTION_VALUE: `option '${quoted}' needs a value`,
      ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL: `unexpected argument '${quoted}'`,
    }[e.code];
    throw new Stop(what ?? e.message, EXIT.usage, hint);
  }
  const { values, positionals } = parsed;
  if (values.help) return { values, positionals, help: true };
  if (positionals.length > command.positionals) throw new Stop(`unexpected argument '${positionals[command.positionals]}'`, EXIT.usage, hint);
  return { values, positionals, help: false };
}

/** A whole-number option's value, or undefined when not given. */
export function whole(values, name) {
  const text = values[name];
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new Stop(`--${name} must be a whole number, not '${text}'`);
  return Number(text);
}

/** A required option's value. */
export function required(values, name) {
  const v = values[name];
  if (v === undefined || v === "") throw new Stop(`--${name} is required`);
  return v;
}

/** --format: csv (the default) or json. */
export function format(values) {
  const f = values.format ?? "csv";
  if (f !== "csv" && f !== "json") throw new Stop(`--format must be csv or json, not '${f}'`);
  return f;
}

/** The options every call of the package takes (connection, retries), from the command line. */
export function callOptions(values, token) {
  const options = { token };
  if (values.cloud !== undefined) options.cloud = values.cloud;
  if (values["base-url"] !== undefined) options.baseUrl = values["base-url"];
  if (values["script-kind"] !== undefined) options.scriptKind = values["script-kind"];
  const maxRetries = whole(values, "max-retries");
  if (maxRetries !== undefined) options.maxRetries = maxRetries;
  const timeoutMs = whole(values, "timeout-ms");
  if (timeoutMs !== undefined) options.timeoutMs = timeoutMs;
  return options;
}
