//! `calib fit`: the model file it writes is byte for byte the one
//! calib-core's `fit_model` builds with the same options; invalid option
//! values exit 2.

use crate::common::{Data, Expect, assert_strictly_increasing, calib, cli_fit, core_fit, ds, write};
use calib_core::binning::{BinStrategy, KPolicy};
use calib_core::map::OutOfBounds;
use calib_core::model::{Direction, FitConfig, Method, Model};
use std::ffi::OsStr;

#[test]
fn fit_isotonic_default_with_weights_classes_and_ignored_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let data = Data::overconfident(700, 1, &[("big", 400), ("mid", 150), ("tiny", 20)]);
    let csv = data.csv(&["id", "class", "score", "note", "label", "weight"]);

    // Default --min-class-samples (1000): no class is big enough.
    let text = cli_fit(tmp.path(), &csv, &[]);
    let want = core_fit(&data, true, true, &FitConfig::default());
    assert_eq!(text, want.to_json_pretty(), "fit differs from calib-core's fit_model");
    let model = Model::from_json(&text).unwrap();
    assert_eq!(model.classes().count(), 0);

    // --min-class-samples 150: big and mid (exactly 150) get maps, tiny and rest do not.
    let text = cli_fit(tmp.path(), &csv, &["--min-class-samples", "150"]);
    let cfg = FitConfig { min_class_samples: 150, ..FitConfig::default() };
    assert_eq!(text, core_fit(&data, true, true, &cfg).to_json_pretty());
    let model = Model::from_json(&text).unwrap();
    let f = model.file();
    assert_eq!(f.classes.keys().map(String::as_str).collect::<Vec<_>>(), ["big", "mid"]);
    assert_eq!(f.schema_version, 1);
    assert_eq!(f.method, Method::Isotonic);
    assert!(!f.strict);
    assert_eq!(f.out_of_bounds, OutOfBounds::Clip);
    assert_eq!(f.global.n, 700);
    assert_eq!(f.classes["big"].n, 400);
    assert_eq!(f.classes["mid"].n, 150);
    for m in std::iter::once(&f.global).chain(f.classes.values()) {
        assert!(m.increasing);
        assert_strictly_increasing(&m.x, "x");
        assert!(m.y.windows(2).all(|w| w[0] <= w[1]), "isotonic y decreases: {:?}", m.y);
        assert!(m.y.iter().all(|y| (0.0..=1.0).contains(y)));
    }
    // Weights are used: the unweighted fit is a different model.
    assert_ne!(text, core_fit(&data, false, true, &cfg).to_json_pretty());
}

#[test]
fn fit_histogram_fixed_bins() {
    let tmp = tempfile::tempdir().unwrap();
    let data = Data::overconfident(500, 2, &[]);
    let text = cli_fit(tmp.path(), &data.csv(&["score", "label"]), &["--method", "histogram", "--bins", "5"]);
    let cfg = FitConfig { method: Method::Histogram, bins: KPolicy::Fixed(5), ..FitConfig::default() };
    assert_eq!(text, core_fit(&data, false, false, &cfg).to_json_pretty());
    let f = Model::from_json(&text).unwrap().file().clone();
    assert_eq!(f.method, Method::Histogram);
    assert_eq!(f.global.x.len(), 10, "5 bins are 10 breakpoints: {:?}", f.global.x);
    assert_strictly_increasing(&f.global.x, "x");
    // Each bin's value is the label mean of its rows.
    for b in 0..5 {
        let (lo, hi) = (f.global.x[2 * b], f.global.x[2 * b + 1]);
        let rows: Vec<usize> = (0..500).filter(|&i| data.score[i] >= lo && data.score[i] <= hi).collect();
        let mean = rows.iter().map(|&i| data.label[i]).sum::<f64>() / rows.len() as f64;
        assert!((f.global.y[2 * b] - mean).abs() < 1e-12 && f.global.y[2 * b] == f.global.y[2 * b + 1]);
    }

    // Equal-width edges and a minimum bin size.
    let text = cli_fit(
        tmp.path(),
        &data.csv(&["score", "label"]),
        &["--method", "histogram", "--bins", "8", "--binning", "equal-width", "--min-samples-per-bin", "70"],
    );
    let cfg = FitConfig {
        method: Method::Histogram,
        bins: KPolicy::Fixed(8),
        strategy: BinStrategy::EqualWidth,
        min_samples_per_bin: 70,
        ..FitConfig::default()
    };
    assert_eq!(text, core_fit(&data, false, false, &cfg).to_json_pretty());
}

#[test]
fn fit_histogram_cube_root_bins() {
    let tmp = tempfile::tempdir().unwrap();
    // 1000 distinct scores: round(cbrt(1000)) = 10 equal-mass bins.
    let mut data = Data::overconfident(1000, 3, &[]);
    for (i, s) in data.score.iter_mut().enumerate() {
        *s = (i as f64 + 0.5) / 1000.0;
    }
    for spelling in ["cube-root", "cube_root"] {
        let text = cli_fit(tmp.path(), &data.csv(&["score", "label"]), &["--method", "histogram", "--bins", spelling]);
        let cfg = FitConfig { method: Method::Histogram, bins: KPolicy::CUBE_ROOT, ..FitConfig::default() };
        assert_eq!(text, core_fit(&data, false, false, &cfg).to_json_pretty());
        let f = Model::from_json(&text).unwrap().file().clone();
        assert_eq!(f.global.x.len(), 20, "10 bins expected: {:?}", f.global.x);
        assert_eq!(f.global.merged_bins, 0);
    }
}

#[test]
fn fit_direction_false_auto_true() {
    let tmp = tempfile::tempdir().unwrap();
    let down = Data::decreasing(400, 4);
    let csv = down.csv(&["score", "label"]);

    let text = cli_fit(tmp.path(), &csv, &["--increasing", "false"]);
    let cfg = FitConfig { direction: Direction::Decreasing, ..FitConfig::default() };
    assert_eq!(text, core_fit(&down, false, false, &cfg).to_json_pretty());
    let g = Model::from_json(&text).unwrap().file().global.clone();
    assert!(!g.increasing);
    assert!(g.y.windows(2).all(|w| w[0] >= w[1]), "decreasing map has an increasing step: {:?}", g.y);
    assert!(g.y[0] > *g.y.last().unwrap(), "decreasing map is flat");

    let auto = cli_fit(tmp.path(), &csv, &["--increasing", "auto"]);
    assert_eq!(auto, text, "auto should pick decreasing on decreasing data");

    let forced = cli_fit(tmp.path(), &csv, &["--increasing", "true"]);
    let g = Model::from_json(&forced).unwrap().file().global.clone();
    assert!(g.increasing && g.y.windows(2).all(|w| w[0] <= w[1]));

    let up = Data::overconfident(400, 5, &[]);
    let auto_up = cli_fit(tmp.path(), &up.csv(&["score", "label"]), &["--increasing", "auto"]);
    assert_eq!(auto_up, core_fit(&up, false, false, &FitConfig::default()).to_json_pretty());
    assert!(Model::from_json(&auto_up).unwrap().file().global.increasing);
}

#[test]
fn fit_strict_is_strictly_increasing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = Data::overconfident(600, 6, &[("a", 600)]);
    let csv = data.csv(&["score", "label", "class"]);
    let plain = Model::from_json(&cli_fit(tmp.path(), &csv, &[])).unwrap();
    assert!(
        plain.file().global.y.windows(2).any(|w| w[0] == w[1]),
        "plain isotonic on this data should have flat segments (else the strict check proves nothing)"
    );
    let text = cli_fit(tmp.path(), &csv, &["--strict", "--min-class-samples", "10"]);
    let cfg = FitConfig { strict: true, min_class_samples: 10, ..FitConfig::default() };
    assert_eq!(text, core_fit(&data, false, true, &cfg).to_json_pretty());
    let f = Model::from_json(&text).unwrap().file().clone();
    assert!(f.strict);
    for m in [&f.global, &f.classes["a"]] {
        assert_strictly_increasing(&m.x, "x");
        assert_strictly_increasing(&m.y, "strict y");
    }
}

#[test]
fn fit_y_bounds_and_policies() {
    let tmp = tempfile::tempdir().unwrap();
    let data = Data::overconfident(500, 7, &[]);
    let csv = data.csv(&["score", "label"]);

    let text = cli_fit(tmp.path(), &csv, &["--y-min", "0.2", "--y-max", "0.8"]);
    let cfg = FitConfig { y_min: Some(0.2), y_max: Some(0.8), ..FitConfig::default() };
    assert_eq!(text, core_fit(&data, false, false, &cfg).to_json_pretty());
    let y = Model::from_json(&text).unwrap().file().global.y.clone();
    assert!(y.iter().all(|v| (0.2..=0.8).contains(v)), "{y:?}");
    assert_eq!(y[0], 0.2, "the lowest block (mean 0) should be clipped up to y_min");
    assert_eq!(*y.last().unwrap(), 0.8, "the highest block should be clipped down to y_max");

    // Negative bounds parse as numbers, not flags.
    let text = cli_fit(tmp.path(), &csv, &["--y-min", "-0.5"]);
    let cfg = FitConfig { y_min: Some(-0.5), ..FitConfig::default() };
    assert_eq!(text, core_fit(&data, false, false, &cfg).to_json_pretty());

    // Out-of-bounds policies are stored and served.
    let text = cli_fit(tmp.path(), &csv, &["--out-of-bounds", "nan"]);
    let model = Model::from_json(&text).unwrap();
    assert_eq!(model.file().out_of_bounds, OutOfBounds::Nan);
    let (lo, hi) = (model.file().global.x[0], *model.file().global.x.last().unwrap());
    assert!(model.apply(None, lo - 1.0).unwrap().is_nan());
    assert!(model.apply(None, hi + 1.0).unwrap().is_nan());
    assert!(!model.apply(None, (lo + hi) / 2.0).unwrap().is_nan());
    let text = cli_fit(tmp.path(), &csv, &["--out-of-bounds", "error"]);
    assert_eq!(Model::from_json(&text).unwrap().file().out_of_bounds, OutOfBounds::Error);

    // ε clamps the outputs.
    let text = cli_fit(tmp.path(), &csv, &["--epsilon", "0.01"]);
    let model = Model::from_json(&text).unwrap();
    assert_eq!(model.file().epsilon, 0.01);
    assert_eq!(model.apply(None, -5.0).unwrap(), 0.01);
    assert_eq!(model.apply(None, 5.0).unwrap(), 0.99);
}

#[test]
fn bad_parameters_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let f = write(d, "ok.csv", "score,label\n0.1,0\n0.3,0\n0.5,1\n0.9,1\n");
    let out = d.join("m.json");
    let bad: [&[&str]; 3] = [&["--y-min", "0.8", "--y-max", "0.2"], &["--epsilon", "0.7"], &["--epsilon=-0.1"]];
    for extra in bad {
        let msg = calib(
            [OsStr::new("fit"), "--input".as_ref(), f.as_os_str(), "--out".as_ref(), out.as_os_str()]
                .into_iter()
                .chain(extra.iter().map(OsStr::new)),
        )
        .input_error();
        assert!(msg.contains("invalid"), "{extra:?}: {msg}");
        assert!(!out.exists());
    }
    // An output directory that does not exist.
    let nowhere = d.join("no").join("such").join("m.json");
    let msg = calib([OsStr::new("fit"), "--input".as_ref(), f.as_os_str(), "--out".as_ref(), nowhere.as_os_str()])
        .input_error();
    assert!(msg.starts_with(&ds(&nowhere)), "{msg}");
}
