//! Stable rollout bucketing: `bucket` and `included`.

use crate::convert::{Result, arg, throw};
use calib_js::rollout;
use wasm_bindgen::prelude::*;

/// `bucket(salt, key)`.
#[wasm_bindgen(skip_typescript)]
pub fn bucket(salt: JsValue, key: JsValue) -> Result<u32> {
    rollout::bucket(arg(&salt), arg(&key)).map_err(throw)
}

/// `included(salt, key, percent)`.
#[wasm_bindgen(skip_typescript)]
pub fn included(salt: JsValue, key: JsValue, percent: JsValue) -> Result<bool> {
    rollout::included(arg(&salt), arg(&key), arg(&percent)).map_err(throw)
}
