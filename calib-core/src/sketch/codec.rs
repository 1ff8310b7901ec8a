//! The sketch's bytes: a little-endian, versioned format closed by a
//! truncated SHA-256, and its fully checked parser.

use super::{Cell, ClassSketch, FitSketch, Quantize};
use crate::error::{Error, ErrorKind, Result};
use crate::sort::{key, unkey};
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use sha2::{Digest as _, Sha256};

/// The format version [`FitSketch::to_bytes`] writes.
pub const SKETCH_VERSION: u32 = 1;
const MAGIC: &[u8; 8] = b"CALIBSKT";
const CHECKSUM_LEN: usize = 16;
const CELL_LEN: usize = 40;

fn corrupt(detail: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidParameter, "sketch bytes").detail(detail)
}

impl FitSketch {
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
        let sketch = FitSketch { quantize, classed, groups };
        // Finite cells whose total overflows: no sketch calib writes.
        sketch.check_weight(0.0)?;
        Ok(sketch)
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
