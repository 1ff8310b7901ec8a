//! Bad input to `fit`, `eval` and `apply`: exit 2 and one line that names
//! the file, the line and the column; bad models and usage errors.

use crate::common::{Expect, assert_located, calib, ds, fail_on, read, simple_model, write};
use calib_core::map::OutOfBounds;
use std::ffi::OsStr;
use std::path::Path;

#[test]
fn bad_numbers_name_file_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let model = simple_model(d, "m.json", OutOfBounds::Clip);

    // Non-numeric score, in every command; score is column 2.
    let f = write(d, "text.csv", "id,score,label\na,0.1,0\nb,0.2,1\nc,abc,1\nd,0.4,0\n");
    for cmd in ["fit", "eval", "apply"] {
        assert_located(&fail_on(cmd, d, &f, Some(&model)), &f, 4, "2 (score)", "\"abc\"");
    }
    // An empty score field.
    let f = write(d, "blank.csv", "score,label\n0.1,0\n,1\n");
    for cmd in ["fit", "eval", "apply"] {
        assert_located(&fail_on(cmd, d, &f, Some(&model)), &f, 3, "1 (score)", "\"\"");
    }
    // NaN score in fit (parses as a number, refused by the fit).
    let f = write(d, "nan.csv", "score,label\n0.1,0\n0.2,1\nNaN,1\n");
    assert_located(&fail_on("fit", d, &f, None), &f, 4, "1 (score)", "non-finite score NaN");
    // ... and in apply under the default non-finite policy (error).
    assert_located(&fail_on("apply", d, &f, Some(&model)), &f, 4, "1 (score)", "NaN");
    // ... and eval without a model (not a probability).
    assert_located(&fail_on("eval", d, &f, None), &f, 4, "1 (score)", "NaN");
    // Infinite score in fit.
    let f = write(d, "inf.csv", "score,label\n0.1,0\n-inf,1\n");
    assert_located(&fail_on("fit", d, &f, None), &f, 3, "1 (score)", "inf");

    // Label 1.5; label is column 3.
    let f = write(d, "label.csv", "score,weight,label\n0.1,1,0\n0.2,1,1\n0.3,1,1.5\n");
    for cmd in ["fit", "eval"] {
        assert_located(&fail_on(cmd, d, &f, None), &f, 4, "3 (label)", "label 1.5");
    }
    // A non-numeric label.
    let f = write(d, "label2.csv", "score,label\n0.1,yes\n");
    for cmd in ["fit", "eval"] {
        assert_located(&fail_on(cmd, d, &f, None), &f, 2, "2 (label)", "\"yes\"");
    }
    // Negative weight; weight is column 1.
    let f = write(d, "weight.csv", "weight,score,label\n1,0.1,0\n-2,0.2,1\n1,0.3,1\n");
    for cmd in ["fit", "eval"] {
        assert_located(&fail_on(cmd, d, &f, None), &f, 3, "1 (weight)", "weight -2");
    }

    // eval of a score outside [0, 1] without a model.
    let f = write(d, "prob.csv", "score,label\n0.1,0\n0.5,1\n0.7,1\n1.25,1\n");
    assert_located(&fail_on("eval", d, &f, None), &f, 5, "1 (score)", "probability 1.25");
    // With a clip model the same file is fine.
    calib([OsStr::new("eval"), "--input".as_ref(), f.as_os_str(), "--model".as_ref(), model.as_os_str()]).ok();

    // A model fitted with --out-of-bounds error refuses out-of-range scores.
    let strict = simple_model(d, "err.json", OutOfBounds::Error);
    let f = write(d, "oob.csv", "label,score\n0,0.2\n1,0.5\n1,0.95\n0,0.3\n");
    assert_located(&fail_on("apply", d, &f, Some(&strict)), &f, 4, "2 (score)", "0.95");
    assert_located(&fail_on("eval", d, &f, Some(&strict)), &f, 4, "2 (score)", "0.95");
}

#[test]
fn malformed_csv_names_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let model = simple_model(d, "m.json", OutOfBounds::Clip);
    let f = write(d, "ragged.csv", "score,label\n0.1,0\n0.2,1\n0.3,1,extra\n0.4,0\n");
    for cmd in ["fit", "eval", "apply"] {
        assert_located(&fail_on(cmd, d, &f, Some(&model)), &f, 4, "-", "malformed CSV");
    }
    // A quoted field spanning lines counts as the lines it spans.
    let f = write(d, "multi.csv", "note,score,label\n\"two\nlines\",0.1,0\nx,abc,1\n");
    for cmd in ["fit", "eval", "apply"] {
        assert_located(&fail_on(cmd, d, &f, Some(&model)), &f, 4, "2 (score)", "\"abc\"");
    }
}

#[test]
fn missing_columns_and_empty_inputs_name_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let model = simple_model(d, "m.json", OutOfBounds::Clip);
    let prefix = |f: &Path| format!("{}: ", f.display());
    let header = |f: &Path| format!("{}:1: ", f.display());

    let f = write(d, "nolabel.csv", "score,y\n0.1,0\n");
    for cmd in ["fit", "eval"] {
        let msg = fail_on(cmd, d, &f, None);
        assert!(msg.starts_with(&header(&f)) && msg.contains("\"label\""), "{msg}");
    }
    let f = write(d, "noscore.csv", "s,label\n0.1,0\n");
    for cmd in ["fit", "eval", "apply"] {
        let msg = fail_on(cmd, d, &f, Some(&model));
        assert!(msg.starts_with(&header(&f)) && msg.contains("\"score\""), "{msg}");
    }
    let f = write(d, "empty.csv", "");
    for cmd in ["fit", "eval", "apply"] {
        let msg = fail_on(cmd, d, &f, Some(&model));
        assert!(msg.starts_with(&header(&f)) && msg.contains("empty"), "{msg}");
    }
    let f = write(d, "header.csv", "score,label\n");
    for cmd in ["fit", "eval"] {
        let msg = fail_on(cmd, d, &f, None);
        assert!(msg.starts_with(&prefix(&f)) && msg.contains("no data rows"), "{msg}");
    }
    let f = d.join("does-not-exist.csv");
    for cmd in ["fit", "eval", "apply"] {
        let msg = fail_on(cmd, d, &f, Some(&model));
        assert!(msg.starts_with(&prefix(&f)) && msg.contains("cannot open"), "{msg}");
    }
    // The input already has the output column.
    let f = write(d, "has.csv", "score,calibrated\n0.1,0\n");
    let msg = fail_on("apply", d, &f, Some(&model));
    assert!(msg.starts_with(&header(&f)) && msg.contains("calibrated"), "{msg}");
}

#[test]
fn bad_models_are_refused_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let input = write(d, "s.csv", "score,label\n0.2,0\n0.6,1\n");
    let good = read(&simple_model(d, "m.json", OutOfBounds::Clip));
    let cases: Vec<(&str, String, &str)> = vec![
        ("corrupt.json", "{\"schema_version\": 1, \"global\": ".to_string(), "not valid JSON"),
        ("garbage.json", "not json at all".to_string(), "at line 1 column"),
        ("v99.json", good.replace("\"schema_version\": 1", "\"schema_version\": 99"), "schema_version 99"),
        ("nov.json", good.replace("\"schema_version\": 1,", ""), "schema_version"),
        ("unknown.json", good.replace("\"strict\"", "\"bogus\": 1, \"strict\""), "bogus"),
        ("unsorted.json", good.replace("0.1,", "0.95,"), "out of order"),
        ("eps.json", good.replace("\"epsilon\": 0.0", "\"epsilon\": 0.7"), "epsilon"),
    ];
    for (name, text, what) in cases {
        assert_ne!(text, good, "{name}: the edit did not apply");
        let m = write(d, name, &text);
        for cmd in ["apply", "eval"] {
            let msg = fail_on(cmd, d, &input, Some(&m));
            assert!(msg.starts_with(&format!("{}: bad model", m.display())), "{name}/{cmd}: {msg}");
            assert!(msg.contains(what), "{name}/{cmd}: expected {what:?} in {msg:?}");
        }
    }
    let missing = d.join("nope.json");
    for cmd in ["apply", "eval"] {
        let msg = fail_on(cmd, d, &input, Some(&missing));
        assert!(msg.starts_with(&format!("{}: cannot read", missing.display())), "{msg}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let f = write(d, "ok.csv", "score,label\n0.1,0\n0.5,1\n");
    let m = simple_model(d, "m.json", OutOfBounds::Clip);
    let (f, m, o) = (ds(&f), ds(&m), ds(&d.join("o")));
    let cases: Vec<Vec<&str>> = vec![
        vec![],
        vec!["frobnicate"],
        vec!["fit", "--input", &f, "--out", &o, "--bogus"],
        vec!["fit", "--input", &f, "--out", &o, "--bins", "0"],
        vec!["fit", "--input", &f, "--out", &o, "--bins", "-3"],
        vec!["fit", "--input", &f, "--out", &o, "--bins", "many"],
        vec!["fit", "--input", &f, "--out", &o, "--method", "platt"],
        vec!["fit", "--input", &f, "--out", &o, "--increasing", "maybe"],
        vec!["fit", "--input", &f, "--out", &o, "--out-of-bounds", "wrap"],
        vec!["fit", "--input", &f, "--out", &o, "--y-min", "low"],
        vec!["fit", "--input", &f],
        vec!["fit", "--out", &o],
        vec!["apply", "--input", &f],
        vec!["apply", "--model", &m, "--input", &f, "--bogus"],
        vec!["eval", "--input", &f, "--bins", "0"],
        vec!["eval", "--input", &f, "--bins", "100001"],
        vec!["eval", "--input", &f, "--bogus"],
        vec!["eval"],
        vec!["demo", "--out", &o, "--rows", "5"],
        vec!["demo", "--out", &o, "--bogus"],
    ];
    for args in cases {
        calib(&args).usage_error();
    }
    assert!(!d.join("o").exists());
}
