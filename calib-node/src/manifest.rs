//! `Calibrator.fromManifest`: calib-core's verified loader, with its trust
//! policy and trust state converted from JavaScript.

use crate::calibrator::Calibrator;
use crate::convert::{INVALID_ARGUMENT, Result, count};
use calib_core::manifest::{self, ManifestError, PublicKey, TrustPolicy, TrustState};
use napi::bindgen_prelude::{Either, Either3, Unknown};
use napi_derive::napi;
use time::OffsetDateTime;

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
    /// (as `Date.now()`). Default: the system clock.
    pub now: Option<f64>,
}

/// Manifest and model arguments: text or bytes (`fs.readFileSync` gives either).
pub type BytesArg<'a> = Either3<String, &'a [u8], Unknown<'a>>;

fn bytes<'a>(what: &str, v: &'a BytesArg<'a>) -> Result<&'a [u8]> {
    match v {
        Either3::A(s) => Ok(s.as_bytes()),
        Either3::B(b) => Ok(b),
        Either3::C(_) => Err(napi::Error::new(INVALID_ARGUMENT, format!("{what} must be a string or a Uint8Array"))),
    }
}

/// A refused manifest as a JS `Error`: the loader's code (`bad_signature`,
/// `expired`, `rollback`, …) and its message.
fn manifest_error(e: ManifestError) -> napi::Error<&'static str> {
    napi::Error::new(e.code(), e.message().to_string())
}

fn options(trust: Either<TrustOptions, Unknown<'_>>) -> Result<TrustOptions> {
    match trust {
        Either::A(t) => Ok(t),
        Either::B(_) => Err(napi::Error::new(
            INVALID_ARGUMENT,
            "trust must be { keys: string[], threshold?: number, state?: string, requireGateReport?: boolean, \
             now?: number }"
                .to_string(),
        )),
    }
}

fn clock(now: Option<f64>) -> Result<OffsetDateTime> {
    let Some(ms) = now else { return Ok(OffsetDateTime::now_utc()) };
    let bad = || napi::Error::new(INVALID_ARGUMENT, format!("now must be milliseconds since the Unix epoch, got {ms}"));
    if !ms.is_finite() {
        return Err(bad());
    }
    // Whole milliseconds, as Date.now() gives them; the float-to-int `as` saturates.
    let nanos = i128::from(ms.trunc() as i64) * 1_000_000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos).map_err(|_| bad())
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
        let envelope = bytes("envelope", &envelope)?;
        let model = bytes("model", &model)?;
        let trust = options(trust)?;
        let keys = trust.keys.iter().map(|k| PublicKey::from_file_text(k)).collect::<std::result::Result<_, _>>();
        let threshold = count("threshold", trust.threshold.map(Either::A), 1)?;
        let threshold = usize::try_from(threshold).unwrap_or(usize::MAX);
        let mut policy = TrustPolicy::new(keys.map_err(manifest_error)?, threshold).map_err(manifest_error)?;
        policy.require_gate_report = trust.require_gate_report.unwrap_or(true);
        let mut state = match &trust.state {
            Some(s) => TrustState::from_json(s).map_err(manifest_error)?,
            None => TrustState::default(),
        };
        let now = clock(trust.now)?;
        let loaded = manifest::Calibrator::from_manifest_at(envelope, model, &policy, &mut state, now)
            .map_err(manifest_error)?;
        Ok(Calibrator::new(loaded.model().clone(), Some(state.to_json())))
    }
}
