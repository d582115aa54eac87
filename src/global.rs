//! The few globals the edge uses, bound on `globalThis` so they exist in a Window, a Worker
//! and Node alike.

use js_sys::Function;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `setTimeout(handler, ms)`: a number in browsers, an object in Node.
    #[wasm_bindgen(js_name = setTimeout)]
    pub fn set_timeout(handler: &Function, ms: u32) -> JsValue;

    #[wasm_bindgen(js_name = clearTimeout)]
    pub fn clear_timeout(handle: &JsValue);

    /// `crypto.getRandomValues`, in every modern browser, Worker and Node 20.
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buf: &mut [u8]);
}

thread_local! {
    /// Random bytes fetched 512 at a time (one call into JS per 32 calls of ours), and how
    /// many of them are used.
    static POOL: std::cell::RefCell<([u8; 512], usize)> = const { std::cell::RefCell::new(([0; 512], 512)) };
}

/// 16 random bytes, never handed out twice.
pub fn random_bytes() -> [u8; 16] {
    POOL.with_borrow_mut(|(pool, used)| {
        if *used == pool.len() {
            get_random_values(pool);
            *used = 0;
        }
        let mut out = [0u8; 16];
        out.copy_from_slice(&pool[*used..*used + 16]);
        *used += 16;
        out
    })
}

/// Milliseconds since the epoch (`Date.now()`).
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

thread_local! {
    /// The JS strings made by [`name`], by the address of their text.
    static NAMES: std::cell::RefCell<Vec<(usize, JsValue)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `text` as a JS string, made once: the names and values the edge hands to JS on every call
/// (property names, header names, methods) would otherwise each be decoded from wasm memory
/// by `TextDecoder` every time. wasm-bindgen's `enable-interning` does this for every string
/// and costs more bytes (docs/size.md); this holds only the few constants it is given.
pub fn name(text: &'static str) -> JsValue {
    NAMES.with_borrow_mut(|names| {
        let key = text.as_ptr() as usize;
        if let Some((_, v)) = names.iter().find(|(k, _)| *k == key) {
            return v.clone();
        }
        let v = JsValue::from_str(text);
        names.push((key, v.clone()));
        v
    })
}
