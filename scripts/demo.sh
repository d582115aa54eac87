#!/usr/bin/env bash
# Serves the admin page and the npm package with graph-mock on 127.0.0.1, in demo mode:
# the page talks to the stand-in with a demo token, no Microsoft account needed.
#   scripts/demo.sh [PORT]       build target/site, then serve it (default port 8080)
#   scripts/demo.sh --site-only  only build target/site (the page tests serve it themselves)
# MOCK_ARGS (environment) adds graph-mock arguments, e.g. MOCK_ARGS=--refuse-run-state-writes
# to look at the page against a tenant that answers every user-state write as a route it does
# not have (issue 17; `make demo MOCK_ARGS=--refuse-run-state-writes`).
# target/site = www/ + the browser build from pkg/ + MSAL's UMD builds from node_modules
# (served by the project, never committed).
set -euo pipefail
cd "$(dirname "$0")/.."

site=target/site
msal=node_modules/@azure/msal-browser/lib
for f in pkg/intune_script_user_state.js pkg/intune_script_user_state_bg.wasm \
         "$msal/msal-browser.min.js" "$msal/redirect-bridge/msal-redirect-bridge.min.js"; do
  [ -f "$f" ] || { echo "missing $f: run make pkg (and npm ci) first" >&2; exit 1; }
done
rm -rf "$site" && mkdir -p "$site/pkg" "$site/vendor"
cp -r www/. "$site/"
cp pkg/intune_script_user_state.js pkg/intune_script_user_state_bg.wasm "$site/pkg/"
cp "$msal/msal-browser.min.js" "$msal/redirect-bridge/msal-redirect-bridge.min.js" "$site/vendor/"
[ "${1:-}" = "--site-only" ] && { echo "target/site built"; exit 0; }

port=${1:-8080}
cargo build --release -q -p graph-mock
log=$(mktemp)
read -r -a mock_args <<<"${MOCK_ARGS:-}"
target/release/graph-mock --port "$port" --static "$site" "${mock_args[@]}" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT INT TERM
for _ in $(seq 100); do
  grep -q "listening" "$log" && break
  kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
# A few named scripts for the picker (through graph-mock's control API), and user states with
# their devices to look at in Manage and the report (script "demo-script", as the page fills in),
# seeded through the control API so that they are there even when writes are refused.
node -e '
  const root = process.argv[1];
  const scripts = [
    { id: "demo-script", displayName: "Collect inventory", description: "Writes the installed software to the event log", fileName: "collect-inventory.ps1" },
    { displayName: "Fix printer spooler", description: "Restarts the spooler service", fileName: "fix-spooler.ps1" },
    { displayName: "Set time zone", fileName: "set-time-zone.ps1" },
    { displayName: "Clean temporary files", fileName: "clean-temp.ps1" },
    { scriptKind: "deviceShellScripts", displayName: "Install Rosetta", fileName: "install-rosetta.sh" },
    { scriptKind: "deviceShellScripts", displayName: "Dock layout", fileName: "dock-layout.sh" },
    { scriptKind: "deviceCustomAttributeShellScripts", displayName: "Battery cycle count", fileName: "battery-cycles.sh" },
  ];
  const device = (n, user, runState, resultMessage, errorCode = 0, errorDescription = null) => ({
    runState, resultMessage, errorCode, errorDescription,
    lastStateUpdateDateTime: new Date(Date.UTC(2026, 10, 30, 8, n * 7)).toISOString(),
    managedDevice: { deviceName: `DESKTOP-${String(n).padStart(4, "0")}`, operatingSystem: "Windows", osVersion: "10.0.26100", userPrincipalName: user },
  });
  const states = [
    { userPrincipalName: "ada@contoso.com", deviceRunStates: [
      device(1, "ada@contoso.com", "success", "Inventory written: 214 packages"),
      device(2, "ada@contoso.com", "success", "Inventory written: 198 packages"),
      device(3, "ada@contoso.com", "success", "Inventory written: 231 packages") ] },
    { userPrincipalName: "grace@contoso.com", deviceRunStates: [
      device(4, "grace@contoso.com", "success", "Inventory written: 187 packages"),
      device(5, "grace@contoso.com", "success", "Inventory written: 190 packages"),
      device(6, "grace@contoso.com", "scriptError", "Get-Package : Access is denied.\nAt line:3 char:1", -2147024891, "Access is denied.") ] },
    { userPrincipalName: "alan@contoso.com", deviceRunStates: [
      device(7, "alan@contoso.com", "fail", "", -2147024894, "The system cannot find the file specified."),
      device(8, "alan@contoso.com", "fail", "", 1, "Script timed out"),
      device(9, "alan@contoso.com", "scriptError", "<script>alert(1)</script>", 1, "Exit code 1"),
      device(10, "alan@contoso.com", "scriptError", "=HYPERLINK(\"http://example.com\")", 1, "Exit code 1") ] },
  ].map((s) => ({ scriptId: "demo-script", ...s }));
  const post = (path, body) => fetch(root + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
    .then((r) => { if (r.status !== 201) throw new Error(`${path}: HTTP ${r.status}`); });
  post("/_mock/scripts", scripts)
    .then(() => post("/_mock/objects", states))
    .catch((e) => { console.error("seeding the demo data failed:", e.message); process.exit(1); });
' "http://127.0.0.1:$port"
echo
echo "  Admin page (demo mode, graph-mock): http://127.0.0.1:$port/?demo=1"
case " ${MOCK_ARGS:-} " in
  *" --refuse-run-state-writes "*) echo "  graph-mock answers every user-state write as Graph answers a route it does not have (400)." ;;
esac
echo "  Stop with Ctrl-C."
echo
wait $pid
