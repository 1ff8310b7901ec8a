//! `calib apply`: the `calibrated` column is bit for bit `Model::apply`,
//! rows are routed to their class's map, and every input field is kept as
//! it was.

use crate::common::{Data, Expect, calib, class_model, core_fit, listing, read, write};
use calib_core::map::{NonFinite, OutOfBounds};
use calib_core::model::{FitConfig, Model};
use calib_core::rng::SeededRng;
use std::ffi::OsStr;
use std::fmt::Write as _;

/// The `calibrated` column of an apply output, checked against the model,
/// with the input's other fields unchanged.
fn check_apply_output(output: &str, input: &str, model: &Model, class_col: Option<usize>, score_col: usize) {
    let (out_lines, in_lines): (Vec<&str>, Vec<&str>) = (output.lines().collect(), input.lines().collect());
    assert_eq!(out_lines.len(), in_lines.len(), "row count changed:\n{output}");
    assert_eq!(out_lines[0], format!("{},calibrated", in_lines[0]));
    for (o, i) in out_lines[1..].iter().zip(&in_lines[1..]) {
        let (prefix, value) = o.rsplit_once(',').expect("a calibrated field");
        assert_eq!(prefix, *i, "input fields not preserved");
        let fields: Vec<&str> = i.split(',').collect();
        let score: f64 = fields[score_col].trim().parse().unwrap();
        let class = class_col.map(|c| fields[c].trim());
        let want = model.apply(class, score).unwrap();
        if want.is_nan() {
            assert_eq!(value, "NaN");
        } else {
            let got: f64 = value.parse().unwrap_or_else(|_| panic!("calibrated {value:?} is not a number"));
            assert_eq!(got.to_bits(), want.to_bits(), "row {i}: calibrated {got}, Model::apply {want}");
        }
    }
}

#[test]
fn apply_matches_model_apply_bitwise_with_class_routing() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = FitConfig { min_class_samples: 300, ..FitConfig::default() };
    let (model, model_path) = class_model(tmp.path(), &cfg);
    assert_eq!(model.classes().collect::<Vec<_>>(), ["a", "b", "c"]);

    let mut input = String::from("qid,class,extra,score\n");
    let mut rng = SeededRng::new(9);
    let classes = ["a", "b", "c", "unknown", ""];
    for i in 0..300 {
        let s = match i % 7 {
            0 => -0.25,                    // below every map
            1 => 1.5,                      // above
            2 => model.file().global.x[3], // exactly a breakpoint
            _ => rng.uniform(),
        };
        let _ = writeln!(input, "q{},{},x{i},{s}", i / 10, classes[i % classes.len()]);
    }
    let input_path = write(tmp.path(), "scores.csv", &input);

    // To stdout.
    let run = calib([
        OsStr::new("apply"),
        "--model".as_ref(),
        model_path.as_os_str(),
        "--input".as_ref(),
        input_path.as_os_str(),
    ])
    .ok();
    check_apply_output(&run.stdout, &input, &model, Some(1), 3);
    assert!(run.stderr.contains("clamp rate"), "out-of-range scores should be reported: {}", run.stderr);

    // Unknown and empty classes use the global map, and classes really route.
    let global = model.global_map();
    let s = 0.5;
    assert_eq!(model.apply(Some("unknown"), s).unwrap().to_bits(), global.apply(s).unwrap().to_bits());
    assert_ne!(model.apply(Some("a"), s).unwrap(), model.apply(Some("b"), s).unwrap());

    // To a file: the same bytes, nothing on stdout.
    let out = tmp.path().join("calibrated.csv");
    let run2 = calib([
        OsStr::new("apply"),
        "--model".as_ref(),
        model_path.as_os_str(),
        "--input".as_ref(),
        input_path.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ])
    .ok();
    assert!(run2.stdout.is_empty());
    assert_eq!(read(&out), run.stdout);
    assert_eq!(listing(tmp.path()), ["calibrated.csv", "model.json", "scores.csv"], "stray files left");
}

#[test]
fn apply_without_class_column_uses_global_and_preserves_quoting() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = FitConfig { min_class_samples: 300, ..FitConfig::default() };
    let (model, model_path) = class_model(tmp.path(), &cfg);
    let input = "score,note\n0.25,plain\n0.75,\"with, comma\"\n 0.5 ,spaced\n";
    let input_path = write(tmp.path(), "s.csv", input);
    let run = calib([
        OsStr::new("apply"),
        "--model".as_ref(),
        model_path.as_os_str(),
        "--input".as_ref(),
        input_path.as_os_str(),
    ])
    .ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "score,note,calibrated");
    assert!(lines[2].starts_with("0.75,\"with, comma\","), "quoted field not preserved: {}", lines[2]);
    assert!(lines[3].starts_with(" 0.5 ,spaced,"), "untrimmed field not preserved: {}", lines[3]);
    for (line, s) in lines[1..].iter().zip([0.25, 0.75, 0.5]) {
        let v: f64 = line.rsplit_once(',').unwrap().1.parse().unwrap();
        assert_eq!(v.to_bits(), model.global_map().apply(s).unwrap().to_bits());
    }

    // A header-only input is a valid empty stream.
    let empty = write(tmp.path(), "h.csv", "score,note\n");
    let run =
        calib([OsStr::new("apply"), "--model".as_ref(), model_path.as_os_str(), "--input".as_ref(), empty.as_os_str()])
            .ok();
    assert_eq!(run.stdout, "score,note,calibrated\n");
}

#[test]
fn apply_nan_policy_and_non_finite_fallback() {
    let tmp = tempfile::tempdir().unwrap();
    let data = Data::overconfident(300, 10, &[]);
    let cfg = FitConfig { out_of_bounds: OutOfBounds::Nan, ..FitConfig::default() };
    let mut file = core_fit(&data, false, false, &cfg).file().clone();
    file.non_finite = NonFinite::Fallback(0.5);
    let model = Model::from_file(file).unwrap();
    let model_path = write(tmp.path(), "m.json", &model.to_json());
    let input = "score\n0.3\n-1\nNaN\ninf\n2\n";
    let input_path = write(tmp.path(), "s.csv", input);
    let run = calib([
        OsStr::new("apply"),
        "--model".as_ref(),
        model_path.as_os_str(),
        "--input".as_ref(),
        input_path.as_os_str(),
    ])
    .ok();
    let values: Vec<&str> = run.stdout.lines().skip(1).map(|l| l.rsplit_once(',').unwrap().1).collect();
    assert_eq!(values[1..], ["NaN", "0.5", "0.5", "NaN"]);
    assert_eq!(values[0].parse::<f64>().unwrap().to_bits(), model.apply(None, 0.3).unwrap().to_bits());
    assert!(run.stderr.contains("4 of 5 scores"), "clamp summary: {}", run.stderr);
}
