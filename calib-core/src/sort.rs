//! Sorting (score, label, weight) points for fitting.
//!
//! Scores are sorted by an LSD radix sort on order-preserving u64 keys of
//! their bits: 8 passes of 8 bits, skipping every pass in which all keys
//! share the digit (scores in [0, 1] share their top bits). Points with the
//! same score are then ordered by (label, weight), so the sums PAV forms are
//! identical bit for bit whatever order the caller's rows came in.

use alloc::vec;
use alloc::vec::Vec;

/// Order-preserving key of a finite f64 (`-0.0` is treated as `0.0`).
#[inline(always)]
pub(crate) fn key(x: f64) -> u64 {
    let b = (x + 0.0).to_bits();
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

/// Inverse of [`key`].
#[inline(always)]
pub(crate) fn unkey(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// Stable LSD radix sort of `(key, payload)` records by key.
pub(crate) fn radix_sort<T: Copy>(v: &mut Vec<(u64, T)>) {
    let n = v.len();
    if n < 2 {
        return;
    }
    // Digits on which every key agrees need no pass (scores in [0, 1] share
    // their top bits; f32-rounded scores their low ones).
    let (mut all, mut any) = (!0u64, 0u64);
    for &(k, _) in v.iter() {
        all &= k;
        any |= k;
    }
    let varying = all ^ any;
    let (mut active, mut na) = ([0usize; 8], 0usize);
    for d in 0..8 {
        if (varying >> (8 * d)) & 0xff != 0 {
            active[na] = d;
            na += 1;
        }
    }
    let active = &active[..na];
    let mut hist = [[0usize; 256]; 8];
    for &(k, _) in v.iter() {
        for &d in active {
            hist[d][((k >> (8 * d)) & 0xff) as usize] += 1;
        }
    }
    if active.is_empty() {
        return;
    }
    let mut buf: Vec<(u64, T)> = vec![v[0]; n];
    let mut in_v = true;
    for &d in active {
        let h = &hist[d];
        let mut offs = [0usize; 256];
        debug_assert!(!h.contains(&n));
        let mut acc = 0;
        for (o, &c) in offs.iter_mut().zip(h.iter()) {
            *o = acc;
            acc += c;
        }
        let (src, dst) = if in_v { (v.as_slice(), buf.as_mut_slice()) } else { (buf.as_slice(), v.as_mut_slice()) };
        for &r in src.iter() {
            let b = ((r.0 >> (8 * d)) & 0xff) as usize;
            dst[offs[b]] = r;
            offs[b] += 1;
        }
        in_v = !in_v;
    }
    if !in_v {
        core::mem::swap(v, &mut buf);
    }
}

/// Sorts points by (score, label, weight); returns separate arrays.
/// Inputs must already be validated (finite scores and labels).
pub(crate) fn sort_points(x: &[f64], y: &[f64], w: Option<&[f64]>) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let n = x.len();
    match w {
        None => {
            let mut r: Vec<(u64, f64)> = x.iter().zip(y).map(|(&a, &b)| (key(a), b)).collect();
            radix_sort(&mut r);
            sort_runs(&mut r, |a, b| a.1.total_cmp(&b.1));
            let (mut xs, mut ys) = (Vec::with_capacity(n), Vec::with_capacity(n));
            for &(k, l) in &r {
                xs.push(unkey(k));
                ys.push(l);
            }
            drop(r);
            (xs, ys, vec![1.0; n])
        }
        Some(w) => {
            let mut r: Vec<(u64, (f64, f64))> = x.iter().zip(y).zip(w).map(|((&a, &b), &c)| (key(a), (b, c))).collect();
            radix_sort(&mut r);
            sort_runs(&mut r, |a, b| a.1.0.total_cmp(&b.1.0).then(a.1.1.total_cmp(&b.1.1)));
            let (mut xs, mut ys, mut ws) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
            for &(k, (l, c)) in &r {
                xs.push(unkey(k));
                ys.push(l);
                ws.push(c);
            }
            (xs, ys, ws)
        }
    }
}

/// The fast route for the common case — unit weights, every label exactly
/// 0.0 or 1.0: the distinct scores in order, each with its number of
/// positives (the label sum) and of rows (the weight sum). Sorts 8-byte keys
/// of each label separately and merges them, instead of sorting
/// (score, label) records. All sums are small integers, exact in f64, so
/// the fit that follows gives the same bits as the general route.
/// `None` when the input does not qualify.
pub(crate) fn group_binary(x: &[f64], y: &[f64]) -> Option<(Vec<f64>, Vec<f64>, Vec<f64>)> {
    // One pass splits the keys by label. Both lists reserve room for every
    // row: only the pages actually written are ever touched.
    type Keys = Vec<(u64, ())>;
    let (mut k0, mut k1): (Keys, Keys) = (Vec::with_capacity(x.len()), Vec::with_capacity(x.len()));
    for (&a, &b) in x.iter().zip(y) {
        if b == 1.0 {
            k1.push((key(a), ()));
        } else if b.to_bits() == 0 {
            k0.push((key(a), ()));
        } else {
            // A fractional label (or -0.0, whose sign the general route keeps).
            return None;
        }
    }
    radix_sort(&mut k0);
    radix_sort(&mut k1);
    // Merge the two sorted key lists, counting rows and positives per key.
    // u64::MAX is above every finite score's key, so it ends a list; the
    // merge step is written to compile to conditional moves, not branches
    // (which label comes next is a coin flip).
    let (n0, n1) = (k0.len(), k1.len());
    let guess = x.len() / 2 + 16;
    let (mut xs, mut ones, mut counts) =
        (Vec::with_capacity(guess), Vec::with_capacity(guess), Vec::with_capacity(guess));
    let (mut i, mut j) = (0usize, 0usize);
    let (mut cur, mut c1, mut c) = (u64::MAX, 0u64, 0u64);
    for _ in 0..n0 + n1 {
        let a = if i < n0 { k0[i].0 } else { u64::MAX };
        let b = if j < n1 { k1[j].0 } else { u64::MAX };
        let one = b < a;
        let k = if one { b } else { a };
        i += usize::from(!one);
        j += usize::from(one);
        if k != cur {
            if c > 0 {
                xs.push(unkey(cur));
                ones.push(c1 as f64);
                counts.push(c as f64);
            }
            (cur, c1, c) = (k, 0, 0);
        }
        c1 += u64::from(one);
        c += 1;
    }
    if c > 0 {
        xs.push(unkey(cur));
        ones.push(c1 as f64);
        counts.push(c as f64);
    }
    Some((xs, ones, counts))
}

/// Sorts each run of equal keys with `cmp`.
fn sort_runs<T: Copy>(r: &mut [(u64, T)], cmp: impl Fn(&(u64, T), &(u64, T)) -> core::cmp::Ordering) {
    let mut i = 0;
    while i < r.len() {
        let mut j = i + 1;
        while j < r.len() && r[j].0 == r[i].0 {
            j += 1;
        }
        if j - i > 1 {
            r[i..j].sort_unstable_by(&cmp);
        }
        i = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_orders_like_total_cmp_and_round_trips() {
        let vals = [-1e300, -2.5, -f64::MIN_POSITIVE, -5e-324, 0.0, 5e-324, 1e-16, 0.5, 1.0, 7e200];
        for w in vals.windows(2) {
            assert!(key(w[0]) < key(w[1]), "{} vs {}", w[0], w[1]);
        }
        for &v in &vals {
            assert_eq!(unkey(key(v)).to_bits(), v.to_bits());
        }
        assert_eq!(key(-0.0), key(0.0));
    }

    #[test]
    fn radix_sort_matches_std_sort() {
        let mut s = 0x9e3779b97f4a7c15u64;
        let mut v: Vec<(u64, u32)> = (0..5000u32)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s % 1000, i)
            })
            .collect();
        let mut expect = v.clone();
        expect.sort_by_key(|r| r.0); // stable
        radix_sort(&mut v);
        assert_eq!(v, expect);
    }
}
