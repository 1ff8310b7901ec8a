//! calib's error model: one [`Error`] for the numeric core, and one error
//! type per subsystem that has failures of its own.
//!
//! Every error type is opaque — no public fields — and answers the same
//! questions: `kind()` (an enum, `#[non_exhaustive]`), `code()` (a short
//! stable string, the kind in `snake_case`) and `Display` (one line a
//! person can act on, e.g. `label 1.5 at index 7 of labels is outside
//! [0, 1]`). The bindings and the CLI's JSON output pass the code on
//! unchanged, so codes are a public contract: they are never renamed, and
//! new ones are added to the table below.
//!
//! | Type | Feature | Kinds | Codes of its own |
//! |---|---|---|---|
//! | [`Error`] | always | [`ErrorKind`] | yes |
//! | `monitor::PackError` | `monitor` + `alloc` | [`ErrorKind`] | no: an [`Error`] and whether the baseline's rows are at fault |
//! | `rollout::RolloutError` | `rollout` | `RolloutErrorKind` | yes |
//! | `manifest::ManifestError` | `manifest` | `ManifestErrorKind` | yes |
//! | `audit::AuditError` | `audit` | `AuditErrorKind` | yes, plus the line of the log |
//! | `rollout::store::StoreError` | `rollout-store` | `StoreErrorKind` | yes, plus the file it concerns |
//!
//! # Codes
//!
//! A code is unique within its type. Two types share a code only where
//! they mean the same thing (`bad_model`: the model is not a valid model;
//! `malformed`: the input is not well-formed), so a caller can branch on
//! the code alone once it knows which operation failed. A test
//! (`every_code_is_in_the_table`) fails when this table and the `code()`
//! functions disagree.
//!
//! | Code | Type | Meaning |
//! |---|---|---|
//! | `empty_input` | `Error` | an input had no elements |
//! | `length_mismatch` | `Error` | two inputs that must be the same length are not |
//! | `non_finite_score` | `Error` | a score given to a fit was NaN or infinite |
//! | `label_out_of_range` | `Error` | a label was outside [0, 1] (or NaN) |
//! | `invalid_weight` | `Error` | a weight was negative, NaN or infinite |
//! | `weight_overflow` | `Error` | valid weights whose sum (or a weighted sum) overflows f64's range |
//! | `too_few_samples` | `Error` | fewer samples than the operation needs |
//! | `unknown_class` | `Error` | a class the model does not know, and no fallback allowed |
//! | `bad_model` | `Error` | a model file or model value that cannot be used |
//! | `out_of_bounds` | `Error` | a score outside the map's range under the `error` policy |
//! | `non_finite_input` | `Error` | a NaN or infinite score at apply time under the `error` policy |
//! | `probability_out_of_range` | `Error` | a probability given to a metric was outside [0, 1] (or NaN) |
//! | `invalid_parameter` | `Error` | a parameter (bins, bounds, ε, sketch bytes, …) has an unusable value |
//! | `buffer_too_small` | `Error` | a caller-provided buffer is too small |
//! | `unsorted` | `Error` | breakpoints, or an input that must be sorted, are out of order |
//! | `invalid_config` | `RolloutError` | a rollout config value that cannot work |
//! | `invalid_window` | `RolloutError` | a window's fields are unusable |
//! | `invalid_state` | `RolloutError` | a state that does not fit the config |
//! | `time_went_backwards` | `RolloutError` | a window starts before the previous one ended |
//! | `duplicate_window` | `RolloutError` | the same window as the previous one |
//! | `window_in_future` | `RolloutError` | a window ends after the time of the decision |
//! | `replay_diverged` | `RolloutError` | a replayed decision led to another state than the log recorded |
//! | `malformed` | `ManifestError` | not a well-formed envelope, statement or predicate |
//! | `unknown_key` | `ManifestError` | no signature names a key the policy trusts |
//! | `bad_signature` | `ManifestError` | a trusted key was named, but no signature verifies under it |
//! | `threshold_not_met` | `ManifestError` | fewer distinct trusted keys signed than the policy requires |
//! | `unsupported_payload_type` | `ManifestError` | the signed payloadType is not calib's |
//! | `unsupported_schema` | `ManifestError` | unknown statement type, predicate type or schema version |
//! | `subject_mismatch` | `ManifestError` | the model (or WASM module) is not the one the manifest names |
//! | `expired` | `ManifestError` | the manifest's `expires` has passed |
//! | `not_yet_valid` | `ManifestError` | the manifest's `created` lies more than the allowed clock skew after now |
//! | `rollback` | `ManifestError` | a version lower than the last trusted one, or the same one reused |
//! | `fingerprint_mismatch` | `ManifestError` | the manifest was made for another core |
//! | `gates_not_passed` | `ManifestError` | no passing gate report for this model |
//! | `bad_key` | `ManifestError` | a key file or key that cannot be used |
//! | `bad_policy` | `ManifestError` | a trust policy that cannot be satisfied or is empty |
//! | `bad_model` | `ManifestError` | the model bytes are not a valid model |
//! | `bad_request` | `ManifestError` | a manifest cannot be made from these inputs |
//! | `io` | `AuditError` | the log could not be read or written |
//! | `malformed` | `AuditError` | a line is not a record |
//! | `edited` | `AuditError` | a line does not match its hash, or is not in canonical form |
//! | `broken` | `AuditError` | a line does not follow the one before it (removed or reordered lines) |
//! | `torn` | `AuditError` | the last line has no newline: an append was interrupted |
//! | `head_mismatch` | `AuditError` | the chain's last hash is not the head the caller expected |
//! | `bad_kind` | `AuditError` | an event kind outside `[a-z0-9._-]{1,64}` |
//! | `io` | `StoreError` | a rollout's state file, log or lock file could not be read, written, synced or locked |
//! | `locked` | `StoreError` | another process holds the rollout's lock |
//! | `already_exists` | `StoreError` | `init` on a state file that already exists |
//! | `bad_state_file` | `StoreError` | not a state file this calib reads, or its config or state is unusable |
//! | `damaged_log` | `StoreError` | the audit log failed verification, or a rollout record in it is unreadable or out of sequence |
//! | `disagree` | `StoreError` | the state file and the audit log disagree beyond one recoverable decision |
//! | `log_changed` | `StoreError` | the audit log changed under a step |
//! | `config_mismatch` | `StoreError` | a rollout's state file or record names another config than its init record |
//! | `window_rejected` | `StoreError` | the controller refused the window (the `RolloutError` is attached) |
//!
//! # Allocation
//!
//! [`Error`] is small and is returned from the serving path. Creating,
//! re-positioning ([`Error::with_index`]) and formatting one never
//! allocates, with one exception: with the `alloc` feature an `Error` can
//! carry a detail string, appended to its message after `": "`, and the
//! few places that set one allocate it. They are all outside serving a
//! borrowed map and outside the no-allocator paths (PAV on caller buffers,
//! metric accumulators, monitor windows):
//!
//! - `bad_model` from building a model (`Model::from_json`,
//!   `Model::from_file`): which map is unusable and why;
//! - `unknown_class` from `Model::class_map` and from the ĉ bootstrap of
//!   one class of a sketch: the class name (`format!("{class:?}")`);
//! - `invalid_parameter` from the `sketch` module: what is wrong with the
//!   bytes, or why two sketches cannot be merged.
//!
//! Without `alloc` an `Error` has no detail field at all, so no error in a
//! `no_std` build without an allocator can allocate. The other error types
//! carry an owned message (`String`) and exist only with `alloc` or `std`.

use core::fmt;

/// What went wrong. New kinds may be added in minor releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An input had no elements.
    EmptyInput,
    /// Two inputs that must be the same length are not.
    LengthMismatch,
    /// A score given to a fit was NaN or infinite.
    NonFiniteScore,
    /// A label was outside [0, 1] (or NaN).
    LabelOutOfRange,
    /// A weight was negative, NaN or infinite.
    InvalidWeight,
    /// Finite weights whose sum, or a weighted sum of them, overflows to
    /// ±inf or NaN (weights near `f64::MAX`): no mean can be formed.
    WeightOverflow,
    /// Fewer samples than an operation needs.
    TooFewSamples,
    /// A class name that the model does not know (and no fallback allowed).
    UnknownClass,
    /// A model file or model value that cannot be used.
    BadModel,
    /// A score outside the map's range under the `error` out-of-bounds policy.
    OutOfBounds,
    /// A NaN or infinite score at apply time under the `error` policy.
    NonFiniteInput,
    /// A probability given to a metric was outside [0, 1] (or NaN).
    ProbabilityOutOfRange,
    /// A parameter (bins, bounds, ε, …) has an unusable value.
    InvalidParameter,
    /// A caller-provided buffer is too small.
    BufferTooSmall,
    /// Breakpoints are not strictly increasing, or an input that must be
    /// sorted is not.
    Unsorted,
}

/// calib's error: a kind, the offending position and value, and the argument.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    kind: ErrorKind,
    what: &'static str,
    index: Option<usize>,
    value: Option<f64>,
    given: usize,
    expected: usize,
    #[cfg(feature = "alloc")]
    detail: Option<alloc::string::String>,
}

impl Error {
    pub(crate) const fn new(kind: ErrorKind, what: &'static str) -> Self {
        Error {
            kind,
            what,
            index: None,
            value: None,
            given: 0,
            expected: 0,
            #[cfg(feature = "alloc")]
            detail: None,
        }
    }
    pub(crate) const fn at(mut self, index: usize) -> Self {
        self.index = Some(index);
        self
    }
    pub(crate) const fn value(mut self, value: f64) -> Self {
        self.value = Some(value);
        self
    }
    /// For size errors: how many there were, and how many were needed.
    pub(crate) const fn counts(mut self, given: usize, expected: usize) -> Self {
        self.given = given;
        self.expected = expected;
        self
    }
    #[cfg(feature = "alloc")]
    pub(crate) fn detail(mut self, detail: impl Into<alloc::string::String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    /// The name of the argument or item involved (`"scores"`, `"labels"`, …).
    pub fn what(&self) -> &'static str {
        self.what
    }
    /// The 0-based position of the offending element, when there is one
    /// (never set for size errors such as a length mismatch).
    pub fn index(&self) -> Option<usize> {
        self.index
    }
    /// The offending value, when there is one.
    pub fn offending_value(&self) -> Option<f64> {
        self.value
    }
    /// Re-position the error, e.g. from an index within a class to a row of
    /// the caller's input.
    pub fn with_index(mut self, index: usize) -> Self {
        self.index = Some(index);
        self
    }
    /// A short stable name for the kind (`"label_out_of_range"`), used as the
    /// error code by the bindings and the CLI's JSON output.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}

impl ErrorKind {
    /// A short stable name for the kind (`"label_out_of_range"`), listed in
    /// this module's table.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::EmptyInput => "empty_input",
            ErrorKind::LengthMismatch => "length_mismatch",
            ErrorKind::NonFiniteScore => "non_finite_score",
            ErrorKind::LabelOutOfRange => "label_out_of_range",
            ErrorKind::InvalidWeight => "invalid_weight",
            ErrorKind::WeightOverflow => "weight_overflow",
            ErrorKind::TooFewSamples => "too_few_samples",
            ErrorKind::UnknownClass => "unknown_class",
            ErrorKind::BadModel => "bad_model",
            ErrorKind::OutOfBounds => "out_of_bounds",
            ErrorKind::NonFiniteInput => "non_finite_input",
            ErrorKind::ProbabilityOutOfRange => "probability_out_of_range",
            ErrorKind::InvalidParameter => "invalid_parameter",
            ErrorKind::BufferTooSmall => "buffer_too_small",
            ErrorKind::Unsorted => "unsorted",
        }
    }
}

struct Pos(Option<usize>, &'static str);
impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(i) => write!(f, " at index {} of {}", i, self.1),
            None => write!(f, " in {}", self.1),
        }
    }
}

/// A value as calib's messages show it: the shortest text that reads back
/// as the same f64, in scientific notation outside [1e-5, 1e16) (so `1e308`
/// is not 309 digits and `1e-320` not 320 zeros); `NaN`, `inf` and values
/// in that range as f64's `Display` writes them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shortest(pub f64);
impl fmt::Display for Shortest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if v != 0.0 && v.is_finite() && !(1e-5..1e16).contains(&v.abs()) {
            write!(f, "{v:e}")
        } else {
            write!(f, "{v}")
        }
    }
}

/// An offending value, when there is one, as [`Shortest`] shows it.
pub(crate) struct Val(pub(crate) Option<f64>);
impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(v) => Shortest(v).fmt(f),
            None => f.write_str("?"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pos = Pos(self.index, self.what);
        let v = Val(self.value);
        match self.kind {
            ErrorKind::EmptyInput => write!(f, "empty input: {} has no elements", self.what)?,
            ErrorKind::LengthMismatch => {
                write!(f, "length mismatch: {} has {} elements, expected {}", self.what, self.given, self.expected)?
            }
            ErrorKind::NonFiniteScore => write!(f, "non-finite score {v}{pos}")?,
            ErrorKind::LabelOutOfRange => write!(f, "label {v}{pos} is outside [0, 1]")?,
            ErrorKind::InvalidWeight => write!(f, "weight {v}{pos} is negative or not finite")?,
            ErrorKind::WeightOverflow => write!(
                f,
                "weight overflow: a sum of {} is {v}, beyond f64's range (scale the weights down)",
                self.what
            )?,
            ErrorKind::TooFewSamples => {
                write!(f, "too few samples for {}: {} given, at least {} needed", self.what, self.given, self.expected)?
            }
            ErrorKind::UnknownClass => write!(f, "unknown class")?,
            ErrorKind::BadModel => write!(f, "bad model")?,
            ErrorKind::OutOfBounds => write!(f, "score {v}{pos} is outside the calibration map's range")?,
            ErrorKind::NonFiniteInput => write!(f, "non-finite score {v}{pos}")?,
            ErrorKind::ProbabilityOutOfRange => write!(f, "probability {v}{pos} is outside [0, 1]")?,
            // A parameter without one offending number (sketch bytes, a
            // name) is named alone; its detail says what is wrong.
            ErrorKind::InvalidParameter if self.value.is_none() => write!(f, "invalid {}", self.what)?,
            ErrorKind::InvalidParameter => write!(f, "invalid {}: {v}", self.what)?,
            ErrorKind::BufferTooSmall => {
                write!(f, "buffer {} holds {} elements, needs {}", self.what, self.given, self.expected)?
            }
            ErrorKind::Unsorted => write!(f, "{} out of order{pos} (value {v})", self.what)?,
        }
        #[cfg(feature = "alloc")]
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

/// calib's result type.
pub type Result<T> = core::result::Result<T, Error>;

/// Refuses a sum of `what` (weights, or weighted labels, probabilities or
/// losses) that overflowed to ±inf or NaN. Called once after the loop
/// that forms the sum, never inside it, so valid inputs pay one compare.
#[inline]
pub(crate) fn finite_sum(sum: f64, what: &'static str) -> Result<()> {
    if sum.is_finite() { Ok(()) } else { Err(Error::new(ErrorKind::WeightOverflow, what).value(sum)) }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;
    use std::string::{String, ToString};
    use std::vec::Vec;

    /// `(type, code)` for every row of the code table in this module's docs.
    fn documented() -> BTreeSet<(String, String)> {
        let mut rows = BTreeSet::new();
        for line in include_str!("error.rs").lines() {
            let cells: Vec<&str> = line.trim_start_matches("//!").split('|').map(str::trim).collect();
            if let [_, code, ty, _meaning, _] = cells[..]
                && code.starts_with('`')
                && ty.starts_with('`')
            {
                assert!(rows.insert((ty.trim_matches('`').to_string(), code.trim_matches('`').to_string())), "{line}");
            }
        }
        rows
    }

    /// Appends every `XErrorKind::Variant => "code"` arm under `dir` as
    /// `("XError", "code")`. Each kind's `code()` must match every variant,
    /// so these arms are all the codes calib-core has.
    fn implemented(dir: &Path, out: &mut BTreeSet<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                implemented(&path, out);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let Some((lhs, rhs)) = line.trim().split_once(" => \"") else { continue };
                let Some((kind, _variant)) = lhs.split_once("::") else { continue };
                let (Some(ty), Some(code)) = (kind.strip_suffix("Kind"), rhs.split_once('"').map(|c| c.0)) else {
                    continue;
                };
                if ty.ends_with("Error") && ty.chars().all(char::is_alphanumeric) {
                    assert!(out.insert((ty.to_string(), code.to_string())), "{} repeats {code}", path.display());
                }
            }
        }
    }

    #[test]
    fn every_code_is_in_the_table() {
        let mut have = BTreeSet::new();
        implemented(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut have);
        let table = documented();
        for ty in ["Error", "RolloutError", "ManifestError", "AuditError"] {
            assert!(have.iter().any(|(t, _)| t == ty), "no codes found for {ty}");
        }
        let missing: Vec<_> = have.difference(&table).collect();
        let stale: Vec<_> = table.difference(&have).collect();
        assert!(missing.is_empty() && stale.is_empty(), "not in the table: {missing:?}; not a code: {stale:?}");
    }

    #[test]
    fn codes_are_snake_case() {
        for (_, code) in documented() {
            assert!(code.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{code}");
        }
    }
}
