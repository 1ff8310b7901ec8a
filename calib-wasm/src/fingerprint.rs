//! The binning-core fingerprint of the calib-core this module links.

use wasm_bindgen::prelude::*;

/// `fingerprint()`: computed by the core on first use (a few
/// milliseconds), then cached. It equals the native core's when
/// WebAssembly computes the same bits.
#[wasm_bindgen(skip_typescript)]
pub fn fingerprint() -> String {
    calib_js::rollout::fingerprint()
}
