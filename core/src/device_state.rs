//! Device run states and the run summary, as the service answers them (read only): the
//! checks a successful answer must pass. A `runState` the enum does not name is kept as text
//! (the service adds values over time); a property of the wrong type is refused, and an
//! unknown property is never a failure.

use crate::json::{Json, Map};

/// The `runState` values Graph documents (`runState` enum). Others are kept as they come.
pub const RUN_STATES: [&str; 6] = [
    "unknown",
    "success",
    "fail",
    "scriptError",
    "pending",
    "notApplicable",
];

/// Checks one `deviceManagementScriptDeviceState`: an object with a non-empty string `id`,
/// `errorCode` an Int32, `runState`, `resultMessage`, `lastStateUpdateDateTime` and
/// `errorDescription` strings, and `managedDevice` an object whose `id`, `deviceName`,
/// `operatingSystem` and `userPrincipalName` are strings; any of them may be absent or `null`.
/// The error says what is wrong.
pub fn check_device_state(value: &Json) -> Result<(), String> {
    let map = object(value, "device run state")?;
    match map.get("id") {
        Some(Json::String(id)) if !id.is_empty() => {}
        _ => return Err("the device run state has no string id".into()),
    }
    strings(
        map,
        "device run state",
        &[
            "runState",
            "resultMessage",
            "lastStateUpdateDateTime",
            "errorDescription",
        ],
    )?;
    int32s(map, "device run state", &["errorCode"])?;
    match map.get("managedDevice") {
        None | Some(Json::Null) => Ok(()),
        Some(device) => strings(
            object(device, "managedDevice")?,
            "device run state's managedDevice",
            &["id", "deviceName", "operatingSystem", "userPrincipalName"],
        ),
    }
}

/// Checks a `deviceManagementScriptRunSummary`: an object whose `id` is a string and whose
/// four counts are Int32; any may be absent or `null`.
pub fn check_run_summary(value: &Json) -> Result<(), String> {
    let map = object(value, "run summary")?;
    strings(map, "run summary", &["id"])?;
    int32s(
        map,
        "run summary",
        &[
            "successDeviceCount",
            "errorDeviceCount",
            "successUserCount",
            "errorUserCount",
        ],
    )
}

/// Checks every item of a page: the first one that fails, by its place in the page.
pub fn check_device_states(items: &[Json]) -> Result<(), String> {
    for (i, item) in items.iter().enumerate() {
        check_device_state(item).map_err(|why| format!("item {i} of its page: {why}"))?;
    }
    Ok(())
}

fn object<'a>(value: &'a Json, what: &str) -> Result<&'a Map, String> {
    value
        .as_object()
        .ok_or_else(|| format!("expected a {what} object, got {}", value.kind()))
}

fn strings(map: &Map, what: &str, names: &[&str]) -> Result<(), String> {
    for name in names {
        match map.get(name) {
            None | Some(Json::Null) | Some(Json::String(_)) => {}
            Some(_) => return Err(format!("the {what}'s {name} is not a string")),
        }
    }
    Ok(())
}

fn int32s(map: &Map, what: &str, names: &[&str]) -> Result<(), String> {
    for name in names {
        match map.get(name) {
            None | Some(Json::Null) => {}
            Some(v) if v.as_i32().is_some() => {}
            Some(_) => return Err(format!("the {what}'s {name} is not an Int32")),
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
                "managedDevice object",
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
