//! Values across the boundary: JS input to the core's `Json`, `Json` out as plain objects,
//! and the one place where an `Error` becomes a JS `Error`.

use crate::error::{Error, FieldError};
use crate::json::Json;
use js_sys::{Array, Object, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Reads a JS value as JSON. Functions, symbols and cycles are refused (a cycle shows up as
/// nesting deeper than the core allows); the error names `field`.
pub fn from_js(value: &JsValue, field: &str) -> Result<Json, Error> {
    serde_wasm_bindgen::from_value(value.clone())
        .map_err(|e| Error::field(field, format!("could not be read as JSON data: {e}")))
}

/// A `Json` as a plain JS value: objects, arrays, `null`, never a `Map`.
pub fn to_js(value: &Json) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
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
