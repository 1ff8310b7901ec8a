//! The core's identity and rollout bucketing: `fingerprint`, `bucket`, `included`.

use crate::convert::{Result, arg, throw};
use calib_js::rollout;
use wasm_bindgen::prelude::*;

/// `fingerprint()`: computed by the core on first use (a few
/// milliseconds), then cached. It equals the native core's when
/// WebAssembly computes the same bits.
#[cfg(feature = "full")]
#[wasm_bindgen(skip_typescript)]
pub fn fingerprint() -> String {
    rollout::fingerprint()
}

/// `fingerprint()` of the serve entry: the pinned fingerprint of
/// `tests/vectors/core_fingerprint.json`, read when this crate is compiled,
/// not computed (computing it links every fit the serve entry leaves out).
/// `calib-wasm/test.sh` checks that it equals the full entry's computed one.
#[cfg(not(feature = "full"))]
#[wasm_bindgen(skip_typescript)]
pub fn fingerprint() -> String {
    PINNED_FINGERPRINT.to_string()
}

/// The 64 hex digits after `"sha256": "` in `core_fingerprint.json`.
#[cfg(not(feature = "full"))]
const PINNED_FINGERPRINT: &str = match core::str::from_utf8(&PINNED_HEX) {
    Ok(s) => s,
    Err(_) => panic!("core_fingerprint.json: the sha256 is not text"),
};

/// Those 64 digits copied out of the file, so that the module holds only
/// them and not the whole file (a subslice of `include_bytes!` would keep
/// every byte of it in the data section).
#[cfg(not(feature = "full"))]
const PINNED_HEX: [u8; 64] = {
    const FILE: &[u8] = include_bytes!("../../tests/vectors/core_fingerprint.json");
    const KEY: &[u8] = b"\"sha256\": \"";
    let mut i = 0;
    while !matches(FILE, i, KEY) {
        i += 1;
    }
    let start = i + KEY.len();
    assert!(start + 64 <= FILE.len(), "core_fingerprint.json: the sha256 is cut short");
    let mut hex = [0u8; 64];
    let mut j = 0;
    while j < 64 {
        hex[j] = FILE[start + j];
        j += 1;
    }
    hex
};

/// Whether `key` occurs in `file` at `at` (a const fn: slices cannot be compared in const).
#[cfg(not(feature = "full"))]
const fn matches(file: &[u8], at: usize, key: &[u8]) -> bool {
    assert!(at + key.len() <= file.len(), "core_fingerprint.json has no \"sha256\"");
    let mut j = 0;
    while j < key.len() {
        if file[at + j] != key[j] {
            return false;
        }
        j += 1;
    }
    true
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
