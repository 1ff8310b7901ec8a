//! `Calibrator.fromManifest`, with its `TrustOptions` object.

use crate::calibrator::Calibrator;
use crate::convert::{Result, arg, given, js_type, throw};
use calib_js::{Arg, Clock, TrustOptions};
use js_sys::{Array, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TRUST_OPTIONS: &str = r#"
/** Whom a loader trusts, and what it trusted before. */
export interface TrustOptions {
  /** Trusted public keys: the text of `calib keygen`'s `calib.pub` files. */
  keys: string[];
  /** Distinct trusted keys that must have signed (default 1). */
  threshold?: number | null;
  /** The trust state from the previous load (`calibrator.trustState()`), so that an older manifest is refused as a rollback. Default: nothing trusted yet. */
  state?: string | null;
  /** Refuse manifests without a passing gate report (default `true`). */
  requireGateReport?: boolean | null;
  /** The time to check expiry against, in milliseconds since the Unix epoch (as `Date.now()`). Default: the JavaScript clock, `Date.now()`. */
  now?: number | null;
}
"#;

/// Reads `trust`; anything but an object of the documented shape is a
/// wrong argument, as calib-node's object conversion refuses it.
fn options(trust: &JsValue) -> Arg<TrustOptions> {
    read_options(trust).map_or_else(|| Arg::Wrong(js_type(trust)), Arg::Value)
}

/// The fields of `trust`, or `None` when it is not an object or a field has
/// another type.
fn read_options(trust: &JsValue) -> Option<TrustOptions> {
    if !trust.is_object() || Array::is_array(trust) {
        return None;
    }
    let field = |name: &str| given(Reflect::get(trust, &JsValue::from_str(name)).ok());
    let keys = field("keys")?.dyn_into::<Array>().ok()?;
    Some(TrustOptions {
        keys: keys.iter().map(|k| k.as_string()).collect::<Option<Vec<String>>>()?,
        threshold: field("threshold").map(|t| arg(&t)),
        state: optional(field("state"), JsValue::as_string)?,
        require_gate_report: optional(field("requireGateReport"), JsValue::as_bool)?,
        now: optional(field("now"), JsValue::as_f64)?,
    })
}

/// An optional field: `Some(None)` when not given, `None` when of another type.
fn optional<T>(v: Option<JsValue>, read: impl Fn(&JsValue) -> Option<T>) -> Option<Option<T>> {
    match v {
        None => Some(None),
        Some(v) => read(&v).map(Some),
    }
}

#[wasm_bindgen]
impl Calibrator {
    /// Loads a model through its signed manifest, with calib-core's verified
    /// loader: the signatures are checked over the exact bytes before
    /// anything is parsed, then the payload type and schema, this core's
    /// fingerprint, expiry, the gate report, the version against
    /// `trust.state`, and the model bytes against the manifest's subject. On
    /// any failure it throws (`code`: `bad_signature`, `unknown_key`,
    /// `expired`, `rollback`, `fingerprint_mismatch`, `subject_mismatch`, …)
    /// and no model is returned. Persist `trustState()` of the result.
    #[wasm_bindgen(js_name = fromManifest)]
    pub fn from_manifest(
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] envelope: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] model: JsValue,
        #[wasm_bindgen(unchecked_param_type = "TrustOptions")] trust: JsValue,
    ) -> Result<Calibrator> {
        // WebAssembly has no clock of its own: without `trust.now`, the JavaScript one.
        let clock = Clock::Millis(js_sys::Date::now());
        calib_js::Calibrator::from_manifest(arg(&envelope), arg(&model), options(&trust), clock)
            .map(Calibrator)
            .map_err(throw)
    }
}
