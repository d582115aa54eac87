//! The few globals the edge uses, bound on `globalThis` so they exist in a Window, a Worker
//! and Node alike.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `fetch(url, init)`; throws synchronously only for arguments it cannot take.
    #[wasm_bindgen(catch, js_name = fetch)]
    pub fn fetch(url: &str, init: &web_sys::RequestInit) -> Result<Promise, JsValue>;

    /// `setTimeout(handler, ms)`: a number in browsers, an object in Node.
    #[wasm_bindgen(js_name = setTimeout)]
    pub fn set_timeout(handler: &Function, ms: u32) -> JsValue;

    #[wasm_bindgen(js_name = clearTimeout)]
    pub fn clear_timeout(handle: &JsValue);

    /// `crypto.getRandomValues`, in every modern browser, Worker and Node 20.
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buf: &mut [u8]);
}

/// 16 random bytes.
pub fn random_bytes() -> [u8; 16] {
    let mut buf = [0u8; 16];
    get_random_values(&mut buf);
    buf
}

/// Milliseconds since the epoch (`Date.now()`).
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}
