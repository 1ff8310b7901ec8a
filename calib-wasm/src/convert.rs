//! JavaScript values in, calib-core values out, and calib-core errors back.
//!
//! Every argument arrives as a raw [`JsValue`] and is checked here, so that
//! calib-wasm keeps the error contract it shares with calib-node
//! (tests/js/API.md): every thrown value is an `Error` whose `code` is
//! either a calib-core [`Error::code`](calib_core::Error::code) or
//! `"invalid_argument"` for a JavaScript value of the wrong type, with the
//! same messages as calib-node. Nothing is coerced: `"0.5"` is not a number.

use js_sys::{Array, ArrayBuffer, Float32Array, Float64Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// A result whose error is a JS `Error` with a `code`.
pub type Result<T> = core::result::Result<T, JsValue>;

/// `code` of errors about a JavaScript value of the wrong type.
pub const INVALID_ARGUMENT: &str = "invalid_argument";

/// A JS `Error` with `message` and a `code` property.
pub fn coded_error(code: &str, message: &str) -> JsValue {
    let err = js_sys::Error::new(message);
    // Defining a property on a fresh, ordinary Error object cannot fail.
    let _ = Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(code));
    err.into()
}

/// A calib-core error as a JS `Error`: the core's code and its one-line message.
pub fn core_error(e: calib_core::Error) -> JsValue {
    coded_error(e.code(), &e.to_string())
}

/// An `invalid_argument` error.
pub fn invalid_argument(message: &str) -> JsValue {
    coded_error(INVALID_ARGUMENT, message)
}

fn wrong_type(what: &str, expected: &str, got: &JsValue) -> JsValue {
    invalid_argument(&format!("{what} must be {expected}, got {}", type_name(got)))
}

/// The `typeof`-style name of a value, for error messages (calib-node's words).
fn type_name(v: &JsValue) -> &'static str {
    if v.is_undefined() {
        "undefined"
    } else if v.is_null() {
        "null"
    } else if v.as_bool().is_some() {
        "a boolean"
    } else if v.as_f64().is_some() {
        "a number"
    } else if v.is_string() {
        "a string"
    } else if v.is_symbol() {
        "a symbol"
    } else if v.is_function() {
        "a function"
    } else if Array::is_array(v) {
        "an array with a non-number element"
    } else if ArrayBuffer::is_view(v) {
        "a typed array of another element type"
    } else if v.is_object() {
        "an object"
    } else {
        "an unsupported value"
    }
}

/// `undefined` and `null` both mean "not given".
pub fn given(v: Option<JsValue>) -> Option<JsValue> {
    v.filter(|v| !v.is_undefined() && !v.is_null())
}

/// Converts a float array argument named `what`: a `Float64Array`, a
/// `Float32Array` (widened to f64, which is exact) or an array of numbers.
/// The values are copied into WebAssembly memory.
pub fn floats(what: &str, v: &JsValue) -> Result<Vec<f64>> {
    if let Some(a) = v.dyn_ref::<Float64Array>() {
        return Ok(a.to_vec());
    }
    if let Some(a) = v.dyn_ref::<Float32Array>() {
        return Ok(a.to_vec().into_iter().map(f64::from).collect());
    }
    if let Some(a) = v.dyn_ref::<Array>()
        && let Some(xs) = a.iter().map(|x| x.as_f64()).collect::<Option<Vec<f64>>>()
    {
        return Ok(xs);
    }
    Err(wrong_type(what, "a Float64Array, a Float32Array or an array of numbers", v))
}

/// An optional float array (`undefined`/`null` for none).
pub fn opt_floats(what: &str, v: Option<JsValue>) -> Result<Option<Vec<f64>>> {
    given(v).map(|v| floats(what, &v)).transpose()
}

/// Converts a number argument named `what`.
pub fn number(what: &str, v: &JsValue) -> Result<f64> {
    v.as_f64().ok_or_else(|| wrong_type(what, "a number", v))
}

/// Converts a count (bins, sample sizes): a non-negative integer that a
/// JavaScript number holds exactly.
pub fn count(what: &str, v: &JsValue) -> Result<u64> {
    let x = number(what, v)?;
    // 2^53 − 1: above it a JavaScript number no longer holds every integer.
    const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
    if (0.0..=MAX_SAFE).contains(&x) && x.fract() == 0.0 {
        Ok(x as u64)
    } else {
        Err(invalid_argument(&format!("{what} must be a non-negative integer, got {x}")))
    }
}

/// [`count`] as a `usize` (the core's bin counts; wasm32's usize is 32 bits).
pub fn count_usize(what: &str, v: &JsValue) -> Result<usize> {
    let n = count(what, v)?;
    usize::try_from(n).map_err(|_| invalid_argument(&format!("{what} {n} is too large")))
}

/// An optional [`count_usize`]: `undefined`/`null` give `default`.
pub fn opt_count_usize(what: &str, v: Option<JsValue>, default: usize) -> Result<usize> {
    given(v).map_or(Ok(default), |v| count_usize(what, &v))
}

/// Converts a string argument named `what`.
pub fn string(what: &str, v: &JsValue) -> Result<String> {
    v.as_string().ok_or_else(|| wrong_type(what, "a string", v))
}

/// An optional string (`undefined`/`null` for none), e.g. a class name.
pub fn opt_string(what: &str, v: Option<JsValue>) -> Result<Option<String>> {
    given(v).map(|v| string(what, &v)).transpose()
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
