//! The fit sketch (`calib_core::sketch`): fitting from merged sketches gives
//! the in-memory map (bitwise for unweighted 0/1 labels, 1e-12 relative for
//! weighted rows), merging is associative and commutative, the bytes round-trip
//! and corrupt bytes are refused without a panic, and metrics and the ĉ
//! bootstrap from a sketch agree with the row-based ones.

use calib_core::canonical::Sha256Digest;
use calib_core::map::ApplyStats;
use calib_core::metrics;
use calib_core::model::{Direction, FitConfig, Method, Model, fit_model};
use calib_core::sketch::{FitSketch, Quantize};
use calib_core::tolerance::{self, BootstrapOptions};
use calib_core::{ErrorKind, Result};
use proptest::prelude::*;

fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// Scores with many ties, some within the 1e-15 tie tolerance of each other,
/// and `-0.0` next to `0.0`.
fn score() -> BoxedStrategy<f64> {
    prop_oneof![
        6 => (-4i32..=12).prop_map(|i| f64::from(i) / 8.0),
        2 => -10.0..10.0f64,
        1 => (0i32..=6).prop_map(|i| f64::from(i) * 3e-16),
        1 => Just(-0.0),
    ]
    .boxed()
}

fn class() -> BoxedStrategy<String> {
    prop_oneof![Just("a".to_string()), Just("b".to_string()), Just("c".to_string())].boxed()
}

/// Unweighted rows with 0/1 labels, a class each, and a part (0..4) each.
type Row = (f64, f64, String, usize);

fn binary_rows() -> impl Strategy<Value = Vec<Row>> {
    prop::collection::vec((score(), any::<bool>().prop_map(f64::from), class(), 0usize..4), 1..=120)
}

/// Weighted rows with fractional labels.
type WRow = (f64, f64, f64, usize);

fn weighted_rows() -> impl Strategy<Value = Vec<WRow>> {
    let label = prop_oneof![any::<bool>().prop_map(f64::from), 0.0..=1.0f64];
    let weight = prop_oneof![1 => Just(0.0), 2 => Just(1.0), 3 => 1e-3..1e3f64];
    prop::collection::vec((score(), label, weight, 0usize..4), 1..=120)
        .prop_filter("a positive weight", |r| r.iter().any(|p| p.2 > 0.0))
}

fn cfg(strict: bool, increasing: bool) -> FitConfig {
    FitConfig {
        strict,
        direction: if increasing { Direction::Increasing } else { Direction::Decreasing },
        min_class_samples: 5,
        ..FitConfig::default()
    }
}

/// Sketches of the parts, merged in the given order.
fn merged_parts(parts: &[FitSketch], order: &[usize]) -> FitSketch {
    let mut all = FitSketch::empty(parts[0].quantize(), parts[0].has_classes()).unwrap();
    for &i in order {
        all.merge(&parts[i]).unwrap();
    }
    all
}

fn binary_parts(rows: &[Row], with_classes: bool) -> Vec<FitSketch> {
    (0..4)
        .map(|p| {
            let part: Vec<&Row> = rows.iter().filter(|r| r.3 == p).collect();
            let s: Vec<f64> = part.iter().map(|r| r.0).collect();
            let l: Vec<f64> = part.iter().map(|r| r.1).collect();
            let c: Vec<&str> = part.iter().map(|r| r.2.as_str()).collect();
            FitSketch::from_rows(&s, &l, None, with_classes.then_some(&c[..]), Quantize::Exact).unwrap()
        })
        .collect()
}

/// The values of two models at every given score, for every class.
fn assert_same_function(a: &Model, b: &Model, at: &[f64], rel: f64) {
    let classes: Vec<Option<&str>> = std::iter::once(None).chain(["a", "b", "c"].into_iter().map(Some)).collect();
    for c in classes {
        for &s in at {
            let (va, vb) = (a.apply(c, s).unwrap(), b.apply(c, s).unwrap());
            assert!((va - vb).abs() <= rel * vb.abs().max(1.0), "class {c:?} score {s}: {va} vs {vb}");
        }
    }
}

proptest! {
    #![proptest_config(config(96))]

    /// Unweighted 0/1 rows: merged sketches fit the in-memory model bit for bit.
    #[test]
    fn unweighted_fit_is_bitwise(rows in binary_rows(), strict in any::<bool>(), inc in any::<bool>(),
                                 with_classes in any::<bool>()) {
        let s: Vec<f64> = rows.iter().map(|r| r.0).collect();
        let l: Vec<f64> = rows.iter().map(|r| r.1).collect();
        let c: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
        let cfg = cfg(strict, inc);
        let expect = fit_model(&s, &l, None, with_classes.then_some(&c[..]), &cfg);
        let parts = binary_parts(&rows, with_classes);
        let got = merged_parts(&parts, &[2, 0, 3, 1]).fit_model(&cfg);
        match (expect, got) {
            (Ok(e), Ok(g)) => prop_assert_eq!(e.to_json(), g.to_json()),
            (Err(e), Err(g)) => prop_assert_eq!(e.kind(), g.kind()),
            (e, g) => prop_assert!(false, "{:?} vs {:?}", e.map(|m| m.to_json()), g.map(|m| m.to_json())),
        }
    }

    /// Merging is associative and commutative, and the merge of the parts is
    /// the sketch of the whole (unweighted: the same bytes).
    #[test]
    fn merge_is_associative_commutative_and_whole(rows in binary_rows()) {
        let parts = binary_parts(&rows, true);
        let a = merged_parts(&parts, &[0, 1, 2, 3]).to_bytes();
        let b = merged_parts(&parts, &[3, 2, 1, 0]).to_bytes();
        // (p0 + p1) + (p2 + p3), a tree.
        let mut left = parts[0].clone();
        left.merge(&parts[1]).unwrap();
        let mut right = parts[2].clone();
        right.merge(&parts[3]).unwrap();
        left.merge(&right).unwrap();
        let s: Vec<f64> = rows.iter().map(|r| r.0).collect();
        let l: Vec<f64> = rows.iter().map(|r| r.1).collect();
        let c: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
        let whole = FitSketch::from_rows(&s, &l, None, Some(&c[..]), Quantize::Exact).unwrap().to_bytes();
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(&a, &left.to_bytes());
        prop_assert_eq!(&a, &whole);
    }

    /// Weighted rows with fractional labels: the same map to 1e-12 relative.
    #[test]
    fn weighted_fit_is_close(rows in weighted_rows(), strict in any::<bool>(), inc in any::<bool>()) {
        let s: Vec<f64> = rows.iter().map(|r| r.0).collect();
        let l: Vec<f64> = rows.iter().map(|r| r.1).collect();
        let w: Vec<f64> = rows.iter().map(|r| r.2).collect();
        let cfg = cfg(strict, inc);
        let expect = fit_model::<&str>(&s, &l, Some(&w), None, &cfg).unwrap();
        let parts: Vec<FitSketch> = (0..4).map(|p| {
            let part: Vec<&WRow> = rows.iter().filter(|r| r.3 == p).collect();
            let s: Vec<f64> = part.iter().map(|r| r.0).collect();
            let l: Vec<f64> = part.iter().map(|r| r.1).collect();
            let w: Vec<f64> = part.iter().map(|r| r.2).collect();
            FitSketch::from_rows::<&str>(&s, &l, Some(&w), None, Quantize::Exact).unwrap()
        }).collect();
        let got = merged_parts(&parts, &[1, 3, 0, 2]).fit_model(&cfg).unwrap();
        let mut at = s.clone();
        at.extend(s.windows(2).map(|p| p[0] * 0.5 + p[1] * 0.5));
        assert_same_function(&expect, &got, &at, 1e-12);
    }

    /// Bytes round-trip; every single-byte change and every truncation is refused.
    #[test]
    fn bytes_round_trip_and_refuse_damage(rows in binary_rows(), at in any::<prop::sample::Index>(),
                                          bit in 0u8..8, cut in any::<prop::sample::Index>()) {
        let s: Vec<f64> = rows.iter().map(|r| r.0).collect();
        let l: Vec<f64> = rows.iter().map(|r| r.1).collect();
        let c: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
        let sk = FitSketch::from_rows(&s, &l, None, Some(&c[..]), Quantize::F32).unwrap();
        let bytes = sk.to_bytes();
        prop_assert_eq!(&FitSketch::from_bytes(&bytes).unwrap(), &sk);
        let mut flipped = bytes.clone();
        flipped[at.index(bytes.len())] ^= 1 << bit;
        prop_assert!(FitSketch::from_bytes(&flipped).is_err());
        prop_assert!(FitSketch::from_bytes(&bytes[..cut.index(bytes.len())]).is_err());
        let mut longer = bytes.clone();
        longer.push(0);
        prop_assert!(FitSketch::from_bytes(&longer).is_err());
    }

    /// Arbitrary damage behind a *valid* checksum (a writer that lies) still
    /// gives a result or an error, never a panic.
    #[test]
    fn forged_checksums_never_panic(rows in binary_rows(), edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let s: Vec<f64> = rows.iter().map(|r| r.0).collect();
        let l: Vec<f64> = rows.iter().map(|r| r.1).collect();
        let c: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
        let bytes = FitSketch::from_rows(&s, &l, None, Some(&c[..]), Quantize::Exact).unwrap().to_bytes();
        let mut body = bytes[..bytes.len() - 16].to_vec();
        for (i, v) in edits {
            let i = i.index(body.len());
            if i >= 12 { body[i] = v; }
        }
        let digest = Sha256Digest::of(&body);
        body.extend_from_slice(&digest.as_bytes()[..16]);
        if let Ok(sk) = FitSketch::from_bytes(&body) {
            // Whatever parsed is a valid sketch: it re-encodes to the same bytes.
            prop_assert_eq!(sk.to_bytes(), body);
        }
    }

    /// Metrics from the sketch of calibrated probabilities equal the
    /// row-based ones (1e-12; equal-mass edges are exact quantiles).
    #[test]
    fn metrics_from_sketch(rows in weighted_rows(), k in 1usize..20) {
        let s: Vec<f64> = rows.iter().map(|r| r.0).collect();
        let l: Vec<f64> = rows.iter().map(|r| r.1).collect();
        let w: Vec<f64> = rows.iter().map(|r| r.2).collect();
        let model = fit_model::<&str>(&s, &l, Some(&w), None, &FitConfig::default()).unwrap();
        let mut p = vec![0.0; s.len()];
        model.apply_batch(None, &s, &mut p, &mut ApplyStats::default()).unwrap();
        let expect = metrics::evaluate(&p, &l, Some(&w), k).unwrap();
        let mut sk = FitSketch::empty(Quantize::Exact, false).unwrap();
        for part in 0..4 {
            let idx: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].3 == part).collect();
            let pp: Vec<f64> = idx.iter().map(|&i| p[i]).collect();
            let ll: Vec<f64> = idx.iter().map(|&i| l[i]).collect();
            let ww: Vec<f64> = idx.iter().map(|&i| w[i]).collect();
            sk.merge(&FitSketch::from_rows::<&str>(&pp, &ll, Some(&ww), None, Quantize::Exact).unwrap()).unwrap();
        }
        let got = sk.evaluate(k).unwrap();
        prop_assert_eq!(got.n, expect.n);
        prop_assert_eq!(got.merged_bin_percent, expect.merged_bin_percent);
        for (name, a, b) in [("ece", got.ece, expect.ece), ("aece", got.aece, expect.aece), ("mce", got.mce, expect.mce),
                             ("dece", got.dece, expect.dece), ("brier", got.brier, expect.brier), ("log_loss", got.log_loss, expect.log_loss)] {
            prop_assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{}: {} vs {}", name, a, b);
        }
    }

    /// Quantised sketches fit exactly the map of the rounded rows.
    #[test]
    fn quantised_fit_is_the_fit_of_rounded_rows(rows in binary_rows(), grid in any::<bool>()) {
        let q = if grid { Quantize::Grid(0.25) } else { Quantize::F32 };
        let s: Vec<f64> = rows.iter().map(|r| r.0).collect();
        let l: Vec<f64> = rows.iter().map(|r| r.1).collect();
        let rounded: Vec<f64> = s.iter().map(|&v| q.apply(v)).collect();
        let expect = fit_model::<&str>(&rounded, &l, None, None, &FitConfig::default()).unwrap();
        let got = FitSketch::from_rows::<&str>(&s, &l, None, None, q).unwrap().fit_model(&FitConfig::default()).unwrap();
        prop_assert_eq!(expect.to_json(), got.to_json());
    }
}

/// The ĉ bootstrap from a sketch draws exactly what the row bootstrap draws
/// from the rows sorted by score.
#[test]
fn bootstrap_from_sketch_equals_rows_sorted_by_score() -> Result<()> {
    let data = calib_core::synthetic::demo_dataset(3000, 7);
    let (s, l) = (&data.score, &data.label);
    let model = fit_model::<&str>(s, l, None, None, &FitConfig::default())?;
    let opts = BootstrapOptions { resamples: 20, min_samples: 100, ..BootstrapOptions::default() };
    let mut sorted = s.clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let calibrated: Vec<f64> = sorted.iter().map(|&v| model.apply(None, v).unwrap()).collect();
    let expect = tolerance::bootstrap_c_hat(&calibrated, &opts)?;
    let (h1, h2) = s.split_at(1234);
    let mut sk = FitSketch::from_rows::<&str>(h1, &l[..1234], None, None, Quantize::Exact)?;
    sk.merge(&FitSketch::from_rows::<&str>(h2, &l[1234..], None, None, Quantize::Exact)?)?;
    let got = sk.bootstrap_c_hat(&model, None, &opts)?;
    assert_eq!(got.0.to_bits(), expect.0.to_bits());
    assert_eq!(got.1, expect.1);
    Ok(())
}

#[test]
fn refusals_are_clear() {
    let a = FitSketch::from_rows::<&str>(&[0.1, 0.2], &[0.0, 1.0], None, None, Quantize::Exact).unwrap();
    let mut b = FitSketch::from_rows::<&str>(&[0.1], &[1.0], None, None, Quantize::F32).unwrap();
    let e = b.merge(&a).unwrap_err();
    assert!(e.to_string().contains("quantisation differs"), "{e}");
    let c = FitSketch::from_rows(&[0.1], &[1.0], None, Some(&["x"][..]), Quantize::Exact).unwrap();
    let mut a2 = a.clone();
    assert!(a2.merge(&c).unwrap_err().to_string().contains("classes"));
    let auto = FitConfig { direction: Direction::Auto, ..FitConfig::default() };
    assert_eq!(a.fit_model(&auto).unwrap_err().kind(), ErrorKind::InvalidParameter);
    let hist = FitConfig { method: Method::Histogram, ..FitConfig::default() };
    assert_eq!(a.fit_model(&hist).unwrap_err().kind(), ErrorKind::InvalidParameter);
    let empty = FitSketch::empty(Quantize::Exact, false).unwrap();
    assert_eq!(empty.fit_model(&FitConfig::default()).unwrap_err().kind(), ErrorKind::EmptyInput);
    assert!(FitSketch::empty(Quantize::Grid(0.0), false).is_err());
    assert!(FitSketch::from_bytes(b"hello").unwrap_err().to_string().contains("magic"));
    let mut v = a.to_bytes();
    v[8] = 9;
    assert!(FitSketch::from_bytes(&v).unwrap_err().to_string().contains("unsupported version 9"));
    let v = a.to_bytes();
    assert!(FitSketch::from_bytes(&v[..v.len() - 1]).unwrap_err().to_string().contains("checksum"));
    // Scores that quantise to infinity are refused, naming the row.
    let e = FitSketch::from_rows::<&str>(&[0.5, 1e300], &[0.0, 1.0], None, None, Quantize::F32).unwrap_err();
    assert_eq!((e.kind(), e.index()), (ErrorKind::NonFiniteScore, Some(1)));
}

/// Found by `forged_checksums_never_panic`: a sketch without a grid carried
/// arbitrary bits in the grid-step field, was accepted, and re-encoded to
/// different bytes. A step is now refused unless the quantisation is a grid.
#[test]
fn regression_grid_step_without_a_grid_is_refused() {
    let sk = FitSketch::from_rows::<&str>(&[0.25, 0.5], &[0.0, 1.0], None, None, Quantize::Exact).unwrap();
    let bytes = sk.to_bytes();
    let mut body = bytes[..bytes.len() - 16].to_vec();
    body[17] = 1; // the step's f64, after magic, version, flags and tag
    let digest = Sha256Digest::of(&body);
    body.extend_from_slice(&digest.as_bytes()[..16]);
    let e = FitSketch::from_bytes(&body).unwrap_err();
    assert!(e.to_string().contains("grid step"), "{e}");
}
