//! Stable rollout bucketing: `bucket` and `included` of calib-core.

use crate::convert::{Result, count, invalid_argument, string};
use wasm_bindgen::prelude::*;

/// The bucket of `key` under `salt`, in `[0, 10000)`: one bucket is one
/// basis point of traffic. Salt and key are hashed as UTF-8.
#[wasm_bindgen]
pub fn bucket(
    #[wasm_bindgen(unchecked_param_type = "string")] salt: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
) -> Result<u32> {
    Ok(calib_core::bucket::bucket(&string("salt", &salt)?, &string("key", &key)?))
}

/// Whether `key` is in a rollout at `percent` % (a whole number):
/// `bucket(salt, key) < percent × 100`, so inclusion is monotone in `percent`.
#[wasm_bindgen]
pub fn included(
    #[wasm_bindgen(unchecked_param_type = "string")] salt: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] percent: JsValue,
) -> Result<bool> {
    let salt = string("salt", &salt)?;
    let key = string("key", &key)?;
    let p = count("percent", &percent)?;
    let p =
        u32::try_from(p).map_err(|_| invalid_argument(&format!("percent must be at most {}, got {p}", u32::MAX)))?;
    Ok(calib_core::bucket::included(&salt, &key, p))
}
