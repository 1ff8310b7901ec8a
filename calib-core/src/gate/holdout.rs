//! The holdout that gates are evaluated on.

use crate::error::{Error, ErrorKind, Result};
use crate::map::ApplyStats;
use crate::model::Model;
use alloc::vec::Vec;

/// A holdout: one row per (query, item), with its raw score, label and
/// optional class.
#[derive(Debug, Clone, Copy)]
pub struct Holdout<'a, Q, C> {
    /// The query of each row.
    pub query_ids: &'a [Q],
    /// Raw scores.
    pub scores: &'a [f64],
    /// Labels in [0, 1].
    pub labels: &'a [f64],
    /// The class of each row (the global map when `None`).
    pub classes: Option<&'a [C]>,
}

impl<Q: AsRef<str>, C: AsRef<str>> Holdout<'_, Q, C> {
    /// Checks lengths, labels and scores: a NaN or infinite score is bad
    /// holdout data (`non_finite_score`, naming the row), not something a
    /// candidate can be measured on.
    pub fn validate(&self) -> Result<()> {
        let n = self.scores.len();
        if self.query_ids.len() != n {
            return Err(Error::new(ErrorKind::LengthMismatch, "query_ids").counts(self.query_ids.len(), n));
        }
        if self.labels.len() != n {
            return Err(Error::new(ErrorKind::LengthMismatch, "labels").counts(self.labels.len(), n));
        }
        if let Some(c) = self.classes
            && c.len() != n
        {
            return Err(Error::new(ErrorKind::LengthMismatch, "classes").counts(c.len(), n));
        }
        if let Some(i) = self.scores.iter().position(|s| !s.is_finite()) {
            return Err(Error::new(ErrorKind::NonFiniteScore, "scores").at(i).value(self.scores[i]));
        }
        crate::isotonic::validate_labels(self.labels)
    }

    pub(super) fn apply(&self, model: &Model) -> Result<Vec<f64>> {
        let mut out = alloc::vec![0.0; self.scores.len()];
        let mut stats = ApplyStats::default();
        model.apply_rows(self.classes, self.scores, &mut out, &mut stats)?;
        Ok(out)
    }
}
