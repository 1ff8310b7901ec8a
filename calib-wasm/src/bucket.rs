//! Stable rollout bucketing: `bucket` and `included` of calib-core.

use crate::convert::{Result, arg, throw};
use calib_js::rollout;
use wasm_bindgen::prelude::*;

/// The bucket of `key` under `salt`, in `[0, 10000)`: one bucket is one
/// basis point of traffic. Salt and key are hashed as UTF-8.
#[wasm_bindgen]
pub fn bucket(
    #[wasm_bindgen(unchecked_param_type = "string")] salt: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
) -> Result<u32> {
    rollout::bucket(arg(&salt), arg(&key)).map_err(throw)
}

/// Whether `key` is in a rollout at `percent` % (a whole number):
/// `bucket(salt, key) < percent × 100`, so inclusion is monotone in `percent`.
#[wasm_bindgen]
pub fn included(
    #[wasm_bindgen(unchecked_param_type = "string")] salt: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] percent: JsValue,
) -> Result<bool> {
    rollout::included(arg(&salt), arg(&key), arg(&percent)).map_err(throw)
}
