//! The verified loader: a [`Calibrator`] exists only for a model a
//! trusted manifest vouches for.

use super::error::{ManifestError, ManifestErrorKind, Result};
use super::policy::TrustPolicy;
use super::trust::TrustState;
use super::verify::{VerifiedManifest, verify_manifest};
use crate::map::ApplyStats;
use crate::model::Model;
use std::format;
use time::OffsetDateTime;

/// A calibrator that was loaded through a verified manifest.
#[derive(Debug, Clone)]
pub struct Calibrator {
    model: Model,
    manifest: VerifiedManifest,
}

impl Calibrator {
    /// Verifies the manifest (signatures first), checks its version against
    /// `state` and the model bytes against its subject, and only then
    /// advances `state` and returns the calibrator. On any failure `state`
    /// is unchanged and no model is returned.
    pub fn from_manifest(
        envelope: &[u8],
        model: &[u8],
        policy: &TrustPolicy,
        state: &mut TrustState,
    ) -> Result<Calibrator> {
        Calibrator::from_manifest_at(envelope, model, policy, state, OffsetDateTime::now_utc())
    }

    /// [`Calibrator::from_manifest`] at a given time.
    pub fn from_manifest_at(
        envelope: &[u8],
        model: &[u8],
        policy: &TrustPolicy,
        state: &mut TrustState,
        now: OffsetDateTime,
    ) -> Result<Calibrator> {
        let manifest = verify_manifest(envelope, policy, now)?;
        state.check(&manifest)?;
        let model = manifest.check_model(model)?;
        let eps = manifest.statement().predicate.parameters.epsilon;
        if model.options().epsilon.to_bits() != eps.to_bits() {
            return Err(ManifestError::new(
                ManifestErrorKind::SubjectMismatch,
                format!("the model's ε is {}, the manifest records {eps}", model.options().epsilon),
            ));
        }
        state.accept(&manifest);
        Ok(Calibrator { model, manifest })
    }

    /// The verified model.
    pub fn model(&self) -> &Model {
        &self.model
    }
    /// The manifest it was loaded through.
    pub fn manifest(&self) -> &VerifiedManifest {
        &self.manifest
    }
    /// Calibrates one score (see [`Model::apply`]).
    pub fn apply(&self, class: Option<&str>, score: f64) -> crate::Result<f64> {
        self.model.apply(class, score)
    }
    /// Calibrates a batch into `out` (see [`Model::apply_batch`]); never allocates.
    pub fn apply_batch(
        &self,
        class: Option<&str>,
        scores: &[f64],
        out: &mut [f64],
        stats: &mut ApplyStats,
    ) -> crate::Result<()> {
        self.model.apply_batch(class, scores, out, stats)
    }
}
