//! Input rules of the read side of run states: `listDeviceRunStates`,
//! `listDeviceRunStatePages` and `getRunSummary`.

use super::{odata_filter, request, segment, whole_in, MAX_TOP};
use crate::error::ValidationError;
use crate::json::Json;
use crate::validate::CallOptions;

/// A checked `listDeviceRunStates` / `listDeviceRunStatePages` request.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceRunStatesRequest {
    /// The script whose devices are read.
    pub script_id: String,
    /// Only this user state's devices (`…/userRunStates/{id}/deviceRunStates`) when given.
    pub user_state_id: Option<String>,
    /// `$top`: the page size asked for.
    pub top: Option<u32>,
    /// `$filter`, passed to the service as given.
    pub filter: Option<String>,
    /// Ask for each device's id, name, operating system and user (`$expand`); default true.
    pub device: bool,
    /// The common options.
    pub options: CallOptions,
}

/// Checks a `listDeviceRunStates` / `listDeviceRunStatePages` request.
pub fn device_run_states_request(value: &Json) -> Result<DeviceRunStatesRequest, ValidationError> {
    let ((script_id, user_state_id, top, filter, device), options) =
        request(value, "a listDeviceRunStates request", |f| {
            let script_id = f.required("scriptId", segment);
            let user_state_id = f.optional("userStateId", segment);
            let top = f.optional("top", |v| whole_in(v, 1, MAX_TOP));
            let filter = f.optional("filter", odata_filter);
            let device = f.optional("device", |v| match v {
                Json::Bool(b) => Ok(*b),
                _ => Err(format!("must be true or false, not {}", v.kind())),
            });
            Some((
                script_id?,
                user_state_id,
                top,
                filter,
                device.unwrap_or(true),
            ))
        })?;
    Ok(DeviceRunStatesRequest {
        script_id,
        user_state_id,
        top,
        filter,
        device,
        options,
    })
}

/// A checked `getRunSummary` request.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummaryRequest {
    /// The script whose run summary is read.
    pub script_id: String,
    /// The common options.
    pub options: CallOptions,
}

/// Checks a `getRunSummary` request.
pub fn run_summary_request(value: &Json) -> Result<RunSummaryRequest, ValidationError> {
    let (script_id, options) = request(value, "a getRunSummary request", |f| {
        f.required("scriptId", segment)
    })?;
    Ok(RunSummaryRequest { script_id, options })
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
        let r = device_run_states_request(&json(r#"{"token":"t","scriptId":"s"}"#)).unwrap();
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
            r#"{"token":"t","scriptId":"s","userStateId":"u","top":999,"filter":"runState eq 'fail'","device":false,"scriptKind":"deviceShellScripts"}"#,
        ))
        .unwrap();
        assert_eq!(r.user_state_id.as_deref(), Some("u"));
        assert_eq!((r.top, r.device), (Some(999), false));
        assert_eq!(r.filter.as_deref(), Some("runState eq 'fail'"));
        // null counts as absent, as everywhere.
        let r = device_run_states_request(&json(r#"{"token":"t","scriptId":"s","device":null}"#));
        assert!(r.unwrap().device);
    }

    #[test]
    fn device_requests_name_the_bad_field() {
        for (body, field) in [
            (r#"{"token":"t"}"#, "scriptId"),
            (r#"{"token":"t","scriptId":".."}"#, "scriptId"),
            (
                r#"{"token":"t","scriptId":"s","userStateId":""}"#,
                "userStateId",
            ),
            (
                r#"{"token":"t","scriptId":"s","userStateId":5}"#,
                "userStateId",
            ),
            (r#"{"token":"t","scriptId":"s","top":0}"#, "top"),
            (r#"{"token":"t","scriptId":"s","top":1000}"#, "top"),
            (r#"{"token":"t","scriptId":"s","filter":" "}"#, "filter"),
            (r#"{"token":"t","scriptId":"s","device":"yes"}"#, "device"),
            (r#"{"token":"t","scriptId":"s","expand":"x"}"#, "expand"),
            (
                r#"{"token":"t","scriptId":"s","scriptKind":"x"}"#,
                "scriptKind",
            ),
        ] {
            let e = device_run_states_request(&json(body)).unwrap_err();
            assert_eq!(fields(e), [field], "{body}");
        }
    }

    #[test]
    fn summary_requests() {
        let r = run_summary_request(&json(r#"{"token":"t","scriptId":"s","cloud":"usgov"}"#));
        assert_eq!(r.unwrap().script_id, "s");
        let e = run_summary_request(&json(r#"{"token":"t","scriptId":"s","top":5}"#)).unwrap_err();
        assert_eq!(fields(e), ["top"]);
        let e = run_summary_request(&json(r#"{"token":"t"}"#)).unwrap_err();
        assert_eq!(fields(e), ["scriptId"]);
    }
}
