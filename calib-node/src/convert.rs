//! napi values to calib-js arguments, and calib-js errors to JS `Error`s.
//!
//! Every argument is taken as "the type we want, or anything else"
//! ([`Either`] with an [`Unknown`] last), so that a wrong type reaches
//! calib-js, which words the `invalid_argument` error, instead of failing
//! inside napi with napi's own error code. Nothing is coerced.

use calib_js::{Arg, Bytes, Floats, JsType};
use napi::bindgen_prelude::{Either, Either3, Either4, Unknown};
use napi::{JsValue, ValueType};
use std::borrow::Cow;

/// The error thrown to JavaScript: an `Error` whose `code` is the string.
pub type JsError = napi::Error<&'static str>;
/// A result whose error is thrown as a JS `Error` with a `code`. (napi-derive
/// recognises a fallible export by the name `Result`.)
pub type Result<T> = std::result::Result<T, JsError>;

/// A calib-js error as a JS `Error` with its `code` and message.
pub fn throw(e: calib_js::Error) -> JsError {
    napi::Error::new(e.code(), e.message().to_string())
}

/// The type of a value that is not what an argument wants.
pub(crate) fn js_type(v: &Unknown<'_>) -> JsType {
    match v.get_type() {
        Ok(ValueType::Undefined) => JsType::Undefined,
        Ok(ValueType::Null) => JsType::Null,
        Ok(ValueType::Boolean) => JsType::Boolean,
        Ok(ValueType::Number) => JsType::Number,
        Ok(ValueType::String) => JsType::String,
        Ok(ValueType::Symbol) => JsType::Symbol,
        Ok(ValueType::Function) => JsType::Function,
        Ok(ValueType::Object) if v.is_array().unwrap_or(false) => JsType::Array,
        Ok(ValueType::Object) if v.is_typedarray().unwrap_or(false) => JsType::TypedArray,
        Ok(ValueType::Object) => JsType::Object,
        _ => JsType::Other,
    }
}

/// A napi argument as a calib-js [`Arg`].
pub trait ToArg {
    /// What calib-js takes.
    type Value;
    /// The value, or the type of what came instead.
    fn arg(self) -> Arg<Self::Value>;
}

/// A float array argument: `Float64Array` (borrowed, no copy), `Float32Array`
/// or an array of numbers. TypeScript: `Float64Array | Float32Array | number[]`.
pub type FloatsArg<'a> = Either4<&'a [f64], &'a [f32], Vec<f64>, Unknown<'a>>;

impl<'a> ToArg for FloatsArg<'a> {
    type Value = Floats<'a>;
    fn arg(self) -> Arg<Floats<'a>> {
        match self {
            Either4::A(s) => Arg::Value(Cow::Borrowed(s)),
            Either4::B(s) => Arg::Value(Cow::Owned(calib_js::arg::widen(s))),
            Either4::C(v) => Arg::Value(Cow::Owned(v)),
            Either4::D(u) => Arg::Wrong(js_type(&u)),
        }
    }
}

/// A number argument.
pub type NumberArg<'a> = Either<f64, Unknown<'a>>;

impl ToArg for NumberArg<'_> {
    type Value = f64;
    fn arg(self) -> Arg<f64> {
        match self {
            Either::A(x) => Arg::Value(x),
            Either::B(u) => Arg::Wrong(js_type(&u)),
        }
    }
}

/// A string argument.
pub type StringArg<'a> = Either<String, Unknown<'a>>;

impl ToArg for StringArg<'_> {
    type Value = String;
    fn arg(self) -> Arg<String> {
        match self {
            Either::A(s) => Arg::Value(s),
            Either::B(u) => Arg::Wrong(js_type(&u)),
        }
    }
}

/// Manifest and model arguments: text or bytes (`fs.readFileSync` gives either).
pub type BytesArg<'a> = Either3<String, &'a [u8], Unknown<'a>>;

impl<'a> ToArg for BytesArg<'a> {
    type Value = Bytes<'a>;
    fn arg(self) -> Arg<Bytes<'a>> {
        match self {
            Either3::A(s) => Arg::Value(Cow::Owned(s.into_bytes())),
            Either3::B(b) => Arg::Value(Cow::Borrowed(b)),
            Either3::C(u) => Arg::Wrong(js_type(&u)),
        }
    }
}

/// An optional argument (`undefined` or `null` for none).
pub fn opt<A: ToArg>(v: Option<A>) -> Option<Arg<A::Value>> {
    v.map(ToArg::arg)
}
