//! The caller's journal (`{ read, append, clear }`, text records) as the bulk run uses it:
//! read once before anything is sent, appended to before each `$batch` goes (write-ahead).
//! The records themselves are the core's (`intune_core::journal`, JSON values); here they only
//! cross over, read with `JSON.parse` and written with `JSON.stringify` (both exact for every
//! double), each scrubbed of every token the run used before it becomes text.

use crate::convert::{error_to_js, from_js_within, thrown_text, to_js};
use crate::prepare::Edge;
use crate::transport::{json_parse, sleep};
use intune_core::error::Error;
use intune_core::journal::{Line, MAX_RECORD_DEPTH};
use intune_core::json::Json;
use js_sys::{Array, Function, JsString, Promise, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// The `code` of a journal's refusal because another run holds it.
const IN_USE: &str = "JOURNAL_IN_USE";

/// Records read between two turns of the event loop.
const RECORDS_PER_TURN: usize = 5_000;

/// Records scrubbed of every token a run used: the only records [`Journal::append`] takes.
pub struct Redacted(Vec<Json>);

impl Redacted {
    /// `records` with every occurrence of each of `tokens` replaced (see
    /// `intune_core::journal::redact`).
    pub fn new(mut records: Vec<Json>, tokens: &[String]) -> Self {
        for record in &mut records {
            for token in tokens {
                intune_core::journal::redact(record, token);
            }
        }
        Redacted(records)
    }
}

pub struct Journal {
    target: JsValue,
    read: Function,
    append: Function,
    /// The optional `lock()`: holds the journal for one run.
    lock: Option<Function>,
}

/// The journal held by this run: `release` is what `lock()` resolved to.
pub struct Held {
    release: Function,
}

impl Held {
    /// Lets the journal go. Best effort: what the release throws does not change how the run
    /// ended.
    pub async fn release(self) {
        let _ = call(&JsValue::UNDEFINED, &self.release, None).await;
    }
}

fn method(target: &JsValue, name: &str) -> Result<Function, Error> {
    Reflect::get(target, &name.into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(|| {
            Error::field(
                "journal",
                format!("must be a journal: an object with read(), append(records) and clear() (its {name} is not a function)"),
            )
        })
}

/// Calls `f` on `target` and awaits what it returns, whatever it throws.
async fn call(target: &JsValue, f: &Function, arg: Option<&JsValue>) -> Result<JsValue, JsValue> {
    let value = match arg {
        Some(a) => f.call1(target, a)?,
        None => f.call0(target)?,
    };
    JsFuture::from(Promise::resolve(&value)).await
}

impl Journal {
    /// Reads the `journal` option: absent, or an object with `read` and `append` methods.
    pub fn from_js(value: JsValue) -> Result<Option<Self>, Error> {
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        if !value.is_object() {
            return Err(Error::field(
                "journal",
                "must be a journal: an object with read(), append(records) and clear()",
            ));
        }
        let lock = Reflect::get(&value, &"lock".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok());
        Ok(Some(Journal {
            read: method(&value, "read")?,
            append: method(&value, "append")?,
            lock,
            target: value,
        }))
    }

    /// Holds the journal for this run if it offers `lock()` (`None` if it does not). A
    /// refusal is a `ValidationError` on `journal`, handed back with what `lock()` threw (its
    /// `cause`): in use by another run, keeping the journal's own message (for a file, the
    /// process and host that hold it), or, for a rejection with an error code of another
    /// kind (a file system error), that it cannot be locked. Nothing is read or sent then.
    pub async fn lock(&self) -> Result<Option<Held>, (Error, JsValue)> {
        let Some(lock) = &self.lock else {
            return Ok(None);
        };
        let release = call(&self.target, lock, None).await.map_err(|thrown| {
            let text = match thrown.dyn_ref::<js_sys::Error>() {
                Some(e) => String::from(e.message()),
                None => thrown_text(&thrown),
            };
            let code = Reflect::get(&thrown, &"code".into())
                .ok()
                .and_then(|c| c.as_string());
            let message = match code.as_deref() {
                Some(code) if code != IN_USE => {
                    format!("cannot be locked; nothing was read or sent ({text})")
                }
                _ => format!("is in use by another run; nothing was read or sent ({text})"),
            };
            (Error::field("journal", message), thrown)
        })?;
        match release.dyn_into::<Function>() {
            Ok(release) => Ok(Some(Held { release })),
            Err(_) => Err((
                Error::field(
                    "journal",
                    "cannot be locked: its lock() must resolve to a function that releases it; \
                     nothing was read or sent",
                ),
                JsValue::UNDEFINED,
            )),
        }
    }

    /// Every record, in the order appended, as its JSON value or why its text is not one. A
    /// journal that cannot be read at all (or holds something other than strings) is a
    /// `ValidationError` on `journal`: nothing may be sent then.
    pub async fn read(&self) -> Result<Vec<Line>, Error> {
        let cannot = |why: String| Error::field("journal", format!("cannot be read: {why}"));
        let value = call(&self.target, &self.read, None)
            .await
            .map_err(|thrown| cannot(format!("read() failed ({})", thrown_text(&thrown))))?;
        if !Array::is_array(&value) {
            return Err(cannot("read() must resolve to an array of strings".into()));
        }
        let records: &Array = value.unchecked_ref();
        let mut lines = Vec::new();
        for (i, r) in records.iter().enumerate() {
            if i > 0 && i % RECORDS_PER_TURN == 0 {
                // A turn of the event loop between chunks: a signal is heard while a long
                // journal is read.
                let _ = sleep(0, None).await;
            }
            let text = r
                .dyn_ref::<JsString>()
                .ok_or_else(|| cannot(format!("record {} is not a string", i + 1)))?;
            lines.push(match json_parse(text) {
                Ok(value) => from_js_within(&value, MAX_RECORD_DEPTH).map_err(str::to_owned),
                Err(thrown) => Err(format!("is not JSON ({})", thrown_text(&thrown))),
            });
        }
        Ok(lines)
    }

    /// Appends `records` (each as one line of compact JSON text) and waits until the journal
    /// says they are durable. What `append` threw is handed back as it is.
    pub async fn append(&self, records: Redacted) -> Result<(), JsValue> {
        let Redacted(records) = records;
        if records.is_empty() {
            return Ok(());
        }
        let lines = Array::new();
        for r in records {
            // Plain objects of strings and numbers: stringifying cannot fail.
            lines.push(&JSON::stringify(&to_js(&r)).map_or(JsValue::NULL, JsValue::from));
        }
        call(&self.target, &self.append, Some(&lines))
            .await
            .map(|_| ())
    }
}

/// One run per journal: the caller's journal held (when it has `lock`) from before it is read
/// until the run ends, however it ends; a refusal is a `ValidationError` on `journal` with what
/// the journal threw as its `cause`. `createUserStates` and `syncUserStates` both hold it.
pub(crate) async fn hold_journal(edge: &Edge) -> Result<Option<Held>, JsValue> {
    match &edge.journal {
        None => Ok(None),
        Some(journal) => journal.lock().await.map_err(|(e, thrown)| {
            let err = error_to_js(&e);
            if !thrown.is_undefined() {
                let _ = Reflect::set(&err, &"cause".into(), &thrown);
            }
            err
        }),
    }
}
