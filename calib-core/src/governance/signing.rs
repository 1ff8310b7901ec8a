//! The sign-on-pass rule: whether a review's candidate gets a manifest, and
//! which one.
//!
//! Only a review whose verdict is `pass` is signed (a flag is not a
//! breach, so flagged groups do not stop it). Its manifest succeeds the
//! current one: version + 1, the current manifest's digest as parent, and
//! the review's gate report as the evidence that the candidate passed.
//! Every release succeeds its predecessor the same way ([`Successor::of`]);
//! the first has version 1 and no parent ([`Successor::FIRST`]).

use super::{Finding, Review};
use crate::canonical::Sha256Digest;
use crate::gate::{GateReport, Verdict};
use crate::manifest::{ManifestError, ManifestSpec, Statement, next_version};
use crate::model::Model;
use time::OffsetDateTime;

/// Where a release stands in its line of manifests: its version and the
/// manifest it replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Successor {
    /// The predecessor's version + 1 (1 for the first release).
    pub version: u64,
    /// The predecessor's digest (SHA-256 of its payload); `None` for the first release.
    pub parent: Option<Sha256Digest>,
}

/// Whether to sign a review's candidate.
#[derive(Debug, Clone, PartialEq)]
pub enum Signing {
    /// Sign it as this successor.
    Sign(Successor),
    /// Do not: the finding says why.
    Withhold(Finding),
}

impl Successor {
    /// The first release of a model line: version 1, no parent.
    pub const FIRST: Successor = Successor { version: 1, parent: None };

    /// The release that succeeds `current` (its statement, and
    /// `current_digest`, the digest `manifest::inspect` gives): version + 1
    /// (`manifest::next_version`, so a current manifest at the largest
    /// version has no successor and is refused rather than wrapped), that
    /// digest as parent.
    pub fn of(current: &Statement, current_digest: Sha256Digest) -> Result<Successor, ManifestError> {
        let version = next_version(None, Some(current.predicate.version))?;
        Ok(Successor { version, parent: Some(current_digest) })
    }

    /// The manifest to build and sign for `model`: this version and parent,
    /// `gate_report` as the evidence it passed, valid from `created` until
    /// `expires`.
    pub fn spec<'a>(
        &self,
        model: &'a Model,
        gate_report: &'a GateReport,
        created: OffsetDateTime,
        expires: OffsetDateTime,
    ) -> ManifestSpec<'a> {
        ManifestSpec {
            model,
            wasm: None,
            gate_report: Some(gate_report),
            version: self.version,
            created,
            expires,
            parent: self.parent,
        }
    }
}

impl Review {
    /// The sign-on-pass rule (see the module docs): the successor of the
    /// `current` manifest (its statement, and `current_digest`, the digest
    /// `manifest::inspect` gives) when the verdict is `pass`, else the
    /// finding that it was not signed. Sign it with
    /// `successor.spec(&review.candidate, &review.gate_report, …)`. Fails
    /// only when a passing candidate has no version to take
    /// ([`Successor::of`]).
    pub fn signing(&self, current: &Statement, current_digest: Sha256Digest) -> Result<Signing, ManifestError> {
        Ok(if self.verdict == Verdict::Pass {
            Signing::Sign(Successor::of(current, current_digest)?)
        } else {
            Signing::Withhold(Finding::NotSigned { verdict: self.verdict })
        })
    }
}
