//! Fault rules (`POST /_mock/faults`): matching and turning a normal answer into a faulty one.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock;
use crate::envelope::{reason, Ctx, Out};

/// Which requests a rule matches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RuleOp {
    Create,
    List,
    Get,
    Update,
    Delete,
    /// A script collection or one script (`GET /deviceManagement/{collection}[/{id}]`).
    Scripts,
    /// `deviceRunStates` reads (list or one), under a script or a user state.
    Devices,
    /// `runSummary` reads.
    Summary,
    /// Any `userRunStates` write: create, update or delete.
    Write,
    /// Only the outer `$batch` request.
    Batch,
    /// Any single Graph request (inner batch requests too), but not an outer `$batch`.
    #[default]
    Any,
}

/// What body a faulty answer carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum BodyForm {
    /// The Graph error envelope, or the normal success body for a 2xx status.
    #[default]
    Graph,
    /// Zero-length body.
    Empty,
    /// An HTML proxy error page, `text/html`.
    Html,
    /// The body it would have sent, cut in half.
    Truncated,
    /// `text/plain` "upstream error".
    Text,
}

/// `retryAfter` given as a string (verbatim) or a number (printed as is).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub(crate) enum RetryAfter {
    Text(String),
    Number(serde_json::Number),
}

/// One queued fault rule.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct FaultRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script_id: Option<String>,
    #[serde(default)]
    pub op: RuleOp,
    #[serde(default = "one")]
    pub times: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<RetryAfter>,
    #[serde(default)]
    pub commit: bool,
    #[serde(default)]
    pub drop: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    #[serde(default)]
    pub body: BodyForm,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Answer as a documented-but-absent route (400 `No method match route template`, the
    /// message built from the request); nothing is processed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refuse: bool,
}

fn one() -> u32 {
    1
}

/// Parses one rule or an array of rules, validating each.
pub(crate) fn parse_rules(v: Value) -> Result<Vec<FaultRule>, String> {
    let items = match v {
        Value::Array(items) => items,
        obj @ Value::Object(_) => vec![obj],
        _ => return Err("faults must be a JSON object or an array of objects".into()),
    };
    let mut rules = Vec::with_capacity(items.len());
    for item in items {
        let rule: FaultRule =
            serde_json::from_value(item).map_err(|e| format!("invalid fault rule: {e}"))?;
        if rule.times == 0 {
            return Err("times must be at least 1".into());
        }
        if rule.refuse && (rule.op == RuleOp::Batch || rule.status.is_some() || rule.commit) {
            return Err("refuse cannot be combined with op \"batch\", status or commit".into());
        }
        if rule.status.is_some_and(|s| !(200..=599).contains(&s)) {
            return Err("status must be from 200 to 599".into());
        }
        if let Some(RetryAfter::Text(t)) = &rule.retry_after {
            if let Some(n) = t.strip_prefix("date+") {
                n.parse::<u64>()
                    .map_err(|_| "retryAfter \"date+N\" needs an integer N".to_string())?;
            }
        }
        rules.push(rule);
    }
    Ok(rules)
}

impl FaultRule {
    /// Does this rule match a request (`op` is `None` for an outer `$batch`)?
    pub fn matches(&self, script: Option<&str>, op: Option<RuleOp>) -> bool {
        let op_ok = match (self.op, op) {
            (RuleOp::Batch, None) => true,
            (RuleOp::Batch, Some(_)) | (_, None) => false,
            (RuleOp::Any, Some(_)) => true,
            (RuleOp::Write, Some(got)) => {
                matches!(got, RuleOp::Create | RuleOp::Update | RuleOp::Delete)
            }
            (want, Some(got)) => want == got,
        };
        op_ok
            && match &self.script_id {
                None => true,
                Some(s) => script == Some(s.as_str()),
            }
    }

    /// Whether the normal processing runs (and commits) before the fault answer is given.
    pub fn processes(&self) -> bool {
        (self.status.is_none() && !self.drop && !self.refuse) || self.commit
    }

    /// The delay to apply before answering (or dropping).
    pub fn delay(&self) -> Option<Duration> {
        self.delay_ms.map(Duration::from_millis)
    }

    /// Builds the faulty answer. `processed` is the normal answer when the request was processed
    /// (`processes()`); `dry_run` produces the would-be success body otherwise. `refusal` is the
    /// route-missing answer, used when the rule says `refuse`.
    pub fn answer(
        &self,
        ctx: &Ctx,
        processed: Option<Out>,
        dry_run: impl FnOnce() -> Out,
        refusal: impl FnOnce() -> Out,
    ) -> Out {
        let mut out = match (self.status, processed) {
            _ if self.refuse => refusal(),
            (Some(st), processed) if (200..300).contains(&st) => {
                let mut o = processed.unwrap_or_else(dry_run);
                o.status = st;
                if st == 204 {
                    o.body.clear();
                    o.content_type = None;
                }
                o
            }
            (Some(st), _) => ctx.error_for(st, self.code.as_deref(), self.message.as_deref()),
            (None, Some(o))
                if o.status >= 400 && (self.code.is_some() || self.message.is_some()) =>
            {
                ctx.error_for(o.status, self.code.as_deref(), self.message.as_deref())
            }
            (None, Some(o)) => o,
            (None, None) => dry_run(),
        };
        if let Some(ra) = &self.retry_after {
            let value = match ra {
                RetryAfter::Number(n) => n.to_string(),
                RetryAfter::Text(t) => {
                    match t.strip_prefix("date+").and_then(|n| n.parse::<u64>().ok()) {
                        Some(n) => clock::http_date(ctx.now + Duration::from_secs(n)),
                        None => t.clone(),
                    }
                }
            };
            out.headers
                .retain(|(k, _)| !k.eq_ignore_ascii_case("retry-after"));
            out.headers.push(("Retry-After".into(), value));
        }
        match self.body {
            BodyForm::Graph => {}
            BodyForm::Empty => out.body.clear(),
            BodyForm::Html => {
                let r = reason(out.status);
                out.body = format!(
                    "<html>\r\n<head><title>{s} {r}</title></head>\r\n<body>\r\n<center><h1>{s} {r}</h1></center>\r\n<hr><center>proxy</center>\r\n</body>\r\n</html>\r\n",
                    s = out.status
                )
                .into_bytes();
                out.content_type = Some("text/html".into());
            }
            BodyForm::Truncated => {
                let half = out.body.len() / 2;
                out.body.truncate(half);
            }
            BodyForm::Text => {
                out.body = b"upstream error".to_vec();
                out.content_type = Some("text/plain".into());
            }
        }
        if let Some(ct) = &self.content_type {
            out.content_type = Some(ct.clone());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_matches() {
        let rules = parse_rules(
            json!([{"op": "create", "scriptId": "s1", "status": 503}, {"op": "batch"}]),
        )
        .unwrap();
        assert!(rules[0].matches(Some("s1"), Some(RuleOp::Create)));
        assert!(!rules[0].matches(Some("s2"), Some(RuleOp::Create)));
        assert!(!rules[0].matches(Some("s1"), Some(RuleOp::List)));
        assert!(rules[1].matches(None, None));
        assert!(!rules[1].matches(Some("s1"), Some(RuleOp::Create)));
        assert!(parse_rules(json!({"bogus": 1})).is_err());
        assert!(parse_rules(json!({"times": 0})).is_err());
        assert!(parse_rules(json!({"retryAfter": "date+x"})).is_err());
        assert!(parse_rules(json!({"refuse": true, "op": "batch"})).is_err());
        assert!(parse_rules(json!({"refuse": true, "status": 400})).is_err());
        let w = parse_rules(json!({"op": "write", "refuse": true})).unwrap();
        assert!(w[0].matches(Some("s"), Some(RuleOp::Update)));
        assert!(!w[0].matches(Some("s"), Some(RuleOp::List)));
        assert!(!w[0].processes());
    }
}
