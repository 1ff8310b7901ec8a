//! Exact, mergeable fit statistics: the [`FitSketch`].
//!
//! Isotonic regression depends on the rows only through their sums per
//! distinct score: `Σw` and `Σw·y`. A sketch keeps exactly those sums (plus
//! `Σw·y²` for the Brier score and the row count), per query class and per
//! distinct score bit pattern (`-0.0` is stored as `0.0`). Sketches of the
//! parts of a data set merge into the sketch of the whole, so a fit can run
//! where the data lives (one sketch per Spark or Dask partition, merged in a
//! tree) and still give the single-machine map:
//!
//! - **unweighted 0/1 labels**: every sum is a small integer, exact in f64,
//!   so merging is exactly associative and commutative and the fitted map
//!   is *bitwise* the one [`fit_model`](crate::model::fit_model) gives on
//!   the raw rows (the distinct scores go through the same pooled route of
//!   PAV, with the same `1e-15` tie tolerance);
//! - **fractional weights or labels**: sums of non-integers round, so the
//!   order in which parts are merged can change their last bits; the map
//!   agrees with the in-memory fit to about `1e-12` relative.
//!
//! Rows of weight zero are not samples (the fit drops them): they count
//! towards a class's row count (its `n`, and `min_class_samples`) only.
//!
//! ## Quantisation
//!
//! [`Quantize::F32`] rounds each score to the nearest f32 and
//! [`Quantize::Grid`] to the nearest multiple of a step, which bounds the
//! number of distinct scores (2²³ per binade, or the grid's size). Rounding
//! is monotone, so it never reorders two rows; it moves each score by at
//! most `δ` (`2⁻²⁴·|s|` for f32 in its normal range, `step/2` for a grid) and
//! can only tie rows that were less than `2δ` apart. The fitted map is then
//! exactly the map of the rounded rows.
//!
//! ## Bytes
//!
//! [`FitSketch::to_bytes`] writes a little-endian, versioned format closed by
//! the first 16 bytes of the SHA-256 of everything before it.
//! [`FitSketch::from_bytes`] checks the magic, the version, the checksum and
//! then every value (sorted distinct keys, finite positive weights, counts
//! that add up), so corrupt or truncated bytes give an error, never a panic.
//!
//! ## Metrics and ĉ
//!
//! A sketch whose scores are *calibrated probabilities* (build it from
//! `g(s)` instead of `s`) gives every metric with [`FitSketch::evaluate`]:
//! equal-width bins are sums, and the equal-mass edges are numpy's linear
//! quantiles of the positive-weight rows, read exactly from the distinct
//! values and their row counts. [`FitSketch::bootstrap_c_hat`] resamples the
//! rows multinomially from the counts; with the same seed it draws exactly
//! what [`tolerance::bootstrap_c_hat`](crate::tolerance::bootstrap_c_hat)
//! draws from the rows sorted by score.
//!
//! ## Layout
//!
//! The sketch itself, merging and fitting are here; the byte format is in
//! `codec`, and metrics and the ĉ bootstrap from a sketch in `metrics`.

mod codec;
mod metrics;

pub use codec::SKETCH_VERSION;

use crate::error::{Error, ErrorKind, Result, Val, finite_sum};
use crate::isotonic::{self, IsotonicOptions};
use crate::map::ApplyOptions;
use crate::model::{Direction, FitConfig, MapData, Method, Model, ModelFile, SCHEMA_VERSION};
use crate::sort::{key, sort_points, unkey};
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// The sums kept for one distinct score.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Cell {
    /// Rows of positive weight.
    pub count: u64,
    /// Σw.
    pub sum_w: f64,
    /// Σw·y.
    pub sum_wy: f64,
    /// Σw·y² (equal to Σw·y for 0/1 labels).
    pub sum_wyy: f64,
}

impl Cell {
    fn add(&mut self, o: &Cell) {
        self.count += o.count;
        self.sum_w += o.sum_w;
        self.sum_wy += o.sum_wy;
        self.sum_wyy += o.sum_wyy;
    }
}

/// How scores are rounded before they are summed.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Quantize {
    /// Every distinct f64 is kept.
    #[default]
    Exact,
    /// Scores are rounded to the nearest f32.
    F32,
    /// Scores are rounded to the nearest multiple of this (positive, finite) step.
    Grid(f64),
}

impl Quantize {
    /// Checks the grid step.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Quantize::Grid(step) if !(step.is_finite() && step > 0.0) => {
                Err(Error::new(ErrorKind::InvalidParameter, "quantisation grid step").value(step))
            }
            _ => Ok(()),
        }
    }
    /// The error for a finite score whose rounding overflows: one that is
    /// more steps of the grid from 0 than f64 can count (a tiny step, e.g.
    /// `grid:1e-320`, blamed on the step), or one beyond f32's range.
    fn overflow(&self, s: f64) -> Error {
        match *self {
            Quantize::Grid(step) => Error::new(ErrorKind::InvalidParameter, "quantisation grid step")
                .value(step)
                .detail(format!("score {} divided by the step overflows f64: use a larger step", Val(Some(s)))),
            // Kept as the score's error: the score itself is what f32 cannot hold.
            _ => Error::new(ErrorKind::NonFiniteScore, "scores (beyond f32's range: use exact or grid:STEP)").value(s),
        }
    }
    /// The rounded score (may be infinite for huge scores; callers check).
    pub fn apply(&self, s: f64) -> f64 {
        match *self {
            Quantize::Exact => s,
            Quantize::F32 => s as f32 as f64,
            Quantize::Grid(step) => libm::round(s / step) * step,
        }
    }
}

/// The sketch of one class: distinct scores in increasing order with their sums.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClassSketch {
    rows: u64,
    keys: Vec<u64>,
    cells: Vec<Cell>,
}

impl ClassSketch {
    /// Rows summarised, zero-weight rows included.
    pub fn rows(&self) -> u64 {
        self.rows
    }
    /// Distinct scores of positive weight.
    pub fn len(&self) -> usize {
        self.keys.len()
    }
    /// Whether no row of positive weight was seen.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
    /// Distinct scores (increasing) with their sums.
    pub fn iter(&self) -> impl Iterator<Item = (f64, &Cell)> {
        self.keys.iter().map(|&k| unkey(k)).zip(self.cells.iter())
    }

    /// Sums runs of equal scores of rows sorted by (score, label, weight):
    /// in that order, so one part's sums are the ones the in-memory fit forms.
    fn from_sorted(x: &[f64], y: &[f64], w: &[f64]) -> ClassSketch {
        let mut out = ClassSketch { rows: x.len() as u64, keys: Vec::new(), cells: Vec::new() };
        for i in 0..x.len() {
            if w[i] == 0.0 {
                continue;
            }
            let k = key(x[i]);
            let (wy, wyy) = (y[i] * w[i], y[i] * y[i] * w[i]);
            match out.keys.last() {
                Some(&last) if last == k => {
                    let c = out.cells.last_mut().expect("keys and cells have equal lengths");
                    c.count += 1;
                    c.sum_w += w[i];
                    c.sum_wy += wy;
                    c.sum_wyy += wyy;
                }
                _ => {
                    // Start from the first term (not 0.0 + term), as PAV does.
                    out.keys.push(k);
                    out.cells.push(Cell { count: 1, sum_w: w[i], sum_wy: wy, sum_wyy: wyy });
                }
            }
        }
        out
    }

    /// The sketch of both parts: a linear merge of the sorted keys.
    pub fn merged(&self, other: &ClassSketch) -> ClassSketch {
        let (a, b) = (self, other);
        let mut out = ClassSketch {
            rows: a.rows + b.rows,
            keys: Vec::with_capacity(a.len().max(b.len())),
            cells: Vec::with_capacity(a.len().max(b.len())),
        };
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            let ka = a.keys.get(i).copied().unwrap_or(u64::MAX);
            let kb = b.keys.get(j).copied().unwrap_or(u64::MAX);
            if i < a.len() && (j >= b.len() || ka < kb) {
                out.keys.push(ka);
                out.cells.push(a.cells[i]);
                i += 1;
            } else if i >= a.len() || kb < ka {
                out.keys.push(kb);
                out.cells.push(b.cells[j]);
                j += 1;
            } else {
                let mut c = a.cells[i];
                c.add(&b.cells[j]);
                out.keys.push(ka);
                out.cells.push(c);
                i += 1;
                j += 1;
            }
        }
        out
    }

    fn fit(&self, cfg: &FitConfig) -> Result<MapData> {
        let increasing = match cfg.direction {
            Direction::Increasing => true,
            Direction::Decreasing => false,
            Direction::Auto => {
                return Err(Error::new(ErrorKind::InvalidParameter, "direction").detail(
                    "`auto` needs Spearman's ρ over the rows, which a sketch does not keep; choose increasing or decreasing",
                ));
            }
        };
        let opts = IsotonicOptions { increasing, y_min: cfg.y_min, y_max: cfg.y_max, strict: cfg.strict };
        let x = self.keys.iter().map(|&k| unkey(k)).collect();
        let wy = self.cells.iter().map(|c| c.sum_wy).collect();
        let w = self.cells.iter().map(|c| c.sum_w).collect();
        let bp = isotonic::fit_summed(x, wy, w, &opts)?;
        Ok(MapData { x: bp.x, y: bp.y, increasing: bp.increasing, n: self.rows, merged_bins: 0 })
    }
}

/// Exact fit statistics of a data set, per class; see the [module docs](self).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FitSketch {
    quantize: Quantize,
    classed: bool,
    groups: BTreeMap<String, ClassSketch>,
}

/// The least rows buffered before a chunk is sketched ([`FitSketch::chunk_due`]).
pub const CHUNK_ROWS: usize = 1 << 20;

impl FitSketch {
    /// An empty sketch (merging it changes nothing).
    pub fn empty(quantize: Quantize, classed: bool) -> Result<FitSketch> {
        quantize.validate()?;
        Ok(FitSketch { quantize, classed, groups: BTreeMap::new() })
    }

    /// The sketch of rows: `classes[i]` is row `i`'s class (`None`: no
    /// classes). Labels must lie in [0, 1]; errors name the row.
    pub fn from_rows<S: AsRef<str>>(
        scores: &[f64],
        labels: &[f64],
        weights: Option<&[f64]>,
        classes: Option<&[S]>,
        quantize: Quantize,
    ) -> Result<FitSketch> {
        quantize.validate()?;
        let mut out = FitSketch { quantize, classed: classes.is_some(), groups: BTreeMap::new() };
        if scores.is_empty() && labels.is_empty() && weights.is_none_or(|w| w.is_empty()) {
            return Ok(out);
        }
        isotonic::validate_rows(scores, labels, weights, true)?;
        if let Some(c) = classes
            && c.len() != scores.len()
        {
            return Err(Error::new(ErrorKind::LengthMismatch, "classes").counts(c.len(), scores.len()));
        }
        let q: Vec<f64>;
        let scores = if quantize == Quantize::Exact {
            scores
        } else {
            q = scores.iter().map(|&s| quantize.apply(s)).collect();
            if let Some(i) = q.iter().position(|v| !v.is_finite()) {
                // The scores are finite (validated): the rounding overflowed.
                return Err(quantize.overflow(scores[i]).at(i));
            }
            &q
        };
        let Some(cls) = classes else {
            let (x, y, w) = sort_points(scores, labels, weights);
            out.groups.insert(String::new(), ClassSketch::from_sorted(&x, &y, &w));
            out.check_weight(0.0)?;
            return Ok(out);
        };
        let mut rows: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, c) in cls.iter().enumerate() {
            rows.entry(c.as_ref()).or_default().push(i);
        }
        for (name, idx) in rows {
            let s: Vec<f64> = idx.iter().map(|&i| scores[i]).collect();
            let l: Vec<f64> = idx.iter().map(|&i| labels[i]).collect();
            let w: Option<Vec<f64>> = weights.map(|w| idx.iter().map(|&i| w[i]).collect());
            let (x, y, w) = sort_points(&s, &l, w.as_deref());
            out.groups.insert(name.to_string(), ClassSketch::from_sorted(&x, &y, &w));
        }
        out.check_weight(0.0)?;
        Ok(out)
    }

    /// The total weight of every row of the sketch, of every class.
    fn total_weight(&self) -> f64 {
        self.groups.values().flat_map(|g| &g.cells).map(|c| c.sum_w).sum()
    }

    /// Refuses a sketch whose total weight, plus `more`, overflows. Every
    /// sum a fit or a metric forms from the sketch (a cell's, a class's, a
    /// PAV block's, a bin's) is at most this total, so a sketch that passes
    /// never yields a non-finite mean.
    pub(crate) fn check_weight(&self, more: f64) -> Result<()> {
        finite_sum(self.total_weight() + more, "the sketch's weights")
    }

    /// The quantisation the sketch was built with.
    pub fn quantize(&self) -> Quantize {
        self.quantize
    }
    /// Whether rows carried classes.
    pub fn has_classes(&self) -> bool {
        self.classed
    }
    /// Rows summarised, zero-weight rows included.
    pub fn rows(&self) -> u64 {
        self.groups.values().map(|g| g.rows).sum()
    }
    /// Cells held: one per distinct score in each class (one group without
    /// classes). What the sketch's memory and byte size grow with.
    pub fn cells(&self) -> usize {
        self.groups.values().map(ClassSketch::len).sum()
    }
    /// Whether `held` buffered rows should now be sketched and merged into
    /// this sketch, when rows arrive in batches: once they are as many as
    /// the sketch has cells, and at least `min_rows` ([`CHUNK_ROWS`] unless
    /// a caller has reason to differ). A merge is a pass over the sketch and
    /// follows at least as many new rows, so merging stays linear in the
    /// rows and the buffer within a few times the sketch's size.
    pub fn chunk_due(&self, held: usize, min_rows: usize) -> bool {
        held >= self.cells().max(min_rows)
    }
    /// Class names (none when the rows had no classes).
    pub fn classes(&self) -> impl Iterator<Item = &str> {
        self.groups.keys().filter(|_| self.classed).map(|s| s.as_str())
    }
    /// The sketch of one class.
    pub fn class(&self, name: &str) -> Option<&ClassSketch> {
        if self.classed { self.groups.get(name) } else { None }
    }
    /// The sketch of every row, whatever its class.
    pub fn global(&self) -> ClassSketch {
        let mut it = self.groups.values();
        let Some(first) = it.next() else { return ClassSketch::default() };
        it.fold(first.clone(), |acc, g| acc.merged(g))
    }

    /// Merges `other` into `self`. Both must have been built with the same
    /// quantisation and both with classes or both without.
    pub fn merge(&mut self, other: &FitSketch) -> Result<()> {
        if self.quantize != other.quantize {
            return Err(Error::new(ErrorKind::InvalidParameter, "sketch merge")
                .detail(format!("quantisation differs: {:?} vs {:?}", self.quantize, other.quantize)));
        }
        let (a, b) = (self.groups.is_empty(), other.groups.is_empty());
        if self.classed != other.classed && !a && !b {
            return Err(Error::new(ErrorKind::InvalidParameter, "sketch merge")
                .detail("one sketch has classes and the other has none"));
        }
        // Checked before anything merges: on an error `self` is unchanged.
        self.check_weight(other.total_weight())?;
        if a {
            self.classed = other.classed;
        }
        for (name, g) in &other.groups {
            let merged = match self.groups.get(name) {
                Some(mine) => mine.merged(g),
                None => g.clone(),
            };
            self.groups.insert(name.clone(), merged);
        }
        Ok(())
    }

    /// Fits a model as [`fit_model`](crate::model::fit_model) fits it on
    /// the rows: a global map on every row and one map per class with at
    /// least `min_class_samples` rows. Isotonic, increasing or decreasing
    /// (`auto` needs the rows and is refused).
    pub fn fit_model(&self, cfg: &FitConfig) -> Result<Model> {
        if cfg.method != Method::Isotonic {
            return Err(Error::new(ErrorKind::InvalidParameter, "method")
                .detail("a sketch fits isotonic maps only (histogram bins need the rows)"));
        }
        let options =
            ApplyOptions { out_of_bounds: cfg.out_of_bounds, non_finite: cfg.non_finite, epsilon: cfg.epsilon };
        options.validate()?;
        let global = self.global();
        if global.rows == 0 {
            return Err(Error::new(ErrorKind::EmptyInput, "sketch"));
        }
        let global = global.fit(cfg)?;
        let mut classes = BTreeMap::new();
        if self.classed {
            for (name, g) in &self.groups {
                if g.rows < cfg.min_class_samples.max(1) as u64 {
                    continue;
                }
                match g.fit(cfg) {
                    Ok(m) => {
                        classes.insert(name.clone(), m);
                    }
                    Err(e) if e.kind() == ErrorKind::TooFewSamples => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Model::from_file(ModelFile {
            schema_version: SCHEMA_VERSION,
            method: Method::Isotonic,
            strict: cfg.strict,
            out_of_bounds: cfg.out_of_bounds,
            non_finite: cfg.non_finite,
            epsilon: cfg.epsilon,
            global,
            classes,
        })
    }
}
