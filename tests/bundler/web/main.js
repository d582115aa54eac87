// The default entry, as the README shows it for bundlers: `await init()` first. The package's
// glue finds its .wasm with `new URL("…_bg.wasm", import.meta.url)`, which Vite emits as an asset.
import init, { createUserState, validateUserState } from "intune-script-user-state";
import { run } from "../app.js";

await init();
await run({ createUserState, validateUserState }, "web");
