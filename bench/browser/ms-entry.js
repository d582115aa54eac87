// The Microsoft contender: `@microsoft/microsoft-graph-client` 3.x making the call
// createUserState makes, bundled by esbuild (--bundle --minify --format=esm) into
// target/bench-site/ms/ms-client.js. The bundle's size is what the bench reports for it,
// and the page uses the same bundle.
//
// `Client.init({ authProvider })` builds, in a browser, the chain AuthenticationHandler ->
// RetryHandler -> TelemetryHandler -> HTTPMessageHandler. The authentication and telemetry
// handlers only act on https URLs of Graph's hosts (or `customHosts`, https only too): against
// graph-mock's http://127.0.0.1 they would send no token and no client-request-id. So the
// client keeps Graph's real root and the same chain, built as `Client.init` builds it, with
// one change: the last handler sends the request to the page's own origin (graph-mock)
// instead of https://graph.microsoft.com. Every handler does what it does against Graph.
import {
  AuthenticationHandler,
  Client,
  CustomAuthenticationProvider,
  RetryHandler,
  RetryHandlerOptions,
  TelemetryHandler,
} from "@microsoft/microsoft-graph-client";

const GRAPH_ROOT = "https://graph.microsoft.com";

// HTTPMessageHandler, with the root swapped for the page's origin.
class LoopbackMessageHandler {
  constructor(origin) {
    this.origin = origin;
  }
  async execute(context) {
    const url = typeof context.request === "string" ? context.request : context.request.url;
    if (!url.startsWith(GRAPH_ROOT + "/")) throw new Error(`not a Graph URL: ${url}`);
    context.response = await fetch(this.origin + url.slice(GRAPH_ROOT.length), context.options);
  }
}

/** A client as `Client.init({ authProvider: (done) => done(null, token) })` makes it, sending to `origin`. */
export function createClient(token, origin) {
  const authProvider = new CustomAuthenticationProvider((done) => done(null, token));
  return Client.initWithMiddleware({
    middleware: [
      new AuthenticationHandler(authProvider),
      new RetryHandler(new RetryHandlerOptions()),
      new TelemetryHandler(),
      new LoopbackMessageHandler(origin),
    ],
  });
}

/** The create: POST /beta/deviceManagement/deviceManagementScripts/{scriptId}/userRunStates. */
export function createUserState(client, scriptId, userState) {
  return client
    .api(`/deviceManagement/deviceManagementScripts/${encodeURIComponent(scriptId)}/userRunStates`)
    .version("beta")
    .post({ "@odata.type": "#microsoft.graph.deviceManagementScriptUserState", ...userState });
}
