//! The verdict of a gate, and of a window: the worst of its gates.

/// The outcome of one gate, or of a window (the worst of its gates).
///
/// Ordered from best to worst, so `max` gives the worse of two verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "alloc", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "alloc", serde(rename_all = "snake_case"))]
pub enum Verdict {
    /// The measurement meets the threshold.
    Pass,
    /// Fewer samples than the gate's minimum: nothing can be said.
    NoData,
    /// The measurement could not be taken.
    Error,
    /// The measurement violates the threshold.
    Breach,
}

impl Verdict {
    /// The worst of a set of verdicts; `NoData` when there are none.
    pub fn worst(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        verdicts.into_iter().max().unwrap_or(Verdict::NoData)
    }
    /// A short lowercase name (`"pass"`, `"no_data"`, `"error"`, `"breach"`).
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::NoData => "no_data",
            Verdict::Error => "error",
            Verdict::Breach => "breach",
        }
    }
}
