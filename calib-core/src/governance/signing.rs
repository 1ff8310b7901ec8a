//! The sign-on-pass rule: whether a review's candidate gets a manifest, and
//! which one.
//!
//! Only a review whose verdict is `pass` is signed (a flag is not a
//! breach, so flagged groups do not stop it). Its manifest succeeds the
//! current one: version + 1, the current manifest's digest as parent, and
//! the review's gate report as the evidence that the candidate passed.

use super::{Finding, Review};
use crate::canonical::Sha256Digest;
use crate::gate::Verdict;
use crate::manifest::{ManifestSpec, Statement};
use time::OffsetDateTime;

/// What a review's candidate is signed as: the manifest that succeeds the
/// current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Successor {
    /// The current manifest's version + 1.
    pub version: u64,
    /// The current manifest's digest (SHA-256 of its payload).
    pub parent: Sha256Digest,
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
    /// The manifest to build and sign for `review`'s candidate: this
    /// version and parent, the review's gate report, valid from `created`
    /// until `expires`.
    pub fn spec<'a>(&self, review: &'a Review, created: OffsetDateTime, expires: OffsetDateTime) -> ManifestSpec<'a> {
        ManifestSpec {
            model: &review.candidate,
            wasm: None,
            gate_report: Some(&review.gate_report),
            version: self.version,
            created,
            expires,
            parent: Some(self.parent),
        }
    }
}

impl Review {
    /// The sign-on-pass rule (see the module docs): the successor of the
    /// `current` manifest (its statement, and `current_digest`, the digest
    /// `manifest::inspect` gives) when the verdict is `pass`, else the
    /// finding that it was not signed.
    pub fn signing(&self, current: &Statement, current_digest: Sha256Digest) -> Signing {
        if self.verdict == Verdict::Pass {
            Signing::Sign(Successor { version: current.predicate.version + 1, parent: current_digest })
        } else {
            Signing::Withhold(Finding::NotSigned { verdict: self.verdict })
        }
    }
}
