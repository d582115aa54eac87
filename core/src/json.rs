//! A small JSON value that keeps key order and limits nesting.
//!
//! The core never parses JSON text itself. In the browser and Node the edge walks what
//! `JSON.parse` (or a plain JS object) gave into a [`Json`] by hand (the wasm crate's
//! `convert.rs`, without serde's deserializer), stopping at [`MAX_DEPTH`]; values go back to
//! JS through [`Serialize`] and `serde-wasm-bindgen`. Natively the tests and fuzzers read
//! text with `serde_json` through the [`Deserialize`](de::Deserialize) impl here, which also
//! refuses anything nested deeper than [`MAX_DEPTH`] (a cyclic JS object would otherwise
//! recurse until the stack ran out).

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use std::fmt;

/// How deep objects and arrays may nest before a value is refused.
pub const MAX_DEPTH: usize = 32;

/// A JSON value. Numbers are `f64`, as in JavaScript.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null` (and `undefined` from JS).
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as JS has them.
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, its members in order.
    Object(Map),
}

/// An object's members in the order they came; a repeated key's last value wins on lookup.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Map(pub Vec<(String, Json)>);

impl Map {
    /// An empty object.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// The value of `key`, the last one where a key repeats (as `JSON.parse` does).
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets `key`, replacing an earlier value in place.
    pub fn insert(&mut self, key: impl Into<String>, value: Json) {
        let key = key.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }

    /// The member names, in order (a repeated key as often as it came).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }
}

impl Json {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The members, if this is an object.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Json::Object(m) => Some(m),
            _ => None,
        }
    }

    /// `self[key]` for an object, `None` for anything else.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.as_object().and_then(|m| m.get(key))
    }

    /// The value as an `i32` when it is a whole number in range.
    pub fn as_i32(&self) -> Option<i32> {
        match *self {
            Json::Number(n)
                if n.fract() == 0.0 && (i32::MIN as f64..=i32::MAX as f64).contains(&n) =>
            {
                Some(n as i32)
            }
            _ => None,
        }
    }

    /// A short name of the value's JSON type, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

impl From<&str> for Json {
    fn from(s: &str) -> Self {
        Json::String(s.to_owned())
    }
}

impl From<String> for Json {
    fn from(s: String) -> Self {
        Json::String(s)
    }
}

impl From<i32> for Json {
    fn from(n: i32) -> Self {
        Json::Number(n.into())
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => s.serialize_unit(),
            Json::Bool(b) => s.serialize_bool(*b),
            // Whole numbers go out as integers so that a JSON writer prints `2`, not `2.0`.
            Json::Number(n) if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 => {
                s.serialize_i64(*n as i64)
            }
            Json::Number(n) => s.serialize_f64(*n),
            Json::String(v) => s.serialize_str(v),
            Json::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(map) => {
                let mut out = s.serialize_map(Some(map.0.len()))?;
                for (k, v) in &map.0 {
                    out.serialize_entry(k, v)?;
                }
                out.end()
            }
        }
    }
}

impl<'de> de::Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Depth(MAX_DEPTH).deserialize(d)
    }
}

/// [`Json`]'s `Deserialize`, allowing `depth` levels of nesting instead of [`MAX_DEPTH`] (a
/// journal record holds a service object one level down).
pub fn deserialize_within<'de, D: Deserializer<'de>>(d: D, depth: usize) -> Result<Json, D::Error> {
    Depth(depth).deserialize(d)
}

/// A seed carrying how many more levels of nesting are allowed.
struct Depth(usize);

impl<'de> DeserializeSeed<'de> for Depth {
    type Value = Json;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(self)
    }
}

impl Depth {
    fn inner<E: de::Error>(&self) -> Result<Depth, E> {
        match self.0 {
            0 => Err(E::custom(format_args!(
                "nested deeper than {MAX_DEPTH} levels"
            ))),
            n => Ok(Depth(n - 1)),
        }
    }
}

impl<'de> Visitor<'de> for Depth {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        self.deserialize(d)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v as f64))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v as f64))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Number(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self.inner()?)? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Json, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let value = access.next_value_seed(self.inner()?)?;
            map.0.push((key, value));
        }
        Ok(Json::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Json, serde_json::Error> {
        serde_json::from_str(text)
    }

    #[test]
    fn keeps_order_and_last_duplicate_wins() {
        let v = parse(r#"{"b":1,"a":2,"b":3}"#).unwrap();
        let m = v.as_object().unwrap();
        assert_eq!(m.keys().collect::<Vec<_>>(), ["b", "a", "b"]);
        assert_eq!(v.get("b"), Some(&Json::Number(3.0)));
    }

    #[test]
    fn refuses_deep_nesting() {
        let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
        assert!(parse(&deep).is_err());
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn integers_serialize_without_fraction() {
        let v = parse(r#"{"n":2,"f":1.5,"s":"x\"y","z":null}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"n":2,"f":1.5,"s":"x\"y","z":null}"#
        );
    }

    #[test]
    fn as_i32_is_strict() {
        assert_eq!(Json::Number(2.0).as_i32(), Some(2));
        assert_eq!(Json::Number(1.5).as_i32(), None);
        assert_eq!(Json::Number(f64::NAN).as_i32(), None);
        assert_eq!(Json::Number(2147483648.0).as_i32(), None);
        assert_eq!(Json::String("2".into()).as_i32(), None);
    }
}
