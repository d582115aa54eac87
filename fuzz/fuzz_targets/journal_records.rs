//! Journal record text: `journal::text` (the reader and writer of records) and
//! `Bulk::with_journal` on whatever a journal might hold.
//!
//! Input: text, one record per line.
//!
//! Invariants: nothing panics. What `text::parse` accepts, serde_json (reading numbers
//! exactly, as JSON.parse does) accepts too and reads as the same value, and writing it back
//! and reading that gives the same value again. `Bulk::with_journal` on the lines for a
//! three-item request either refuses them with a `ValidationError` on `journal` that starts
//! "holds a different run" or "cannot be read", or gives a machine whose first poll works.
#![no_main]

use intune_script_user_state::bulk::Bulk;
use intune_script_user_state::journal::text;
use intune_script_user_state::single::Policy;
use intune_script_user_state::validate::bulk_request;
use intune_script_user_state::{Error, Json};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let lines: Vec<String> = input.lines().map(str::to_owned).collect();
    for line in &lines {
        let Ok(value) = text::parse(line, 34) else {
            continue;
        };
        let theirs: Json = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("accepted {line:?}, which serde_json refuses: {e}"));
        assert!(same(&value, &theirs), "{line:?} read differently");
        let again = text::to_text(&value);
        assert_eq!(
            text::parse(&again, 34).as_ref(),
            Ok(&value),
            "{again:?} does not read back"
        );
    }
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
    match Bulk::with_journal(req, policy, &lines) {
        Ok(mut b) => {
            let poll = b.poll(0.0);
            assert!(poll.sends.len() <= 4);
            for record in poll.append {
                let line = text::to_text(&record);
                assert_eq!(
                    text::parse(&line, 34).as_ref(),
                    Ok(&record),
                    "the machine's own record {line:?} does not read back"
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

/// Equal values, numbers bit for bit (but 0 and -0 alike: JSON.parse keeps -0, serde_json
/// reads "-0" as an integer 0).
fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => {
            x.to_bits() == y.to_bits() || (*x == 0.0 && *y == 0.0)
        }
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.0.len() == y.0.len()
                && x.0
                    .iter()
                    .zip(&y.0)
                    .all(|((k, a), (l, b))| k == l && same(a, b))
        }
        _ => a == b,
    }
}
