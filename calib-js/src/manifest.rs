//! `Calibrator.fromManifest`: calib-core's verified loader, with the trust
//! policy, trust state and clock the JavaScript API gives it.

use crate::arg::{Arg, Bytes, bytes, count};
use crate::calibrator::Calibrator;
use crate::error::{Error, Result};
use calib_core::manifest::{self, PublicKey, TrustPolicy, TrustState};
use time::OffsetDateTime;

/// The fields of a JS `TrustOptions` object (whom a loader trusts, and what
/// it trusted before), as a binding read them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrustOptions {
    /// Trusted public keys: the text of `calib keygen`'s `calib.pub` files.
    pub keys: Vec<String>,
    /// Distinct trusted keys that must have signed; 1 when not given.
    pub threshold: Option<Arg<f64>>,
    /// The trust state of the previous load; an empty one when not given.
    pub state: Option<String>,
    /// Refuse manifests without a passing gate report; `true` when not given.
    pub require_gate_report: Option<bool>,
    /// Milliseconds since the Unix epoch to check expiry against; the
    /// binding's [`Clock`] when not given.
    pub now: Option<f64>,
}

/// What `now` is when `trust.now` is not given: each binding has its own clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Clock {
    /// The operating system's clock (calib-node). Not on wasm32, where
    /// asking Rust for the time traps.
    #[cfg(not(target_arch = "wasm32"))]
    System,
    /// The JavaScript clock, `Date.now()`, read by the binding
    /// (calib-wasm: WebAssembly has no clock of its own).
    Millis(f64),
}

/// The words for a `trust` argument that is not a `TrustOptions`.
const TRUST_SHAPE: &str =
    "trust must be { keys: string[], threshold?: number, state?: string, requireGateReport?: boolean, now?: number }";

/// A JavaScript time, whole milliseconds since the Unix epoch as `Date.now()`
/// gives them; a fraction of a millisecond is dropped.
pub fn time_from_millis(ms: f64) -> Result<OffsetDateTime> {
    let bad = || Error::invalid_argument(format!("now must be milliseconds since the Unix epoch, got {ms}"));
    if !ms.is_finite() {
        return Err(bad());
    }
    // The float-to-int `as` saturates; an out-of-range time is refused below.
    let nanos = i128::from(ms.trunc() as i64) * 1_000_000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos).map_err(|_| bad())
}

fn clock(now: Option<f64>, default: Clock) -> Result<OffsetDateTime> {
    match (now, default) {
        (Some(ms), _) | (None, Clock::Millis(ms)) => time_from_millis(ms),
        #[cfg(not(target_arch = "wasm32"))]
        (None, Clock::System) => Ok(OffsetDateTime::now_utc()),
    }
}

impl Calibrator {
    /// `Calibrator.fromManifest(envelope, model, trust)`: the model, loaded
    /// by calib-core's verified loader under the policy `trust` describes.
    /// On success the calibrator's `trustState()` records this manifest.
    pub fn from_manifest(
        envelope: Arg<Bytes<'_>>,
        model: Arg<Bytes<'_>>,
        trust: Arg<TrustOptions>,
        default_clock: Clock,
    ) -> Result<Calibrator> {
        let envelope = bytes("envelope", envelope)?;
        let model = bytes("model", model)?;
        let Arg::Value(trust) = trust else { return Err(Error::invalid_argument(TRUST_SHAPE.to_string())) };
        let keys = trust.keys.iter().map(|k| PublicKey::from_file_text(k)).collect::<std::result::Result<_, _>>();
        let threshold = trust.threshold.map_or(Ok(1), |t| count("threshold", t))?;
        let threshold = usize::try_from(threshold).unwrap_or(usize::MAX);
        let mut policy = TrustPolicy::new(keys?, threshold)?;
        policy.require_gate_report = trust.require_gate_report.unwrap_or(true);
        let mut state = match &trust.state {
            Some(s) => TrustState::from_json(s)?,
            None => TrustState::default(),
        };
        let now = clock(trust.now, default_clock)?;
        let loaded = manifest::Calibrator::from_manifest_at(&envelope, &model, &policy, &mut state, now)?;
        Ok(Calibrator::new(loaded.model().clone(), Some(state.to_json())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_is_whole_milliseconds() {
        let t = time_from_millis(1_700_000_000_123.9).unwrap();
        assert_eq!(t.unix_timestamp_nanos(), 1_700_000_000_123_000_000);
        assert_eq!(clock(None, Clock::Millis(5.0)).unwrap().unix_timestamp_nanos(), 5_000_000);
        assert_eq!(clock(Some(7.0), Clock::Millis(5.0)).unwrap().unix_timestamp_nanos(), 7_000_000);
        let e = time_from_millis(f64::NAN).unwrap_err();
        assert_eq!(e.message(), "now must be milliseconds since the Unix epoch, got NaN");
        assert!(time_from_millis(1e300).is_err());
    }

    #[test]
    fn a_trust_argument_of_another_shape_is_invalid() {
        let e = Calibrator::from_manifest(
            Arg::Value(Bytes::Borrowed(b"{}")),
            Arg::Value(Bytes::Borrowed(b"{}")),
            Arg::Wrong(crate::JsType::String),
            Clock::Millis(0.0),
        )
        .unwrap_err();
        assert_eq!(e.code(), crate::INVALID_ARGUMENT);
        assert!(e.message().starts_with("trust must be { keys: string[]"), "{e}");
    }
}
