//! Any failed answer (status, headers, body) through `graph::error_from` and
//! `graph::invalid_body`: never panics, keeps the status, says `invalidResponse` when the body
//! is not Graph's envelope, reads `Retry-After` as a finite, non-negative number; and
//! `Error::redact(secret)` on the resulting `Error::Graph` removes every occurrence of a secret
//! planted in the body or the headers, so a token the service echoes never reaches an error.
//!
//! Input: the secret on the first line (kept only when `validate::token` accepts it and it is
//! at least 8 bytes long, as `redact` needs), then a transcript of answers (see
//! `transcript` in test-support/src/answers.rs) in which `@@` stands for the secret.
#![no_main]

use intune_core::error::INVALID_RESPONSE;
use intune_core::graph::{error_from, invalid_body};
use intune_core::http::{Body, Outcome};
use intune_core::{validate, Error, Json};
use intune_script_user_state_fuzz::{allowed, transcript};
use libfuzzer_sys::fuzz_target;

const MARK: &str = "@@";
const NOW_MS: f64 = 1_795_000_000_000.0;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (secret, rest) = text.split_once('\n').unwrap_or((text, ""));
    // (ASCII first: validate::token itself is fuzzed by validate_request.)
    if secret.len() < 8
        || !secret.is_ascii()
        || validate::token(secret).is_err()
        || secret.contains(MARK)
    {
        return;
    }
    let planted = rest.replace(MARK, secret);
    let (_, outcomes) = transcript(&planted);
    for outcome in outcomes {
        let Outcome::Response(resp) = outcome else {
            continue;
        };
        let g = error_from(&resp, NOW_MS);
        assert_eq!(g.status, resp.status);
        assert!(!g.code.is_empty());
        if let Some(s) = g.retry_after {
            assert!(s.is_finite() && s >= 0.0, "retry_after {s}");
        }
        let envelope_code = match &resp.body {
            Body::Json(b) => b
                .get("error")
                .and_then(|e| e.get("code"))
                .and_then(Json::as_str),
            _ => None,
        };
        if envelope_code.is_none_or(str::is_empty) {
            assert_eq!(g.code, INVALID_RESPONSE);
        }
        let invalid = invalid_body(&resp, "its body is not a user state", NOW_MS);
        assert_eq!(invalid.code, INVALID_RESPONSE);

        for e in [Error::Graph(g.into()), Error::Graph(invalid.into())] {
            let Error::Graph(red) = e.redact(secret) else {
                panic!("redact changed the kind of error")
            };
            let texts = [
                Some(&red.code),
                Some(&red.message),
                red.request_id.as_ref(),
                red.client_request_id.as_ref(),
                red.date.as_ref(),
            ];
            let leaked = texts.into_iter().flatten().any(|t| t.contains(secret))
                || red.to_string().contains(secret);
            if leaked && !allowed("redact-overlap") {
                panic!("the secret {secret:?} survived redaction: {red:?}");
            }
        }
    }
});
