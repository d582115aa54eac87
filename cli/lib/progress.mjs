// Progress on stderr: a one-line bar redrawn in place when stderr is a terminal, plain lines
// otherwise. No colour either way.
import readline from "node:readline";
// The page's own rule (www/js/format-duration.js, copied beside this file by scripts/build-pkg.sh).
import { formatDuration } from "./format-duration.js";

/**
 * A one-line bar redrawn in place when `stream` is a terminal (done/total, rate, time left);
 * otherwise a plain line every 5 s at most, and one at the end. `update` takes the package's
 * onProgress figures ({ done, total, succeeded, failed }); `verb` names the succeeded
 * ("created", or "done" for a sync that also updates or leaves items unchanged).
 */
export function progress(stream, total, { verb = "created" } = {}) {
  const tty = Boolean(stream.isTTY);
  let state = { done: 0, total, succeeded: 0, failed: 0 };
  let first = null; // the first report of this run: a resumed run's rate counts only its own items
  let drawn = 0;
  let shown = false;
  let written = null; // the last plain line
  const figures = () => {
    const seconds = first ? (Date.now() - first.at) / 1000 : 0;
    const rate = seconds > 0.5 && state.done > first.done ? (state.done - first.done) / seconds : null;
    const left = rate && state.done < state.total ? formatDuration((state.total - state.done) / rate) : null;
    return { rate: rate === null ? null : rate < 10 ? rate.toFixed(1) : String(Math.round(rate)), left };
  };
  const line = () => {
    const { rate, left } = figures();
    const parts = [`${state.done} of ${state.total} (${state.succeeded} ${verb}, ${state.failed} failed)`];
    if (rate !== null) parts.push(`${rate} per second`);
    if (left) parts.push(`about ${left} left`);
    return parts.join(", ");
  };
  const bar = () => {
    const { rate, left } = figures();
    const pct = state.total ? Math.floor((100 * state.done) / state.total) : 100;
    const tail = ` ${state.done}/${state.total} ${String(pct).padStart(3)}%  ${rate === null ? "-" : rate}/s  ${left ? `${left} left` : ""}`;
    const width = Math.max(10, Math.min(30, (stream.columns || 80) - tail.length - 3));
    const full = state.total ? Math.round((width * state.done) / state.total) : width;
    return `[${"#".repeat(full)}${".".repeat(width - full)}]${tail}`;
  };
  const draw = () => {
    if (tty) {
      stream.write("\r");
      readline.clearLine(stream, 1);
      stream.write(bar());
      shown = true;
    } else {
      const text = line();
      if (text !== written) stream.write(text + "\n");
      written = text;
    }
    drawn = Date.now();
  };
  const timer = setInterval(() => (tty || Date.now() - drawn >= 5000) && first && draw(), 1000);
  timer.unref();
  let frozen = false;
  return {
    update(p) {
      if (frozen) return;
      state = p;
      first ??= { at: Date.now(), done: p.done };
      if (tty ? Date.now() - drawn >= 100 : Date.now() - drawn >= 5000) draw();
    },
    /** Stops drawing (the run is being stopped: what settles now is not progress) and leaves the line. */
    freeze() {
      frozen = true;
      clearInterval(timer);
      if (tty && shown) {
        stream.write("\n");
        shown = false;
      }
    },
    /** The last figures, unless the run was stopped (its unsent items count as settled). */
    end({ final = true } = {}) {
      clearInterval(timer);
      if (first && final) draw();
      if (tty && shown) stream.write("\n");
      shown = false;
    },
  };
}
