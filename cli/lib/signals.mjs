// Ctrl-C (SIGINT) and SIGTERM during a run: the first asks the run to stop (the requests in
// flight are recorded in the journal, the rest stays unsent, the command says how to resume);
// a second quits at once, which the write-ahead journal also survives.
import { EXIT } from "./errors.mjs";

/**
 * Until `release()`, the first SIGINT or SIGTERM calls `onStop(signal)` and a second exits with
 * the signal's code (130 or 143). `stoppedBy()` is the first signal's name, or null.
 */
export function catchStopSignals(onStop) {
  let stoppedBy = null;
  const handlers = ["SIGINT", "SIGTERM"].map((signal) => {
    const handler = () => {
      if (stoppedBy) process.exit(EXIT[signal]);
      stoppedBy = signal;
      onStop(signal);
    };
    process.on(signal, handler);
    return [signal, handler];
  });
  return {
    stoppedBy: () => stoppedBy,
    release() {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    },
  };
}
