//! Line numbers in files that are not plain LF-terminated (CRLF, blank
//! lines) and in header errors: regressions, each with its bug.

use crate::common::{assert_located, fail_on, simple_model, write};
use calib_core::map::OutOfBounds;

// Regression: with CRLF line endings every reported line was one too small,
// because the CLI trusted csv's `StringRecord::position().line()` (counted
// before the `\n` of the previous terminator; BurntSushi/rust-csv#395). Lines
// are now worked out from the record's byte offset. Windows/Excel exports are
// CRLF, so this is the common case for many users.
#[test]
fn crlf_input_reports_the_right_line() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let model = simple_model(d, "m.json", OutOfBounds::Clip);
    let f = write(d, "crlf.csv", "score,label\r\n0.1,0\r\n0.2,1\r\nabc,1\r\n");
    for cmd in ["fit", "eval", "apply"] {
        assert_located(&fail_on(cmd, d, &f, Some(&model)), &f, 4, "1 (score)", "\"abc\"");
    }
    let f = write(d, "crlf-label.csv", "score,label\r\n0.1,0\r\n0.2,1.5\r\n");
    assert_located(&fail_on("fit", d, &f, None), &f, 3, "2 (label)", "label 1.5");
}

// Regression: blank lines right before the bad row were not counted (the
// record's position is taken before the skipped blank lines,
// BurntSushi/rust-csv#208).
#[test]
fn blank_lines_before_a_bad_row_are_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let model = simple_model(d, "m.json", OutOfBounds::Clip);
    let f = write(d, "blank.csv", "score,label\n0.1,0\n\n\nabc,1\n");
    for cmd in ["fit", "eval", "apply"] {
        assert_located(&fail_on(cmd, d, &f, Some(&model)), &f, 5, "1 (score)", "\"abc\"");
    }
}

// A blank line that is not directly before the bad row is counted too.
#[test]
fn blank_lines_earlier_in_the_file_are_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let f = write(d, "blank.csv", "score,label\n\n0.1,0\n\n0.2,0\nabc,1\n");
    assert_located(&fail_on("fit", d, &f, None), &f, 6, "1 (score)", "\"abc\"");
}

// Regression: a missing required column was reported without a line; the
// header is line 1 and the message says so.
#[test]
fn missing_column_names_the_header_line() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let model = simple_model(d, "m.json", OutOfBounds::Clip);
    let f = write(d, "nolabel.csv", "score,y\n0.1,0\n");
    for cmd in ["fit", "eval"] {
        let msg = fail_on(cmd, d, &f, None);
        assert!(msg.starts_with(&format!("{}:1: ", f.display())), "{cmd}: {msg}");
    }
    let f = write(d, "noscore.csv", "s,label\n0.1,0\n");
    for cmd in ["fit", "eval", "apply"] {
        let msg = fail_on(cmd, d, &f, Some(&model));
        assert!(msg.starts_with(&format!("{}:1: ", f.display())), "{cmd}: {msg}");
    }
}

// Regression: apply's error for a bad row named the right line but said
// "at index 0 of scores" whatever the row; it now names the row's 0-based
// index, as fit and eval do.
#[test]
fn apply_error_names_the_row_index() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let strict = simple_model(d, "err.json", OutOfBounds::Error);
    let f = write(d, "oob.csv", "score\n0.2\n0.5\n0.95\n");
    let apply = fail_on("apply", d, &f, Some(&strict));
    let eval_input = write(d, "oob-l.csv", "score,label\n0.2,0\n0.5,0\n0.95,0\n");
    let eval = fail_on("eval", d, &eval_input, Some(&strict));
    assert!(eval.contains("at index 2 of scores"), "{eval}");
    assert!(apply.contains("at index 2 of scores"), "apply names the wrong row: {apply}");
}
