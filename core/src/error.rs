//! The one error type. Each variant is one kind of failure a caller can branch on; the wasm
//! edge turns each into a JS `Error` whose `name` is [`Error::name`].

use std::fmt;

/// Everything that can go wrong in a call. Not `#[non_exhaustive]`: the edge (another crate)
/// maps every variant to its JS `Error`, and a new variant should fail its build until it does.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The input broke a rule; nothing was sent.
    #[error("{0}")]
    Validation(ValidationError),
    /// The service answered with a failure (or with a body that is not what it promised).
    #[error("{0}")]
    Graph(Box<GraphError>),
    /// The request did not get an answer: connection refused or dropped, DNS, CORS.
    #[error("network error: {message}")]
    Network {
        /// What the platform said.
        message: String,
        /// The `client-request-id` the request carried.
        client_request_id: String,
    },
    /// An attempt took longer than `timeoutMs`.
    #[error("no answer within {ms} ms")]
    Timeout {
        /// The time limit of one attempt.
        ms: u32,
        /// The `client-request-id` the request carried.
        client_request_id: String,
    },
    /// The caller's `AbortSignal` fired.
    #[error("the call was aborted")]
    Aborted {
        /// The `client-request-id` of the call.
        client_request_id: String,
    },
}

impl From<GraphError> for Error {
    /// Boxes `g`, in one place rather than at each call site (it is a large struct).
    #[inline(never)]
    fn from(g: GraphError) -> Self {
        Error::Graph(Box::new(g))
    }
}

impl Error {
    /// The JS `name` of the error: `ValidationError`, `GraphError`, `NetworkError`,
    /// `TimeoutError` or `AbortError`.
    pub fn name(&self) -> &'static str {
        match self {
            Error::Validation(_) => "ValidationError",
            Error::Graph(_) => "GraphError",
            Error::Network { .. } => "NetworkError",
            Error::Timeout { .. } => "TimeoutError",
            Error::Aborted { .. } => "AbortError",
        }
    }

    /// The same error with every occurrence of `secret` (at least 8 bytes long; shorter ones
    /// would blot out ordinary words) replaced by `[redacted]`, in every text it carries.
    pub fn redact(mut self, secret: &str) -> Self {
        if secret.len() < 8 {
            return self;
        }
        let scrub = |s: &mut String| crate::text::scrub(s, secret);
        match &mut self {
            Error::Validation(v) => v.errors.iter_mut().for_each(|e| scrub(&mut e.message)),
            Error::Graph(g) => {
                scrub(&mut g.code);
                scrub(&mut g.message);
                for s in [&mut g.request_id, &mut g.client_request_id, &mut g.date]
                    .into_iter()
                    .flatten()
                {
                    scrub(s);
                }
            }
            Error::Network { message, .. } => scrub(message),
            Error::Timeout { .. } | Error::Aborted { .. } => {}
        }
        self
    }

    /// A validation error for one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Validation(ValidationError {
            errors: vec![FieldError::new(field, message)],
        })
    }
}

/// One broken rule: the path of the field (`userState.successDeviceCount`) and the rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The field's path, like `userState.successDeviceCount`.
    pub field: String,
    /// The rule it broke, as a sentence without the field.
    pub message: String,
}

impl FieldError {
    /// A broken rule of `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// All the broken rules of one input, the first of them leading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// Never empty.
    pub errors: Vec<FieldError>,
}

impl ValidationError {
    /// The first broken rule.
    pub fn first(&self) -> &FieldError {
        &self.errors[0]
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first = self.first();
        write!(f, "{} {}", first.field, first.message)
    }
}

/// A failure answer from Graph, with what support needs to trace it.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphError {
    /// The HTTP status.
    pub status: u16,
    /// Graph's `error.code`, or `invalidResponse` when the body was not Graph's envelope.
    pub code: String,
    /// Graph's `error.message`, or a description of what came back instead.
    pub message: String,
    /// The service's `request-id`.
    pub request_id: Option<String>,
    /// The `client-request-id`, as the service echoed it.
    pub client_request_id: Option<String>,
    /// The answer's `Date` header.
    pub date: Option<String>,
    /// Seconds the service asked to wait (`Retry-After`), when it said.
    pub retry_after: Option<f64>,
}

/// `code` of a [`GraphError`] whose body was not Graph's error envelope or user state.
pub const INVALID_RESPONSE: &str = "invalidResponse";

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_scrubs_every_text() {
        let secret = "eyJ0eXAiOiJKV1QiLCJhbGciOi";
        let g = Error::Graph(Box::new(GraphError {
            status: 400,
            code: format!("x{secret}"),
            message: format!("token {secret} is bad, {secret}"),
            request_id: Some(secret.into()),
            client_request_id: None,
            date: None,
            retry_after: None,
        }))
        .redact(secret);
        assert!(!format!("{g:?}").contains(secret));
        assert!(format!("{g}").contains("token [redacted] is bad, [redacted]"));
        let n = Error::Network {
            message: secret.into(),
            client_request_id: "c".into(),
        }
        .redact(secret);
        assert!(!format!("{n:?}").contains(secret));
        // Found by the graph_error fuzz target: the marker must not rebuild the secret.
        for (secret, text) in [
            ("redacted", "token redacted"),
            ("ab[redacted]", "abab[redacted]"),
        ] {
            let e = Error::Network {
                message: text.into(),
                client_request_id: String::new(),
            }
            .redact(secret);
            assert!(!format!("{e:?}").contains(secret), "{e:?}");
        }
        // Too short to redact safely: left alone.
        assert_eq!(
            Error::field("token", "a t b").redact("t"),
            Error::field("token", "a t b")
        );
    }
}
