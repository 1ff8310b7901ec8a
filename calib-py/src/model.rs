//! Models and fitted maps: calib-core's `Model` as `calib.Model`, the single
//! map behind the scikit-learn-style estimators, and the fit entry points.

use crate::arrays::{Floats, Outputs, Values, apply_batch, maybe_detach};
use crate::errors::{check, type_error};
use crate::options;
use calib_core::canonical;
use calib_core::isotonic::{self, IsotonicOptions};
use calib_core::map::{ApplyOptions, ApplyStats, MapRef, NonFinite, OutOfBounds};
use calib_core::model::{Direction, FitConfig, MapData, Method, Model, ModelFile, SCHEMA_VERSION, fit_model};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Which map(s) of a model a batch goes through.
enum Rows {
    /// Every score through one map (`None`: the global map).
    One(Option<String>),
    /// One class per score.
    PerRow(Vec<String>),
}

fn rows(classes: Option<&Bound<'_, PyAny>>) -> PyResult<Rows> {
    match classes {
        None => Ok(Rows::One(None)),
        Some(c) if c.is_none() => Ok(Rows::One(None)),
        Some(c) => {
            if let Ok(s) = c.cast::<PyString>() {
                return Ok(Rows::One(Some(s.to_cow()?.into_owned())));
            }
            c.extract::<Vec<String>>()
                .map(Rows::PerRow)
                .map_err(|_| type_error("classes must be None, a str, or a sequence of str (one per score)".to_owned()))
        }
    }
}

/// A calibration model: a global map plus one map per class, with its
/// out-of-bounds and non-finite policies and probability floor ε.
///
/// Load one with `Model.from_json(text)` or `Model.load(path)`, or fit one
/// with `calib.fit_model(...)` / a calibrator's `model_`. Applying never
/// changes the model, and batches run with the GIL released.
#[pyclass(module = "calib", name = "Model", frozen)]
pub struct PyModel {
    pub(crate) inner: Model,
}

impl PyModel {
    fn apply_values(&self, values: &Values<'_>, rows: &Rows, stats: &mut ApplyStats) -> calib_core::Result<Outputs> {
        let m = &self.inner;
        match rows {
            Rows::One(class) => apply_batch(values, |s, o| m.apply_batch(class.as_deref(), s, o, stats)),
            Rows::PerRow(classes) => {
                if classes.len() != len_of(values) {
                    // Error path: let the core name the mismatch.
                    let wide: Vec<f64> = match values {
                        Values::F64(s) => s.to_vec(),
                        Values::F32(s) => s.iter().map(|&v| f64::from(v)).collect(),
                    };
                    let mut out = vec![0.0; wide.len()];
                    return m.apply_rows(Some(classes), &wide, &mut out, stats).map(|_| Outputs::F64(out));
                }
                // Chunks (float32 input) arrive in order; `apply_batch` moves
                // error indices back to the caller's rows.
                let mut offset = 0usize;
                apply_batch(values, |s, o| {
                    let r = m.apply_rows(Some(&classes[offset..offset + s.len()]), s, o, stats);
                    offset += s.len();
                    r
                })
            }
        }
    }

    fn run<'py>(
        &self,
        py: Python<'py>,
        scores: &Bound<'py, PyAny>,
        classes: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<(Bound<'py, PyAny>, ApplyStats)> {
        let scores = Floats::extract(scores, "scores")?;
        let rows = rows(classes)?;
        let values = scores.values();
        let n = scores.len();
        let (r, stats) = maybe_detach(py, n, || {
            let mut stats = ApplyStats::default();
            let r = self.apply_values(&values, &rows, &mut stats);
            (r, stats)
        });
        Ok((check(py, r)?.into_py(py), stats))
    }
}

fn len_of(v: &Values<'_>) -> usize {
    match v {
        Values::F64(s) => s.len(),
        Values::F32(s) => s.len(),
    }
}

fn stats_dict<'py>(py: Python<'py>, s: &ApplyStats) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("n", s.n)?;
    d.set_item("out_of_range", s.out_of_range)?;
    d.set_item("non_finite", s.non_finite)?;
    d.set_item("clamp_rate", s.clamp_rate())?;
    Ok(d)
}

fn map_dict<'py>(py: Python<'py>, m: &MapData) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("x", PyArray1::from_slice(py, &m.x))?;
    d.set_item("y", PyArray1::from_slice(py, &m.y))?;
    d.set_item("increasing", m.increasing)?;
    d.set_item("n", m.n)?;
    d.set_item("merged_bins", m.merged_bins)?;
    Ok(d)
}

fn non_finite_py<'py>(py: Python<'py>, nf: NonFinite) -> PyResult<Bound<'py, PyAny>> {
    Ok(match nf {
        NonFinite::Error => PyString::new(py, "error").into_any(),
        NonFinite::Fallback(v) => v.into_pyobject(py)?.into_any(),
    })
}

fn method_name(m: Method) -> &'static str {
    match m {
        Method::Isotonic => "isotonic",
        Method::Histogram => "histogram",
    }
}

/// Writes `text` to `path` through a temporary file in the same folder and
/// a rename, so a failed save never leaves half a model behind.
fn write_atomically(path: &PathBuf, text: &str) -> std::io::Result<()> {
    let mut tmp = path.clone().into_os_string();
    tmp.push(".calib-tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[pymethods]
impl PyModel {
    /// Parses a model from calib's JSON model format (schema_version 1).
    ///
    /// Raises `calib.CalibError` with code `bad_model` for anything that is
    /// not a valid model (unknown schema version, unknown fields, bad maps).
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Self> {
        Ok(PyModel { inner: check(py, Model::from_json(text))? })
    }

    /// Reads a model file written by `save` (or by the `calib` CLI).
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let text = std::fs::read_to_string(&path)?;
        Self::from_json(py, &text)
    }

    /// The model as JSON: compact, or indented with `pretty=True`.
    ///
    /// This is calib's model format, not the sorted-key canonical form that
    /// digests are taken over (see `digest`).
    #[pyo3(signature = (pretty = false))]
    fn to_json(&self, pretty: bool) -> String {
        if pretty { self.inner.to_json_pretty() } else { self.inner.to_json() }
    }

    /// Writes the model to `path` as indented JSON (atomically: a temporary
    /// file is renamed over the target).
    fn save(&self, path: PathBuf) -> PyResult<()> {
        let mut text = self.inner.to_json_pretty();
        text.push('\n');
        Ok(write_atomically(&path, &text)?)
    }

    /// Calibrates a batch of scores.
    ///
    /// `classes` picks the map: `None` for the global map, a `str` for one
    /// class for every score, or a sequence of `str` with one class per
    /// score. Classes the model has no map for use the global map.
    /// A float32 array gives a float32 array (computed in f64, rounded once);
    /// anything else gives float64. Errors (`error` policies) name the row.
    #[pyo3(signature = (scores, classes = None))]
    fn apply<'py>(
        &self,
        py: Python<'py>,
        scores: &Bound<'py, PyAny>,
        classes: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.run(py, scores, classes)?.0)
    }

    /// Like `apply`, and also returns the batch's apply statistics:
    /// `{"n", "out_of_range", "non_finite", "clamp_rate"}`.
    #[pyo3(signature = (scores, classes = None))]
    fn apply_counted<'py>(
        &self,
        py: Python<'py>,
        scores: &Bound<'py, PyAny>,
        classes: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyDict>)> {
        let (out, stats) = self.run(py, scores, classes)?;
        Ok((out, stats_dict(py, &stats)?))
    }

    /// Calibrates one score (`cls`: the class, `None` for the global map).
    #[pyo3(signature = (score, cls = None))]
    fn apply_one(&self, py: Python<'_>, score: f64, cls: Option<&str>) -> PyResult<f64> {
        check(py, self.inner.apply(cls, score))
    }

    /// Names of the classes with a map of their own (sorted).
    #[getter]
    fn classes(&self) -> Vec<String> {
        self.inner.classes().map(str::to_owned).collect()
    }

    /// `"isotonic"` or `"histogram"`.
    #[getter]
    fn method(&self) -> &'static str {
        method_name(self.inner.file().method)
    }

    /// Whether isotonic maps were fitted in strict (rank-preserving) mode.
    #[getter]
    fn strict(&self) -> bool {
        self.inner.file().strict
    }

    /// The out-of-bounds policy: `"clip"`, `"nan"` or `"error"`.
    #[getter]
    fn out_of_bounds(&self) -> &'static str {
        options::out_of_bounds_name(self.inner.file().out_of_bounds)
    }

    /// The non-finite policy: `"error"`, or the fallback value (a float).
    #[getter]
    fn non_finite<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        non_finite_py(py, self.inner.file().non_finite)
    }

    /// The probability floor ε.
    #[getter]
    fn epsilon(&self) -> f64 {
        self.inner.file().epsilon
    }

    /// One map's data: `{"x", "y", "increasing", "n", "merged_bins"}` (copies).
    ///
    /// `cls=None` is the global map; a class without its own map raises
    /// `CalibError` (`unknown_class`) — use `apply` for the global fallback.
    #[pyo3(signature = (cls = None))]
    fn map_data<'py>(&self, py: Python<'py>, cls: Option<&str>) -> PyResult<Bound<'py, PyDict>> {
        let file = self.inner.file();
        match cls {
            None => map_dict(py, &file.global),
            Some(c) => {
                check(py, self.inner.class_map(c))?;
                match file.classes.get(c) {
                    Some(m) => map_dict(py, m),
                    None => map_dict(py, &file.global),
                }
            }
        }
    }

    /// Hex SHA-256 of the model's canonical bytes (sorted keys, shortest
    /// floats): the same model has the same digest in every runtime.
    fn digest(&self) -> String {
        canonical::model_digest(&self.inner).to_hex()
    }

    /// The canonical bytes `digest` is taken over.
    fn canonical_json<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &canonical::model_bytes(&self.inner))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<PyModel>() {
            Ok(o) => self.inner.file() == o.get().inner.file(),
            Err(_) => false,
        }
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let ctor = slf.get_type().getattr("from_json")?;
        let args = PyTuple::new(slf.py(), [slf.get().inner.to_json()])?;
        Ok((ctor, args))
    }

    fn __repr__(&self) -> String {
        let f = self.inner.file();
        format!(
            "Model(method='{}', strict={}, out_of_bounds='{}', breakpoints={}, classes=[{}])",
            method_name(f.method),
            if f.strict { "True" } else { "False" },
            options::out_of_bounds_name(f.out_of_bounds),
            f.global.x.len(),
            f.classes.keys().map(|k| format!("{k:?}")).collect::<Vec<_>>().join(", ")
        )
    }
}

/// How a fitted map is served.
enum Served {
    /// Probability maps (values in [0, 1]): a core `Model` with its cell index.
    Model(Model),
    /// Plain isotonic regression onto any finite targets (scikit-learn's
    /// estimator checks fit e.g. `y` in [0, 100]): the core's model format
    /// refuses such values, so the breakpoints are served through a `MapRef`
    /// built per call.
    Raw(ModelFile, ApplyOptions),
}

/// One fitted calibration map: what `IsotonicCalibrator` and
/// `HistogramCalibrator` hold after `fit`.
#[pyclass(module = "calib._calib", name = "_FittedMap", frozen)]
pub struct FittedMap {
    served: Served,
}

impl FittedMap {
    fn new(py: Python<'_>, file: ModelFile) -> PyResult<Self> {
        let probabilities = file.global.y.iter().all(|v| (0.0..=1.0).contains(v));
        let served = if probabilities {
            Served::Model(check(py, Model::from_file(file))?)
        } else {
            let options =
                ApplyOptions { out_of_bounds: file.out_of_bounds, non_finite: file.non_finite, epsilon: file.epsilon };
            check(py, MapRef::new(&file.global.x, &file.global.y, options))?;
            Served::Raw(file, options)
        };
        Ok(FittedMap { served })
    }

    fn file(&self) -> &ModelFile {
        match &self.served {
            Served::Model(m) => m.file(),
            Served::Raw(f, _) => f,
        }
    }

    fn with_map<T>(&self, f: impl FnOnce(MapRef<'_>) -> calib_core::Result<T>) -> calib_core::Result<T> {
        match &self.served {
            Served::Model(m) => f(m.global_map()),
            Served::Raw(file, options) => f(MapRef::new(&file.global.x, &file.global.y, *options)?),
        }
    }
}

#[pymethods]
impl FittedMap {
    /// Calibrates a batch (float32 in, float32 out).
    fn apply<'py>(&self, py: Python<'py>, scores: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let scores = Floats::extract(scores, "X")?;
        let values = scores.values();
        let r = maybe_detach(py, scores.len(), || {
            self.with_map(|map| {
                let mut stats = ApplyStats::default();
                apply_batch(&values, |s, o| map.apply_batch(s, o, &mut stats))
            })
        });
        Ok(check(py, r)?.into_py(py))
    }

    /// Calibrates one score.
    fn apply_one(&self, py: Python<'_>, score: f64) -> PyResult<f64> {
        check(py, self.with_map(|m| m.apply(score)))
    }

    /// Breakpoint scores (a copy).
    #[getter]
    fn x<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, &self.file().global.x)
    }

    /// Breakpoint values (a copy).
    #[getter]
    fn y<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, &self.file().global.y)
    }

    /// The direction that was fitted.
    #[getter]
    fn increasing(&self) -> bool {
        self.file().global.increasing
    }

    /// Histogram bins merged away at fit time (0 for isotonic).
    #[getter]
    fn merged_bins(&self) -> u64 {
        self.file().global.merged_bins
    }

    /// The map as a `calib.Model` (global map only). Raises `CalibError`
    /// (`bad_model`) when the values are not probabilities in [0, 1].
    fn model(&self, py: Python<'_>) -> PyResult<PyModel> {
        let inner = match &self.served {
            Served::Model(m) => m.clone(),
            Served::Raw(f, _) => check(py, Model::from_file(f.clone()))?,
        };
        Ok(PyModel { inner })
    }

    /// Rebuilds a map from `_state()` (pickling).
    #[staticmethod]
    fn _from_state(py: Python<'_>, state: &str) -> PyResult<Self> {
        let file: ModelFile = serde_json::from_str(state)
            .map_err(|e| crate::errors::value_error(format!("not a fitted-map state: {e}")))?;
        Self::new(py, file)
    }

    /// The map's state as JSON (floats round-trip exactly).
    fn _state(&self) -> PyResult<String> {
        serde_json::to_string(self.file()).map_err(|e| crate::errors::value_error(format!("{e}")))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let ctor = slf.get_type().getattr("_from_state")?;
        let args = PyTuple::new(slf.py(), [slf.get()._state()?])?;
        Ok((ctor, args))
    }
}

fn single_map_file(global: MapData, method: Method, strict: bool, out_of_bounds: OutOfBounds) -> ModelFile {
    ModelFile {
        schema_version: SCHEMA_VERSION,
        method,
        strict,
        out_of_bounds,
        non_finite: NonFinite::Error,
        epsilon: 0.0,
        global,
        classes: BTreeMap::new(),
    }
}

/// Isotonic regression of `y` on `x` (calib-core's PAV, scikit-learn's
/// semantics): the map behind `IsotonicCalibrator`.
#[pyfunction]
#[pyo3(signature = (x, y, sample_weight = None, *, increasing, y_min = None, y_max = None, strict = false, out_of_bounds = "clip"))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn _fit_isotonic(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    y: &Bound<'_, PyAny>,
    sample_weight: Option<&Bound<'_, PyAny>>,
    increasing: &Bound<'_, PyAny>,
    y_min: Option<&Bound<'_, PyAny>>,
    y_max: Option<&Bound<'_, PyAny>>,
    strict: bool,
    out_of_bounds: &str,
) -> PyResult<FittedMap> {
    let direction = options::direction(increasing)?;
    let oob = options::out_of_bounds(out_of_bounds)?;
    let (y_min, y_max) = (options::bound(y_min, "y_min")?, options::bound(y_max, "y_max")?);
    let xa = Floats::extract(x, "X")?;
    let ya = Floats::extract(y, "y")?;
    let wa = Floats::extract_opt(sample_weight, "sample_weight")?;
    let (xs, ys, ws) = (xa.f64s(), ya.f64s(), wa.as_ref().map(|w| w.f64s()));
    let fitted = maybe_detach(py, xs.len(), || {
        let increasing = match direction {
            Direction::Increasing => true,
            Direction::Decreasing => false,
            Direction::Auto => isotonic::check_increasing(&xs, &ys)?,
        };
        let opts = IsotonicOptions { increasing, y_min, y_max, strict };
        isotonic::fit(&xs, &ys, ws.as_deref(), &opts)
    });
    let bp = check(py, fitted)?;
    let global = MapData { x: bp.x, y: bp.y, increasing: bp.increasing, n: xs.len() as u64, merged_bins: 0 };
    FittedMap::new(py, single_map_file(global, Method::Isotonic, strict, oob))
}

/// Histogram binning of `y` on `x`: the map behind `HistogramCalibrator`.
#[pyfunction]
#[pyo3(signature = (x, y, sample_weight = None, *, n_bins = None, strategy = "equal_mass", min_samples_per_bin = 1, out_of_bounds = "clip"))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn _fit_histogram(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    y: &Bound<'_, PyAny>,
    sample_weight: Option<&Bound<'_, PyAny>>,
    n_bins: Option<&Bound<'_, PyAny>>,
    strategy: &str,
    min_samples_per_bin: i64,
    out_of_bounds: &str,
) -> PyResult<FittedMap> {
    let cfg = FitConfig {
        method: Method::Histogram,
        bins: match n_bins {
            Some(b) => options::k_policy(b)?,
            None => FitConfig::default().bins,
        },
        strategy: options::strategy(strategy)?,
        min_samples_per_bin: options::non_negative(min_samples_per_bin, "min_samples_per_bin")? as u64,
        out_of_bounds: options::out_of_bounds(out_of_bounds)?,
        ..FitConfig::default()
    };
    let xa = Floats::extract(x, "X")?;
    let ya = Floats::extract(y, "y")?;
    let wa = Floats::extract_opt(sample_weight, "sample_weight")?;
    let (xs, ys, ws) = (xa.f64s(), ya.f64s(), wa.as_ref().map(|w| w.f64s()));
    let fitted = maybe_detach(py, xs.len(), || fit_model::<&str>(&xs, &ys, ws.as_deref(), None, &cfg));
    let model = check(py, fitted)?;
    Ok(FittedMap { served: Served::Model(model) })
}

/// Fits a model: a global map on every row, plus one map per class with at
/// least `min_class_samples` rows (calib-core's `fit_model`).
///
/// `classes` is `None` or one `str` per row. Labels must lie in [0, 1].
/// `method` is `"isotonic"` (options `increasing`, `strict`, `y_min`,
/// `y_max`) or `"histogram"` (options `n_bins` — an int or `"cube_root"` —,
/// `strategy`, `min_samples_per_bin`). The policies `out_of_bounds`
/// (`"clip"`, `"nan"`, `"error"`), `non_finite` (`"error"` or a fallback
/// float) and the floor `epsilon` are written into the model.
#[pyfunction(name = "fit_model")]
#[pyo3(signature = (
    scores, labels, sample_weight = None, classes = None, *,
    method = "isotonic", increasing = None, strict = false, y_min = None, y_max = None,
    n_bins = None, strategy = "equal_mass", min_samples_per_bin = 1, min_class_samples = 1000,
    out_of_bounds = "clip", non_finite = None, epsilon = 0.0
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn fit_model_py(
    py: Python<'_>,
    scores: &Bound<'_, PyAny>,
    labels: &Bound<'_, PyAny>,
    sample_weight: Option<&Bound<'_, PyAny>>,
    classes: Option<&Bound<'_, PyAny>>,
    method: &str,
    increasing: Option<&Bound<'_, PyAny>>,
    strict: bool,
    y_min: Option<&Bound<'_, PyAny>>,
    y_max: Option<&Bound<'_, PyAny>>,
    n_bins: Option<&Bound<'_, PyAny>>,
    strategy: &str,
    min_samples_per_bin: i64,
    min_class_samples: i64,
    out_of_bounds: &str,
    non_finite: Option<&Bound<'_, PyAny>>,
    epsilon: f64,
) -> PyResult<PyModel> {
    let defaults = FitConfig::default();
    let cfg = FitConfig {
        method: options::method(method)?,
        direction: match increasing {
            Some(d) if !d.is_none() => options::direction(d)?,
            _ => defaults.direction,
        },
        strict,
        y_min: options::bound(y_min, "y_min")?,
        y_max: options::bound(y_max, "y_max")?,
        bins: match n_bins {
            Some(b) if !b.is_none() => options::k_policy(b)?,
            _ => defaults.bins,
        },
        strategy: options::strategy(strategy)?,
        min_samples_per_bin: options::non_negative(min_samples_per_bin, "min_samples_per_bin")? as u64,
        min_class_samples: options::non_negative(min_class_samples, "min_class_samples")?,
        out_of_bounds: options::out_of_bounds(out_of_bounds)?,
        non_finite: match non_finite {
            Some(v) if !v.is_none() => options::non_finite(v)?,
            _ => defaults.non_finite,
        },
        epsilon,
    };
    let classes: Option<Vec<String>> = match classes {
        Some(c) if !c.is_none() => {
            if c.cast::<PyString>().is_ok() {
                return Err(type_error("classes must be a sequence of str, one per row (got a single str)".into()));
            }
            Some(c.extract().map_err(|_| type_error("classes must be a sequence of str, one per row".into()))?)
        }
        _ => None,
    };
    let sa = Floats::extract(scores, "scores")?;
    let la = Floats::extract(labels, "labels")?;
    let wa = Floats::extract_opt(sample_weight, "sample_weight")?;
    let (ss, ls, ws) = (sa.f64s(), la.f64s(), wa.as_ref().map(|w| w.f64s()));
    let fitted = maybe_detach(py, ss.len(), || fit_model(&ss, &ls, ws.as_deref(), classes.as_deref(), &cfg));
    Ok(PyModel { inner: check(py, fitted)? })
}
