//! Input rules of the read side of run states: `listDeviceRunStates`,
//! `listDeviceRunStatePages` and `getRunSummary`, one rule set with the call as a value (so
//! the edge checks all three through one function).

use super::{odata_filter, request, segment, top};
use crate::error::ValidationError;
use crate::json::Json;
use crate::request::{DeviceRunStatesRequest, DevicesCall};

/// Checks a request for `call`. Every field but those of `call` (and the common options) is
/// refused, naming it.
pub fn devices_request(
    value: &Json,
    call: DevicesCall,
) -> Result<DeviceRunStatesRequest, ValidationError> {
    let what = match call {
        DevicesCall::List => "a listDeviceRunStates request",
        DevicesCall::Summary => "a getRunSummary request",
    };
    let (req, options) = request(value, what, |f| {
        let script_id = f.required("scriptId", segment);
        let mut req = (None, None, None, true);
        if call == DevicesCall::List {
            req.0 = f.optional("userStateId", segment);
            req.1 = f.optional("top", top);
            req.2 = f.optional("filter", odata_filter);
            match f.get("device") {
                None | Some(Json::Bool(true)) => {}
                Some(Json::Bool(false)) => req.3 = false,
                Some(v) => {
                    let kind = v.kind();
                    f.fail("device", format!("must be true or false, not {kind}"));
                }
            }
        }
        Some((script_id?, req))
    })?;
    let (script_id, (user_state_id, top, filter, device)) = req;
    Ok(DeviceRunStatesRequest {
        script_id,
        user_state_id,
        top,
        filter,
        device,
        options,
    })
}

/// Checks a `listDeviceRunStates` / `listDeviceRunStatePages` request.
pub fn device_run_states_request(value: &Json) -> Result<DeviceRunStatesRequest, ValidationError> {
    devices_request(value, DevicesCall::List)
}

/// Checks a `getRunSummary` request: `scriptId` and the common options.
pub fn run_summary_request(value: &Json) -> Result<DeviceRunStatesRequest, ValidationError> {
    devices_request(value, DevicesCall::Summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Json {
        serde_json::from_str(text).unwrap()
    }

    fn fields(e: ValidationError) -> Vec<String> {
        e.errors.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn device_requests() {
        let r = device_run_states_request(&json(r#"{"scriptId":"s"}"#)).unwrap();
        assert_eq!(
            (
                r.script_id.as_str(),
                r.user_state_id,
                r.top,
                r.filter,
                r.device
            ),
            ("s", None, None, None, true)
        );
        let r = device_run_states_request(&json(
            r#"{"scriptId":"s","userStateId":"u","top":999,"filter":"runState eq 'fail'","device":false,"scriptKind":"deviceShellScripts"}"#,
        ))
        .unwrap();
        assert_eq!(r.user_state_id.as_deref(), Some("u"));
        assert_eq!((r.top, r.device), (Some(999), false));
        assert_eq!(r.filter.as_deref(), Some("runState eq 'fail'"));
        // null counts as absent, as everywhere.
        let r = device_run_states_request(&json(r#"{"scriptId":"s","device":null}"#));
        assert!(r.unwrap().device);
        let r = device_run_states_request(&json(r#"{"scriptId":"s","device":true}"#));
        assert!(r.unwrap().device);
    }

    #[test]
    fn device_requests_name_the_bad_field() {
        for (body, field) in [
            (r#"{}"#, "scriptId"),
            (r#"{"scriptId":".."}"#, "scriptId"),
            (r#"{"scriptId":"s","userStateId":""}"#, "userStateId"),
            (r#"{"scriptId":"s","userStateId":5}"#, "userStateId"),
            (r#"{"scriptId":"s","top":0}"#, "top"),
            (r#"{"scriptId":"s","top":1000}"#, "top"),
            (r#"{"scriptId":"s","filter":" "}"#, "filter"),
            (r#"{"scriptId":"s","device":"yes"}"#, "device"),
            (r#"{"scriptId":"s","device":1}"#, "device"),
            (r#"{"scriptId":"s","expand":"x"}"#, "expand"),
            (r#"{"scriptId":"s","scriptKind":"x"}"#, "scriptKind"),
        ] {
            let e = device_run_states_request(&json(body)).unwrap_err();
            assert_eq!(fields(e), [field], "{body}");
        }
        let e = device_run_states_request(&json(r#"{"scriptId":"s","device":"yes"}"#));
        assert_eq!(
            e.unwrap_err().errors[0].message,
            "must be true or false, not a string"
        );
    }

    #[test]
    fn summary_requests() {
        let r = run_summary_request(&json(r#"{"scriptId":"s","cloud":"usgov"}"#));
        assert_eq!(r.unwrap().script_id, "s");
        for (body, field) in [
            (r#"{"scriptId":"s","top":5}"#, "top"),
            (r#"{"scriptId":"s","userStateId":"u"}"#, "userStateId"),
            (r#"{"scriptId":"s","device":false}"#, "device"),
            (r#"{}"#, "scriptId"),
        ] {
            let e = run_summary_request(&json(body)).unwrap_err();
            assert_eq!(fields(e), [field], "{body}");
        }
    }
}
