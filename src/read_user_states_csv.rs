//! `readUserStatesCsv`: the bulk import's CSV reader ([`intune_core::csv`]) for the admin page and
//! the command line.

use crate::convert::to_js;
use intune_core::csv::{read_user_states, UserStatesCsv};
use wasm_bindgen::prelude::*;

/// Reads a user-state CSV the way the admin page and the command line do: a header naming
/// `userPrincipalName`, `successDeviceCount` and `errorDeviceCount` in any order (and
/// optionally `id`, as `list --format csv` writes it: a non-empty cell becomes the row's
/// `userState.id`, which `planUserStates` and `syncUserStates` match by), quoted fields, a
/// BOM, CRLF or LF; blank lines are skipped. Returns `{ rows, error }`: `error` (a
/// sentence naming the line) when the file as a whole cannot be used, else `null` and every
/// data row as `{ line, userState, problems, warnings }`, the counts as typed (`""` is `null`,
/// `2.5` stays 2.5, `two` stays a string) and `problems` the broken rules of
/// `validateUserState` in words. Rows without problems are ready for `createUserStates`.
///
/// @example
/// const { rows, error } = readUserStatesCsv(await file.text());
/// const good = rows.filter((r) => r.problems.length === 0).map((r) => r.userState);
#[wasm_bindgen(js_name = readUserStatesCsv, unchecked_return_type = "UserStatesCsv")]
pub fn read_user_states_csv(
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
) -> JsValue {
    match text.as_string() {
        Some(text) => to_js(&read_user_states(&text)),
        None => to_js(&UserStatesCsv {
            rows: Vec::new(),
            error: Some("The CSV text must be a string.".to_owned()),
        }),
    }
}
