//! `Calibrator.fromManifest`, with its `TrustOptions` object.

use crate::calibrator::Calibrator;
use crate::convert::{Result, arg, given, js_type, throw};
use calib_js::{Arg, Clock, TrustOptions};
use js_sys::{Array, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

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
    /// `Calibrator.fromManifest(envelope, model, trust)`.
    #[wasm_bindgen(skip_typescript, js_name = fromManifest)]
    pub fn from_manifest(envelope: JsValue, model: JsValue, trust: JsValue) -> Result<Calibrator> {
        // WebAssembly has no clock of its own: without `trust.now`, the JavaScript one.
        let clock = Clock::Millis(js_sys::Date::now());
        calib_js::Calibrator::from_manifest(arg(&envelope), arg(&model), options(&trust), clock)
            .map(Calibrator)
            .map_err(throw)
    }
}
