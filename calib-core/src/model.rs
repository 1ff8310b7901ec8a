//! Owned calibration models: a global map plus one map per class, their
//! fitting, and their JSON format.
//!
//! A [`Model`] is what a serving binary loads: it owns its breakpoints and a
//! [`CellIndex`] per map, and hands out [`MapRef`]s, so applying it never
//! allocates. A class the model has no map for (unknown, or too small when
//! fitted) is served by the global map.
//!
//! The JSON format carries `schema_version`; a version calib does not know
//! is refused rather than guessed at.

use crate::binning::{BinStrategy, KPolicy};
use crate::error::{Error, ErrorKind, Result};
use crate::histogram::{self, HistogramOptions};
use crate::isotonic::{self, Breakpoints, IsotonicOptions};
use crate::map::{ApplyOptions, ApplyStats, CellIndex, MapRef, NonFinite, OutOfBounds, validate_breakpoints};
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// The model-file schema this calib writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// How a model was fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Isotonic regression (PAV), optionally strict.
    #[default]
    Isotonic,
    /// Histogram binning.
    Histogram,
}

/// The direction of an isotonic fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// Non-decreasing.
    #[default]
    Increasing,
    /// Non-increasing.
    Decreasing,
    /// Decided from the data, as scikit-learn decides it (Spearman's ρ ≥ 0).
    Auto,
}

/// One map's breakpoints as stored in a model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapData {
    /// Breakpoint scores, strictly increasing.
    pub x: Vec<f64>,
    /// Breakpoint values.
    pub y: Vec<f64>,
    /// Direction of the fit.
    pub increasing: bool,
    /// Samples the map was fitted on.
    pub n: u64,
    /// Histogram bins merged away at fit time (0 for isotonic).
    #[serde(default)]
    pub merged_bins: u64,
}

/// The serialisable form of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// Always [`SCHEMA_VERSION`] when written by this calib.
    pub schema_version: u32,
    /// How the maps were fitted.
    pub method: Method,
    /// Whether isotonic maps are strict (rank-preserving).
    pub strict: bool,
    /// Out-of-range policy.
    pub out_of_bounds: OutOfBounds,
    /// Non-finite-score policy.
    pub non_finite: NonFinite,
    /// Probability floor ε.
    pub epsilon: f64,
    /// The global map (unknown and small classes).
    pub global: MapData,
    /// One map per class, by class name.
    pub classes: BTreeMap<String, MapData>,
}

#[derive(Debug, Clone)]
struct OwnedMap {
    data: MapData,
    cells: Vec<u32>,
    slopes: Vec<f64>,
    geometry: (f64, f64),
}

impl OwnedMap {
    fn new(data: MapData, method: Method, what: &str) -> Result<Self> {
        validate_breakpoints(&data.x, &data.y).map_err(|e| bad_model(format!("map {what}: {e}")))?;
        // Fitted values are label means, so a model promising probabilities
        // outside [0, 1] (or an isotonic map that is not monotone) was not
        // written by calib's fit: refuse it rather than serve it.
        if let Some((i, v)) = data.y.iter().enumerate().find(|(_, v)| !(0.0..=1.0).contains(*v)) {
            return Err(bad_model(format!("map {what}: value {v} at index {i} of y is outside [0, 1]")));
        }
        if method == Method::Isotonic
            && let Some(i) = (1..data.y.len())
                .find(|&i| if data.increasing { data.y[i] < data.y[i - 1] } else { data.y[i] > data.y[i - 1] })
        {
            let dir = if data.increasing { "non-decreasing" } else { "non-increasing" };
            return Err(bad_model(format!("map {what}: y is not {dir} at index {i} ({})", data.y[i])));
        }
        let mut cells = vec![0u32; CellIndex::buffer_len(data.x.len())];
        CellIndex::build(&data.x, &mut cells).map_err(|e| bad_model(format!("map {what}: {e}")))?;
        let geometry = CellIndex::geometry(&data.x);
        let mut slopes = vec![0.0; data.x.len() - 1];
        crate::map::slopes_into(&data.x, &data.y, &mut slopes).map_err(|e| bad_model(format!("map {what}: {e}")))?;
        Ok(OwnedMap { data, cells, slopes, geometry })
    }
    fn map_ref(&self, options: ApplyOptions) -> MapRef<'_> {
        // `cells` was built from these xs in `new`.
        let idx = CellIndex::from_raw(self.geometry, &self.cells);
        MapRef::from_parts(&self.data.x, &self.data.y, Some(idx), options).with_slopes(&self.slopes)
    }
}

fn bad_model(detail: String) -> Error {
    Error::new(ErrorKind::BadModel, "model").detail(detail)
}

/// A loaded or fitted model. Applying it never allocates.
#[derive(Debug, Clone)]
pub struct Model {
    file: ModelFile,
    global: OwnedMap,
    classes: BTreeMap<String, OwnedMap>,
    options: ApplyOptions,
}

impl Model {
    /// Builds a model from its file form, validating every map and policy.
    pub fn from_file(file: ModelFile) -> Result<Model> {
        if file.schema_version != SCHEMA_VERSION {
            return Err(bad_model(format!(
                "unsupported schema_version {} (this calib reads version {SCHEMA_VERSION})",
                file.schema_version
            )));
        }
        let options =
            ApplyOptions { out_of_bounds: file.out_of_bounds, non_finite: file.non_finite, epsilon: file.epsilon };
        options.validate().map_err(|e| bad_model(e.to_string()))?;
        let global = OwnedMap::new(file.global.clone(), file.method, "global")?;
        let mut classes = BTreeMap::new();
        for (name, data) in &file.classes {
            classes.insert(name.clone(), OwnedMap::new(data.clone(), file.method, &format!("class {name:?}"))?);
        }
        Ok(Model { file, global, classes, options })
    }

    /// Parses a model from JSON. Checks `schema_version` before anything
    /// else, so a newer file is refused with that reason.
    pub fn from_json(text: &str) -> Result<Model> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| bad_model(format!("not valid JSON: {e}")))?;
        match value.get("schema_version").and_then(|v| v.as_u64()) {
            Some(v) if v == SCHEMA_VERSION as u64 => {}
            Some(v) => {
                return Err(bad_model(format!(
                    "unsupported schema_version {v} (this calib reads version {SCHEMA_VERSION})"
                )));
            }
            None => return Err(bad_model("missing or non-integer schema_version".to_string())),
        }
        let file: ModelFile = serde_json::from_value(value).map_err(|e| bad_model(format!("{e}")))?;
        Model::from_file(file)
    }

    /// The model as JSON (compact, keys in a fixed order).
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.file).expect("a model file always serialises")
    }

    /// The model as indented JSON.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(&self.file).expect("a model file always serialises")
    }

    /// The file form.
    pub fn file(&self) -> &ModelFile {
        &self.file
    }

    /// The apply options (policies and ε).
    pub fn options(&self) -> ApplyOptions {
        self.options
    }

    /// Class names with their own map.
    pub fn classes(&self) -> impl Iterator<Item = &str> {
        self.classes.keys().map(|s| s.as_str())
    }

    /// The map for `class`, falling back to the global map for `None` and
    /// for classes without a map of their own.
    pub fn map(&self, class: Option<&str>) -> MapRef<'_> {
        let m = class.and_then(|c| self.classes.get(c)).unwrap_or(&self.global);
        m.map_ref(self.options)
    }

    /// The global map.
    pub fn global_map(&self) -> MapRef<'_> {
        self.global.map_ref(self.options)
    }

    /// The map of exactly this class; [`ErrorKind::UnknownClass`] if the
    /// model has none.
    pub fn class_map(&self, class: &str) -> Result<MapRef<'_>> {
        self.classes
            .get(class)
            .map(|m| m.map_ref(self.options))
            .ok_or_else(|| Error::new(ErrorKind::UnknownClass, "class").detail(format!("{class:?}")))
    }

    /// Calibrates one score of `class` (global map for unknown classes).
    pub fn apply(&self, class: Option<&str>, score: f64) -> Result<f64> {
        self.map(class).apply(score)
    }

    /// Calibrates rows that each name their class (`classes[i]` for
    /// `scores[i]`; all global when `classes` is `None`) into `out`. Errors
    /// name the row. Never allocates.
    pub fn apply_rows<S: AsRef<str>>(
        &self,
        classes: Option<&[S]>,
        scores: &[f64],
        out: &mut [f64],
        stats: &mut ApplyStats,
    ) -> Result<()> {
        if out.len() < scores.len() {
            return Err(Error::new(ErrorKind::BufferTooSmall, "out").counts(out.len(), scores.len()));
        }
        let Some(classes) = classes else {
            return self.global_map().apply_batch(scores, out, stats);
        };
        if classes.len() != scores.len() {
            return Err(Error::new(ErrorKind::LengthMismatch, "classes").counts(classes.len(), scores.len()));
        }
        // Rows usually come grouped by query, so remember the last class's map.
        let mut last: Option<(&str, MapRef<'_>)> = None;
        for (i, (&s, c)) in scores.iter().zip(classes).enumerate() {
            let c = c.as_ref();
            let map = match last {
                Some((name, m)) if name == c => m,
                _ => {
                    let m = self.map(Some(c));
                    last = Some((c, m));
                    m
                }
            };
            out[i] = map.apply_counted(s, stats).map_err(|e| e.with_index(i))?;
        }
        Ok(())
    }

    /// Calibrates a batch of one class into `out`. Never allocates.
    pub fn apply_batch(
        &self,
        class: Option<&str>,
        scores: &[f64],
        out: &mut [f64],
        stats: &mut ApplyStats,
    ) -> Result<()> {
        self.map(class).apply_batch(scores, out, stats)
    }
}

/// How to fit a model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitConfig {
    /// Isotonic or histogram.
    pub method: Method,
    /// Direction of isotonic maps.
    pub direction: Direction,
    /// Strict (centered) isotonic maps.
    pub strict: bool,
    /// Lower bound of isotonic values.
    pub y_min: Option<f64>,
    /// Upper bound of isotonic values.
    pub y_max: Option<f64>,
    /// Histogram bins.
    pub bins: KPolicy,
    /// Histogram edge strategy.
    pub strategy: BinStrategy,
    /// Histogram bins with fewer samples are merged.
    pub min_samples_per_bin: u64,
    /// Classes with fewer samples get no map of their own.
    pub min_class_samples: usize,
    /// Out-of-range policy written into the model.
    pub out_of_bounds: OutOfBounds,
    /// Non-finite policy written into the model.
    pub non_finite: NonFinite,
    /// Probability floor ε written into the model.
    pub epsilon: f64,
}

impl Default for FitConfig {
    fn default() -> Self {
        FitConfig {
            method: Method::Isotonic,
            direction: Direction::Increasing,
            strict: false,
            y_min: None,
            y_max: None,
            bins: KPolicy::Fixed(15),
            strategy: BinStrategy::EqualMass,
            min_samples_per_bin: 1,
            min_class_samples: 1000,
            out_of_bounds: OutOfBounds::Clip,
            non_finite: NonFinite::Error,
            epsilon: 0.0,
        }
    }
}

fn fit_map(scores: &[f64], labels: &[f64], weights: Option<&[f64]>, cfg: &FitConfig) -> Result<MapData> {
    let n = scores.len() as u64;
    match cfg.method {
        Method::Isotonic => {
            let increasing = match cfg.direction {
                Direction::Increasing => true,
                Direction::Decreasing => false,
                Direction::Auto => isotonic::check_increasing(scores, labels)?,
            };
            let opts = IsotonicOptions { increasing, y_min: cfg.y_min, y_max: cfg.y_max, strict: cfg.strict };
            let Breakpoints { x, y, increasing } = isotonic::fit(scores, labels, weights, &opts)?;
            Ok(MapData { x, y, increasing, n, merged_bins: 0 })
        }
        Method::Histogram => {
            let opts = HistogramOptions {
                strategy: cfg.strategy,
                bins: cfg.bins.bins(scores.len()),
                min_samples_per_bin: cfg.min_samples_per_bin,
            };
            let (bp, fit) = histogram::fit(scores, labels, weights, &opts)?;
            Ok(MapData { x: bp.x, y: bp.y, increasing: true, n, merged_bins: fit.merged as u64 })
        }
    }
}

/// Fits a model: a global map on every row, plus a map for each class with
/// at least `min_class_samples` rows. Labels must lie in [0, 1]; errors name
/// the row (0-based) of the caller's input.
pub fn fit_model<S: AsRef<str>>(
    scores: &[f64],
    labels: &[f64],
    weights: Option<&[f64]>,
    classes: Option<&[S]>,
    cfg: &FitConfig,
) -> Result<Model> {
    isotonic::validate_rows(scores, labels, weights, true)?;
    let options = ApplyOptions { out_of_bounds: cfg.out_of_bounds, non_finite: cfg.non_finite, epsilon: cfg.epsilon };
    options.validate()?;
    if let Some(c) = classes
        && c.len() != scores.len()
    {
        return Err(Error::new(ErrorKind::LengthMismatch, "classes").counts(c.len(), scores.len()));
    }
    let global = fit_map(scores, labels, weights, cfg)?;
    let mut class_maps = BTreeMap::new();
    if let Some(cls) = classes {
        let mut rows: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, c) in cls.iter().enumerate() {
            rows.entry(c.as_ref()).or_default().push(i);
        }
        for (name, idx) in rows {
            if idx.len() < cfg.min_class_samples.max(1) {
                continue;
            }
            let s: Vec<f64> = idx.iter().map(|&i| scores[i]).collect();
            let l: Vec<f64> = idx.iter().map(|&i| labels[i]).collect();
            let w: Option<Vec<f64>> = weights.map(|w| idx.iter().map(|&i| w[i]).collect());
            match fit_map(&s, &l, w.as_deref(), cfg) {
                Ok(m) => {
                    class_maps.insert(name.to_string(), m);
                }
                // A class whose rows all have zero weight keeps the global map.
                Err(e) if e.kind() == ErrorKind::TooFewSamples => {}
                Err(e) => return Err(e),
            }
        }
    }
    Model::from_file(ModelFile {
        schema_version: SCHEMA_VERSION,
        method: cfg.method,
        strict: cfg.strict,
        out_of_bounds: cfg.out_of_bounds,
        non_finite: cfg.non_finite,
        epsilon: cfg.epsilon,
        global,
        classes: class_maps,
    })
}
