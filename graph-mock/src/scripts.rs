//! The script collections (`deviceManagementScripts`, `deviceShellScripts`,
//! `deviceCustomAttributeShellScripts`): list with `$select`, `$top` and paging, get by id, and
//! the control API that creates them.
//!
//! Where each behaviour comes from (`/work/shared/GRAPH.md`, "Scripts (the parents of user run
//! states)"): the collections and their fields (`id`, `displayName`, `description`,
//! `fileName`, `lastModifiedDateTime`, and the large base64 `scriptContent`), and "paging like
//! any collection" (the same `$top`, `$skiptoken` and `@odata.nextLink` as `userRunStates`,
//! "Operations"). `$select` returns only the named properties: that is OData's meaning, and
//! GRAPH.md's advice to leave `scriptContent` out "with `$select`". Choices of this stand-in that
//! GRAPH.md does not settle: `id` and `@odata.type` come back whatever `$select` says (the key
//! and the type a client needs to tell the entities apart), and a property the entity does not
//! have is a 400 `BadRequest`, as Graph answers an unknown `$select` on other collections.

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::clock;
use crate::encoding::{encode_component, paging, parse_query, query_param};
use crate::envelope::{Ctx, Out};
use crate::graph::GraphRequest;
use crate::resource::next_link;
use crate::state::{State, COLLECTIONS};

/// One stored script. Serialized in Graph's property order.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Script {
    #[serde(rename = "@odata.type")]
    pub odata_type: &'static str,
    pub id: String,
    pub display_name: String,
    pub description: String,
    pub file_name: String,
    /// Base64, as Graph holds it; never asked for by the package.
    pub script_content: String,
    pub created_date_time: String,
    pub last_modified_date_time: String,
    pub run_as_account: &'static str,
    pub role_scope_tag_ids: Vec<String>,
}

impl Script {
    /// The collection the script is in, told by its type.
    pub fn collection(&self) -> &'static str {
        match self.odata_type {
            "#microsoft.graph.deviceShellScript" => COLLECTIONS[1],
            "#microsoft.graph.deviceCustomAttributeShellScript" => COLLECTIONS[2],
            _ => COLLECTIONS[0],
        }
    }
}

/// Properties `$select` may name.
const PROPERTIES: [&str; 9] = [
    "id",
    "displayName",
    "description",
    "fileName",
    "scriptContent",
    "createdDateTime",
    "lastModifiedDateTime",
    "runAsAccount",
    "roleScopeTagIds",
];

/// The entity type of a collection's items.
fn entity(collection: &str) -> &'static str {
    match collection {
        "deviceShellScripts" => "microsoft.graph.deviceShellScript",
        "deviceCustomAttributeShellScripts" => "microsoft.graph.deviceCustomAttributeShellScript",
        _ => "microsoft.graph.deviceManagementScript",
    }
}

/// `/deviceManagement/{collection}` (`None`) or `/deviceManagement/{collection}/{id}`.
#[derive(Clone, Debug)]
pub(crate) struct ScriptsRoute {
    pub collection: &'static str,
    pub item: Option<String>,
}

/// Parses a path below the version root that names a script collection or one script.
pub(crate) fn parse_route(path: &str) -> Option<ScriptsRoute> {
    let rest = path.strip_prefix("/deviceManagement/")?;
    let (coll, item) = match rest.split_once('/') {
        None => (rest, None),
        Some((coll, "")) => (coll, None),
        Some((coll, id)) if !id.contains('/') => (coll, Some(id)),
        Some(_) => return None,
    };
    let collection = COLLECTIONS.into_iter().find(|c| *c == coll)?;
    Some(ScriptsRoute {
        collection,
        item: item.map(|i| crate::encoding::percent_decode(i, false)),
    })
}

type Failure = (u16, &'static str, String);

fn bad_request(message: impl Into<String>) -> Failure {
    (400, "BadRequest", message.into())
}

/// Runs a scripts request (GET only; the caller answered 405 for anything else).
pub(crate) fn process(state: &State, req: &GraphRequest, route: &ScriptsRoute, ctx: &Ctx) -> Out {
    let result = match &route.item {
        None => list(state, req, route),
        Some(id) => get(state, req, route, id),
    };
    result.unwrap_or_else(|(status, code, message)| ctx.error(status, code, &message))
}

/// `$select` as given (validated), or `None` for every property.
fn select(req: &GraphRequest, collection: &str) -> Result<Option<Vec<String>>, Failure> {
    let params = parse_query(&req.query);
    let Some(list) = query_param(&params, "$select") else {
        return Ok(None);
    };
    let mut fields = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if !PROPERTIES.contains(&name) {
            return Err(bad_request(format!(
                "Could not find a property named '{name}' on type '{}'.",
                entity(collection)
            )));
        }
        fields.push(name.to_owned());
    }
    Ok(Some(fields))
}

/// A script as `$select` shapes it: the selected properties, plus `@odata.type` and `id`.
fn shaped(script: &Script, fields: Option<&[String]>) -> Value {
    let full = serde_json::to_value(script).unwrap_or_default();
    let (Some(fields), Value::Object(all)) = (fields, &full) else {
        return full;
    };
    let keep: Map<String, Value> = all
        .iter()
        .filter(|(k, _)| *k == "@odata.type" || *k == "id" || fields.iter().any(|f| f == *k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Value::Object(keep)
}

fn list(state: &State, req: &GraphRequest, route: &ScriptsRoute) -> Result<Out, Failure> {
    let fields = select(req, route.collection)?;
    let params = parse_query(&req.query);
    let (top, skip) = paging(&params).map_err(bad_request)?;
    let all = state.scripts(Some(route.collection));
    let page_size = state.config.page_size(top).map_err(bad_request)?;
    let value: Vec<Value> = all
        .iter()
        .skip(skip)
        .take(page_size)
        .map(|s| shaped(s, fields.as_deref()))
        .collect();
    let mut body = json!({
        "@odata.context": format!(
            "{}/$metadata#deviceManagement/{}{}",
            req.base,
            route.collection,
            fields.as_ref().map(|f| format!("({})", f.join(","))).unwrap_or_default()
        ),
        "value": value,
    });
    if skip.saturating_add(page_size) < all.len() {
        let shaped = fields
            .as_ref()
            .map(|f| format!("$select={}", encode_component(&f.join(","))));
        let path = format!("/deviceManagement/{}", route.collection);
        body["@odata.nextLink"] =
            json!(next_link(state, req, &path, shaped, top, skip + page_size));
    }
    Ok(Out::json(200, &body))
}

fn get(state: &State, req: &GraphRequest, route: &ScriptsRoute, id: &str) -> Result<Out, Failure> {
    let fields = select(req, route.collection)?;
    state
        .scripts(Some(route.collection))
        .into_iter()
        .find(|s| s.id == id)
        .map(|s| Out::json(200, &shaped(s, fields.as_deref())))
        .ok_or_else(|| {
            (
                404,
                "ResourceNotFound",
                format!("No {} with id '{id}' was found.", entity(route.collection)),
            )
        })
}

/// Reads `POST /_mock/scripts`: one script or an array. `scriptKind` (default
/// `deviceManagementScripts`) and `displayName` (required); `id` (default a fresh GUID),
/// `description`, `fileName`, `scriptContent` (base64), `lastModifiedDateTime` optional.
pub(crate) fn parse_new(v: Value) -> Result<Vec<Script>, String> {
    let items = match v {
        Value::Array(items) => items,
        obj @ Value::Object(_) => vec![obj],
        _ => return Err("scripts must be a JSON object or an array of objects".into()),
    };
    let now = format!("{}Z", clock::graph_date(std::time::SystemTime::now()));
    items
        .into_iter()
        .map(|item| {
            let obj = item
                .as_object()
                .ok_or("each script must be a JSON object")?;
            let text = |key: &str| -> Result<Option<String>, String> {
                match obj.get(key) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(s)) => Ok(Some(s.clone())),
                    Some(_) => Err(format!("{key} must be a string")),
                }
            };
            for key in obj.keys() {
                const KNOWN: [&str; 7] = [
                    "scriptKind",
                    "id",
                    "displayName",
                    "description",
                    "fileName",
                    "scriptContent",
                    "lastModifiedDateTime",
                ];
                if !KNOWN.contains(&key.as_str()) {
                    return Err(format!("unknown script field '{key}'"));
                }
            }
            let kind = text("scriptKind")?.unwrap_or_else(|| COLLECTIONS[0].to_owned());
            let collection = COLLECTIONS
                .into_iter()
                .find(|c| *c == kind)
                .ok_or_else(|| format!("scriptKind must be one of {}", COLLECTIONS.join(", ")))?;
            let display_name = text("displayName")?
                .filter(|n| !n.trim().is_empty())
                .ok_or("displayName is required")?;
            let id = text("id")?.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            if id.is_empty() || id.contains('/') {
                return Err("id must be a non-empty string without '/'".into());
            }
            let file_name = text("fileName")?.unwrap_or_else(|| {
                let stem: String = display_name
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                    .collect();
                let ext = if collection == COLLECTIONS[0] {
                    "ps1"
                } else {
                    "sh"
                };
                format!("{}.{ext}", stem.to_ascii_lowercase())
            });
            Ok(Script {
                odata_type: match collection {
                    "deviceShellScripts" => "#microsoft.graph.deviceShellScript",
                    "deviceCustomAttributeShellScripts" => {
                        "#microsoft.graph.deviceCustomAttributeShellScript"
                    }
                    _ => "#microsoft.graph.deviceManagementScript",
                },
                id,
                display_name,
                description: text("description")?.unwrap_or_default(),
                file_name,
                // "Write-Output 'hello'" in base64: something for $select to leave out.
                script_content: text("scriptContent")?
                    .unwrap_or_else(|| "V3JpdGUtT3V0cHV0ICdoZWxsbyc=".to_owned()),
                created_date_time: now.clone(),
                last_modified_date_time: text("lastModifiedDateTime")?
                    .unwrap_or_else(|| now.clone()),
                run_as_account: "system",
                role_scope_tag_ids: vec!["0".to_owned()],
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let r = parse_route("/deviceManagement/deviceShellScripts").unwrap();
        assert_eq!((r.collection, r.item), ("deviceShellScripts", None));
        let r = parse_route("/deviceManagement/deviceManagementScripts/a%20b").unwrap();
        assert_eq!(r.item.as_deref(), Some("a b"));
        assert!(parse_route("/deviceManagement/other").is_none());
        assert!(parse_route("/deviceManagement/deviceShellScripts/s/userRunStates").is_none());
    }

    #[test]
    fn new_scripts_need_a_name_and_a_known_kind() {
        let made = parse_new(json!({"displayName": "Fix Wi-Fi"})).unwrap();
        assert_eq!(made[0].file_name, "fix-wi-fi.ps1");
        assert_eq!(
            made[0].odata_type,
            "#microsoft.graph.deviceManagementScript"
        );
        assert!(parse_new(json!({})).is_err());
        assert!(parse_new(json!({"displayName": "x", "scriptKind": "other"})).is_err());
        assert!(parse_new(json!({"displayName": "x", "colour": 1})).is_err());
        let mac = parse_new(
            json!([{"displayName": "x", "scriptKind": "deviceShellScripts", "id": "m1"}]),
        )
        .unwrap();
        assert_eq!(
            (mac[0].id.as_str(), mac[0].file_name.as_str()),
            ("m1", "x.sh")
        );
    }
}
