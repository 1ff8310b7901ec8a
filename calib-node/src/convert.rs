//! JavaScript values in, calib-core values out, and calib-core errors back.
//!
//! Every argument is taken as "the type we want, or anything else"
//! ([`Either`] with an [`Unknown`] last), so that a wrong type reaches this
//! module instead of failing inside napi with napi's own error code. The
//! result is one error contract for the whole package, shared with
//! calib-wasm (tests/js/API.md): every thrown value is an `Error` whose
//! `code` is either a calib-core [`Error::code`](calib_core::Error::code) or
//! `"invalid_argument"` for a JavaScript value of the wrong type. Nothing is
//! coerced: `"0.5"` is not a number.

use napi::bindgen_prelude::{Either, Either4, Unknown};
use napi::{JsValue, ValueType};

/// The error thrown to JavaScript: an `Error` whose `code` is the string.
pub type JsError = napi::Error<&'static str>;
/// A result whose error is thrown as a JS `Error` with a `code`. (napi-derive
/// recognises a fallible export by the name `Result`.)
pub type Result<T> = std::result::Result<T, JsError>;

/// `code` of errors about a JavaScript value of the wrong type.
pub const INVALID_ARGUMENT: &str = "invalid_argument";

/// A calib-core error as a JS `Error`: the core's code and its one-line message.
pub fn core_error(e: calib_core::Error) -> JsError {
    napi::Error::new(e.code(), e.to_string())
}

fn invalid_argument(what: &str, expected: &str, got: &Unknown<'_>) -> JsError {
    napi::Error::new(INVALID_ARGUMENT, format!("{what} must be {expected}, got {}", type_name(got)))
}

/// The `typeof`-style name of a value, for error messages.
fn type_name(v: &Unknown<'_>) -> &'static str {
    match v.get_type() {
        Ok(ValueType::Undefined) => "undefined",
        Ok(ValueType::Null) => "null",
        Ok(ValueType::Boolean) => "a boolean",
        Ok(ValueType::Number) => "a number",
        Ok(ValueType::String) => "a string",
        Ok(ValueType::Symbol) => "a symbol",
        Ok(ValueType::Function) => "a function",
        Ok(ValueType::Object) => {
            if v.is_array().unwrap_or(false) {
                "an array with a non-number element"
            } else if v.is_typedarray().unwrap_or(false) {
                "a typed array of another element type"
            } else {
                "an object"
            }
        }
        _ => "an unsupported value",
    }
}

/// A float array argument: `Float64Array` (borrowed, no copy),
/// `Float32Array` or an array of numbers (widened to f64, which is exact).
/// Its TypeScript type is `Float64Array | Float32Array | number[]`.
pub type FloatsArg<'a> = Either4<&'a [f64], &'a [f32], Vec<f64>, Unknown<'a>>;

/// The f64s of a [`FloatsArg`]: borrowed from a `Float64Array`, else owned.
pub enum Floats<'a> {
    /// The `Float64Array`'s own memory.
    Borrowed(&'a [f64]),
    /// Widened from a `Float32Array` or read from an array.
    Owned(Vec<f64>),
}

impl std::ops::Deref for Floats<'_> {
    type Target = [f64];
    fn deref(&self) -> &[f64] {
        match self {
            Floats::Borrowed(s) => s,
            Floats::Owned(v) => v,
        }
    }
}

/// Converts a float array argument named `what`.
pub fn floats<'a>(what: &str, v: FloatsArg<'a>) -> Result<Floats<'a>> {
    match v {
        Either4::A(s) => Ok(Floats::Borrowed(s)),
        Either4::B(s) => Ok(Floats::Owned(s.iter().map(|&x| f64::from(x)).collect())),
        Either4::C(v) => Ok(Floats::Owned(v)),
        Either4::D(u) => Err(invalid_argument(what, "a Float64Array, a Float32Array or an array of numbers", &u)),
    }
}

/// An optional float array (`undefined`/`null` for none).
pub fn opt_floats<'a>(what: &str, v: Option<FloatsArg<'a>>) -> Result<Option<Floats<'a>>> {
    v.map(|v| floats(what, v)).transpose()
}

/// A number argument.
pub type NumberArg<'a> = Either<f64, Unknown<'a>>;

/// Converts a number argument named `what`.
pub fn number(what: &str, v: NumberArg<'_>) -> Result<f64> {
    match v {
        Either::A(x) => Ok(x),
        Either::B(u) => Err(invalid_argument(what, "a number", &u)),
    }
}

/// Converts a count (bins, sample sizes): a non-negative integer that a
/// JavaScript number holds exactly. `undefined`/`null` give `default`.
pub fn count(what: &str, v: Option<NumberArg<'_>>, default: u64) -> Result<u64> {
    let Some(v) = v else { return Ok(default) };
    let x = number(what, v)?;
    // 2^53: above it a JS number no longer holds every integer.
    const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
    if (0.0..=MAX_SAFE).contains(&x) && x.fract() == 0.0 {
        Ok(x as u64)
    } else {
        Err(napi::Error::new(INVALID_ARGUMENT, format!("{what} must be a non-negative integer, got {x}")))
    }
}

/// [`count`] as a `usize` (the core's bin counts).
pub fn count_usize(what: &str, v: Option<NumberArg<'_>>, default: usize) -> Result<usize> {
    let n = count(what, v, default as u64)?;
    usize::try_from(n).map_err(|_| napi::Error::new(INVALID_ARGUMENT, format!("{what} {n} is too large")))
}

/// A string argument.
pub type StringArg<'a> = Either<String, Unknown<'a>>;

/// Converts a string argument named `what`.
pub fn string(what: &str, v: StringArg<'_>) -> Result<String> {
    match v {
        Either::A(s) => Ok(s),
        Either::B(u) => Err(invalid_argument(what, "a string", &u)),
    }
}

/// An optional string (`undefined`/`null` for none), e.g. a class name.
pub fn opt_string(what: &str, v: Option<StringArg<'_>>) -> Result<Option<String>> {
    v.map(|v| string(what, v)).transpose()
}
