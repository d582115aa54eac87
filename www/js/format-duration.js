// A duration as people read it, the one rule for the page's progress line (format.js) and the
// command line's progress (scripts/build-pkg.sh copies this file into the package's cli/lib/).
// No imports: it runs in the browser and in Node alike.

/** "45 s", "3 min 05 s", "2 h 01 min". */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}
