//! The read side of run states: `listDeviceRunStates`, `listDeviceRunStatePages` and
//! `getRunSummary`, with the paging, same-host rule and retries of every read.

use crate::driver::{start, Resolve};
use crate::pages::iterator;
use crate::prepare::{policy, prepare};
use intune_core::endpoint::DevicePage;
use intune_core::error::Error;
use intune_core::http::Request;
use intune_core::json::Json;
use intune_core::list::List;
use intune_core::single::{Expect, Single};
use intune_core::validate::{self, DeviceRunStatesRequest, DevicesCall};
use intune_core::Operation;
use js_sys::Promise;
use wasm_bindgen::prelude::*;

/// The first page's URL of a device run states request.
fn first_page(req: &DeviceRunStatesRequest) -> String {
    let o = &req.options;
    o.endpoint.device_run_states_page(
        o.script_kind,
        &req.script_id,
        req.user_state_id.as_deref(),
        DevicePage {
            top: req.top,
            filter: req.filter.as_deref(),
            device: req.device,
        },
    )
}

/// The input check of `call`: one closure type for the three exports, so the checking and
/// preparing code exists once.
fn check(call: DevicesCall) -> impl FnOnce(&Json) -> Result<DeviceRunStatesRequest, Error> {
    move |json| validate::devices_request(json, call).map_err(Error::Validation)
}

/// `listDeviceRunStates` and `getRunSummary`: one driver, the machine chosen by `call`.
fn read(request: &JsValue, call: DevicesCall) -> Promise {
    start(
        request,
        check(call),
        move |req, edge| {
            let p = policy(&req.options, &edge.tokens);
            let o = &req.options;
            let op: Box<dyn Operation> = match call {
                DevicesCall::List => Box::new(List::of(
                    first_page(&req),
                    o.endpoint.clone(),
                    p.clone(),
                    Expect::DeviceStatePage,
                )),
                DevicesCall::Summary => Box::new(Single::new(
                    Request::get(o.endpoint.run_summary(o.script_kind, &req.script_id)),
                    Expect::RunSummary,
                    p.clone(),
                )),
            };
            (op, p)
        },
        Resolve::Result,
    )
}

/// Lists every device run state of a script (`GET …/{scriptId}/deviceRunStates`), or of one
/// user state with `userStateId` (`GET …/userRunStates/{userStateId}/deviceRunStates`),
/// following `@odata.nextLink` page by page on the same host only, with the retries of every
/// read. With `device` (the default) each state carries its `managedDevice`: `id`,
/// `deviceName`, `operatingSystem`, `userPrincipalName`. A `runState` Graph does not document
/// is kept as text; a property of the wrong type rejects with a `GraphError` whose `code` is
/// `invalidResponse`.
///
/// @example
/// const states = await listDeviceRunStates({ token, scriptId, userStateId });
/// for (const s of states) console.log(s.managedDevice?.deviceName, s.runState, s.resultMessage);
#[wasm_bindgen(js_name = listDeviceRunStates, unchecked_return_type = "Promise<DeviceManagementScriptDeviceState[]>")]
pub fn list_device_run_states(
    #[wasm_bindgen(unchecked_param_type = "ListDeviceRunStatesRequest")] request: JsValue,
) -> Promise {
    read(&request, DevicesCall::List)
}

/// `listDeviceRunStates` page by page, as an async iterator: `for await (const page of
/// listDeviceRunStatePages({ token, scriptId }))`, each page an array of device run states as
/// it arrives. Bad input throws a `ValidationError` at once.
#[wasm_bindgen(js_name = listDeviceRunStatePages, unchecked_return_type = "DeviceRunStatePages")]
pub fn list_device_run_state_pages(
    #[wasm_bindgen(unchecked_param_type = "ListDeviceRunStatesRequest")] request: JsValue,
) -> Result<JsValue, JsValue> {
    let (req, edge) = prepare(&request, check(DevicesCall::List))?;
    let policy = policy(&req.options, &edge.tokens);
    let first = first_page(&req);
    Ok(iterator(
        first,
        req.options.endpoint,
        edge,
        policy,
        Expect::DeviceStatePage,
    ))
}

/// Reads a script's run summary: `GET …/{scriptId}/runSummary`, the object as Graph returns
/// it (`successDeviceCount`, `errorDeviceCount`, `successUserCount`, `errorUserCount`, and
/// any field the service adds).
#[wasm_bindgen(js_name = getRunSummary, unchecked_return_type = "Promise<DeviceManagementScriptRunSummary>")]
pub fn get_run_summary(
    #[wasm_bindgen(unchecked_param_type = "RunSummaryRequest")] request: JsValue,
) -> Promise {
    read(&request, DevicesCall::Summary)
}
