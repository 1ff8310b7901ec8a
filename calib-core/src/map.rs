//! Calibration maps: applying breakpoints to scores.
//!
//! A map is a list of breakpoints `x_0 < x_1 < … < x_{m-1}` with values
//! `y_0 … y_{m-1}`, applied by linear interpolation (the same arithmetic as
//! `numpy.interp`, so calib reproduces scikit-learn's `IsotonicRegression.predict`).
//! [`MapRef`] borrows its breakpoints and never allocates: it is what a serving
//! hot path holds.
//!
//! Finding the segment of a score is the cost of an apply. A [`CellIndex`]
//! divides the map's range into equal-width cells and records, for each cell,
//! the first breakpoint at or after it; a lookup is then one multiply and a
//! short scan instead of a binary search. Both paths count the same
//! breakpoints, so they give identical results by construction.

use crate::error::{Error, ErrorKind, Result};

/// What to do with a score outside `[x_0, x_{m-1}]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "alloc", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "alloc", serde(rename_all = "lowercase"))]
pub enum OutOfBounds {
    /// Use the end value (`y_0` or `y_{m-1}`). The serving default.
    #[default]
    Clip,
    /// Return NaN.
    Nan,
    /// Fail with [`ErrorKind::OutOfBounds`].
    Error,
}

/// What to do with a NaN or infinite score at apply time.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "alloc", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "alloc", serde(rename_all = "lowercase"))]
pub enum NonFinite {
    /// Fail with [`ErrorKind::NonFiniteInput`].
    #[default]
    Error,
    /// Return this value instead (it is counted in [`ApplyStats::non_finite`]).
    Fallback(f64),
}

/// How a map treats scores it was not fitted for, and the probability floor.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ApplyOptions {
    /// Policy for scores outside the breakpoint range.
    pub out_of_bounds: OutOfBounds,
    /// Policy for NaN and infinite scores.
    pub non_finite: NonFinite,
    /// Probability floor ε: outputs are clamped to `[ε, 1 − ε]` when ε > 0.
    pub epsilon: f64,
}

impl ApplyOptions {
    /// Checks ε is in `[0, 0.5)` and a fallback value is finite.
    pub fn validate(&self) -> Result<()> {
        if !(self.epsilon >= 0.0 && self.epsilon < 0.5) {
            return Err(Error::new(ErrorKind::InvalidParameter, "epsilon").value(self.epsilon));
        }
        if let NonFinite::Fallback(v) = self.non_finite
            && !v.is_finite()
        {
            return Err(Error::new(ErrorKind::InvalidParameter, "non-finite fallback").value(v));
        }
        Ok(())
    }
}

/// Counts kept while applying a map: the inputs of the clamp rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ApplyStats {
    /// Scores seen.
    pub n: u64,
    /// Scores outside `[x_0, x_{m-1}]` (clipped, NaN'd or refused).
    pub out_of_range: u64,
    /// NaN or infinite scores.
    pub non_finite: u64,
}

impl ApplyStats {
    /// The clamp rate: the fraction of scores that were out of range or
    /// non-finite. 0 when no score was seen.
    pub fn clamp_rate(&self) -> f64 {
        if self.n == 0 { 0.0 } else { (self.out_of_range + self.non_finite) as f64 / self.n as f64 }
    }
    /// Adds another window's counts.
    pub fn merge(&mut self, other: &ApplyStats) {
        self.n += other.n;
        self.out_of_range += other.out_of_range;
        self.non_finite += other.non_finite;
    }
}

/// Checks breakpoints: same non-zero length, finite, `x` strictly increasing.
pub fn validate_breakpoints(xs: &[f64], ys: &[f64]) -> Result<()> {
    if xs.is_empty() {
        return Err(Error::new(ErrorKind::EmptyInput, "breakpoints"));
    }
    if xs.len() != ys.len() {
        return Err(Error::new(ErrorKind::LengthMismatch, "breakpoint values").counts(ys.len(), xs.len()));
    }
    for (i, &x) in xs.iter().enumerate() {
        if !x.is_finite() {
            return Err(Error::new(ErrorKind::NonFiniteScore, "breakpoints").at(i).value(x));
        }
        if i > 0 && x <= xs[i - 1] {
            return Err(Error::new(ErrorKind::Unsorted, "breakpoints").at(i).value(x));
        }
    }
    for (i, &y) in ys.iter().enumerate() {
        if !y.is_finite() {
            return Err(Error::new(ErrorKind::InvalidParameter, "breakpoint value").at(i).value(y));
        }
    }
    Ok(())
}

/// Writes each segment's slope `(y_{j+1} − y_j)/(x_{j+1} − x_j)` into
/// `out[..m-1]` (see [`MapRef::with_slopes`]). Never allocates.
pub fn slopes_into(xs: &[f64], ys: &[f64], out: &mut [f64]) -> Result<()> {
    validate_breakpoints(xs, ys)?;
    let need = xs.len() - 1;
    if out.len() < need {
        return Err(Error::new(ErrorKind::BufferTooSmall, "slopes").counts(out.len(), need));
    }
    for j in 0..need {
        out[j] = (ys[j + 1] - ys[j]) / (xs[j + 1] - xs[j]);
    }
    Ok(())
}

/// Breakpoints a cell is scanned for without a branch; fuller cells (rare:
/// breakpoints cluster) fall back to a binary search inside the cell. Two
/// lanes: with eight cells per breakpoint, almost every cell holds zero or
/// one, and each lane costs about as much as the rest of the lookup.
const SCAN_LIMIT: usize = 2;

/// The flag bit of a [`CellIndex`] entry: the cell holds more than
/// [`SCAN_LIMIT`] breakpoints. The other 31 bits count breakpoints.
const FULL: u32 = 1 << 31;

/// Marks a score outside `[x_0, x_{m-1}]` (NaN included) in the first pass
/// of [`MapRef::apply_batch`].
const OUTSIDE: u64 = u64::MAX;

/// Scores per block of [`MapRef::apply_batch`]'s two-pass loop: small
/// enough that the block stays in L1 between the passes.
const BLOCK: usize = 256;

/// Cells per breakpoint: with eight, most cells hold at most one breakpoint
/// even where breakpoints cluster (32 bytes of index per breakpoint).
const CELLS_PER_BREAKPOINT: usize = 8;

/// At most this many cells (16 MiB of index): a map with millions of
/// breakpoints (a strict fit on unpooled data) gets fuller cells, which the
/// lookup searches, instead of an index larger than the map.
const MAX_CELLS: usize = 1 << 22;

/// An equal-width cell index over a map's breakpoints (see the module docs).
///
/// `starts[c]` is the number of breakpoints whose cell is below `c`, with
/// the top bit set when cell `c` holds more breakpoints than a lookup scans
/// without a search (two); there are `starts.len() - 1` cells.
#[derive(Debug, Clone, Copy)]
pub struct CellIndex<'a> {
    lo: f64,
    scale: f64,
    starts: &'a [u32],
}

impl<'a> CellIndex<'a> {
    /// How many `u32`s [`CellIndex::build`] needs for `m` breakpoints:
    /// eight cells per breakpoint (at most 2²² cells), plus one (32 KiB for
    /// 1000 breakpoints).
    pub const fn buffer_len(m: usize) -> usize {
        let cells = m.saturating_mul(CELLS_PER_BREAKPOINT);
        (if cells < MAX_CELLS { cells } else { MAX_CELLS }) + 1
    }

    /// Builds the index into `buf` (which must hold at least
    /// [`CellIndex::buffer_len`]`(xs.len())` entries). Never allocates.
    /// `xs` must already be valid breakpoints ([`validate_breakpoints`]).
    pub fn build(xs: &[f64], buf: &'a mut [u32]) -> Result<CellIndex<'a>> {
        let m = xs.len();
        let need = Self::buffer_len(m);
        if buf.len() < need || m == 0 || m > !FULL as usize {
            return Err(Error::new(ErrorKind::BufferTooSmall, "cell index").counts(buf.len(), need));
        }
        let cells = need - 1;
        let (lo, scale) = Self::geometry(xs);
        let probe = CellIndex { lo, scale, starts: &[] };
        // starts[c] = number of breakpoints whose cell is below c.
        let mut j = 0usize;
        for (c, slot) in buf[..need].iter_mut().enumerate() {
            while j < m && probe.cell(xs[j], cells) < c {
                j += 1;
            }
            *slot = j as u32;
        }
        // Flag the cells too full for the fixed scan, so a lookup reads one
        // entry, not two, in the common case.
        for c in 0..cells {
            if (buf[c + 1] - buf[c]) as usize > SCAN_LIMIT {
                buf[c] |= FULL;
            }
        }
        let buf: &'a [u32] = buf;
        Ok(CellIndex { lo, scale, starts: &buf[..need] })
    }

    /// Re-creates an index from a buffer [`CellIndex::build`] filled for
    /// the same `xs` (owned models keep the buffer, not the borrow).
    #[cfg(feature = "alloc")]
    pub(crate) fn from_raw(geometry: (f64, f64), starts: &'a [u32]) -> CellIndex<'a> {
        CellIndex { lo: geometry.0, scale: geometry.1, starts }
    }

    /// Origin and cells-per-unit of the index of `xs` (non-empty).
    pub(crate) fn geometry(xs: &[f64]) -> (f64, f64) {
        let m = xs.len();
        let cells = CellIndex::buffer_len(m) - 1;
        let lo = xs[0];
        let span = xs[m - 1] - lo;
        // A span that overflows or is zero cannot be cut into cells: every
        // score then lands in cell 0 and the lookup falls back to search.
        // Nor can a subnormal span, whose scale overflows. A finite scale
        // keeps every in-range score's position within [0, cells] up to
        // rounding, which `cell` relies on.
        let scale = cells as f64 / span;
        let scale = if span.is_finite() && span > 0.0 && scale.is_finite() { scale } else { 0.0 };
        (lo, scale)
    }

    /// The cell of a score in `[x_0, x_{m-1}]` (monotone non-decreasing in
    /// `x`, always below `cells`).
    ///
    /// `t` is in `[0, cells]` up to rounding (a score in range, and a
    /// scale that is `cells / span` or 0), so adding 2⁵² puts `round(t)` in
    /// the low bits of the sum: three instructions where the saturating
    /// `as` conversion takes seven. Rounding instead of truncating moves
    /// cell edges by half a cell, which no result sees: the index is built
    /// with this same function, and a lookup only relies on it being
    /// monotone (a breakpoint in a later cell than `x` is above `x`).
    #[inline(always)]
    fn cell(&self, x: f64, cells: usize) -> usize {
        const ROUND: f64 = 4_503_599_627_370_496.0; // 2^52
        let t = (x - self.lo) * self.scale;
        // NaN when the span overflowed (∞ × a scale of 0): cell 0, as for
        // every score of such a map. A select, not a branch.
        let t = if t >= 0.0 { t } else { 0.0 };
        debug_assert!(t >= 0.0 && t <= cells as f64 * 1.5, "cell of {x:e} out of range: {t:e}");
        let c = (t + ROUND).to_bits() as u32 as usize;
        if c >= cells { cells - 1 } else { c }
    }

    /// Pass 1 of [`MapRef::apply_batch`]: for each score, the index `j` of
    /// the segment it falls in (`x_j <= s`, the last breakpoint's index when
    /// `s` is `x_{m-1}`), or [`OUTSIDE`] for a score outside `[x_0, x_{m-1}]`
    /// (NaN included), written into `out` as the bits of an `f64`. Kept out of
    /// line so its short loop has the registers to itself.
    #[inline(never)]
    fn segments(&self, xs: &[f64], scores: &[f64], out: &mut [f64]) {
        let m = xs.len();
        let (lo, hi) = (xs[0], xs[m - 1]);
        let cells = self.starts.len() - 1;
        // Lengths the compiler can see, so no lookup below needs a bounds
        // check: a cell is below `cells`, so `starts[c]` is in range, and
        // the scan starts at most at `m - 2` (`apply_batch_served` only
        // runs for two breakpoints or more).
        let starts = &self.starts[..cells + 1];
        let xs = &xs[..m];
        debug_assert!(m >= 2);
        let top = m - 2;
        for (&s, o) in scores.iter().zip(out.iter_mut()) {
            // Branchless: a score out of range (NaN included) is looked up
            // as x_0, and its result is replaced by OUTSIDE with a select.
            let inside = (s >= lo) & (s <= hi);
            let x = if inside { s } else { lo };
            let c = self.cell(x, cells);
            let e = starts[c];
            let a = (e & !FULL) as usize;
            let n = if e & FULL == 0 {
                // Two lanes from `a` (moved down to `m - 2` near the end):
                // a cell that is not full holds at most two breakpoints, so
                // every breakpoint <= x is below `a + 2`; the breakpoints
                // from the moved-down start to `a` are in earlier cells, so
                // below x, and are counted by their lanes.
                let b = if a < top { a } else { top };
                b + (xs[b] <= x) as usize + (xs[b + 1] <= x) as usize
            } else {
                let b = (starts[c + 1] & !FULL) as usize;
                a + xs[a..b].partition_point(|&v| v <= x)
            };
            debug_assert_eq!(n, xs.partition_point(|&v| v <= x), "cell index count of {x:e}");
            // At least one breakpoint is <= x, as x >= x_0.
            let j = if inside { (n as u64).wrapping_sub(1) } else { OUTSIDE };
            *o = f64::from_bits(j);
        }
    }

    /// Number of breakpoints `<= x`, for `x` within the map's range.
    #[inline(always)]
    fn count_le(&self, xs: &[f64], x: f64) -> usize {
        let cells = self.starts.len() - 1;
        let c = self.cell(x, cells);
        let e = self.starts[c];
        let a = (e & !FULL) as usize;
        if e & FULL == 0 {
            // A fixed-length count with no data-dependent branch. A lane past
            // the cell's end needs no mask: its breakpoint is in a later cell,
            // so above `x` (cells are monotone in the score). Past the last
            // breakpoint, a lane reads a clamped index and counts nothing.
            let last = xs.len() - 1;
            let mut n = a;
            for k in 0..SCAN_LIMIT {
                let i = a + k;
                n += ((i <= last) & (xs[i.min(last)] <= x)) as usize;
            }
            n
        } else {
            let b = (self.starts[c + 1] & !FULL) as usize;
            a + xs[a..b].partition_point(|&v| v <= x)
        }
    }
}

/// A calibration map over borrowed breakpoints. Never allocates, never panics.
#[derive(Debug, Clone, Copy)]
pub struct MapRef<'a> {
    xs: &'a [f64],
    ys: &'a [f64],
    index: Option<CellIndex<'a>>,
    slopes: Option<&'a [f64]>,
    options: ApplyOptions,
}

impl<'a> MapRef<'a> {
    /// A map over `xs`/`ys` (validated: see [`validate_breakpoints`]).
    pub fn new(xs: &'a [f64], ys: &'a [f64], options: ApplyOptions) -> Result<Self> {
        validate_breakpoints(xs, ys)?;
        options.validate()?;
        Ok(MapRef { xs, ys, index: None, slopes: None, options })
    }

    /// The same map, with a cell index for faster lookups. The index must
    /// have been built from the same `xs`.
    pub fn with_index(mut self, index: CellIndex<'a>) -> Self {
        if index.starts.len() == CellIndex::buffer_len(self.xs.len()) {
            self.index = Some(index);
        }
        self
    }

    /// The same map, reading segment slopes from `slopes` (filled by
    /// [`slopes_into`] from the same breakpoints) instead of dividing on
    /// every call. The division is the costliest step of an apply; its
    /// result is the same either way, so outputs are bit-identical.
    /// Ignored if `slopes` has the wrong length.
    pub fn with_slopes(mut self, slopes: &'a [f64]) -> Self {
        if slopes.len() + 1 == self.xs.len() {
            self.slopes = Some(slopes);
        }
        self
    }

    /// Builds a map without validation, for breakpoints calib itself produced
    /// and already checked (owned models).
    #[cfg(feature = "alloc")]
    pub(crate) fn from_parts(
        xs: &'a [f64],
        ys: &'a [f64],
        index: Option<CellIndex<'a>>,
        options: ApplyOptions,
    ) -> Self {
        MapRef { xs, ys, index, slopes: None, options }
    }

    /// Breakpoint positions.
    pub fn xs(&self) -> &'a [f64] {
        self.xs
    }
    /// Breakpoint values.
    pub fn ys(&self) -> &'a [f64] {
        self.ys
    }
    /// The apply options.
    pub fn options(&self) -> ApplyOptions {
        self.options
    }

    /// Linear interpolation on the breakpoints, `x` finite and in range.
    #[inline(always)]
    fn interpolate(&self, x: f64) -> f64 {
        let (xs, ys) = (self.xs, self.ys);
        let m = xs.len();
        let n_le = match &self.index {
            Some(ix) => ix.count_le(xs, x),
            None => xs.partition_point(|&v| v <= x),
        };
        // n_le >= 1 because x >= xs[0]; x <= xs[m-1] so n_le == m means x == xs[m-1].
        let j = n_le.wrapping_sub(1);
        if j >= m - 1 {
            return ys[m - 1];
        }
        let (x0, x1, y0, y1) = (xs[j], xs[j + 1], ys[j], ys[j + 1]);
        if x == x0 {
            return y0;
        }
        // numpy.interp's arithmetic, including its retry from the right end
        // when the slope overflows (gaps of subnormal size).
        let slope = match self.slopes {
            Some(s) => s[j],
            None => (y1 - y0) / (x1 - x0),
        };
        let mut r = slope * (x - x0) + y0;
        if r.is_nan() {
            r = slope * (x - x1) + y1;
            if r.is_nan() && y0 == y1 {
                r = y0;
            }
        }
        if !r.is_finite() {
            // The slope overflowed without producing NaN (a subnormal gap, or
            // huge values): interpolate by the position within the segment.
            let t = (x - x0) / (x1 - x0);
            r = if t.is_finite() { y0 + t * (y1 - y0) } else { y0 * 0.5 + y1 * 0.5 };
        }
        // The formula can land an ulp outside the segment; a probability map
        // must never leave [y0, y1] (e.g. return 1.0000000000000002).
        let (lo, hi) = if y0 <= y1 { (y0, y1) } else { (y1, y0) };
        r.clamp(lo, hi)
    }

    #[inline(always)]
    fn floor(&self, p: f64) -> f64 {
        let e = self.options.epsilon;
        if e > 0.0 && !p.is_nan() {
            if p < e {
                e
            } else if p > 1.0 - e {
                1.0 - e
            } else {
                p
            }
        } else {
            p
        }
    }

    /// Applies the map to one score; `index` is only used in errors.
    #[inline(always)]
    fn apply_at(&self, score: f64, index: usize, stats: &mut ApplyStats) -> Result<f64> {
        stats.n += 1;
        let (lo, hi) = (self.xs[0], self.xs[self.xs.len() - 1]);
        if score >= lo && score <= hi {
            return Ok(self.floor(self.interpolate(score)));
        }
        self.apply_outside(score, index, stats)
    }

    /// A score that is not within the map's range (NaN and ±∞ included):
    /// the policies decide, and the counters record it.
    #[cold]
    fn apply_outside(&self, score: f64, index: usize, stats: &mut ApplyStats) -> Result<f64> {
        if !score.is_finite() {
            stats.non_finite += 1;
            return match self.options.non_finite {
                NonFinite::Error => Err(Error::new(ErrorKind::NonFiniteInput, "scores").at(index).value(score)),
                NonFinite::Fallback(v) => Ok(self.floor(v)),
            };
        }
        stats.out_of_range += 1;
        match self.options.out_of_bounds {
            OutOfBounds::Clip => {
                let v = if score < self.xs[0] { self.ys[0] } else { self.ys[self.ys.len() - 1] };
                Ok(self.floor(v))
            }
            OutOfBounds::Nan => Ok(f64::NAN),
            OutOfBounds::Error => Err(Error::new(ErrorKind::OutOfBounds, "scores").at(index).value(score)),
        }
    }

    /// Calibrated probability of one score.
    ///
    /// Fails only under the `error` policies (out of range, non-finite).
    #[inline]
    pub fn apply(&self, score: f64) -> Result<f64> {
        self.apply_at(score, 0, &mut ApplyStats::default())
    }

    /// Calibrated probability of one score, counting into `stats`.
    #[inline]
    pub fn apply_counted(&self, score: f64, stats: &mut ApplyStats) -> Result<f64> {
        self.apply_at(score, 0, stats)
    }

    /// Applies the map to every score, writing into `out[..scores.len()]`.
    ///
    /// Never allocates. On error (an `error` policy) the error names the
    /// score's index; `out` holds the results before that index, and what
    /// it holds from there on is unspecified.
    pub fn apply_batch(&self, scores: &[f64], out: &mut [f64], stats: &mut ApplyStats) -> Result<()> {
        if out.len() < scores.len() {
            return Err(Error::new(ErrorKind::BufferTooSmall, "out").counts(out.len(), scores.len()));
        }
        if let (Some(index), Some(slopes)) = (self.index, self.slopes)
            && self.xs.len() >= 2
        {
            return self.apply_batch_served(index, slopes, scores, out, stats);
        }
        // In-range scores take a tight loop that touches no counter; the
        // rest go through the policies one by one.
        let (lo, hi) = (self.xs[0], self.xs[self.xs.len() - 1]);
        for (i, (&s, o)) in scores.iter().zip(out.iter_mut()).enumerate() {
            if s >= lo && s <= hi {
                *o = self.floor(self.interpolate(s));
            } else {
                match self.apply_outside(s, i, stats) {
                    Ok(v) => *o = v,
                    Err(e) => {
                        stats.n += i as u64 + 1;
                        return Err(e);
                    }
                }
            }
        }
        stats.n += scores.len() as u64;
        Ok(())
    }

    /// [`MapRef::apply_batch`] for a map with a cell index and slopes (what
    /// a loaded model serves), giving the same bits as [`MapRef::interpolate`].
    ///
    /// Scores go in blocks of [`BLOCK`], in two passes. The first finds each
    /// score's segment and parks it in `out` (as the bits of an `f64`); the
    /// second interpolates. Each pass is a short loop whose iterations do not
    /// depend on each other, so the processor overlaps many of them, where
    /// one long loop body keeps only a couple in flight.
    ///
    /// The common case is one multiply-add and a clamp to the segment. A
    /// score equal to a breakpoint, or a result that is not finite (a slope
    /// that overflowed across a subnormal gap), takes the full path, so the
    /// fast path only ever returns what the full path would.
    fn apply_batch_served(
        &self,
        index: CellIndex<'a>,
        slopes: &[f64],
        scores: &[f64],
        out: &mut [f64],
        stats: &mut ApplyStats,
    ) -> Result<()> {
        let m = self.xs.len();
        let last = m - 1;
        // Slices of known lengths, so the indexing below needs no bounds checks.
        let (xs, ys, slopes) = (&self.xs[..m], &self.ys[..m], &slopes[..last]);
        let lo = xs[0];
        let clip = self.options.out_of_bounds == OutOfBounds::Clip;
        let out = &mut out[..scores.len()];
        for (b, (scores, out)) in scores.chunks(BLOCK).zip(out.chunks_mut(BLOCK)).enumerate() {
            index.segments(xs, scores, out);
            for (k, (&s, o)) in scores.iter().zip(out.iter_mut()).enumerate() {
                let j = o.to_bits();
                let r = if j < last as u64 {
                    let j = j as usize;
                    let (x0, y0, y1) = (xs[j], ys[j], ys[j + 1]);
                    let r = slopes[j] * (s - x0) + y0;
                    if s == x0 || !r.is_finite() {
                        self.interpolate(s)
                    } else {
                        // The clamp to the segment as two selects (r is
                        // finite here): the same result as `f64::clamp`,
                        // -0.0 included, without a data-dependent branch.
                        let (lo, hi) = if y0 <= y1 { (y0, y1) } else { (y1, y0) };
                        let r = if r < lo { lo } else { r };
                        if r > hi { hi } else { r }
                    }
                } else if j != OUTSIDE {
                    ys[last]
                } else if clip && s.is_finite() {
                    // apply_outside's clip, inline: the ends of a map fitted
                    // on quantiles see a steady share of scores.
                    stats.out_of_range += 1;
                    if s < lo { ys[0] } else { ys[last] }
                } else {
                    let i = b * BLOCK + k;
                    match self.apply_outside(s, i, stats) {
                        Ok(v) => {
                            *o = v;
                            continue;
                        }
                        Err(e) => {
                            stats.n += i as u64 + 1;
                            return Err(e);
                        }
                    }
                };
                *o = self.floor(r);
            }
        }
        stats.n += scores.len() as u64;
        Ok(())
    }
}
