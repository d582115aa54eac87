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
