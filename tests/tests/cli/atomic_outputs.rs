//! Outputs are atomic: a failed `fit` or `apply` leaves no output, no
//! temporary file and any earlier output untouched.

use crate::common::{Expect, assert_located, calib, listing, read, simple_model, write};
use calib_core::map::OutOfBounds;
use calib_core::model::Model;
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::Path;

#[test]
fn failed_apply_and_fit_leave_no_output_and_no_temp_files() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let model = simple_model(d, "m.json", OutOfBounds::Clip);
    let strict = simple_model(d, "err.json", OutOfBounds::Error);
    // Enough good rows before the bad one that buffered output reaches the temp file.
    let mut big = String::from("score,label\n");
    for i in 0..60_000 {
        // Inside the models' range [0.1, 0.9].
        let _ = writeln!(big, "{},{}", 0.1 + (i % 800) as f64 / 1000.0, i % 2);
    }
    let good_rows = big.clone();
    big.push_str("oops,1\n");
    let bad = write(d, "bad.csv", &big);
    let mut oob_text = good_rows.clone();
    oob_text.push_str("2.5,1\n");
    let oob = write(d, "oob.csv", &oob_text);
    let label = write(d, "label.csv", "score,label\n0.1,0\n0.2,7\n");
    let before = listing(d);
    let out = d.join("out.csv");

    let apply = |input: &Path, m: &Path| {
        calib([
            OsStr::new("apply"),
            "--model".as_ref(),
            m.as_os_str(),
            "--input".as_ref(),
            input.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ])
    };
    let fit = |input: &Path| {
        calib([OsStr::new("fit"), "--input".as_ref(), input.as_os_str(), "--out".as_ref(), out.as_os_str()])
    };

    // No output file before: none after.
    let bad_line = good_rows.lines().count() as u64 + 1;
    assert_located(&apply(&bad, &model).input_error(), &bad, bad_line, "1 (score)", "oops");
    assert_located(&apply(&oob, &strict).input_error(), &oob, bad_line, "1 (score)", "2.5");
    assert_located(&fit(&label).input_error(), &label, 3, "2 (label)", "label 7");
    assert_located(&fit(&bad).input_error(), &bad, bad_line, "1 (score)", "oops");
    assert_eq!(listing(d), before, "a failed run left files behind");

    // A pre-existing output is left exactly as it was.
    std::fs::write(&out, "keep me\n").unwrap();
    let before = listing(d);
    apply(&bad, &model).input_error();
    apply(&oob, &strict).input_error();
    fit(&label).input_error();
    assert_eq!(read(&out), "keep me\n");
    assert_eq!(listing(d), before, "a failed run left files behind");

    // To stdout: nothing is printed before the error.
    let run = calib([OsStr::new("apply"), "--model".as_ref(), model.as_os_str(), "--input".as_ref(), bad.as_os_str()]);
    assert!(run.stdout.is_empty(), "partial output on stdout: {} bytes", run.stdout.len());
    run.input_error();

    // A successful run replaces the old output, again without leftovers.
    let good = write(d, "good.csv", &good_rows);
    let before = listing(d);
    apply(&good, &model).ok();
    assert!(read(&out).starts_with("score,label,calibrated\n"));
    assert_eq!(read(&out).lines().count(), 60_001);
    assert_eq!(listing(d), before);
    fit(&good).ok();
    Model::from_json(&read(&out)).expect("fit replaced the output with a model");
    assert_eq!(listing(d), before);
}

/// An output that is a stream (a FIFO here; `/dev/null` or `/dev/stdout`
/// alike) is written into, not renamed over: renaming replaced the device
/// itself, so `calib fit --out /dev/null` run as root turned /dev/null into
/// a regular file.
#[cfg(unix)]
#[test]
fn an_output_that_is_a_fifo_is_written_into_and_stays_a_fifo() {
    use std::os::unix::fs::FileTypeExt;
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let input = d.join("in.csv");
    std::fs::write(&input, "score,label\n0.2,0\n0.4,1\n0.6,0\n0.8,1\n").unwrap();
    let fifo = d.join("model.fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    calib(["fit", "--input", input.to_str().unwrap(), "--out", fifo.to_str().unwrap()]).ok();
    // Checked first: had the FIFO been renamed over, its reader would wait
    // for a writer forever (the thread is then left behind, not joined).
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(), "the FIFO was replaced");
    let model = reader.join().unwrap();
    assert!(Model::from_json(&model).is_ok(), "the FIFO's reader got no model: {model}");
}
