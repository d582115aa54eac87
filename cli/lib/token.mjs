// The token: GRAPH_TOKEN, or --token-command run through the shell whenever a token is needed
// (cached until a 401 or about 50 minutes). A token is never printed or logged, never put on a
// child's command line or in its environment, and is scrubbed from everything written
// (output.mjs's addSecret).
import { spawn } from "node:child_process";
import { NAME } from "./args.mjs";
import { EXIT, Stop, TokenCommandError } from "./errors.mjs";
import { addSecret, scrub } from "./output.mjs";

/**
 * The token source: a function that runs --token-command when no cached token is fresh
 * (about 50 minutes, or less when the token says it expires sooner), or GRAPH_TOKEN.
 */
export function tokenSource(values) {
  const command = values["token-command"];
  if (command !== undefined) {
    if (command.trim() === "") throw new Stop("--token-command must not be empty");
    return commandToken(command);
  }
  const token = (process.env.GRAPH_TOKEN ?? "").trim();
  if (!token) {
    throw new Stop("no token: set GRAPH_TOKEN or pass --token-command \"<command>\"", EXIT.usage, `Run '${NAME} --help' for an example.`);
  }
  addSecret(token);
  return token;
}

/**
 * After a 401 (an inner `$batch` answer's too) the package asks the token function again:
 * the package's `onResponse` tells of every answer before that, so the command runs again.
 * Spread into a call's options.
 */
export function refreshOn401(token) {
  if (typeof token !== "function") return {};
  return { onResponse: ({ status }) => status === 401 && token.forget() };
}

const FIFTY_MINUTES = 50 * 60 * 1000;

/** How long a token may be reused: 50 minutes, or until a minute before its `exp` (a JWT). */
function lifetime(token) {
  try {
    const exp = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8")).exp;
    if (Number.isFinite(exp)) return Math.min(FIFTY_MINUTES, Math.max(30_000, exp * 1000 - Date.now() - 60_000));
  } catch {}
  return FIFTY_MINUTES;
}

function commandToken(command) {
  let cached = null; // { token, until }
  let running = null;
  let failed = null; // a failure stops the run: the command is not run again for the sends still asking
  const source = () => {
    if (failed) return failed;
    if (cached && Date.now() < cached.until) return cached.token;
    running ??= runTokenCommand(command)
      .then(
        (token) => {
          cached = { token, until: Date.now() + lifetime(token) };
          return token;
        },
        (err) => {
          failed = Promise.reject(err);
          failed.catch(() => {});
          throw err;
        },
      )
      .finally(() => {
        running = null;
      });
    return running;
  };
  source.forget = () => {
    cached = null;
  };
  return source;
}

function runTokenCommand(command) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.GRAPH_TOKEN; // the command makes its own; it never gets one from us
    // Through the platform shell (sh -c, cmd.exe /d /s /c): the command as the user wrote it.
    const child = spawn(command, { shell: true, stdio: ["ignore", "pipe", "pipe"], env, windowsHide: true });
    let out = "";
    let errText = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d) => {
      if (errText.length < 64 * 1024) errText += d;
    });
    child.on("error", (e) => reject(new TokenCommandError(`the token command could not be started: ${e.message}`)));
    child.on("close", (code, signal) => {
      const token = out.trim();
      // Whatever it printed is treated as secret, even when it then failed.
      if (token) addSecret(token);
      for (const word of out.split(/\s+/)) if (word.length >= 8) addSecret(word);
      if (code !== 0) {
        const first = scrub(errText.split(/\r?\n/).find((l) => l.trim() !== "") ?? "").trim();
        const how = signal ? `signal ${signal}` : `exit ${code}`;
        return reject(new TokenCommandError(`the token command failed (${how})${first ? `: ${first}` : ""}`));
      }
      if (!token) return reject(new TokenCommandError("the token command printed no token"));
      if (/\s/.test(token)) {
        return reject(new TokenCommandError("the token command printed more than a token (several words or lines): it must print the access token alone"));
      }
      resolve(token);
    });
  });
}
