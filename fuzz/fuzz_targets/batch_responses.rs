//! Any answer to a `$batch` POST through `bulk::batch_responses`: never panics; `None` exactly
//! when the body is not an object with a `responses` array; otherwise one inner response per
//! entry whose `id` is a decimal string and whose `status` a whole number from 0 to 65535,
//! in order, with header names in lower case; each inner answer then reads as a Graph error
//! without panicking, with a finite, non-negative `Retry-After`.
//!
//! Input: a transcript of answers (see `transcript` in test-support/src/answers.rs),
//! typically `> 200` with a `{"responses":[...]}` body.
#![no_main]

use intune_core::batch::responses as batch_responses;
use intune_core::graph::error_from;
use intune_core::http::{Body, Outcome};
use intune_core::Json;
use intune_script_user_state_fuzz::transcript;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (_, outcomes) = transcript(text);
    for outcome in outcomes {
        let Outcome::Response(resp) = outcome else {
            continue;
        };
        let entries = match &resp.body {
            Body::Json(b) => match b.get("responses") {
                Some(Json::Array(a)) => Some(a),
                _ => None,
            },
            _ => None,
        };
        let parsed = batch_responses(&resp);
        assert_eq!(parsed.is_some(), entries.is_some());
        let (Some(parsed), Some(entries)) = (parsed, entries) else {
            continue;
        };
        // The entries that qualify, by an independent reading.
        let expected: Vec<(usize, u16)> = entries
            .iter()
            .filter_map(|e| {
                let id = e.get("id")?.as_str()?.parse::<usize>().ok()?;
                let Json::Number(n) = *e.get("status")? else {
                    return None;
                };
                (n.fract() == 0.0 && (0.0..=65535.0).contains(&n)).then_some((id, n as u16))
            })
            .collect();
        let got: Vec<(usize, u16)> = parsed.iter().map(|(i, r)| (*i, r.status)).collect();
        assert_eq!(got, expected);
        for (_, inner) in &parsed {
            assert!(inner
                .headers
                .iter()
                .all(|(n, _)| *n == n.to_ascii_lowercase()));
            let g = error_from(inner, 1_795_000_000_000.0);
            assert_eq!(g.status, inner.status);
            if let Some(s) = g.retry_after {
                assert!(s.is_finite() && s >= 0.0);
            }
        }
    }
});
