//! `Calibrator.fromManifest`, with its `TrustOptions` object.

use crate::calibrator::Calibrator;
use crate::convert::{BytesArg, Result, ToArg, js_type, throw};
use calib_js::{Arg, Clock};
use napi::bindgen_prelude::{Either, Unknown};
use napi_derive::napi;

/// Whom a loader trusts, and what it trusted before.
#[napi(object)]
pub struct TrustOptions {
    /// Trusted public keys: the text of `calib keygen`'s `calib.pub` files.
    pub keys: Vec<String>,
    /// Distinct trusted keys that must have signed (default 1).
    pub threshold: Option<f64>,
    /// The trust state from the previous load (`calibrator.trustState()`),
    /// so that an older manifest is refused as a rollback. Default: nothing
    /// trusted yet.
    #[napi(ts_type = "string | null")]
    pub state: Option<String>,
    /// Refuse manifests without a passing gate report (default `true`).
    pub require_gate_report: Option<bool>,
    /// The time to check expiry against, in milliseconds since the Unix epoch
    /// (as `Date.now()`). Default: the current time (the system clock in
    /// Node, `Date.now()` in WebAssembly).
    pub now: Option<f64>,
}

#[napi]
impl Calibrator {
    /// Loads a model through its signed manifest, with calib-core's verified
    /// loader: the signatures are checked over the exact bytes before
    /// anything is parsed, then the payload type and schema, this core's
    /// fingerprint, expiry, the gate report, the version against
    /// `trust.state`, and the model bytes against the manifest's subject. On
    /// any failure it throws (`code`: `bad_signature`, `unknown_key`,
    /// `expired`, `rollback`, `fingerprint_mismatch`, `subject_mismatch`, …)
    /// and no model is returned. Persist `trustState()` of the result.
    #[napi(factory, js_name = "fromManifest")]
    pub fn from_manifest(
        #[napi(ts_arg_type = "string | Uint8Array")] envelope: BytesArg<'_>,
        #[napi(ts_arg_type = "string | Uint8Array")] model: BytesArg<'_>,
        #[napi(ts_arg_type = "TrustOptions")] trust: Either<TrustOptions, Unknown<'_>>,
    ) -> Result<Calibrator> {
        let trust = match trust {
            Either::A(t) => Arg::Value(calib_js::TrustOptions {
                keys: t.keys,
                threshold: t.threshold.map(Arg::Value),
                state: t.state,
                require_gate_report: t.require_gate_report,
                now: t.now,
            }),
            Either::B(u) => Arg::Wrong(js_type(&u)),
        };
        calib_js::Calibrator::from_manifest(envelope.arg(), model.arg(), trust, Clock::System)
            .map(Calibrator)
            .map_err(throw)
    }
}
