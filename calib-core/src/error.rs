//! calib's one error type.
//!
//! An [`Error`] is small and allocation-free (it is returned from the serving
//! path): a [`ErrorKind`] plus the position and value that caused it, and the
//! name of the argument involved. Its `Display` is one line that a person can
//! act on, e.g. `label 1.5 at index 7 of labels is outside [0, 1]`.

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
        match self.kind {
            ErrorKind::EmptyInput => "empty_input",
            ErrorKind::LengthMismatch => "length_mismatch",
            ErrorKind::NonFiniteScore => "non_finite_score",
            ErrorKind::LabelOutOfRange => "label_out_of_range",
            ErrorKind::InvalidWeight => "invalid_weight",
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

struct Val(Option<f64>);
impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(v) => write!(f, "{v}"),
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
            ErrorKind::TooFewSamples => {
                write!(f, "too few samples for {}: {} given, at least {} needed", self.what, self.given, self.expected)?
            }
            ErrorKind::UnknownClass => write!(f, "unknown class")?,
            ErrorKind::BadModel => write!(f, "bad model")?,
            ErrorKind::OutOfBounds => write!(f, "score {v}{pos} is outside the calibration map's range")?,
            ErrorKind::NonFiniteInput => write!(f, "non-finite score {v}{pos}")?,
            ErrorKind::ProbabilityOutOfRange => write!(f, "probability {v}{pos} is outside [0, 1]")?,
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
