//! The binning-core fingerprint of the calib-core this module links.

use wasm_bindgen::prelude::*;

/// The binning-core fingerprint: SHA-256 of what this build of calib-core
/// computes on its built-in conformance inputs, as 64 lowercase hex digits.
/// Computed by the core on first use (a few milliseconds), then cached. It
/// equals the native core's when WebAssembly computes the same bits.
#[wasm_bindgen]
pub fn fingerprint() -> String {
    calib_js::rollout::fingerprint()
}
