//! Values across the boundary: JS input to the core's `Json`, `Json` out as plain objects,
//! and the one place where an `Error` becomes a JS `Error`.

use crate::error::{Error, FieldError};
use crate::json::{Json, Map, MAX_DEPTH};
use js_sys::{Array, Object, Reflect};
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

fn walk(v: &JsValue, depth: usize) -> Result<Json, &'static str> {
    if v.is_null() || v.is_undefined() {
        return Ok(Json::Null);
    }
    if let Some(b) = v.as_bool() {
        return Ok(Json::Bool(b));
    }
    if let Some(n) = v.as_f64() {
        return Ok(Json::Number(n));
    }
    if let Some(s) = v.as_string() {
        return Ok(Json::String(s));
    }
    if !v.is_object() {
        return Err("holds a value that is not JSON data (a function, symbol or BigInt)");
    }
    if depth == 0 {
        return Err("is nested too deeply (or refers to itself)");
    }
    if Array::is_array(v) {
        let items: &Array = v.unchecked_ref();
        return items
            .iter()
            .map(|item| walk(&item, depth - 1))
            .collect::<Result<_, _>>()
            .map(Json::Array);
    }
    let mut map = Map::new();
    for key in Object::keys(v.unchecked_ref::<Object>()).iter() {
        let value = Reflect::get(v, &key).unwrap_or(JsValue::UNDEFINED);
        map.0.push((
            key.as_string().unwrap_or_default(),
            walk(&value, depth - 1)?,
        ));
    }
    Ok(Json::Object(map))
}

/// A `Json` as a plain JS value: objects, arrays, `null`, never a `Map`.
pub fn to_js(value: &Json) -> JsValue {
    match value {
        Json::Null => JsValue::NULL,
        Json::Bool(b) => JsValue::from_bool(*b),
        Json::Number(n) => JsValue::from_f64(*n),
        Json::String(s) => JsValue::from_str(s),
        Json::Array(items) => items.iter().map(to_js).collect::<Array>().into(),
        Json::Object(map) => {
            let o = Object::new();
            for (k, v) in &map.0 {
                set(&o, k, to_js(v));
            }
            o.into()
        }
    }
}

fn set(target: &Object, key: &str, value: impl Into<JsValue>) {
    // Setting a property on a fresh plain object or Error cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), &value.into());
}

fn set_opt(target: &Object, key: &str, value: &Option<String>) {
    if let Some(v) = value {
        set(target, key, v.as_str());
    }
}

/// `[{field, message}, ...]` as a JS array.
pub fn problems_to_js(problems: &[FieldError]) -> Array {
    problems
        .iter()
        .map(|p| {
            let o = Object::new();
            set(&o, "field", p.field.as_str());
            set(&o, "message", p.message.as_str());
            JsValue::from(o)
        })
        .collect()
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
    let o: &Object = e.as_ref();
    match err {
        Error::Validation(v) => {
            set(o, "field", v.first().field.as_str());
            set(o, "errors", problems_to_js(&v.errors));
        }
        Error::Graph(g) => {
            set(o, "status", g.status);
            set(o, "code", g.code.as_str());
            set_opt(o, "requestId", &g.request_id);
            set_opt(o, "clientRequestId", &g.client_request_id);
            set_opt(o, "date", &g.date);
            if let Some(s) = g.retry_after {
                set(o, "retryAfter", s);
            }
        }
        Error::Network {
            client_request_id, ..
        }
        | Error::Aborted { client_request_id } => {
            set(o, "clientRequestId", client_request_id.as_str());
        }
        Error::Timeout {
            ms,
            client_request_id,
        } => {
            set(o, "clientRequestId", client_request_id.as_str());
            set(o, "timeoutMs", *ms);
        }
    }
    e.into()
}

/// The text of a thrown value: an `Error`'s `name: message`, a string as it is, else a
/// generic description. Never panics, whatever was thrown.
pub fn thrown_text(thrown: &JsValue) -> String {
    if let Some(e) = thrown.dyn_ref::<js_sys::Error>() {
        let (name, message) = (String::from(e.name()), String::from(e.message()));
        // Node's fetch hides the useful part in `cause`.
        let cause = Reflect::get(e, &JsValue::from_str("cause"))
            .ok()
            .and_then(|c| {
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
