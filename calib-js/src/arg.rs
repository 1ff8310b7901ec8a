//! What each argument of the JavaScript API may be, and the error when it
//! is something else.
//!
//! Nothing is coerced: `"0.5"` is not a number and `[0.1, "x"]` is not a
//! float array. A binding hands each argument over as an [`Arg`], and the
//! functions of this crate say, in one set of words for both packages,
//! which argument was wrong and what it must be.

use crate::error::{Error, Result};
use std::borrow::Cow;

/// A JavaScript argument as a binding received it: the Rust value the API
/// wants, or the type of whatever came instead. An optional argument is an
/// `Option<Arg<T>>`, `None` for `undefined` or `null`.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg<T> {
    /// The value, converted without coercion.
    Value(T),
    /// Something else came; its type names it in the error.
    Wrong(JsType),
}

/// The JavaScript type of a wrong argument, as far as the error names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsType {
    /// `undefined` (also a missing argument).
    Undefined,
    /// `null`.
    Null,
    /// A boolean.
    Boolean,
    /// A number.
    Number,
    /// A string.
    String,
    /// A symbol.
    Symbol,
    /// A function.
    Function,
    /// An array (where floats were wanted: one element was not a number).
    Array,
    /// A typed array, `DataView` or other view of an `ArrayBuffer` (where
    /// floats were wanted: not `Float64Array` or `Float32Array`).
    TypedArray,
    /// Any other object.
    Object,
    /// A value of none of these types (a BigInt, say).
    Other,
}

impl JsType {
    /// The `typeof`-style words for the type, as errors say "got …".
    pub fn words(self) -> &'static str {
        match self {
            JsType::Undefined => "undefined",
            JsType::Null => "null",
            JsType::Boolean => "a boolean",
            JsType::Number => "a number",
            JsType::String => "a string",
            JsType::Symbol => "a symbol",
            JsType::Function => "a function",
            JsType::Array => "an array with a non-number element",
            JsType::TypedArray => "a typed array of another element type",
            JsType::Object => "an object",
            JsType::Other => "an unsupported value",
        }
    }
}

/// Float inputs (`Float64Array | Float32Array | number[]`) as f64s:
/// borrowed where the binding can read the JS memory in place, else owned.
pub type Floats<'a> = Cow<'a, [f64]>;

/// A `Float32Array`'s values as f64s. Widening is exact, so an f32 input
/// gives the bits its f64 value would.
pub fn widen(xs: &[f32]) -> Vec<f64> {
    xs.iter().map(|&x| f64::from(x)).collect()
}

/// Manifest and model bytes (`string | Uint8Array`; a string is its UTF-8).
pub type Bytes<'a> = Cow<'a, [u8]>;

impl<T> Arg<T> {
    /// The value, or an `invalid_argument` error: "`what` must be `expected`, got …".
    fn or_wrong(self, what: &str, expected: &str) -> Result<T> {
        match self {
            Arg::Value(v) => Ok(v),
            Arg::Wrong(t) => Err(Error::invalid_argument(format!("{what} must be {expected}, got {}", t.words()))),
        }
    }
}

/// The number argument `what`.
pub(crate) fn number(what: &str, v: Arg<f64>) -> Result<f64> {
    v.or_wrong(what, "a number")
}

/// The string argument `what`.
pub(crate) fn string(what: &str, v: Arg<String>) -> Result<String> {
    v.or_wrong(what, "a string")
}

/// An optional string argument (a class name, a strategy).
pub(crate) fn opt_string(what: &str, v: Option<Arg<String>>) -> Result<Option<String>> {
    v.map(|v| string(what, v)).transpose()
}

/// The float array argument `what`.
pub(crate) fn floats<'a>(what: &str, v: Arg<Floats<'a>>) -> Result<Floats<'a>> {
    v.or_wrong(what, "a Float64Array, a Float32Array or an array of numbers")
}

/// An optional float array argument (weights).
pub(crate) fn opt_floats<'a>(what: &str, v: Option<Arg<Floats<'a>>>) -> Result<Option<Floats<'a>>> {
    v.map(|v| floats(what, v)).transpose()
}

/// The bytes argument `what` (an envelope, a model).
#[cfg(feature = "full")]
pub(crate) fn bytes<'a>(what: &str, v: Arg<Bytes<'a>>) -> Result<Bytes<'a>> {
    match v {
        Arg::Value(b) => Ok(b),
        Arg::Wrong(_) => Err(Error::invalid_argument(format!("{what} must be a string or a Uint8Array"))),
    }
}

/// The largest integer up to which a JavaScript number holds every integer:
/// 2^53 − 1 (`Number.MAX_SAFE_INTEGER`).
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// The count argument `what` (bins, sample sizes, a threshold): a
/// non-negative integer of at most [`MAX_SAFE_INTEGER`].
pub(crate) fn count(what: &str, v: Arg<f64>) -> Result<u64> {
    let x = number(what, v)?;
    if (0.0..=MAX_SAFE_INTEGER).contains(&x) && x.fract() == 0.0 {
        Ok(x as u64)
    } else {
        Err(Error::invalid_argument(format!("{what} must be a non-negative integer, got {x}")))
    }
}

/// [`count`] as a `usize` (the core's bin counts; wasm32's usize is 32 bits).
pub(crate) fn count_usize(what: &str, v: Arg<f64>) -> Result<usize> {
    let n = count(what, v)?;
    usize::try_from(n).map_err(|_| Error::invalid_argument(format!("{what} {n} is too large")))
}

/// An optional [`count_usize`]: `default` when not given.
pub(crate) fn opt_count_usize(what: &str, v: Option<Arg<f64>>, default: usize) -> Result<usize> {
    v.map_or(Ok(default), |v| count_usize(what, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message<T: std::fmt::Debug>(r: Result<T>) -> String {
        let e = r.unwrap_err();
        assert_eq!(e.code(), crate::INVALID_ARGUMENT);
        e.message().to_string()
    }

    #[test]
    fn counts_are_exact_non_negative_integers() {
        assert_eq!(count("bins", Arg::Value(15.0)), Ok(15));
        assert_eq!(count("n", Arg::Value(MAX_SAFE_INTEGER)), Ok(9_007_199_254_740_991));
        assert_eq!(message(count("bins", Arg::Value(1.5))), "bins must be a non-negative integer, got 1.5");
        assert_eq!(message(count("bins", Arg::Value(-1.0))), "bins must be a non-negative integer, got -1");
        assert!(count("n", Arg::Value(MAX_SAFE_INTEGER + 1.0)).is_err());
        assert!(count("n", Arg::Value(f64::NAN)).is_err());
        assert_eq!(opt_count_usize("bins", None, 15), Ok(15));
    }

    #[test]
    fn wrong_types_are_named() {
        assert_eq!(message(number("score", Arg::Wrong(JsType::String))), "score must be a number, got a string");
        assert_eq!(
            message(floats("probs", Arg::Wrong(JsType::Array))),
            "probs must be a Float64Array, a Float32Array or an array of numbers, got an array with a non-number element"
        );
        #[cfg(feature = "full")]
        assert_eq!(message(bytes("model", Arg::Wrong(JsType::Number))), "model must be a string or a Uint8Array");
        assert_eq!(opt_string("cls", None), Ok(None));
    }

    #[test]
    fn float32_widens_exactly() {
        assert_eq!(widen(&[0.1f32, 1.0]), vec![f64::from(0.1f32), 1.0]);
    }
}
