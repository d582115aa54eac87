//! `Bulk::with_records` on whatever a journal might hold, each line read as the edge reads it
//! (`JSON.parse`; here serde_json with exact numbers).
//!
//! Input: text, one record per line.
//!
//! Invariants: nothing panics. On the lines for a three-item request it either refuses them
//! with a `ValidationError` on `journal` that starts "holds a different run" or "cannot be
//! read", or gives a machine whose first poll works and whose own records read back equal.
#![no_main]

use intune_core::validate::bulk_request;
use intune_core::Policy;
use intune_core::{Error, Json};
use intune_script_user_state_fuzz::{line, resumed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let lines: Vec<String> = input.lines().map(str::to_owned).collect();
    let items = r#"[{"userPrincipalName":"a@x","successDeviceCount":0,"errorDeviceCount":0},{"userPrincipalName":"b@x","successDeviceCount":1,"errorDeviceCount":0},{"userPrincipalName":"c@x","successDeviceCount":2,"errorDeviceCount":0}]"#;
    let req = bulk_request(
        &serde_json::from_str(&format!(
            r#"{{"scriptId":"s","baseUrl":"http://127.0.0.1:9","userStates":{items}}}"#
        ))
        .unwrap(),
    )
    .unwrap();
    let policy = Policy {
        client_request_id: "c".into(),
        timeout_ms: 30_000,
        max_retries: 3,
        refreshable: true,
        seed: 9,
    };
    match resumed(req, policy, &lines) {
        Ok(mut b) => {
            let poll = b.poll(0.0);
            assert!(poll.sends.len() <= 4);
            for record in poll.append {
                let text = line(&record);
                assert_eq!(
                    serde_json::from_str::<Json>(&text).ok().as_ref(),
                    Some(&record),
                    "the machine's own record {text:?} does not read back"
                );
            }
        }
        Err(Error::Validation(v)) => {
            let e = v.first();
            assert_eq!(e.field, "journal");
            assert!(
                e.message.starts_with("holds a different run (")
                    || e.message.starts_with("cannot be read: record "),
                "{}",
                e.message
            );
        }
        Err(e) => panic!("not a ValidationError: {e:?}"),
    }
});
