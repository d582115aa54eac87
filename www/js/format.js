// Small pure helpers: counts as typed, durations and the progress line of a bulk run.
import { formatDuration } from "./format-duration.js";

export { formatDuration };

/**
 * A count as the user typed it, not coerced: "" stays visible as null (required), a plain
 * decimal becomes that number ("2.5" -> 2.5, "-1" -> -1, so the rules can name the problem),
 * anything else stays a string ("0x10", "1e3", "two") for the rules to refuse.
 */
export function countFromText(text) {
  const t = String(text ?? "").trim();
  if (t === "") return null;
  return /^-?\d+(?:\.\d+)?$/.test(t) ? Number(t) : t;
}

/**
 * The numbers shown beside the progress bar: rate per second and time left, when known. `verb`
 * names the succeeded items ("created"; "done" for a sync that also updates or leaves some).
 */
export function progressFigures({ done, total, succeeded, failed }, elapsedMs, verb = "created") {
  const seconds = elapsedMs / 1000;
  const rate = done > 0 && seconds > 0 ? done / seconds : null;
  const secondsLeft = rate ? (total - done) / rate : null;
  const parts = [`${done} of ${total}`, `${succeeded} ${verb}`, `${failed} failed`];
  parts.push(rate === null ? "rate: measuring" : `${rate < 10 ? rate.toFixed(1) : Math.round(rate)} per second`);
  if (done < total) parts.push(secondsLeft === null ? "time left: estimating" : `about ${formatDuration(secondsLeft)} left`);
  return { rate, secondsLeft, text: parts.join(" · ") };
}

/** A field name as a person reads it. */
export const FIELD_LABELS = Object.freeze({
  userPrincipalName: "User principal name",
  successDeviceCount: "Success device count",
  errorDeviceCount: "Error device count",
  scriptId: "Script id",
});

export const describeProblem = ({ field, message }) =>
  `${FIELD_LABELS[field.replace(/^userState\./, "")] ?? field} ${message}`;
