//! Values across the boundary: JS input to the core's `Json`, `Json` out as plain objects,
//! and the one place where an `Error` becomes a JS `Error`.

use intune_core::error::{Error, FieldError};
use intune_core::json::{Json, Map, MAX_DEPTH};
use js_sys::{Array, Object, Reflect};
use serde::Serialize;
use serde_wasm_bindgen::Serializer;
use wasm_bindgen::prelude::*;

/// Reads a JS value as JSON data, the way `JSON.stringify` sees it: own enumerable string
/// keys, `undefined` as `null`. Functions, symbols, BigInts and cycles are refused (a cycle
/// shows up as nesting deeper than [`MAX_DEPTH`]); the error names `field`.
///
/// Written out rather than done with `serde-wasm-bindgen`: the walk is short, and leaving
/// serde's deserializer out of the module saves more bytes than the walk costs.
pub fn from_js(value: &JsValue, field: &str) -> Result<Json, Error> {
    walk(value, MAX_DEPTH).map_err(|rule| Error::field(field, rule))
}

/// [`from_js`] of an object, leaving out its members named in `skip` (never read).
pub fn object_from_js(value: &JsValue, field: &str, skip: &[&str]) -> Result<Json, Error> {
    walk_object(value, MAX_DEPTH, skip).map_err(|rule| Error::field(field, rule))
}

/// [`from_js`] nested at most `depth` deep; the error is the rule the value breaks.
pub fn from_js_within(value: &JsValue, depth: usize) -> Result<Json, &'static str> {
    walk(value, depth)
}

fn walk(v: &JsValue, depth: usize) -> Result<Json, &'static str> {
    // The most common kinds first: each test is a call into JS.
    if let Some(s) = v.as_string() {
        return Ok(Json::String(s));
    }
    if let Some(n) = v.as_f64() {
        return Ok(Json::Number(n));
    }
    if v.is_null() || v.is_undefined() {
        return Ok(Json::Null);
    }
    if let Some(b) = v.as_bool() {
        return Ok(Json::Bool(b));
    }
    if !v.is_object() {
        return Err("holds a value that is not JSON data (a function, symbol or BigInt)");
    }
    if depth == 0 {
        return Err("is nested too deeply (or refers to itself)");
    }
    if Array::is_array(v) {
        let items: &Array = v.unchecked_ref();
        let mut out = Vec::new();
        for item in items.iter() {
            out.push(walk(&item, depth - 1)?);
        }
        return Ok(Json::Array(out));
    }
    walk_object(v, depth, &[])
}

/// The own enumerable string-keyed members of the object `v`, but those named in `skip`.
fn walk_object(v: &JsValue, depth: usize, skip: &[&str]) -> Result<Json, &'static str> {
    let mut map = Map::new();
    for key in Object::keys(v.unchecked_ref::<Object>()).iter() {
        let name = key.as_string().unwrap_or_default();
        if skip.contains(&name.as_str()) {
            continue;
        }
        let value = Reflect::get(v, &key).unwrap_or(JsValue::UNDEFINED);
        map.0.push((name, walk(&value, depth - 1)?));
    }
    Ok(Json::Object(map))
}

/// What every value handed to JS goes through: plain objects and arrays, `null` for a
/// missing value, never a `Map`.
const OUT: Serializer = Serializer::json_compatible();

/// `value` as a plain JS value, through `serde-wasm-bindgen`.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    // Our values have string keys and finite numbers only: serializing cannot fail.
    value.serialize(&OUT).unwrap_or(JsValue::NULL)
}

/// `[{field, message}, ...]` as a JS array.
pub fn problems_to_js(problems: &[FieldError]) -> JsValue {
    to_js(problems)
}

/// The properties the README lists for each error name.
#[derive(Serialize)]
#[serde(untagged, rename_all_fields = "camelCase")]
enum Props<'a> {
    Validation {
        field: &'a str,
        errors: &'a [FieldError],
    },
    Graph {
        status: u16,
        code: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        request_id: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        client_request_id: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        date: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        retry_after: Option<f64>,
    },
    Request {
        client_request_id: &'a str,
    },
    Timeout {
        client_request_id: &'a str,
        timeout_ms: u32,
    },
}

/// The JS `Error` for `err`: `name` is [`Error::name`], the properties those the README
/// lists for that name.
pub fn error_to_js(err: &Error) -> JsValue {
    let message = match err {
        Error::Graph(g) if !g.message.is_empty() => g.message.clone(),
        other => other.to_string(),
    };
    let e = js_sys::Error::new(&message);
    e.set_name(err.name());
    let props = match err {
        Error::Validation(v) => Props::Validation {
            field: &v.first().field,
            errors: &v.errors,
        },
        Error::Graph(g) => Props::Graph {
            status: g.status,
            code: &g.code,
            request_id: g.request_id.as_deref(),
            client_request_id: g.client_request_id.as_deref(),
            date: g.date.as_deref(),
            retry_after: g.retry_after,
        },
        Error::Network {
            client_request_id, ..
        }
        | Error::Aborted { client_request_id } => Props::Request { client_request_id },
        Error::Timeout {
            ms,
            client_request_id,
        } => Props::Timeout {
            client_request_id,
            timeout_ms: *ms,
        },
    };
    Object::assign(e.as_ref(), to_js(&props).unchecked_ref());
    e.into()
}

/// The text of a thrown value: an `Error`'s `name: message`, a string as it is, else a
/// generic description. Never panics, whatever was thrown.
pub fn thrown_text(thrown: &JsValue) -> String {
    if let Some(e) = thrown.dyn_ref::<js_sys::Error>() {
        let (name, message) = (String::from(e.name()), String::from(e.message()));
        // Node's fetch hides the useful part in `cause`.
        let cause = Reflect::get(e, &"cause".into()).ok().and_then(|c| {
            c.dyn_ref::<js_sys::Error>()
                .map(|c| String::from(c.message()))
        });
        match cause {
            Some(c) if !c.is_empty() => format!("{name}: {message} ({c})"),
            _ => format!("{name}: {message}"),
        }
    } else if let Some(s) = thrown.as_string() {
        s
    } else {
        "a non-Error value was thrown".to_owned()
    }
}
