//! Where tokens come from: a string, or a function asked before every attempt (so a long run
//! gets fresh tokens, and a 401 can be answered with a new one).

use intune_core::error::Error;
use intune_core::validate;
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// A failure to get a token: a broken rule, or whatever the caller's function threw.
pub enum TokenFailure {
    Invalid(Error),
    Thrown(JsValue),
}

pub enum TokenSource {
    Fixed(String),
    Function(Function),
}

impl TokenSource {
    /// Reads the `token` option.
    pub fn from_js(value: JsValue) -> Result<Self, Error> {
        if let Some(f) = value.dyn_ref::<Function>() {
            return Ok(TokenSource::Function(f.clone()));
        }
        match value.as_string() {
            Some(t) => {
                validate::token(&t).map_err(|rule| Error::field("token", rule))?;
                Ok(TokenSource::Fixed(t))
            }
            None if value.is_undefined() || value.is_null() => {
                Err(Error::field("token", "is required"))
            }
            None => Err(Error::field(
                "token",
                "must be a string or a function returning one (or a promise of one)",
            )),
        }
    }

    pub fn refreshable(&self) -> bool {
        matches!(self, TokenSource::Function(_))
    }

    /// The token for the next attempt.
    pub async fn get(&self) -> Result<String, TokenFailure> {
        let f = match self {
            TokenSource::Fixed(t) => return Ok(t.clone()),
            TokenSource::Function(f) => f,
        };
        let value = f.call0(&JsValue::UNDEFINED).map_err(TokenFailure::Thrown)?;
        let value = JsFuture::from(Promise::resolve(&value))
            .await
            .map_err(TokenFailure::Thrown)?;
        let token = value.as_string().ok_or_else(|| {
            TokenFailure::Invalid(Error::field(
                "token",
                "function must return a string (or a promise of one)",
            ))
        })?;
        validate::token(&token)
            .map_err(|rule| TokenFailure::Invalid(Error::field("token", rule)))?;
        Ok(token)
    }
}
