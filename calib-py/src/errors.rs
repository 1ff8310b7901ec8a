//! calib-core errors as Python exceptions.
//!
//! Every failure the core reports becomes a `calib.CalibError` (a
//! `ValueError` subclass defined in `python/calib/_errors.py`) carrying the
//! core's stable code (`"label_out_of_range"`, …), the argument, the index and
//! the offending value, so Python code can branch on `err.code` instead of
//! parsing messages. Failures of the binding's own conversions (an argument of
//! the wrong type, an option string it does not know) are plain `TypeError`s
//! and `ValueError`s: they never reach the core, so they have no core code.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

static CALIB_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Converts a core error into a `calib.CalibError` instance.
pub(crate) fn core_error(py: Python<'_>, e: &calib_core::Error) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let cls = CALIB_ERROR.import(py, "calib._errors", "CalibError")?;
        let err = cls.call1((e.to_string(), e.code(), e.what(), e.index(), e.offending_value()))?;
        Ok(PyErr::from_value(err))
    };
    // If the exception class itself cannot be built (the package is broken),
    // that failure is the more useful one to show.
    build().unwrap_or_else(|failure| failure)
}

/// `PyResult` from a core result.
pub(crate) fn check<T>(py: Python<'_>, r: calib_core::Result<T>) -> PyResult<T> {
    r.map_err(|e| core_error(py, &e))
}

/// A binding-level `ValueError` (an option the binding cannot convert).
pub(crate) fn value_error(msg: String) -> PyErr {
    PyValueError::new_err(msg)
}

/// A binding-level `TypeError` (an argument of the wrong type).
pub(crate) fn type_error(msg: String) -> PyErr {
    PyTypeError::new_err(msg)
}
