//! Recall@K over queries, with the tie-break calib's gates rely on.
//!
//! For each query with at least one relevant item, Recall@K is
//! `|relevant ∩ top K by calibrated score| / |relevant|`; the gate averages
//! it over those queries. **Ties in calibrated score are broken by the
//! item's position in the input** (earlier first, a stable sort), never by
//! the raw score: a calibrator that ties items is charged for the ties it
//! creates (plain isotonic flat segments), while a rank-preserving one
//! (strict mode) selects exactly the items the raw scores would.
//!
//! An item is **relevant** when its label is at least
//! [`RELEVANT_LABEL`] (0.5): for 0/1 labels that is "label 1"; for
//! fractional (averaged) judgements it is "judged relevant by a majority".

use crate::error::{Error, ErrorKind, Result};
use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;

/// The K of the Recall@K gate.
pub const RECALL_K: usize = 50;

/// Labels at or above this count as relevant.
pub const RELEVANT_LABEL: f64 = 0.5;

/// Rows grouped by query: each query's rows in input order, queries in the
/// order of their first row. Rows of a query need not be contiguous.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryGroups {
    rows: Vec<usize>,
    starts: Vec<usize>,
}

impl QueryGroups {
    /// Groups rows by their query id.
    pub fn new<S: AsRef<str>>(query_ids: &[S]) -> QueryGroups {
        let mut index: BTreeMap<&str, usize> = BTreeMap::new();
        let mut group_of = Vec::with_capacity(query_ids.len());
        for q in query_ids {
            let next = index.len();
            group_of.push(*index.entry(q.as_ref()).or_insert(next));
        }
        // Counting sort by group: stable, so rows keep their input order.
        let mut starts = vec![0usize; index.len() + 1];
        for &g in &group_of {
            starts[g + 1] += 1;
        }
        for g in 0..index.len() {
            starts[g + 1] += starts[g];
        }
        let mut fill = starts.clone();
        let mut rows = vec![0usize; query_ids.len()];
        for (i, &g) in group_of.iter().enumerate() {
            rows[fill[g]] = i;
            fill[g] += 1;
        }
        QueryGroups { rows, starts }
    }

    /// Number of queries.
    pub fn len(&self) -> usize {
        self.starts.len() - 1
    }

    /// Whether there are no queries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows of each query, in input order.
    pub fn iter(&self) -> impl Iterator<Item = &[usize]> {
        self.starts.windows(2).map(|w| &self.rows[w[0]..w[1]])
    }
}

/// Mean Recall@K and the number of queries it averages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecallAtK {
    /// The mean over queries with a relevant item; `None` when there are none.
    pub mean: Option<f64>,
    /// Queries with at least one relevant item.
    pub queries: u64,
}

/// Recall@K of `calibrated` (one value per row) with relevance from
/// `labels`. NaN calibrated scores are refused: they have no rank.
pub fn recall_at_k(groups: &QueryGroups, calibrated: &[f64], labels: &[f64], k: usize) -> Result<RecallAtK> {
    if calibrated.len() != labels.len() {
        return Err(Error::new(ErrorKind::LengthMismatch, "calibrated").counts(calibrated.len(), labels.len()));
    }
    if let Some(i) = calibrated.iter().position(|p| p.is_nan()) {
        return Err(Error::new(ErrorKind::ProbabilityOutOfRange, "calibrated").at(i).value(f64::NAN));
    }
    let (mut sum, mut queries) = (0.0, 0u64);
    let mut order: Vec<usize> = Vec::new();
    for rows in groups.iter() {
        if rows.iter().any(|&i| i >= calibrated.len()) {
            return Err(Error::new(ErrorKind::LengthMismatch, "query rows").counts(rows.len(), calibrated.len()));
        }
        let relevant = rows.iter().filter(|&&i| labels[i] >= RELEVANT_LABEL).count();
        if relevant == 0 {
            continue;
        }
        order.clear();
        order.extend_from_slice(rows);
        // Stable: equal scores keep input order. partial_cmp (not
        // total_cmp) so that -0.0 and 0.0 count as a tie; NaN was refused.
        order.sort_by(|&a, &b| calibrated[b].partial_cmp(&calibrated[a]).unwrap_or(core::cmp::Ordering::Equal));
        let hits = order.iter().take(k).filter(|&&i| labels[i] >= RELEVANT_LABEL).count();
        sum += hits as f64 / relevant as f64;
        queries += 1;
    }
    Ok(RecallAtK { mean: if queries == 0 { None } else { Some(sum / queries as f64) }, queries })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_keep_input_order() {
        let g = QueryGroups::new(&["q2", "q1", "q2", "q1", "q3"]);
        let v: Vec<&[usize]> = g.iter().collect();
        assert_eq!(v, vec![&[0, 2][..], &[1, 3][..], &[4][..]]);
    }

    #[test]
    fn ties_break_by_position_not_score() {
        // Two items tied at 0.5; the relevant one comes second: top-1 misses it.
        let g = QueryGroups::new(&["q", "q"]);
        let r = recall_at_k(&g, &[0.5, 0.5], &[0.0, 1.0], 1).unwrap();
        assert_eq!(r, RecallAtK { mean: Some(0.0), queries: 1 });
        let r = recall_at_k(&g, &[0.5, 0.50001], &[0.0, 1.0], 1).unwrap();
        assert_eq!(r.mean, Some(1.0));
    }
}
