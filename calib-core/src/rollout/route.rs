//! Which calibrator answers a request while a rollout is served: the
//! policy is [`route`]'s doc, so that it is rendered (this module is
//! private, its items re-exported by `rollout`).

use super::state::Phase;
use crate::bucket;
use crate::manifest::Predicate;
use time::OffsetDateTime;

/// Who answers one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// The calibrator in production.
    Incumbent,
    /// The calibrator being rolled out.
    Candidate,
    /// Nobody: the key falls to the incumbent, whose manifest has expired.
    Refuse,
}

/// The candidate of a served rollout: its manifest's predicate, the phase
/// the rollout is at and its bucketing salt.
#[derive(Debug, Clone, Copy)]
pub struct RouteCandidate<'a> {
    /// The candidate's (verified) manifest predicate.
    pub predicate: &'a Predicate,
    /// The rollout's current phase (its share of keys).
    pub phase: Phase,
    /// The bucketing salt.
    pub salt: &'a str,
}

/// Whether a served manifest has expired at `now`: [`Predicate::expired_at`],
/// with an unreadable `expires` counted as expired.
pub fn served_expired(predicate: &Predicate, now: OffsetDateTime) -> bool {
    predicate.expired_at(now).unwrap_or(true)
}

/// Who answers `key` at `now`: the bucket rule of the stage, with each
/// manifest's expiry enforced at the time of the request.
///
/// A manifest's expiry is checked when it is loaded, but a serving process
/// runs on: a manifest valid at load time can expire while it serves. The
/// policy, decided here once for every server:
///
/// 1. A key whose bucket the stage includes ([`bucket::included`]) goes to
///    the candidate — **unless the candidate's manifest has expired**: then
///    it falls back to the incumbent, as if the candidate were not there.
/// 2. Every other key goes to the incumbent — **unless the incumbent's
///    manifest has expired**: then the request is refused
///    ([`Route::Refuse`]). A server must not answer with a calibrator no
///    valid manifest vouches for, and it must not widen the candidate's
///    share beyond what the rollout decided either.
///
/// "Expired" is [`Predicate::expired_at`], the one expiry rule; an
/// `expires` it cannot read counts as expired (fail closed).
///
/// ```
/// use calib_core::rollout::{Phase, Route, RouteCandidate, route};
/// # use calib_core::manifest::{ManifestSpec, build_statement};
/// # use calib_core::model::{FitConfig, fit_model};
/// # let model = fit_model(&[0.1, 0.9], &[0.0, 1.0], None, None::<&[&str]>, &FitConfig::default()).unwrap();
/// # let now = time::OffsetDateTime::now_utc();
/// # let statement = |expires| build_statement(&ManifestSpec {
/// #     model: &model, wasm: None, gate_report: None, version: 1,
/// #     created: now - time::Duration::hours(2), expires, parent: None,
/// # }).unwrap();
/// let incumbent = statement(now + time::Duration::days(1)).predicate;
/// let candidate = statement(now - time::Duration::hours(1)).predicate; // expired
/// let at_100 = RouteCandidate { predicate: &candidate, phase: Phase::Stage(100), salt: "s" };
/// // Every key is the candidate's at 100 %, but it has expired: the incumbent answers.
/// assert_eq!(route("repo:1", &incumbent, Some(at_100), now), Route::Incumbent);
/// ```
pub fn route(key: &str, incumbent: &Predicate, candidate: Option<RouteCandidate<'_>>, now: OffsetDateTime) -> Route {
    if let Some(c) = candidate
        && bucket::included(c.salt, key, c.phase.traffic_percent())
        && !served_expired(c.predicate, now)
    {
        return Route::Candidate;
    }
    if served_expired(incumbent, now) { Route::Refuse } else { Route::Incumbent }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{ManifestSpec, build_statement};
    use crate::model::{FitConfig, fit_model};
    use std::format;
    use std::vec::Vec;
    use time::Duration;

    fn predicate(now: OffsetDateTime, expires_in: Duration) -> Predicate {
        let model = fit_model(&[0.1, 0.9], &[0.0, 1.0], None, None::<&[&str]>, &FitConfig::default()).unwrap();
        let spec = ManifestSpec {
            model: &model,
            wasm: None,
            gate_report: None,
            version: 1,
            created: now - Duration::days(2),
            expires: now + expires_in,
            parent: None,
        };
        build_statement(&spec).unwrap().predicate
    }

    #[test]
    fn an_expired_candidate_falls_back_and_an_expired_incumbent_refuses() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
        let (valid, expired) = (predicate(now, Duration::hours(1)), predicate(now, Duration::seconds(-1)));
        let at = |p: &'static str, c: &Predicate| {
            let phase: Phase = p.parse().unwrap();
            (0..200)
                .map(|i| route(&format!("k{i}"), &valid, Some(RouteCandidate { predicate: c, phase, salt: "s" }), now))
                .collect::<Vec<_>>()
        };
        assert!(at("100", &valid).iter().all(|r| *r == Route::Candidate));
        assert!(at("100", &expired).iter().all(|r| *r == Route::Incumbent));
        // At 25 % the candidate's keys fall back; the others were the incumbent's anyway.
        let mixed = at("25", &valid);
        assert!(mixed.contains(&Route::Candidate) && mixed.contains(&Route::Incumbent));
        assert!(at("25", &expired).iter().all(|r| *r == Route::Incumbent));

        // An expired incumbent refuses its keys; a valid candidate still answers its own.
        let c = RouteCandidate { predicate: &valid, phase: Phase::Stage(25), salt: "s" };
        let routes: Vec<_> = (0..200).map(|i| route(&format!("k{i}"), &expired, Some(c), now)).collect();
        assert!(routes.contains(&Route::Refuse) && routes.contains(&Route::Candidate));
        assert!(!routes.contains(&Route::Incumbent));
        assert_eq!(route("k", &expired, None, now), Route::Refuse);

        // Expiry is at `expires` itself (Predicate::expired_at), and an unreadable one is expired.
        assert_eq!(route("k", &predicate(now, Duration::ZERO), None, now), Route::Refuse);
        let mut unreadable = valid.clone();
        unreadable.expires = "soon".into();
        assert!(served_expired(&unreadable, now));
    }
}
