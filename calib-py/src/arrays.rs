//! numpy arrays in and out.
//!
//! **In.** A 1-D `float64` or `float32` numpy array is borrowed read-only
//! (rust-numpy's `PyReadonlyArray1`): a contiguous `float64` array reaches the
//! core with no copy at all. Anything else (lists, integer arrays, other
//! dtypes, big-endian data, pandas columns) goes through
//! `calib._arrays.as_float_array`, which converts it with numpy or refuses it
//! with a `TypeError` naming the argument — the conversion rules live in one
//! readable place.
//!
//! **float32.** The core computes in f64 only. A `float32` array is widened
//! to f64 on the way in (exact: every f32 is an f64) and, where an output
//! follows the input's dtype (calibrated scores), the f64 result is rounded
//! to f32 on the way out. Calibration batches are widened in fixed-size
//! chunks, so calibrating a `float32` batch costs no full-size temporary;
//! fits and metrics, which need every value at once, widen the whole array
//! (one f64 copy). Strided (non-contiguous) arrays are copied once.
//!
//! **Out.** Results are computed into a `Vec` and handed to numpy without a
//! copy (`PyArray1::from_vec`).

use crate::errors::type_error;
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use std::borrow::Cow;

/// Batches at least this long are computed with the GIL released; below it,
/// releasing and re-taking the GIL would cost more than the work.
pub(crate) const DETACH_MIN: usize = 4096;

/// Elements widened from f32 per chunk (stack buffers).
pub(crate) const CHUNK: usize = 1024;

static CONVERT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A 1-D float array borrowed from Python.
pub(crate) enum Floats<'py> {
    /// A float64 array.
    F64(PyReadonlyArray1<'py, f64>),
    /// A float32 array.
    F32(PyReadonlyArray1<'py, f32>),
}

impl<'py> Floats<'py> {
    /// Borrows `obj` as a float array, converting it first if it is not a 1-D
    /// float64/float32 numpy array. `name` is the argument's name, for errors.
    pub(crate) fn extract(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<Self> {
        if let Some(f) = Self::exact(obj)? {
            return Ok(f);
        }
        let convert = CONVERT.import(obj.py(), "calib._arrays", "as_float_array")?;
        let converted = convert.call1((obj, name))?;
        Self::exact(&converted)?.ok_or_else(|| {
            type_error(format!("{name}: calib._arrays.as_float_array returned a non-float array (calib bug)"))
        })
    }

    /// Like [`Floats::extract`], for an optional argument.
    pub(crate) fn extract_opt(obj: Option<&Bound<'py, PyAny>>, name: &str) -> PyResult<Option<Self>> {
        match obj {
            Some(o) if !o.is_none() => Ok(Some(Self::extract(o, name)?)),
            _ => Ok(None),
        }
    }

    fn exact(obj: &Bound<'py, PyAny>) -> PyResult<Option<Self>> {
        if let Ok(a) = obj.cast::<PyArray1<f64>>() {
            return Ok(Some(Floats::F64(a.try_readonly()?)));
        }
        if let Ok(a) = obj.cast::<PyArray1<f32>>() {
            return Ok(Some(Floats::F32(a.try_readonly()?)));
        }
        Ok(None)
    }

    /// Number of elements.
    pub(crate) fn len(&self) -> usize {
        match self {
            Floats::F64(a) => a.as_array().len(),
            Floats::F32(a) => a.as_array().len(),
        }
    }

    /// The values as f64: borrowed from a contiguous float64 array, else
    /// copied (strided arrays) or widened (float32).
    pub(crate) fn f64s(&self) -> Cow<'_, [f64]> {
        match self {
            Floats::F64(a) => match a.as_slice() {
                Ok(s) => Cow::Borrowed(s),
                Err(_) => Cow::Owned(a.as_array().iter().copied().collect()),
            },
            Floats::F32(a) => Cow::Owned(a.as_array().iter().map(|&v| f64::from(v)).collect()),
        }
    }

    /// The values in their own width, ready to leave the GIL: borrowed when
    /// contiguous, else copied.
    pub(crate) fn values(&self) -> Values<'_> {
        match self {
            Floats::F64(_) => Values::F64(self.f64s()),
            Floats::F32(a) => Values::F32(match a.as_slice() {
                Ok(s) => Cow::Borrowed(s),
                Err(_) => Cow::Owned(a.as_array().iter().copied().collect()),
            }),
        }
    }
}

/// Float values detached from their Python array (`Send`, so batch work can
/// run with the GIL released).
pub(crate) enum Values<'a> {
    /// float64 values.
    F64(Cow<'a, [f64]>),
    /// float32 values.
    F32(Cow<'a, [f32]>),
}

/// Runs `f` with the GIL released when the batch is large enough to be
/// worth it. `f` must not touch Python objects (the `Ungil` bound checks it).
pub(crate) fn maybe_detach<T, F>(py: Python<'_>, n: usize, f: F) -> T
where
    F: FnOnce() -> T + pyo3::marker::Ungil,
    T: pyo3::marker::Ungil,
{
    if n >= DETACH_MIN { py.detach(f) } else { f() }
}

/// Calibrated outputs, in the dtype that follows the input.
pub(crate) enum Outputs {
    /// For float64 (and converted) input.
    F64(Vec<f64>),
    /// For float32 input: the f64 results rounded to f32.
    F32(Vec<f32>),
}

impl Outputs {
    /// Hands the buffer to numpy (no copy).
    pub(crate) fn into_py(self, py: Python<'_>) -> Bound<'_, PyAny> {
        match self {
            Outputs::F64(v) => PyArray1::from_vec(py, v).into_any(),
            Outputs::F32(v) => PyArray1::from_vec(py, v).into_any(),
        }
    }
}

/// Applies `apply` (a core batch apply: scores → outputs, naming errors by
/// position) to `scores`, keeping float32 input float32 at the boundary.
/// Float32 batches are widened chunk by chunk; an error's index is moved
/// back to the caller's position.
pub(crate) fn apply_batch<F>(scores: &Values<'_>, mut apply: F) -> calib_core::Result<Outputs>
where
    F: FnMut(&[f64], &mut [f64]) -> calib_core::Result<()>,
{
    match scores {
        Values::F64(s) => {
            let mut out = vec![0.0f64; s.len()];
            apply(s, &mut out)?;
            Ok(Outputs::F64(out))
        }
        Values::F32(s) => {
            let mut out = vec![0.0f32; s.len()];
            let (mut wide, mut res) = ([0.0f64; CHUNK], [0.0f64; CHUNK]);
            for (c, (inp, o)) in s.chunks(CHUNK).zip(out.chunks_mut(CHUNK)).enumerate() {
                let n = inp.len();
                for (w, &v) in wide.iter_mut().zip(inp) {
                    *w = f64::from(v);
                }
                apply(&wide[..n], &mut res[..n]).map_err(|e| match e.index() {
                    Some(i) => e.with_index(c * CHUNK + i),
                    None => e,
                })?;
                for (o, &r) in o.iter_mut().zip(&res[..n]) {
                    // The one rounding of the float32 path, at the boundary.
                    *o = r as f32;
                }
            }
            Ok(Outputs::F32(out))
        }
    }
}
