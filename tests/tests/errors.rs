//! Every kind of bad input gets its own error kind and a message that names
//! the offending value and its position.

use calib_core::ErrorKind;
use calib_core::isotonic::{self, IsotonicOptions};
use calib_core::map::{ApplyOptions, MapRef, NonFinite, OutOfBounds};
use calib_core::metrics;
use calib_core::model::{FitConfig, Model, fit_model};
use calib_core::tolerance::{BootstrapOptions, bootstrap_c_hat};

fn fit_err(s: &[f64], y: &[f64], w: Option<&[f64]>) -> calib_core::Error {
    fit_model::<&str>(s, y, w, None, &FitConfig::default()).unwrap_err()
}

#[test]
fn fit_errors_name_kind_index_and_value() {
    let e = fit_err(&[], &[], None);
    assert_eq!(e.kind(), ErrorKind::EmptyInput);
    assert_eq!(e.to_string(), "empty input: scores has no elements");

    let e = fit_err(&[0.1, 0.2], &[1.0], None);
    assert_eq!(e.kind(), ErrorKind::LengthMismatch);
    assert_eq!(e.to_string(), "length mismatch: labels has 1 elements, expected 2");

    let e = fit_err(&[0.1, f64::NAN, 0.3], &[0.0, 1.0, 1.0], None);
    assert_eq!((e.kind(), e.index()), (ErrorKind::NonFiniteScore, Some(1)));
    assert_eq!(e.to_string(), "non-finite score NaN at index 1 of scores");

    let e = fit_err(&[0.1, 0.2, 0.3], &[0.0, 1.0, 1.5], None);
    assert_eq!((e.kind(), e.index(), e.offending_value()), (ErrorKind::LabelOutOfRange, Some(2), Some(1.5)));
    assert_eq!(e.to_string(), "label 1.5 at index 2 of labels is outside [0, 1]");

    let e = fit_err(&[0.1, 0.2], &[0.0, 1.0], Some(&[1.0, -2.0]));
    assert_eq!((e.kind(), e.index()), (ErrorKind::InvalidWeight, Some(1)));
    assert_eq!(e.to_string(), "weight -2 at index 1 of weights is negative or not finite");

    let e = fit_err(&[0.1, 0.2], &[0.0, 1.0], Some(&[0.0, 0.0]));
    assert_eq!(e.kind(), ErrorKind::TooFewSamples);
    assert_eq!(e.code(), "too_few_samples");
}

#[test]
fn isotonic_refuses_bad_options_and_unsorted_buffers() {
    let bad = IsotonicOptions { y_min: Some(1.0), y_max: Some(0.0), ..Default::default() };
    assert_eq!(isotonic::fit(&[1.0], &[1.0], None, &bad).unwrap_err().kind(), ErrorKind::InvalidParameter);
    let (mut x, mut y, mut w) = ([0.2, 0.1], [0.0, 1.0], [1.0, 1.0]);
    let mut blocks = [0usize; 2];
    let e = isotonic::fit_sorted_in_place(
        &mut x,
        &mut y,
        &mut w,
        isotonic::PavScratch { blocks: &mut blocks, centroids: &mut [] },
        &IsotonicOptions::default(),
    )
    .unwrap_err();
    assert_eq!((e.kind(), e.index()), (ErrorKind::Unsorted, Some(1)));
}

#[test]
fn apply_policies_report_position() {
    let (xs, ys) = ([0.0, 1.0], [0.1, 0.9]);
    let strict = ApplyOptions { out_of_bounds: OutOfBounds::Error, non_finite: NonFinite::Error, epsilon: 0.0 };
    let m = MapRef::new(&xs, &ys, strict).unwrap();
    let mut out = [0.0; 3];
    let mut st = Default::default();
    let e = m.apply_batch(&[0.5, 2.0, 0.1], &mut out, &mut st).unwrap_err();
    assert_eq!((e.kind(), e.index()), (ErrorKind::OutOfBounds, Some(1)));
    assert_eq!(e.to_string(), "score 2 at index 1 of scores is outside the calibration map's range");
    let e = m.apply_batch(&[0.5, 0.2, f64::INFINITY], &mut out, &mut st).unwrap_err();
    assert_eq!((e.kind(), e.index()), (ErrorKind::NonFiniteInput, Some(2)));

    let fallback = ApplyOptions { non_finite: NonFinite::Fallback(0.5), ..Default::default() };
    let m = MapRef::new(&xs, &ys, fallback).unwrap();
    let mut st = Default::default();
    m.apply_batch(&[f64::NAN, -1.0, 0.5], &mut out, &mut st).unwrap();
    assert_eq!(out, [0.5, 0.1, 0.5]);
    assert_eq!((st.n, st.non_finite, st.out_of_range), (3, 1, 1));
    assert!((st.clamp_rate() - 2.0 / 3.0).abs() < 1e-15);

    let eps = ApplyOptions { epsilon: 0.2, ..Default::default() };
    let m = MapRef::new(&xs, &ys, eps).unwrap();
    assert_eq!(m.apply(0.0).unwrap(), 0.2);
    assert_eq!(m.apply(1.0).unwrap(), 0.8);
    assert_eq!(
        MapRef::new(&xs, &ys, ApplyOptions { epsilon: 0.7, ..Default::default() }).unwrap_err().kind(),
        ErrorKind::InvalidParameter
    );

    let e = MapRef::new(&[0.0, 0.0], &[0.0, 1.0], ApplyOptions::default()).unwrap_err();
    assert_eq!((e.kind(), e.index()), (ErrorKind::Unsorted, Some(1)));
}

#[test]
fn metric_errors_name_the_probability() {
    let e = metrics::ece(&[0.2, 1.2], &[0.0, 1.0], None, 10).unwrap_err();
    assert_eq!((e.kind(), e.index()), (ErrorKind::ProbabilityOutOfRange, Some(1)));
    assert_eq!(e.to_string(), "probability 1.2 at index 1 of probabilities is outside [0, 1]");
    assert_eq!(metrics::brier(&[], &[], None).unwrap_err().kind(), ErrorKind::EmptyInput);
    assert_eq!(metrics::ece(&[0.2], &[0.0], None, 0).unwrap_err().kind(), ErrorKind::InvalidParameter);
}

#[test]
fn bootstrap_needs_enough_samples() {
    let e = bootstrap_c_hat(&[0.5; 100], &BootstrapOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooFewSamples);
    assert_eq!(e.to_string(), "too few samples for ĉ bootstrap: 100 given, at least 10000 needed");
}

#[test]
fn models_refuse_unknown_versions_bad_maps_and_unknown_classes() {
    let m = fit_model(
        &[0.1, 0.9, 0.2, 0.8],
        &[0.0, 1.0, 0.0, 1.0],
        None,
        Some(&["a", "a", "b", "b"]),
        &FitConfig { min_class_samples: 2, ..Default::default() },
    )
    .unwrap();
    let json = m.to_json();
    let newer = json.replace("\"schema_version\":1", "\"schema_version\":2");
    let e = Model::from_json(&newer).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadModel);
    assert!(e.to_string().contains("unsupported schema_version 2"), "{e}");
    let e = Model::from_json("{").unwrap_err();
    assert!(e.to_string().starts_with("bad model: not valid JSON"), "{e}");
    let e =
        Model::from_json(&json.replace("\"method\":\"isotonic\"", "\"method\":\"isotonic\",\"extra\":1")).unwrap_err();
    assert!(e.to_string().contains("unknown field"), "{e}");
    let e = Model::from_json(&json.replace("\"x\":[0.1,0.9]", "\"x\":[0.9,0.1]")).unwrap_err();
    assert!(e.to_string().contains("out of order"), "{e}");
    let e = m.class_map("zzz").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnknownClass);
    assert_eq!(e.to_string(), "unknown class: \"zzz\"");
    // Unknown classes are served by the global map.
    assert_eq!(m.apply(Some("zzz"), 0.5).unwrap(), m.apply(None, 0.5).unwrap());
    assert_eq!(m.classes().collect::<Vec<_>>(), ["a", "b"]);
}

#[test]
fn the_first_bad_row_is_reported_whatever_its_column() {
    // Row 0 has a bad label, row 1 a bad score: row 0 is named.
    let e = fit_err(&[0.1, f64::NAN], &[1.5, 0.0], None);
    assert_eq!((e.kind(), e.index()), (ErrorKind::LabelOutOfRange, Some(0)));
    let e = fit_err(&[0.1, f64::NAN], &[0.0, 0.0], Some(&[-1.0, 1.0]));
    assert_eq!((e.kind(), e.index()), (ErrorKind::InvalidWeight, Some(0)));
    let e = metrics::ece(&[0.5, 2.0], &[7.0, 0.0], None, 10).unwrap_err();
    assert_eq!((e.kind(), e.index()), (ErrorKind::LabelOutOfRange, Some(0)));
}

#[test]
fn metrics_refuse_all_zero_weights() {
    let w = [0.0, 0.0];
    for r in [
        metrics::ece(&[0.2, 0.8], &[0.0, 1.0], Some(&w), 10),
        metrics::brier(&[0.2, 0.8], &[0.0, 1.0], Some(&w)),
        metrics::log_loss(&[0.2, 0.8], &[0.0, 1.0], Some(&w)),
    ] {
        let e = r.unwrap_err();
        assert_eq!((e.kind(), e.index()), (ErrorKind::TooFewSamples, None));
    }
}

#[test]
fn absurd_bin_counts_are_refused_before_allocating() {
    // A K of 10^9 would ask for 32 GB of bins and abort the process.
    let e = metrics::ece(&[0.2, 0.8], &[0.0, 1.0], None, 1_000_000_000).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidParameter);
    assert!(e.to_string().contains("number of bins"), "{e}");
    assert!(metrics::ece(&[0.2, 0.8], &[0.0, 1.0], None, calib_core::binning::MAX_BINS).is_ok());
}

// Issue 17, defect 5: valid weights near f64::MAX whose sums overflow. Three
// rows of weight 1e308 fitted y = [0, 0, 1] (the pooled block's weight was
// inf, its mean 0) and metrics gave ECE 0 or NaN; every such sum is now
// refused as `weight_overflow`, whatever forms it.
#[test]
fn sums_of_weights_that_overflow_are_refused() {
    use calib_core::binning::KPolicy;
    use calib_core::model::Method;
    use calib_core::sketch::{FitSketch, Quantize};
    let (s, y, w) = ([0.1, 0.2, 0.3], [1.0, 0.0, 1.0], [1e308; 3]);
    let overflow = |e: calib_core::Error, what: &str| {
        assert_eq!((e.kind(), e.code()), (ErrorKind::WeightOverflow, "weight_overflow"), "{what}: {e}");
        assert!(e.to_string().starts_with("weight overflow: a sum of "), "{what}: {e}");
    };
    // Fits: isotonic (PAV pools the first two rows) and histogram (one bin).
    overflow(fit_err(&s, &y, Some(&w)), "isotonic fit");
    let cfg = FitConfig { method: Method::Histogram, bins: KPolicy::Fixed(1), ..FitConfig::default() };
    overflow(fit_model::<&str>(&s, &y, Some(&w), None, &cfg).unwrap_err(), "histogram fit");
    // Ties pooled before PAV.
    overflow(fit_err(&[0.1, 0.1, 0.3], &y, Some(&w)), "tied scores");
    // Metrics.
    let p = [0.1, 0.2, 0.3];
    overflow(metrics::evaluate(&p, &y, Some(&w), 15).unwrap_err(), "evaluate");
    overflow(metrics::ece(&p, &y, Some(&w), 15).unwrap_err(), "ece");
    overflow(metrics::brier(&p, &y, Some(&w)).unwrap_err(), "brier");
    overflow(metrics::log_loss(&p, &y, Some(&w)).unwrap_err(), "log_loss");
    // A total that is finite but whose losses overflow.
    let w2 = [1e307; 3];
    overflow(metrics::log_loss(&[1e-300, 0.5, 0.5], &[1.0, 0.0, 1.0], Some(&w2)).unwrap_err(), "log losses");
    // Sketches: built, merged and decoded.
    overflow(FitSketch::from_rows::<&str>(&s, &y, Some(&w), None, Quantize::Exact).unwrap_err(), "sketch");
    let half = FitSketch::from_rows::<&str>(&s[..2], &y[..2], Some(&[1e308; 2][..]), None, Quantize::Exact);
    // Two rows of 1e308 already overflow (2e308 > f64::MAX).
    overflow(half.unwrap_err(), "sketch of two rows");
    let one = |i: usize| FitSketch::from_rows::<&str>(&s[i..=i], &y[i..=i], Some(&w[i..=i]), None, Quantize::Exact);
    let mut merged = one(0).unwrap();
    let before = merged.clone();
    overflow(merged.merge(&one(1).unwrap()).unwrap_err(), "sketch merge");
    assert_eq!(merged, before, "a refused merge leaves the sketch as it was");
    // Valid weights just below the limit still fit and evaluate.
    let ok = [1e307; 3];
    let m = fit_model::<&str>(&s, &y, Some(&ok), None, &FitConfig::default()).unwrap();
    assert_eq!(m.global_map().ys(), &[0.5, 0.5, 1.0][..]);
    metrics::evaluate(&p, &y, Some(&ok), 15).unwrap();
}

// Issue 17, defect 10: messages print an offending value as the shortest
// text that reads back, in scientific notation when it is huge or tiny
// (not 1e308's 309 digits), and a grid step too small for the scores is
// reported as the step, not as a "non-finite score 0.1344".
#[test]
fn messages_print_huge_and_tiny_values_shortly_and_blame_the_grid_step() {
    use calib_core::sketch::{FitSketch, Quantize};
    let e = fit_err(&[0.1, 0.2], &[0.0, 1.0], Some(&[1.0, -1e308]));
    assert_eq!(e.to_string(), "weight -1e308 at index 1 of weights is negative or not finite");
    let e = metrics::ece(&[0.5, 2.5e-7 - 1.0], &[0.0, 1.0], None, 10).unwrap_err();
    assert_eq!(e.to_string(), "probability -0.99999975 at index 1 of probabilities is outside [0, 1]");
    let e = metrics::ece(&[0.5, -1e-300], &[0.0, 1.0], None, 10).unwrap_err();
    assert_eq!(e.to_string(), "probability -1e-300 at index 1 of probabilities is outside [0, 1]");
    let e = FitSketch::from_rows::<&str>(&[0.1344, 0.5], &[0.0, 1.0], None, None, Quantize::Grid(1e-320)).unwrap_err();
    assert_eq!((e.kind(), e.index()), (ErrorKind::InvalidParameter, Some(0)));
    assert_eq!(
        e.to_string(),
        "invalid quantisation grid step: 1e-320: score 0.1344 divided by the step overflows f64: use a larger step"
    );
    let e = FitSketch::from_rows::<&str>(&[0.5, 1e300], &[0.0, 1.0], None, None, Quantize::F32).unwrap_err();
    assert_eq!((e.kind(), e.index()), (ErrorKind::NonFiniteScore, Some(1)));
    assert_eq!(
        e.to_string(),
        "non-finite score 1e300 at index 1 of scores (beyond f32's range: use exact or grid:STEP)"
    );
}

#[test]
fn a_parameter_without_a_value_is_named_without_a_placeholder() {
    // Sketch bytes have no one offending number: the message names them and
    // says what is wrong, with no "?" standing in for a value.
    let e = calib_core::sketch::FitSketch::from_bytes(b"garbage").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidParameter);
    assert_eq!(e.to_string(), "invalid sketch bytes: not a calib sketch (bad magic)");
}
