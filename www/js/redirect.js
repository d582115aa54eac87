// The redirect URI registered for the app: hands the sign-in answer back to the page that
// opened the popup, then closes. It must not send Cross-Origin-Opener-Policy.
globalThis.msalRedirectBridge.broadcastResponseToMainFrame().catch(() => {
  document.getElementById("status").textContent = "This window is used by Microsoft sign-in and can be closed.";
});
