//! JavaScript values to calib-js arguments, and calib-js errors and results
//! back to JavaScript values.
//!
//! Every argument arrives as a raw [`JsValue`] and is read here without
//! coercion into the Rust value calib-js wants, or the [`JsType`] of what
//! came instead; calib-js words the `invalid_argument` error.

use calib_js::{Arg, Bytes, Floats, JsType};
use js_sys::{Array, ArrayBuffer, Float32Array, Float64Array, Object, Reflect, Uint8Array};
use std::borrow::Cow;
use wasm_bindgen::{JsCast, JsValue};

/// A result whose error is a JS `Error` with a `code`.
pub type Result<T> = core::result::Result<T, JsValue>;

/// A calib-js error as a JS `Error` with its `code` and message.
pub fn throw(e: calib_js::Error) -> JsValue {
    let err = js_sys::Error::new(e.message());
    // Defining a property on a fresh, ordinary Error object cannot fail.
    let _ = Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(e.code()));
    err.into()
}

/// The type of a value that is not what an argument wants.
pub fn js_type(v: &JsValue) -> JsType {
    if v.is_undefined() {
        JsType::Undefined
    } else if v.is_null() {
        JsType::Null
    } else if v.as_bool().is_some() {
        JsType::Boolean
    } else if v.as_f64().is_some() {
        JsType::Number
    } else if v.is_string() {
        JsType::String
    } else if v.is_symbol() {
        JsType::Symbol
    } else if v.is_function() {
        JsType::Function
    } else if Array::is_array(v) {
        JsType::Array
    } else if ArrayBuffer::is_view(v) {
        JsType::TypedArray
    } else if v.is_object() {
        JsType::Object
    } else {
        JsType::Other
    }
}

/// A Rust value that calib-js takes, read from a [`JsValue`].
pub trait FromJs: Sized {
    /// The value, or `None` when `v` is of another type.
    fn from_js(v: &JsValue) -> Option<Self>;
}

impl FromJs for f64 {
    fn from_js(v: &JsValue) -> Option<f64> {
        v.as_f64()
    }
}

impl FromJs for String {
    fn from_js(v: &JsValue) -> Option<String> {
        v.as_string()
    }
}

/// `Float64Array`, `Float32Array` or an array of numbers, copied into
/// WebAssembly memory.
impl FromJs for Floats<'static> {
    fn from_js(v: &JsValue) -> Option<Floats<'static>> {
        if let Some(a) = v.dyn_ref::<Float64Array>() {
            return Some(Cow::Owned(a.to_vec()));
        }
        if let Some(a) = v.dyn_ref::<Float32Array>() {
            return Some(Cow::Owned(calib_js::arg::widen(&a.to_vec())));
        }
        let xs = v.dyn_ref::<Array>()?.iter().map(|x| x.as_f64()).collect::<Option<Vec<f64>>>()?;
        Some(Cow::Owned(xs))
    }
}

/// A string (its UTF-8) or a `Uint8Array` (`fetch` and `fs` give either).
impl FromJs for Bytes<'static> {
    fn from_js(v: &JsValue) -> Option<Bytes<'static>> {
        match v.as_string() {
            Some(s) => Some(Cow::Owned(s.into_bytes())),
            None => Some(Cow::Owned(v.dyn_ref::<Uint8Array>()?.to_vec())),
        }
    }
}

/// A required argument.
pub fn arg<T: FromJs>(v: &JsValue) -> Arg<T> {
    T::from_js(v).map_or_else(|| Arg::Wrong(js_type(v)), Arg::Value)
}

/// `undefined` and `null` both mean "not given".
pub fn given(v: Option<JsValue>) -> Option<JsValue> {
    v.filter(|v| !v.is_undefined() && !v.is_null())
}

/// An optional argument.
pub fn opt<T: FromJs>(v: Option<JsValue>) -> Option<Arg<T>> {
    given(v).map(|v| arg(&v))
}

/// A plain JS object (`{}` prototype, own enumerable properties) from
/// name/value pairs, so results compare with `deepStrictEqual` exactly as
/// calib-node's do.
pub fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in fields {
        // Defining a property on a fresh, ordinary object cannot fail.
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}
