//! The exports as a test awaits them: each returns the JS promise a caller gets, awaited here.

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

async fn settle(p: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(p).await
}

macro_rules! awaitable {
    ($($name:ident),*) => {$(
        #[allow(dead_code)]
        pub async fn $name(request: JsValue) -> Result<JsValue, JsValue> {
            settle(intune_script_user_state::$name(request)).await
        }
    )*};
}

awaitable!(
    create_user_state,
    create_user_states,
    get_user_state,
    update_user_state,
    delete_user_state,
    list_user_states,
    list_scripts,
    plan_user_states,
    sync_user_states
);
