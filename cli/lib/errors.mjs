// The command line's failures and exit codes, and every error told in one token-free sentence.

/** The exit codes (README and `--help` list them). A signal's is 128 + its number. */
export const EXIT = { ok: 0, failed: 1, usage: 2, SIGINT: 130, SIGTERM: 143 };

/** A failure that ends the command with `code` and one sentence on stderr (then `hint`, if any). */
export class Stop extends Error {
  constructor(message, code = EXIT.usage, hint = null) {
    super(message);
    this.code = code;
    this.hint = hint;
  }
}

/** What the token command threw: the run stops, and the journal lets it resume. */
export class TokenCommandError extends Error {
  constructor(message) {
    super(message);
    this.name = "TokenCommandError";
  }
}

/** The package's option names as the command line spells them. */
const OPTION_OF = {
  concurrency: "--concurrency",
  maxRetries: "--max-retries",
  timeoutMs: "--timeout-ms",
  baseUrl: "--base-url",
  cloud: "--cloud",
  scriptKind: "--script-kind",
  scriptId: "--script-id",
  token: "the token",
};

/**
 * One sentence for an error of the package (or anything thrown). `lineOf(i)` names the file's
 * line of item `i`, for errors that point at `userStates[i]`. The caller scrubs the token.
 */
export function describe(e, lineOf = null) {
  if (e instanceof TokenCommandError || e instanceof Stop) return e.message;
  if (!(e instanceof Error)) return `${typeof e === "string" ? e : "a non-Error value was thrown"}`;
  switch (e.name) {
    case "GraphError": {
      const ids = [e.requestId && `request-id ${e.requestId}`, e.clientRequestId && `client-request-id ${e.clientRequestId}`].filter(Boolean);
      return `GraphError ${e.status} ${e.code}: ${e.message}${ids.length ? ` (${ids.join(", ")})` : ""}`;
    }
    case "ValidationError": {
      const list = Array.isArray(e.errors) && e.errors.length ? e.errors : [{ field: e.field ?? "", message: e.message }];
      return list
        .map(({ field, message }) => {
          const f = String(field);
          const named = OPTION_OF[f] ?? f.replace(/^userStates\[(\d+)\]\./, "").replace(/^userState\./, "");
          const text = `${named} ${message}`;
          return lineOf ? text.replace(/userStates\[(\d+)\]/g, (_, i) => `line ${lineOf(Number(i))}`) : text;
        })
        .join("; ");
    }
    case "NetworkError":
    case "TimeoutError":
    case "AbortError":
      return `${e.name}: ${e.message}${e.clientRequestId ? ` (client-request-id ${e.clientRequestId})` : ""}`;
    default:
      return `${e.name}: ${e.message}`;
  }
}

/**
 * What a command rejected with, as a Stop: bad options are usage (2), the service, the network
 * or the token command a failure (1). Anything else is not ours to name: returned as it is.
 */
export function asStop(e) {
  if (e instanceof Stop) return e;
  if (e instanceof TokenCommandError) return new Stop(e.message, EXIT.failed);
  if (e?.name === "ValidationError") return new Stop(describe(e), EXIT.usage);
  if (["GraphError", "NetworkError", "TimeoutError", "AbortError"].includes(e?.name)) return new Stop(describe(e), EXIT.failed);
  return e;
}
