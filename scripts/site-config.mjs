// The headers the deployable site needs, as Azure Static Web Apps' staticwebapp.config.json.
// scripts/build-site.mjs writes that file into dist/site/; scripts/serve-site.mjs reads it from
// there and applies it (routes, globalHeaders, mimeTypes, as the host documents them), so the
// local server and the host send the same headers. The two Content-Security-Policies are the
// meta policies of www/index.html and www/redirect.html, plus frame-ancestors (which a meta
// policy cannot carry).

/** Demo mode's files in www/: never part of the site (the build fails if the page needs them). */
export const DEMO_ONLY = ["js/demo.js", "demo.css"];

/** Hashed assets: their name changes with their content, so they may be kept for a year. */
export const IMMUTABLE = "public, max-age=31536000, immutable";

/** The staticwebapp.config.json object for the page's two policies. */
export function staticWebAppConfig({ pageCsp, bridgeCsp }) {
  return {
    routes: [
      { route: "/assets/*", headers: { "Cache-Control": IMMUTABLE } },
      {
        // The redirect URI: MSAL's bridge hands the sign-in answer back to the page, which
        // Cross-Origin-Opener-Policy would cut off (an empty value removes the global header).
        // MSAL's hidden iframe loads it inside the page, hence frame-ancestors 'self'.
        route: "/redirect.html",
        headers: {
          "Content-Security-Policy": `${bridgeCsp}; frame-ancestors 'self'`,
          "Cross-Origin-Opener-Policy": "",
          "Cache-Control": "no-store",
        },
      },
    ],
    globalHeaders: {
      "Content-Security-Policy": `${pageCsp}; frame-ancestors 'none'`,
      "Cross-Origin-Opener-Policy": "same-origin",
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      "Cache-Control": "no-cache",
    },
    mimeTypes: { ".wasm": "application/wasm" },
  };
}
