//! Any JSON as a body the service returned for a user state: `model::check_user_state` never
//! panics, accepts only objects with a non-empty string id, Int32 counts and a string or
//! null userPrincipalName, and its verdict survives a JSON round trip of the value.
#![no_main]

use intune_core::model::{check_user_state, UserStateInput};
use intune_core::Json;
use intune_script_user_state_fuzz::json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(value) = json(data) else { return };
    let verdict = check_user_state(&value);
    if verdict.is_ok() {
        let m = value.as_object().expect("only objects are user states");
        assert!(matches!(m.get("id"), Some(Json::String(id)) if !id.is_empty()));
        for count in ["successDeviceCount", "errorDeviceCount"] {
            match m.get(count) {
                None | Some(Json::Null) => {}
                Some(v) => assert!(v.as_i32().is_some(), "{count} = {v:?}"),
            }
        }
        assert!(matches!(
            m.get("userPrincipalName"),
            None | Some(Json::Null) | Some(Json::String(_))
        ));
    } else {
        assert!(!verdict.as_ref().unwrap_err().is_empty());
    }
    // What the edge hands back to JS is this value; written out and read again it is the
    // same value with the same verdict.
    let text = serde_json::to_string(&value).expect("serialises");
    let again: Json = serde_json::from_str(&text).expect("reads back");
    assert_eq!(again, value, "{text}");
    assert_eq!(check_user_state(&again).is_ok(), verdict.is_ok());
    // The look-up's matcher on the same body never panics.
    for id in [
        None,
        Some("d5a29103-9103-d5a2-0391-a2d50391a2d5".to_owned()),
    ] {
        let input = UserStateInput {
            success_device_count: 0,
            error_device_count: 0,
            user_principal_name: "ada@contoso.com".into(),
            id,
        };
        let _ = input.is_created_as(&value);
    }
});
