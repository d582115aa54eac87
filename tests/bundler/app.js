// The app both builds share: what a page using the package would do. It creates one user
// state on the server it was loaded from (graph-mock in the tests), checks a bad one locally,
// and shows what happened in #result, with <body data-state="ok|error"> once done.
// The page is opened as `…/?scriptId=ID`.
export async function run({ createUserState, validateUserState }, entry) {
  const out = document.getElementById("result");
  const show = (state, value) => {
    out.textContent = JSON.stringify(value, null, 2);
    document.body.dataset.state = state;
  };
  try {
    const scriptId = new URLSearchParams(location.search).get("scriptId") ?? "bundler-app";
    const userState = { userPrincipalName: `${entry}@contoso.com`, successDeviceCount: 2, errorDeviceCount: 1 };
    const created = await createUserState({ baseUrl: location.origin, token: "bundler-token-123", scriptId, userState });
    show("ok", {
      entry,
      created,
      validGood: validateUserState(userState),
      validBad: validateUserState({ userPrincipalName: "", successDeviceCount: -1, errorDeviceCount: 1.5 }),
    });
  } catch (e) {
    show("error", { entry, name: e?.name, message: String(e?.message ?? e), stack: String(e?.stack ?? "") });
  }
}
