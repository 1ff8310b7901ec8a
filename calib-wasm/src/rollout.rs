//! The core's identity and rollout bucketing: `fingerprint`, `bucket`, `included`.

use crate::convert::{Result, arg, throw};
use calib_js::rollout;
use wasm_bindgen::prelude::*;

/// `fingerprint()`: computed by the core on first use (a few
/// milliseconds), then cached. It equals the native core's when
/// WebAssembly computes the same bits.
#[wasm_bindgen(skip_typescript)]
pub fn fingerprint() -> String {
    rollout::fingerprint()
}

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
