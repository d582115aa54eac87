//! `listScripts`: every script of a kind, by name, for pickers.

use crate::driver::{start, Resolve};
use crate::prepare::policy;
use intune_core::error::Error;
use intune_core::list::List;
use intune_core::validate;
use js_sys::Promise;
use wasm_bindgen::prelude::*;

/// Lists every script of `scriptKind` (default `deviceManagementScripts`): `GET
/// {graph}/beta/deviceManagement/{scriptKind}?$select=id,displayName,description,fileName,lastModifiedDateTime`,
/// following `@odata.nextLink` page by page on the same host only, with the retries of every
/// read. Never asks for `scriptContent`.
///
/// @example
/// const scripts = await listScripts({ token, scriptKind: "deviceShellScripts" });
/// for (const s of scripts) console.log(s.displayName, s.id);
#[wasm_bindgen(js_name = listScripts, unchecked_return_type = "Promise<DeviceManagementScript[]>")]
pub fn list_scripts(
    #[wasm_bindgen(unchecked_param_type = "ListScriptsRequest")] request: JsValue,
) -> Promise {
    start(
        &request,
        |json| validate::scripts_request(json).map_err(Error::Validation),
        |req, edge| {
            let p = policy(&req.options, &edge.tokens);
            (Box::new(List::scripts(&req, p.clone())), p)
        },
        Resolve::Result,
    )
}
