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

use crate::binning::{self, EdgeSummary};
use crate::error::{Error, ErrorKind, Result};
use crate::isotonic::{self, IsotonicOptions};
use crate::map::ApplyOptions;
use crate::metrics::{BinStats, LOG_LOSS_EPS, Metrics};
use crate::model::{Direction, FitConfig, MapData, Method, Model, ModelFile, SCHEMA_VERSION};
use crate::sort::{key, sort_points, unkey};
use crate::tolerance::BootstrapOptions;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use sha2::{Digest as _, Sha256};

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

/// The format version [`FitSketch::to_bytes`] writes.
pub const SKETCH_VERSION: u32 = 1;
const MAGIC: &[u8; 8] = b"CALIBSKT";
const CHECKSUM_LEN: usize = 16;
const CELL_LEN: usize = 40;

fn corrupt(detail: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidParameter, "sketch bytes").detail(detail)
}

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
                return Err(Error::new(ErrorKind::NonFiniteScore, "scores (after quantisation)")
                    .at(i)
                    .value(scores[i]));
            }
            &q
        };
        let Some(cls) = classes else {
            let (x, y, w) = sort_points(scores, labels, weights);
            out.groups.insert(String::new(), ClassSketch::from_sorted(&x, &y, &w));
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
        Ok(out)
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

    /// Every metric with K bins, for a sketch whose scores are calibrated
    /// probabilities (all classes together).
    pub fn evaluate(&self, k: usize) -> Result<Metrics> {
        evaluate_class(&self.global(), k)
    }

    /// Bootstraps ĉ for one class (`None`: every row) from the sketch of its
    /// raw scores and the `model` that calibrates them: rows are drawn
    /// multinomially from the counts, relabelled by Bernoulli(g(s)).
    /// Deterministic for a given seed.
    pub fn bootstrap_c_hat(
        &self,
        model: &Model,
        class: Option<&str>,
        options: &BootstrapOptions,
    ) -> Result<(f64, Vec<f64>)> {
        let g = match class {
            None => self.global(),
            Some(c) => self
                .class(c)
                .cloned()
                .ok_or_else(|| Error::new(ErrorKind::UnknownClass, "class").detail(format!("{c:?}")))?,
        };
        let map = model.map(class);
        let mut calibrated = Vec::with_capacity(g.len());
        for (s, _) in g.iter() {
            calibrated.push(map.apply(s)?);
        }
        let mut cum = Vec::with_capacity(g.len());
        let mut acc = 0u64;
        for c in &g.cells {
            acc += c.count;
            cum.push(acc);
        }
        bootstrap(&calibrated, &cum, options)
    }

    /// The sketch as compact, versioned, checksummed bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let cells: usize = self.groups.values().map(|g| g.len()).sum();
        let mut b = Vec::with_capacity(40 + cells * CELL_LEN + CHECKSUM_LEN);
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&SKETCH_VERSION.to_le_bytes());
        b.extend_from_slice(&u32::from(self.classed).to_le_bytes());
        let (tag, step) = match self.quantize {
            Quantize::Exact => (0u8, 0.0),
            Quantize::F32 => (1, 0.0),
            Quantize::Grid(s) => (2, s),
        };
        b.push(tag);
        b.extend_from_slice(&step.to_le_bytes());
        b.extend_from_slice(&(self.groups.len() as u64).to_le_bytes());
        for (name, g) in &self.groups {
            b.extend_from_slice(&(name.len() as u64).to_le_bytes());
            b.extend_from_slice(name.as_bytes());
            b.extend_from_slice(&g.rows.to_le_bytes());
            b.extend_from_slice(&(g.len() as u64).to_le_bytes());
            for (k, c) in g.keys.iter().zip(&g.cells) {
                b.extend_from_slice(&k.to_le_bytes());
                b.extend_from_slice(&c.count.to_le_bytes());
                b.extend_from_slice(&c.sum_w.to_le_bytes());
                b.extend_from_slice(&c.sum_wy.to_le_bytes());
                b.extend_from_slice(&c.sum_wyy.to_le_bytes());
            }
        }
        let digest = Sha256::digest(&b);
        b.extend_from_slice(&digest[..CHECKSUM_LEN]);
        b
    }

    /// Parses [`FitSketch::to_bytes`]'s format, checking everything.
    pub fn from_bytes(bytes: &[u8]) -> Result<FitSketch> {
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err(corrupt("not a calib sketch (bad magic)"));
        }
        if bytes.len() < MAGIC.len() + 4 + CHECKSUM_LEN {
            return Err(corrupt(format!("truncated: {} bytes", bytes.len())));
        }
        let mut v = [0u8; 4];
        v.copy_from_slice(&bytes[8..12]);
        let version = u32::from_le_bytes(v);
        if version != SKETCH_VERSION {
            return Err(corrupt(format!("unsupported version {version} (this calib reads version {SKETCH_VERSION})")));
        }
        let (body, sum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
        if Sha256::digest(body)[..CHECKSUM_LEN] != *sum {
            return Err(corrupt("checksum mismatch: the bytes are corrupt or truncated"));
        }
        let mut r = Reader { b: body, at: 12 };
        let classed = match r.u32()? {
            0 => false,
            1 => true,
            f => return Err(corrupt(format!("unknown flags {f}"))),
        };
        let tag = r.u8()?;
        let step = r.f64()?;
        let quantize = match tag {
            0 => Quantize::Exact,
            1 => Quantize::F32,
            2 => Quantize::Grid(step),
            t => return Err(corrupt(format!("unknown quantisation {t}"))),
        };
        // Only a grid has a step: any other bits there are damage (and would
        // not survive a round trip).
        if tag != 2 && step.to_bits() != 0 {
            return Err(corrupt(format!("a grid step ({step}) without a grid")));
        }
        quantize.validate().map_err(|_| corrupt(format!("grid step {step}")))?;
        let n_groups = r.u64()?;
        if !classed && n_groups > 1 {
            return Err(corrupt(format!("{n_groups} groups in a sketch without classes")));
        }
        let mut groups = BTreeMap::new();
        let mut prev: Option<String> = None;
        for gi in 0..n_groups {
            let len = r.len(1)?;
            let name = core::str::from_utf8(r.take(len)?)
                .map_err(|_| corrupt(format!("class name {gi} is not UTF-8")))?
                .to_string();
            if !classed && !name.is_empty() {
                return Err(corrupt("a named group in a sketch without classes"));
            }
            if prev.as_ref().is_some_and(|p| *p >= name) {
                return Err(corrupt(format!("class {name:?} is out of order or repeated")));
            }
            let rows = r.u64()?;
            let n = r.len(CELL_LEN)?;
            let mut g = ClassSketch { rows, keys: Vec::with_capacity(n), cells: Vec::with_capacity(n) };
            let mut counted = 0u64;
            for i in 0..n {
                let k = r.u64()?;
                let c = Cell { count: r.u64()?, sum_w: r.f64()?, sum_wy: r.f64()?, sum_wyy: r.f64()? };
                let s = unkey(k);
                if !s.is_finite() || key(s) != k {
                    return Err(corrupt(format!("class {name:?}: score {i} is not a finite canonical score")));
                }
                if g.keys.last().is_some_and(|&p| p >= k) {
                    return Err(corrupt(format!("class {name:?}: score {i} ({s}) is out of order or repeated")));
                }
                let sums_ok = c.sum_w.is_finite()
                    && c.sum_w > 0.0
                    && c.sum_wy.is_finite()
                    && c.sum_wy >= 0.0
                    && c.sum_wyy.is_finite()
                    && c.sum_wyy >= 0.0;
                if c.count == 0 || !sums_ok {
                    return Err(corrupt(format!("class {name:?}: invalid sums at score {i} ({s})")));
                }
                counted = counted.checked_add(c.count).ok_or_else(|| corrupt("row counts overflow"))?;
                g.keys.push(k);
                g.cells.push(c);
            }
            if counted > rows {
                return Err(corrupt(format!("class {name:?}: {counted} counted rows but {rows} rows")));
            }
            prev = Some(name.clone());
            groups.insert(name, g);
        }
        if r.at != body.len() {
            return Err(corrupt(format!("{} unexpected bytes after the last class", body.len() - r.at)));
        }
        Ok(FitSketch { quantize, classed, groups })
    }
}

/// A bounds-checked little-endian reader.
struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        if self.b.len() - self.at < n {
            return Err(corrupt(format!("truncated at byte {} (wanted {n} more)", self.at)));
        }
        let s = &self.b[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32> {
        let mut a = [0u8; 4];
        a.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(a))
    }
    fn u64(&mut self) -> Result<u64> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }
    fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_bits(self.u64()?))
    }
    /// A count of items of `size` bytes that must fit in what is left
    /// (so a corrupt count cannot ask for a huge allocation).
    fn len(&mut self, size: usize) -> Result<usize> {
        let n = self.u64()?;
        let left = (self.b.len() - self.at) as u64;
        if n.checked_mul(size as u64).is_none_or(|need| need > left) {
            return Err(corrupt(format!("length {n} at byte {} exceeds the {left} bytes left", self.at - 8)));
        }
        Ok(n as usize)
    }
}

/// The value of 0-based rank `r` among rows with cumulative counts `cum`.
fn at_rank(values: &[f64], cum: &[u64], r: u64) -> f64 {
    values[cum.partition_point(|&c| c <= r)]
}

/// Equal-mass edges over `[0, 1]` exactly as `binning::equal_mass_edges`
/// computes them on the rows: numpy's linear quantiles `i/K` of the rows,
/// duplicate edges merged.
fn sketch_equal_mass_edges(values: &[f64], cum: &[u64], k: usize) -> (Vec<f64>, EdgeSummary) {
    let n = *cum.last().expect("a non-empty sketch");
    let mut e = vec![0.0; k + 1];
    for (i, edge) in e.iter_mut().enumerate().take(k).skip(1) {
        *edge = binning::linear_quantile(n, i as f64 / k as f64, |r| at_rank(values, cum, r)).clamp(0.0, 1.0);
    }
    e[k] = 1.0;
    let summary = binning::dedup_edges(&mut e, k);
    e.truncate(summary.bins + 1);
    (e, summary)
}

struct Summed {
    l1: f64,
    mce: f64,
    dece: f64,
}

/// The binned errors of cells over `edges` (the same formulas as
/// `BinnedAccumulator::summary`, with a cell's sums added at once).
fn binned_cells(g: &ClassSketch, edges: &[f64]) -> Summed {
    let k = edges.len() - 1;
    let equal_width = edges.iter().enumerate().all(|(i, &e)| e == i as f64 / k as f64);
    let mut bins = vec![BinStats::default(); k];
    let mut total = 0.0;
    for (p, c) in g.iter() {
        let b = if equal_width { binning::equal_width_bin(edges, p) } else { binning::bin_index(edges, p) };
        let s = &mut bins[b];
        s.count += c.count;
        s.weight += c.sum_w;
        s.sum_p += c.sum_w * p;
        s.sum_y += c.sum_wy;
        total += c.sum_w;
    }
    let (mut l1, mut mce, mut l2) = (0.0f64, 0.0f64, 0.0f64);
    for s in &bins {
        if s.count == 0 || s.weight <= 0.0 {
            continue;
        }
        let (pb, yb) = (s.mean_p(), s.observed());
        let gap = (yb - pb).abs();
        let share = s.weight / total;
        l1 += share * gap;
        mce = mce.max(gap);
        if s.count >= 2 {
            l2 += share * (gap * gap - yb * (1.0 - yb) / (s.count - 1) as f64);
        }
    }
    Summed { l1, mce, dece: libm::sqrt(l2.max(0.0)) }
}

fn evaluate_class(g: &ClassSketch, k: usize) -> Result<Metrics> {
    binning::check_k(k)?;
    if g.is_empty() {
        return Err(Error::new(ErrorKind::EmptyInput, "probabilities"));
    }
    let values: Vec<f64> = g.iter().map(|(p, _)| p).collect();
    if let Some(i) = values.iter().position(|p| !(0.0..=1.0).contains(p)) {
        return Err(Error::new(ErrorKind::ProbabilityOutOfRange, "probabilities (sketch scores)")
            .at(i)
            .value(values[i]));
    }
    let mut cum = Vec::with_capacity(g.len());
    let (mut acc, mut total, mut sq, mut ll) = (0u64, 0.0f64, 0.0f64, 0.0f64);
    for (&p, c) in values.iter().zip(&g.cells) {
        acc += c.count;
        cum.push(acc);
        total += c.sum_w;
        // Σw(p − y)² = p²Σw − 2pΣwy + Σwy².
        sq += p * p * c.sum_w - 2.0 * p * c.sum_wy + c.sum_wyy;
        let pc = p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
        ll += -(c.sum_wy * libm::log(pc) + (c.sum_w - c.sum_wy) * libm::log(1.0 - pc));
    }
    let mut width = vec![0.0; k + 1];
    binning::equal_width_edges(0.0, 1.0, k, &mut width)?;
    let w = binned_cells(g, &width);
    let (mass_edges, es) = sketch_equal_mass_edges(&values, &cum, k);
    let m = binned_cells(g, &mass_edges);
    Ok(Metrics {
        n: acc,
        ece: w.l1,
        aece: m.l1,
        mce: w.mce,
        dece: m.dece,
        brier: sq.max(0.0) / total,
        log_loss: ll / total,
        merged_bin_percent: es.merged_percent(),
    })
}

/// `tolerance::bootstrap_c_hat` over rows given as distinct calibrated
/// values with cumulative counts: drawing row `rng.index(N)` of the rows
/// sorted by score is drawing its distinct value by `cum`.
fn bootstrap(calibrated: &[f64], cum: &[u64], options: &BootstrapOptions) -> Result<(f64, Vec<f64>)> {
    let n64 = cum.last().copied().unwrap_or(0);
    let n = usize::try_from(n64).map_err(|_| Error::new(ErrorKind::InvalidParameter, "rows").value(n64 as f64))?;
    if n < options.min_samples.max(2) {
        return Err(Error::new(ErrorKind::TooFewSamples, "ĉ bootstrap").counts(n, options.min_samples.max(2)));
    }
    if options.resamples > crate::tolerance::MAX_RESAMPLES {
        return Err(Error::new(ErrorKind::InvalidParameter, "bootstrap resamples").value(options.resamples as f64));
    }
    if options.resamples == 0 || options.bins == 0 {
        return Err(Error::new(ErrorKind::InvalidParameter, "bootstrap resamples/bins").value(0.0));
    }
    if let Some(i) = calibrated.iter().position(|p| !(0.0..=1.0).contains(p)) {
        return Err(Error::new(ErrorKind::ProbabilityOutOfRange, "calibrated").at(i).value(calibrated[i]));
    }
    crate::tolerance::resampled_c_hat(n, options, |rng| at_rank(calibrated, cum, rng.index(n) as u64))
}
