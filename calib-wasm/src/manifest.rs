//! `Calibrator.fromManifest`: calib-core's verified loader, with its trust
//! policy and trust state converted from JavaScript.

use crate::calibrator::Calibrator;
use crate::convert::{INVALID_ARGUMENT, Result, coded_error, count, given, invalid_argument};
use calib_core::manifest::{self, ManifestError, PublicKey, TrustPolicy, TrustState};
use js_sys::{Array, Reflect, Uint8Array};
use time::OffsetDateTime;
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

/// calib-node's words for a trust argument that is not a `TrustOptions`.
const TRUST_SHAPE: &str =
    "trust must be { keys: string[], threshold?: number, state?: string, requireGateReport?: boolean, now?: number }";

/// The fields of a `TrustOptions` object, converted.
struct TrustOptions {
    keys: Vec<String>,
    threshold: Option<JsValue>,
    state: Option<String>,
    require_gate_report: Option<bool>,
    now: Option<f64>,
}

/// Reads `trust`; anything but an object of the documented shape is
/// `invalid_argument`, as calib-node's object conversion refuses it.
fn options(trust: &JsValue) -> Result<TrustOptions> {
    let shape = || invalid_argument(TRUST_SHAPE);
    if !trust.is_object() || Array::is_array(trust) {
        return Err(shape());
    }
    let field = |name: &str| given(Reflect::get(trust, &JsValue::from_str(name)).ok());
    let keys = field("keys").ok_or_else(shape)?;
    let keys = keys.dyn_ref::<Array>().ok_or_else(shape)?;
    let keys = keys.iter().map(|k| k.as_string()).collect::<Option<Vec<String>>>().ok_or_else(shape)?;
    let state = field("state").map(|s| s.as_string().ok_or_else(shape)).transpose()?;
    let require_gate_report = field("requireGateReport").map(|b| b.as_bool().ok_or_else(shape)).transpose()?;
    let now = field("now").map(|n| n.as_f64().ok_or_else(shape)).transpose()?;
    Ok(TrustOptions { keys, threshold: field("threshold"), state, require_gate_report, now })
}

/// Manifest and model arguments: text or bytes (`fs.readFileSync` and
/// `fetch` give either).
fn bytes(what: &str, v: &JsValue) -> Result<Vec<u8>> {
    if let Some(s) = v.as_string() {
        return Ok(s.into_bytes());
    }
    if let Some(b) = v.dyn_ref::<Uint8Array>() {
        return Ok(b.to_vec());
    }
    Err(coded_error(INVALID_ARGUMENT, &format!("{what} must be a string or a Uint8Array")))
}

/// A refused manifest as a JS `Error`: the loader's code (`bad_signature`,
/// `expired`, `rollback`, …) and its message.
fn manifest_error(e: ManifestError) -> JsValue {
    coded_error(e.code(), e.message())
}

/// The time to check expiry against: `now` in milliseconds since the Unix
/// epoch, else the JavaScript clock (WebAssembly has no clock of its own).
fn clock(now: Option<f64>) -> Result<OffsetDateTime> {
    let ms = now.unwrap_or_else(js_sys::Date::now);
    let bad = || invalid_argument(&format!("now must be milliseconds since the Unix epoch, got {ms}"));
    if !ms.is_finite() {
        return Err(bad());
    }
    // Whole milliseconds, as Date.now() gives them; the float-to-int `as` saturates.
    let nanos = i128::from(ms.trunc() as i64) * 1_000_000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos).map_err(|_| bad())
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
        let envelope = bytes("envelope", &envelope)?;
        let model = bytes("model", &model)?;
        let trust = options(&trust)?;
        let keys = trust.keys.iter().map(|k| PublicKey::from_file_text(k)).collect::<core::result::Result<_, _>>();
        let threshold = trust.threshold.map_or(Ok(1), |t| count("threshold", &t))?;
        let threshold = usize::try_from(threshold).unwrap_or(usize::MAX);
        let mut policy = TrustPolicy::new(keys.map_err(manifest_error)?, threshold).map_err(manifest_error)?;
        policy.require_gate_report = trust.require_gate_report.unwrap_or(true);
        let mut state = match &trust.state {
            Some(s) => TrustState::from_json(s).map_err(manifest_error)?,
            None => TrustState::default(),
        };
        let now = clock(trust.now)?;
        let loaded = manifest::Calibrator::from_manifest_at(&envelope, &model, &policy, &mut state, now)
            .map_err(manifest_error)?;
        Ok(Calibrator::new(loaded.model().clone(), Some(state.to_json())))
    }
}
