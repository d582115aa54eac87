// The /bundler entry (wasm-bindgen's bundler target, which imports the .wasm as an ES module):
// no init call; vite-plugin-wasm turns the .wasm import into an emitted asset it instantiates.
import { createUserState, validateUserState } from "intune-script-user-state/bundler";
import { run } from "../app.js";

await run({ createUserState, validateUserState }, "bundler");
