#!/usr/bin/env bash
# Serves the admin page and the npm package with graph-mock on 127.0.0.1, in demo mode:
# the page talks to the stand-in with a demo token, no Microsoft account needed.
#   scripts/demo.sh [PORT]       build target/site, then serve it (default port 8080)
#   scripts/demo.sh --site-only  only build target/site (the page tests serve it themselves)
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
target/release/graph-mock --port "$port" --static "$site" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT INT TERM
for _ in $(seq 100); do
  grep -q "listening" "$log" && break
  kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
# A few named scripts for the picker (through graph-mock's control API), and user states to look
# at in Manage (script "demo-script", as the page fills in).
node -e '
  const root = process.argv[1], url = root + "/beta/deviceManagement/deviceManagementScripts/demo-script/userRunStates";
  const scripts = [
    { id: "demo-script", displayName: "Collect inventory", description: "Writes the installed software to the event log", fileName: "collect-inventory.ps1" },
    { displayName: "Fix printer spooler", description: "Restarts the spooler service", fileName: "fix-spooler.ps1" },
    { displayName: "Set time zone", fileName: "set-time-zone.ps1" },
    { displayName: "Clean temporary files", fileName: "clean-temp.ps1" },
    { scriptKind: "deviceShellScripts", displayName: "Install Rosetta", fileName: "install-rosetta.sh" },
    { scriptKind: "deviceShellScripts", displayName: "Dock layout", fileName: "dock-layout.sh" },
    { scriptKind: "deviceCustomAttributeShellScripts", displayName: "Battery cycle count", fileName: "battery-cycles.sh" },
  ];
  const seed = [["ada@contoso.com", 3, 0], ["grace@contoso.com", 2, 1], ["alan@contoso.com", 0, 4]];
  fetch(root + "/_mock/scripts", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(scripts) })
    .then((r) => { if (r.status !== 201) throw new Error(`scripts: HTTP ${r.status}`); })
    .then(() => Promise.all(seed.map(([userPrincipalName, successDeviceCount, errorDeviceCount]) =>
      fetch(url, { method: "POST", headers: { authorization: "Bearer demo-token", "content-type": "application/json" },
        body: JSON.stringify({ "@odata.type": "#microsoft.graph.deviceManagementScriptUserState", userPrincipalName, successDeviceCount, errorDeviceCount }) })
    )))
    .catch((e) => { console.error("seeding the demo data failed:", e.message); process.exit(1); });
' "http://127.0.0.1:$port"
echo
echo "  Admin page (demo mode, graph-mock): http://127.0.0.1:$port/?demo=1"
echo "  Stop with Ctrl-C."
echo
wait $pid
