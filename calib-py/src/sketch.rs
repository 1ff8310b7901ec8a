//! `calib.FitSketch`: calib-core's exact, mergeable fit statistics
//! (`calib_core::sketch`). Converts arrays, options and bytes; every number
//! comes from the core.

use crate::arrays::{Floats, maybe_detach};
use crate::errors::{check, type_error, value_error};
use crate::model::PyModel;
use crate::options;
use calib_core::model::FitConfig;
use calib_core::sketch::{FitSketch, Quantize};
use calib_core::tolerance::BootstrapOptions;
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};

/// Exact fit statistics of a set of rows, per class: for every distinct
/// score, the row count, Σw, Σw·y and Σw·y². Sketches of the parts of a data
/// set merge into the sketch of the whole, and fitting a sketch gives the
/// in-memory fit's map (bitwise for unweighted 0/1 labels).
#[pyclass(module = "calib", name = "FitSketch", frozen)]
pub struct PyFitSketch {
    inner: FitSketch,
}

fn quantize(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Quantize> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else { return Ok(Quantize::Exact) };
    if let Ok(s) = obj.cast::<PyString>() {
        return match &*s.to_cow()? {
            "f32" | "float32" => Ok(Quantize::F32),
            other => Err(value_error(format!("quantize must be None, \"f32\" or a grid step (float), got {other:?}"))),
        };
    }
    let step: f64 =
        obj.extract().map_err(|_| type_error("quantize must be None, \"f32\" or a grid step (float)".to_owned()))?;
    Ok(Quantize::Grid(step))
}

fn class_names(cls: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<String>>> {
    match cls {
        Some(c) if !c.is_none() => {
            if c.cast::<PyString>().is_ok() {
                return Err(type_error("cls must be a sequence of str, one per row (got a single str)".into()));
            }
            Ok(Some(c.extract().map_err(|_| type_error("cls must be a sequence of str, one per row".into()))?))
        }
        _ => Ok(None),
    }
}

#[pymethods]
impl PyFitSketch {
    /// The sketch of rows: `score`, `label` (in [0, 1]), optional
    /// non-negative `weight`, optional `cls` (one str per row). `quantize`:
    /// `None` (exact), `"f32"`, or a grid step.
    #[staticmethod]
    #[pyo3(signature = (score, label, weight = None, cls = None, *, quantize = None))]
    fn from_arrays(
        py: Python<'_>,
        score: &Bound<'_, PyAny>,
        label: &Bound<'_, PyAny>,
        weight: Option<&Bound<'_, PyAny>>,
        cls: Option<&Bound<'_, PyAny>>,
        quantize: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let q = self::quantize(quantize)?;
        let classes = class_names(cls)?;
        let sa = Floats::extract(score, "score")?;
        let la = Floats::extract(label, "label")?;
        let wa = Floats::extract_opt(weight, "weight")?;
        let (ss, ls, ws) = (sa.f64s(), la.f64s(), wa.as_ref().map(|w| w.f64s()));
        let r = maybe_detach(py, ss.len(), || FitSketch::from_rows(&ss, &ls, ws.as_deref(), classes.as_deref(), q));
        Ok(PyFitSketch { inner: check(py, r)? })
    }

    /// An empty sketch: merging it into another changes nothing.
    #[staticmethod]
    #[pyo3(signature = (*, quantize = None, has_classes = false))]
    fn empty(py: Python<'_>, quantize: Option<&Bound<'_, PyAny>>, has_classes: bool) -> PyResult<Self> {
        Ok(PyFitSketch { inner: check(py, FitSketch::empty(self::quantize(quantize)?, has_classes))? })
    }

    /// The sketch of both: a new sketch (neither input changes).
    fn merge(&self, py: Python<'_>, other: &PyFitSketch) -> PyResult<Self> {
        let mut inner = self.inner.clone();
        check(py, inner.merge(&other.inner))?;
        Ok(PyFitSketch { inner })
    }

    /// Compact, versioned, checksummed bytes.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_bytes())
    }

    /// Parses `to_bytes()`; corrupt or truncated bytes raise `CalibError`.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        Ok(PyFitSketch { inner: check(py, FitSketch::from_bytes(data))? })
    }

    /// Rows summarised (zero-weight rows included).
    #[getter]
    fn rows(&self) -> u64 {
        self.inner.rows()
    }

    /// Cells held: one per distinct score in each class. The sketch's
    /// memory and byte size (40 bytes a cell) grow with this, not the rows.
    #[getter]
    fn cells(&self) -> usize {
        self.inner.cells()
    }

    /// Whether `held` buffered rows should now be sketched and merged in
    /// (the core's chunk rule: as many rows as the sketch has cells, and at
    /// least `min_rows`, by default the core's 2**20).
    #[pyo3(signature = (held, min_rows = None))]
    fn chunk_due(&self, held: usize, min_rows: Option<usize>) -> bool {
        self.inner.chunk_due(held, min_rows.unwrap_or(calib_core::sketch::CHUNK_ROWS))
    }

    /// Distinct scores over all classes.
    #[getter]
    fn n_distinct(&self) -> usize {
        self.inner.global().len()
    }

    /// Class names (empty without classes).
    #[getter]
    fn classes(&self) -> Vec<String> {
        self.inner.classes().map(str::to_owned).collect()
    }

    /// Whether the rows carried classes.
    #[getter]
    fn has_classes(&self) -> bool {
        self.inner.has_classes()
    }

    /// `None`, `"f32"` or the grid step.
    #[getter]
    fn quantize<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(match self.inner.quantize() {
            Quantize::Exact => py.None().into_bound(py),
            Quantize::F32 => PyString::new(py, "f32").into_any(),
            Quantize::Grid(s) => s.into_pyobject(py)?.into_any(),
        })
    }

    /// Fits a model as `calib.fit_model` fits the rows (isotonic; `increasing`
    /// is `True` (the default, also for `None`) or `False`: `"auto"` needs
    /// the rows and is refused).
    #[pyo3(signature = (*, increasing = None, strict = false, y_min = None, y_max = None,
        min_class_samples = 1000, out_of_bounds = "clip", non_finite = None, epsilon = 0.0))]
    #[allow(clippy::too_many_arguments)]
    fn fit_model(
        &self,
        py: Python<'_>,
        increasing: Option<&Bound<'_, PyAny>>,
        strict: bool,
        y_min: Option<&Bound<'_, PyAny>>,
        y_max: Option<&Bound<'_, PyAny>>,
        min_class_samples: i64,
        out_of_bounds: &str,
        non_finite: Option<&Bound<'_, PyAny>>,
        epsilon: f64,
    ) -> PyResult<PyModel> {
        let defaults = FitConfig::default();
        let cfg = FitConfig {
            direction: match increasing {
                Some(d) if !d.is_none() => options::direction(d)?,
                _ => defaults.direction,
            },
            strict,
            y_min: options::bound(y_min, "y_min")?,
            y_max: options::bound(y_max, "y_max")?,
            min_class_samples: options::non_negative(min_class_samples, "min_class_samples")?,
            out_of_bounds: options::out_of_bounds(out_of_bounds)?,
            non_finite: match non_finite {
                Some(v) if !v.is_none() => options::non_finite(v)?,
                _ => defaults.non_finite,
            },
            epsilon,
            ..defaults
        };
        let n = self.inner.global().len();
        let r = maybe_detach(py, n, || self.inner.fit_model(&cfg));
        Ok(PyModel { inner: check(py, r)? })
    }

    /// Every metric with `n_bins` bins, for a sketch whose scores are
    /// calibrated probabilities (as `calib.evaluate` on the rows).
    #[pyo3(signature = (n_bins = 15))]
    fn evaluate<'py>(&self, py: Python<'py>, n_bins: i64) -> PyResult<Bound<'py, PyDict>> {
        let k = options::non_negative(n_bins, "n_bins")?;
        let m = check(py, self.inner.evaluate(k))?;
        let d = PyDict::new(py);
        d.set_item("n", m.n)?;
        for (key, v) in [
            ("ece", m.ece),
            ("aece", m.aece),
            ("mce", m.mce),
            ("dece", m.dece),
            ("brier", m.brier),
            ("log_loss", m.log_loss),
            ("merged_bin_percent", m.merged_bin_percent),
        ] {
            d.set_item(key, v)?;
        }
        Ok(d)
    }

    /// Bootstraps ĉ for class `cls` (`None`: every row) from this sketch of
    /// raw scores and the `model` that calibrates them. Returns `(c_hat,
    /// aeces)`; the same draws as `calib.bootstrap_c_hat` on the class's
    /// calibrated scores sorted by raw score.
    #[pyo3(signature = (model, cls = None, *, resamples = 200, n_bins = 15, seed = 0x00ca_11b0, min_samples = 10_000))]
    #[allow(clippy::too_many_arguments)]
    fn bootstrap_c_hat<'py>(
        &self,
        py: Python<'py>,
        model: &PyModel,
        cls: Option<&str>,
        resamples: i64,
        n_bins: i64,
        seed: u64,
        min_samples: i64,
    ) -> PyResult<(f64, Bound<'py, PyArray1<f64>>)> {
        let opts = BootstrapOptions {
            resamples: options::resamples(resamples)?,
            bins: options::non_negative(n_bins, "n_bins")?,
            seed,
            min_samples: options::non_negative(min_samples, "min_samples")?,
        };
        let r = py.detach(|| self.inner.bootstrap_c_hat(&model.inner, cls, &opts));
        let (c_hat, aeces) = check(py, r)?;
        Ok((c_hat, PyArray1::from_vec(py, aeces)))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<PyFitSketch>() {
            Ok(o) => self.inner == o.get().inner,
            Err(_) => false,
        }
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let ctor = slf.get_type().getattr("from_bytes")?;
        let args = PyTuple::new(slf.py(), [PyBytes::new(slf.py(), &slf.get().inner.to_bytes())])?;
        Ok((ctor, args))
    }

    fn __repr__(&self) -> String {
        format!(
            "FitSketch(rows={}, distinct={}, classes={}, quantize={:?})",
            self.inner.rows(),
            self.inner.global().len(),
            self.inner.classes().count(),
            self.inner.quantize()
        )
    }
}
