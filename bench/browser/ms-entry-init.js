// Size reference only (not loaded by the page): the same create through
// `Client.init({ authProvider })` exactly as an application writes it against Graph. Its
// bundle is the Microsoft client's size as a user ships it; ms-entry.js (the one the page
// runs) adds the loopback handler that points the client at graph-mock.
import { Client } from "@microsoft/microsoft-graph-client";

export function createUserState(token, scriptId, userState) {
  return Client.init({ authProvider: (done) => done(null, token) })
    .api(`/deviceManagement/deviceManagementScripts/${encodeURIComponent(scriptId)}/userRunStates`)
    .version("beta")
    .post({ "@odata.type": "#microsoft.graph.deviceManagementScriptUserState", ...userState });
}
