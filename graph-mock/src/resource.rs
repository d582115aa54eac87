//! The `userRunStates` operations: list (paging, `$filter`), get, create, update, delete.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::encoding::{encode_component, paging, parse_query, query_param};
use crate::envelope::{Ctx, Out};
use crate::graph::{GraphRequest, Op, Route};
use crate::state::{State, UserState, ODATA_TYPE};

const TYPE_NAME: &str = "microsoft.graph.deviceManagementScriptUserState";

/// Runs an operation. With `commit` false nothing is stored or counted (dry run).
pub(crate) fn process(
    state: &mut State,
    req: &GraphRequest,
    route: &Route,
    op: Op,
    ctx: &Ctx,
    commit: bool,
) -> Out {
    let unknown =
        state.config.strict_scripts && !state.holds_script(route.collection, &route.script);
    if route.script.starts_with("missing") || unknown {
        let msg = format!("Resource not found for the segment '{}'.", route.collection);
        return ctx.error(404, "ResourceNotFound", &msg);
    }
    let result = match op {
        Op::List => list(state, req, route),
        Op::Get => get(state, route),
        Op::Create => create(state, req, route, commit),
        Op::Update => update(state, req, route, commit),
        Op::Delete => delete(state, route, commit),
    };
    result.unwrap_or_else(|(status, code, message)| ctx.error(status, code, &message))
}

type OpResult = Result<Out, (u16, &'static str, String)>;

fn bad_request(message: impl Into<String>) -> (u16, &'static str, String) {
    (400, "BadRequest", message.into())
}

fn not_found(id: &str) -> (u16, &'static str, String) {
    (
        404,
        "ResourceNotFound",
        format!("No {TYPE_NAME} with id '{id}' was found."),
    )
}

#[derive(Serialize)]
struct ListBody<'a> {
    #[serde(rename = "@odata.context")]
    context: String,
    value: Vec<&'a UserState>,
    #[serde(rename = "@odata.nextLink", skip_serializing_if = "Option::is_none")]
    next_link: Option<String>,
}

/// A list page's `@odata.nextLink`: the request's origin (or the configured
/// `nextLinkOrigin`), `path`, the query that shaped the list (`shaped`, encoded), `$top` when
/// it was given, and the next page's `$skiptoken`.
pub(crate) fn next_link(
    state: &State,
    req: &GraphRequest,
    path: &str,
    shaped: Option<String>,
    top: Option<usize>,
    next: usize,
) -> String {
    let mut q: Vec<String> = shaped.into_iter().collect();
    if let Some(t) = top {
        q.push(format!("$top={t}"));
    }
    q.push(format!("$skiptoken={next}"));
    let origin = state
        .config
        .next_link_origin
        .as_deref()
        .unwrap_or(&req.base);
    format!("{origin}{path}?{}", q.join("&"))
}

fn collection_path(route: &Route) -> String {
    format!(
        "/deviceManagement/{}/{}/userRunStates",
        route.collection,
        encode_component(&route.script)
    )
}

fn list(state: &mut State, req: &GraphRequest, route: &Route) -> OpResult {
    let params = parse_query(&req.query);
    let (top, skip) = paging(&params).map_err(bad_request)?;
    let filter = query_param(&params, "$filter");
    let upn = filter
        .map(|f| parse_filter(f).ok_or_else(|| bad_request(format!("Invalid filter clause: {f}"))))
        .transpose()?;
    let page_size = state.config.page_size(top).map_err(bad_request)?;
    let key = (route.collection, route.script.clone());
    let matching: Vec<&UserState> = match state.buckets.get(&key) {
        None => Vec::new(),
        Some(bucket) => bucket
            .iter()
            .filter(|o| match &upn {
                None => true,
                Some(u) => o
                    .user_principal_name
                    .as_deref()
                    .is_some_and(|x| x.to_lowercase() == *u),
            })
            .collect(),
    };
    let total = matching.len();
    let page: Vec<&UserState> = matching.into_iter().skip(skip).take(page_size).collect();
    let next_link = (skip.saturating_add(page_size) < total).then(|| {
        let shaped = filter.map(|f| format!("$filter={}", encode_component(f)));
        next_link(
            state,
            req,
            &collection_path(route),
            shaped,
            top,
            skip + page_size,
        )
    });
    let context = format!(
        "{}/$metadata#deviceManagement/{}('{}')/userRunStates",
        req.base,
        route.collection,
        encode_component(&route.script)
    );
    Ok(Out::json(
        200,
        &ListBody {
            context,
            value: page,
            next_link,
        },
    ))
}

/// Parses `userPrincipalName eq 'x'` (`''` escapes a quote); returns the lower-cased value.
fn parse_filter(f: &str) -> Option<String> {
    let f = f.trim();
    let (prop, rest) = f.split_once(char::is_whitespace)?;
    if !prop.eq_ignore_ascii_case("userPrincipalName") {
        return None;
    }
    let rest = rest.trim_start();
    let (eq, rest) = rest.split_once(char::is_whitespace)?;
    if !eq.eq_ignore_ascii_case("eq") {
        return None;
    }
    let lit = rest.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    let mut value = String::new();
    let mut chars = lit.chars().peekable();
    while let Some(c) = chars.next() {
        // A quote inside the literal must be doubled.
        if c == '\'' && chars.next() != Some('\'') {
            return None;
        }
        value.push(c);
    }
    Some(value.to_lowercase())
}

fn get(state: &State, route: &Route) -> OpResult {
    let id = route.item.as_deref().unwrap_or_default();
    state
        .buckets
        .get(&(route.collection, route.script.clone()))
        .and_then(|b| b.get(id))
        .map(|o| Out::json(200, o))
        .ok_or_else(|| not_found(id))
}

/// Properties a create or update body may set.
#[derive(Default)]
struct Patch {
    id: Option<String>,
    success: Option<i32>,
    error: Option<i32>,
    upn: Option<Option<String>>,
}

fn parse_body(req: &GraphRequest) -> Result<Patch, (u16, &'static str, String)> {
    let ct = req.header("content-type").unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/json") {
        return Err((
            415,
            "UnsupportedMediaType",
            "The request body must be sent with Content-Type: application/json.".into(),
        ));
    }
    let value: Value = serde_json::from_slice(&req.body)
        .map_err(|e| bad_request(format!("Invalid JSON in the request body: {e}")))?;
    let Value::Object(obj) = value else {
        return Err(bad_request("The request body must be a JSON object."));
    };
    parse_props(&obj)
}

fn parse_props(obj: &Map<String, Value>) -> Result<Patch, (u16, &'static str, String)> {
    let mut p = Patch::default();
    for (key, value) in obj {
        let wrong = |expected: &str| {
            bad_request(format!(
                "Invalid value for property '{key}': expected {expected}."
            ))
        };
        match key.as_str() {
            "@odata.type" => {
                if value.as_str() != Some(ODATA_TYPE) {
                    return Err(wrong(&format!("\"{ODATA_TYPE}\"")));
                }
            }
            "id" => p.id = Some(value.as_str().ok_or_else(|| wrong("Edm.String"))?.to_string()),
            "successDeviceCount" | "errorDeviceCount" => {
                let n = value
                    .as_i64()
                    .and_then(|n| i32::try_from(n).ok())
                    .ok_or_else(|| wrong("Edm.Int32"))?;
                if key == "successDeviceCount" {
                    p.success = Some(n);
                } else {
                    p.error = Some(n);
                }
            }
            "userPrincipalName" => match value {
                Value::Null => p.upn = Some(None),
                Value::String(s) => p.upn = Some(Some(s.clone())),
                _ => return Err(wrong("Edm.String or null")),
            },
            other => {
                return Err(bad_request(format!(
                    "The property '{other}' does not exist on type '{TYPE_NAME}'. Make sure to only use property names that are defined by the type."
                )))
            }
        }
    }
    Ok(p)
}

fn create(state: &mut State, req: &GraphRequest, route: &Route, commit: bool) -> OpResult {
    let p = parse_body(req)?;
    let key = (route.collection, route.script.clone());
    if let Some(id) = &p.id {
        if state.buckets.get(&key).is_some_and(|b| b.contains(id)) {
            return Err((
                409,
                "Conflict",
                format!("A {TYPE_NAME} with id '{id}' already exists."),
            ));
        }
    }
    let obj = UserState {
        odata_type: ODATA_TYPE,
        id: p.id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        success_device_count: p.success.unwrap_or(0),
        error_device_count: p.error.unwrap_or(0),
        user_principal_name: p.upn.flatten(),
    };
    let location = format!(
        "{}{}/{}",
        req.base,
        collection_path(route),
        encode_component(&obj.id)
    );
    let out = Out::json(201, &obj).with_header("Location", location);
    if commit {
        state.buckets.entry(key).or_default().insert(obj);
        state.count(Some(&route.script), |c| c.creates += 1);
    }
    Ok(out)
}

fn update(state: &mut State, req: &GraphRequest, route: &Route, commit: bool) -> OpResult {
    let p = parse_body(req)?;
    let id = route.item.as_deref().unwrap_or_default();
    if p.id.as_deref().is_some_and(|b| b != id) {
        return Err(bad_request("The property 'id' cannot be changed."));
    }
    let patch_status = state.config.patch_status;
    let key = (route.collection, route.script.clone());
    let stored = state
        .buckets
        .get_mut(&key)
        .and_then(|b| b.get_mut(id))
        .ok_or_else(|| not_found(id))?;
    let mut obj = stored.clone();
    if let Some(n) = p.success {
        obj.success_device_count = n;
    }
    if let Some(n) = p.error {
        obj.error_device_count = n;
    }
    if let Some(u) = p.upn {
        obj.user_principal_name = u;
    }
    let out = if patch_status == 200 {
        Out::json(200, &obj)
    } else {
        Out::empty(204)
    };
    if commit {
        *stored = obj;
        state.count(Some(&route.script), |c| c.updates += 1);
    }
    Ok(out)
}

fn delete(state: &mut State, route: &Route, commit: bool) -> OpResult {
    let id = route.item.as_deref().unwrap_or_default();
    let key = (route.collection, route.script.clone());
    let bucket = state.buckets.get_mut(&key);
    match bucket {
        Some(b) if b.contains(id) => {
            if commit {
                b.remove(id);
                state.count(Some(&route.script), |c| c.deletes += 1);
            }
            Ok(Out::empty(204))
        }
        _ => Err(not_found(id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        assert_eq!(
            parse_filter("userPrincipalName eq 'A@x.com'").as_deref(),
            Some("a@x.com")
        );
        assert_eq!(
            parse_filter(" userprincipalname  EQ  'o''brien' ").as_deref(),
            Some("o'brien")
        );
        assert!(parse_filter("userPrincipalName eq 'a'b'").is_none());
        assert!(parse_filter("id eq 'a'").is_none());
        assert!(parse_filter("userPrincipalName ne 'a'").is_none());
        assert!(parse_filter("startswith(userPrincipalName,'a')").is_none());
    }
}
