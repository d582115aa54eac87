//! Device run states and the run summary, as the service answers them (read only): the
//! checks a successful answer must pass. A `runState` the enum does not name is kept as text
//! (the service adds values over time); a property of the wrong type is refused, and an
//! unknown property is never a failure.

use crate::json::Json;

/// The `runState` values Graph documents (`runState` enum). Others are kept as they come.
pub const RUN_STATES: [&str; 6] = [
    "unknown",
    "success",
    "fail",
    "scriptError",
    "pending",
    "notApplicable",
];

/// What a property must be when present and not `null`.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Int32,
    Object,
}

use Kind::{Int32, Object, Text};

/// A device run state's properties that are checked (others are kept unchecked).
const DEVICE_STATE: [(&str, Kind); 6] = [
    ("runState", Text),
    ("resultMessage", Text),
    ("lastStateUpdateDateTime", Text),
    ("errorDescription", Text),
    ("errorCode", Int32),
    ("managedDevice", Object),
];

/// The device's properties `listDeviceRunStates` asks for.
const DEVICE: [(&str, Kind); 4] = [
    ("id", Text),
    ("deviceName", Text),
    ("operatingSystem", Text),
    ("userPrincipalName", Text),
];

/// A run summary's properties.
const SUMMARY: [(&str, Kind); 5] = [
    ("id", Text),
    ("successDeviceCount", Int32),
    ("errorDeviceCount", Int32),
    ("successUserCount", Int32),
    ("errorUserCount", Int32),
];

/// Checks one `deviceManagementScriptDeviceState`: an object with a non-empty string `id`,
/// `errorCode` an Int32, `runState`, `resultMessage`, `lastStateUpdateDateTime` and
/// `errorDescription` strings, and `managedDevice` an object whose `id`, `deviceName`,
/// `operatingSystem` and `userPrincipalName` are strings; any of them but `id` may be absent
/// or `null`. The error says what is wrong.
pub fn check_device_state(value: &Json) -> Result<(), String> {
    const WHAT: &str = "device run state";
    check(value, WHAT, &DEVICE_STATE)?;
    match value.get("id") {
        Some(Json::String(id)) if !id.is_empty() => {}
        _ => return Err("the device run state has no string id".into()),
    }
    match value.get("managedDevice") {
        Some(device @ Json::Object(_)) => {
            check(device, "device run state's managedDevice", &DEVICE)
        }
        _ => Ok(()),
    }
}

/// Checks a `deviceManagementScriptRunSummary`: an object whose `id` is a string and whose
/// four counts are Int32; any may be absent or `null`.
pub fn check_run_summary(value: &Json) -> Result<(), String> {
    check(value, "run summary", &SUMMARY)
}

/// Checks every item of a page: the first one that fails, by its place in the page.
pub fn check_device_states(items: &[Json]) -> Result<(), String> {
    for (i, item) in items.iter().enumerate() {
        check_device_state(item).map_err(|why| format!("item {i} of its page: {why}"))?;
    }
    Ok(())
}

/// `value` is an object (a `what`) whose `rules` hold.
fn check(value: &Json, what: &str, rules: &[(&str, Kind)]) -> Result<(), String> {
    let Json::Object(map) = value else {
        return Err(format!("expected a {what} object, got {}", value.kind()));
    };
    for &(name, kind) in rules {
        let (ok, wanted) = match (map.get(name), kind) {
            (None | Some(Json::Null), _) => continue,
            (Some(v), Text) => (matches!(v, Json::String(_)), "a string"),
            (Some(v), Int32) => (v.as_i32().is_some(), "an Int32"),
            (Some(v), Object) => (matches!(v, Json::Object(_)), "an object"),
        };
        if !ok {
            return Err(format!("the {what}'s {name} is not {wanted}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Json {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn device_states_as_graph_sends_them() {
        let full = json(
            r##"{"@odata.type":"#microsoft.graph.deviceManagementScriptDeviceState","id":"d1","runState":"fail","resultMessage":"line1\nline2","lastStateUpdateDateTime":"2026-12-07T02:52:00Z","errorCode":-2147024894,"errorDescription":"not found","managedDevice":{"id":"m1","deviceName":"PC-1","operatingSystem":"Windows","userPrincipalName":null},"later":[1]}"##,
        );
        assert_eq!(check_device_state(&full), Ok(()));
        assert_eq!(check_device_state(&json(r#"{"id":"d"}"#)), Ok(()));
        assert_eq!(
            check_device_state(&json(r#"{"id":"d","managedDevice":null,"errorCode":null}"#)),
            Ok(())
        );
        // A value the enum does not (yet) name is kept.
        assert_eq!(
            check_device_state(&json(r#"{"id":"d","runState":"someNewValue"}"#)),
            Ok(())
        );
    }

    #[test]
    fn wrong_types_are_refused() {
        for (body, says) in [
            (r#"{"id":""}"#, "no string id"),
            (r#"{"runState":"success"}"#, "no string id"),
            (
                r#"{"id":"d","errorCode":"0x1"}"#,
                "errorCode is not an Int32",
            ),
            (r#"{"id":"d","errorCode":1.5}"#, "errorCode is not an Int32"),
            (
                r#"{"id":"d","errorCode":2147483648}"#,
                "errorCode is not an Int32",
            ),
            (r#"{"id":"d","runState":3}"#, "runState is not a string"),
            (
                r#"{"id":"d","resultMessage":{}}"#,
                "resultMessage is not a string",
            ),
            (
                r#"{"id":"d","managedDevice":"PC-1"}"#,
                "managedDevice is not an object",
            ),
            (
                r#"{"id":"d","managedDevice":{"deviceName":7}}"#,
                "managedDevice's deviceName is not a string",
            ),
            (
                r#"["d"]"#,
                "expected a device run state object, got an array",
            ),
        ] {
            let err = check_device_state(&json(body)).unwrap_err();
            assert!(err.contains(says), "{body}: {err}");
        }
    }

    #[test]
    fn pages_name_the_bad_item() {
        let items = [json(r#"{"id":"a"}"#), json(r#"{"id":"b","errorCode":"x"}"#)];
        let err = check_device_states(&items).unwrap_err();
        assert!(err.starts_with("item 1 of its page: "), "{err}");
        assert_eq!(check_device_states(&items[..1]), Ok(()));
    }

    #[test]
    fn run_summaries() {
        assert_eq!(
            check_run_summary(&json(
                r#"{"id":"s1","successDeviceCount":3,"errorDeviceCount":1,"successUserCount":2,"errorUserCount":1,"extra":true}"#
            )),
            Ok(())
        );
        assert_eq!(check_run_summary(&json("{}")), Ok(()));
        assert!(check_run_summary(&json(r#"{"successUserCount":"2"}"#)).is_err());
        assert!(check_run_summary(&json(r#"{"id":5}"#)).is_err());
        assert!(check_run_summary(&json("[]")).is_err());
    }
}
