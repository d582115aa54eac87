// Where the access token comes from: pasted by the user, or Microsoft sign-in through MSAL
// (loaded only when the user chooses to sign in). The token is handed to the package and
// nowhere else: not to storage, the URL, the console or the DOM.
import { authorityFor, scopeFor } from "./settings.js";

const MSAL_SRC = new URL("../vendor/msal-browser.min.js", import.meta.url).href;
export const REDIRECT_URI = new URL("../redirect.html", import.meta.url).href;

class TokenMissing extends Error {
  constructor(message) {
    super(message);
    this.name = "TokenMissing";
  }
}

/** A token pasted into a password input, read afresh for every request. */
export function pastedToken(input) {
  return () => {
    const value = input.value.trim().replace(/^Bearer\s+/i, "");
    if (!value) throw new TokenMissing("Paste an access token, or choose Sign in with Microsoft.");
    return value;
  };
}

// The page's CSP requires Trusted Types for script URLs: this policy allows exactly one.
let loaderPolicy;
function msalScriptUrl() {
  if (!globalThis.trustedTypes) return MSAL_SRC;
  loaderPolicy ??= trustedTypes.createPolicy("msal-loader", {
    createScriptURL: (url) => {
      if (url !== MSAL_SRC) throw new TypeError("only the bundled MSAL may be loaded");
      return url;
    },
  });
  return loaderPolicy.createScriptURL(MSAL_SRC);
}

function loadMsal() {
  if (globalThis.msal?.PublicClientApplication) return Promise.resolve(globalThis.msal);
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = msalScriptUrl();
    script.onload = () => resolve(globalThis.msal);
    script.onerror = () => {
      script.remove();
      reject(new Error("Could not load Microsoft's sign-in library (vendor/msal-browser.min.js)."));
    };
    document.head.append(script);
  });
}

/** Microsoft sign-in (popup flow) for one cloud, tenant and app registration. */
export class MsalSession {
  constructor({ cloud, tenant, clientId }, onAccount = () => {}) {
    this.onAccount = onAccount;
    this.cloud = cloud;
    this.tenant = tenant;
    this.clientId = clientId;
    this.scopes = [scopeFor(cloud)];
    this.app = null;
    this.account = null;
    this.interaction = null;
  }

  async client() {
    if (this.app) return this.app;
    const msal = await loadMsal();
    const app = new msal.PublicClientApplication({
      auth: { clientId: this.clientId, authority: authorityFor(this.cloud, this.tenant), redirectUri: REDIRECT_URI },
      cache: { cacheLocation: "sessionStorage" },
      system: { loggerOptions: { piiLoggingEnabled: false, logLevel: msal.LogLevel.Error, loggerCallback: () => {} } },
    });
    await app.initialize();
    this.app = app;
    // An account this tab signed in with before a reload is still in MSAL's sessionStorage cache.
    this.account = app.getActiveAccount() ?? app.getAllAccounts()[0] ?? null;
    this.onAccount();
    return app;
  }

  /** Signs in with a popup unless this tab already holds an account. Resolves to the account. */
  async signIn() {
    const app = await this.client();
    if (!this.account) {
      const result = await this.interactive(() => app.loginPopup({ scopes: this.scopes, prompt: "select_account" }));
      this.account = result.account;
      this.onAccount();
    }
    app.setActiveAccount(this.account);
    return this.account;
  }

  /** The token source handed to the package: silent first, a popup when sign-in must be renewed. */
  token = async () => {
    if (!this.clientId) throw new TokenMissing("Enter the application (client) id in Settings and sign in, or paste an access token.");
    const app = await this.client();
    if (!this.account) throw new TokenMissing("Not signed in: choose Sign in with Microsoft, or paste an access token.");
    const request = { scopes: this.scopes, account: this.account };
    try {
      return (await app.acquireTokenSilent(request)).accessToken;
    } catch (err) {
      if (!(err instanceof globalThis.msal.InteractionRequiredAuthError)) throw err;
      return (await this.interactive(() => app.acquireTokenPopup(request))).accessToken;
    }
  };

  /** Forgets this tab's account and tokens (MSAL's cache in sessionStorage). */
  async signOut() {
    if (this.app && this.account) await this.app.clearCache({ account: this.account });
    this.app?.setActiveAccount(null);
    this.account = null;
    this.onAccount();
  }

  // One interactive call at a time (MSAL refuses a second with interaction_in_progress).
  interactive(start) {
    this.interaction ??= start().finally(() => {
      this.interaction = null;
    });
    return this.interaction;
  }
}
