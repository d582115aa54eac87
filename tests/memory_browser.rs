//! 10,000 creates in one page: wasm linear memory and the table of JS values the module holds
//! must stay flat (nothing kept per call: no forgotten closures, no growing tables).
#![cfg(target_arch = "wasm32")]

mod support;

use js_sys::{Reflect, WebAssembly};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// (linear memory bytes, length of wasm-bindgen's table of JS values)
fn footprint() -> (f64, f64) {
    let memory: WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    let bytes = get_f64(&memory.buffer(), "byteLength").unwrap();
    let table = Reflect::get(&wasm_bindgen::exports(), &"__wbindgen_externrefs".into()).unwrap();
    (bytes, get_f64(&table, "length").unwrap_or(0.0))
}

/// `n` creates, `parallel` at a time.
async fn creates(script: &str, from: usize, n: usize, parallel: usize) {
    for chunk in (from..from + n).collect::<Vec<_>>().chunks(parallel) {
        let calls: js_sys::Array = chunk
            .iter()
            .map(|i| {
                let req = request(script, &format!(r#"{{"userState":{{"userPrincipalName":"m{i}@contoso.com","successDeviceCount":1,"errorDeviceCount":0}}}}"#));
                JsValue::from(intune_script_user_state::create_user_state(req))
            })
            .collect();
        JsFuture::from(js_sys::Promise::all(&calls))
            .await
            .expect("all created");
    }
}

#[wasm_bindgen_test]
async fn ten_thousand_creates_keep_memory_flat() {
    let script = "mem-10k";
    let before = config(r#"{"keepAlive":true}"#).await;
    creates(script, 0, 1000, 16).await;
    let warm = footprint();
    creates(script, 1000, 9000, 16).await;
    let end = footprint();
    restore_config(&before).await;
    assert_eq!(get_f64(&stats(script).await, "creates"), Some(10_000.0));
    log(&format!(
        "after 1,000 creates: {warm:?}; after 10,000: {end:?}"
    ));
    assert!(
        end.0 <= warm.0 + 1_048_576.0,
        "linear memory grew from {} to {} bytes",
        warm.0,
        end.0
    );
    assert!(
        end.1 <= warm.1 + 128.0,
        "the JS value table grew from {} to {}",
        warm.1,
        end.1
    );
}
