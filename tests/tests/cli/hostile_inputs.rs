//! Inputs an attacker (or an unlucky pipeline) gives: pipes, FIFOs and
//! `/dev/stdin` instead of files, unterminated quotes, repeated column
//! names, endless files. Each is read correctly or refused with exit 2 and
//! one line naming the file (and the line and column), never silently
//! read as something else (issue 17).

use crate::common::{Expect, calib, read, write};
use calib_tests::binary::calib_bin;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a run with piped stdin gave: exit code, stdout, stderr.
struct Piped {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `calib args…` with `stdin` fed through a pipe, killed after 60 s
/// (a command that blocks on its input fails instead of hanging the tests).
fn calib_piped(args: &[&str], stdin: &[u8]) -> Piped {
    let mut child = Command::new(calib_bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run calib");
    let mut pipe = child.stdin.take().expect("piped stdin");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&data);
    });
    let out = wait_or_kill(child, Duration::from_secs(60));
    writer.join().expect("stdin writer");
    out
}

/// Waits for `child`, killing it after `limit`.
fn wait_or_kill(mut child: std::process::Child, limit: Duration) -> Piped {
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait for calib").is_some() {
            break;
        }
        if start.elapsed() > limit {
            child.kill().expect("kill a hung calib");
            panic!("calib did not finish within {limit:?} (blocked on its input?)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("calib's output");
    Piped {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

const SMALL: &str = "score,label\n0.2,0\n0.4,0\n0.6,1\n0.8,1\n";

#[test]
fn csv_from_a_pipe_is_read_like_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let file = write(d, "in.csv", SMALL);
    let (from_file, from_pipe) = (d.join("file.json"), d.join("pipe.json"));
    calib(["fit", "--input", file.to_str().unwrap(), "--out", from_file.to_str().unwrap()]).ok();
    let out = calib_piped(&["fit", "--input", "/dev/stdin", "--out", from_pipe.to_str().unwrap()], SMALL.as_bytes());
    assert_eq!(out.code, Some(0), "fit from a pipe failed: {}", out.stderr);
    assert_eq!(read(&from_pipe), read(&from_file), "a pipe and a file with the same bytes fit the same model");

    // apply and eval read a pipe too (apply streams it).
    let model = from_file.to_str().unwrap();
    let applied = calib_piped(&["apply", "--model", model, "--input", "/dev/stdin"], SMALL.as_bytes());
    assert_eq!(applied.code, Some(0), "apply from a pipe failed: {}", applied.stderr);
    let want = calib(["apply", "--model", model, "--input", file.to_str().unwrap()]).ok().stdout;
    assert_eq!(applied.stdout, want);
    let evald = calib_piped(&["eval", "--model", model, "--input", "/dev/stdin"], SMALL.as_bytes());
    assert_eq!(evald.code, Some(0), "eval from a pipe failed: {}", evald.stderr);
}

#[test]
fn a_pipe_loses_no_bytes_to_the_format_sniff() {
    // The first four bytes were read to look for Parquet's magic and then
    // lost: `xxxxscore,label` was read as `score,label`.
    let out = calib_piped(&["fit", "--input", "/dev/stdin", "--out", "/dev/null"], b"xxxxscore,label\n0.5,1\n0.2,0\n");
    assert_eq!(out.code, Some(2), "a header without `score` was accepted: {}", out.stderr);
    assert!(out.stderr.contains("missing required column \"score\""), "{}", out.stderr);
    assert!(out.stderr.contains("xxxxscore"), "the header is reported whole: {}", out.stderr);
}

#[test]
fn a_bad_row_in_a_pipe_names_its_line() {
    let out = calib_piped(&["fit", "--input", "/dev/stdin", "--out", "/dev/null"], b"score,label\n0.5,1\n\n0.2,x\n");
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.starts_with("calib: error: /dev/stdin:4: column 2 (label): "), "{}", out.stderr);
}

#[test]
fn parquet_from_a_pipe_is_refused_clearly() {
    let out = calib_piped(&["fit", "--input", "/dev/stdin", "--out", "/dev/null"], b"PAR1\0\0\0\0PAR1");
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("Parquet") && out.stderr.contains("regular file"), "{}", out.stderr);
}

#[cfg(unix)]
#[test]
fn a_named_fifo_is_read_once_without_blocking() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("in.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success(), "mkfifo failed");
    let out_model = tmp.path().join("m.json");
    let child = Command::new(calib_bin())
        .args(["fit", "--input", fifo.to_str().unwrap(), "--out", out_model.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run calib");
    // One writer, once: a second open of the FIFO by calib would block.
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&fifo) {
                let _ = f.write_all(SMALL.as_bytes());
            }
        })
    };
    let out = wait_or_kill(child, Duration::from_secs(20));
    if out.code.is_none() || !Path::new(&out_model).exists() {
        // Unblock the writer if calib never opened the FIFO.
        let _ = std::fs::OpenOptions::new().read(true).open(&fifo);
    }
    writer.join().expect("fifo writer");
    assert_eq!(out.code, Some(0), "fit from a FIFO failed: {}", out.stderr);
    assert!(out.stderr.contains("(4 rows;") && out_model.exists(), "{}", out.stderr);
}

/// `n` rows `score,label,class`, the class of data row `bad` (1-based)
/// being an unterminated `"web`.
fn rows_with_open_quote(n: usize, bad: usize) -> String {
    let mut s = String::from("score,label,class\n");
    for i in 1..=n {
        let class = if i == bad { "\"web" } else { "app" };
        s += &format!("{},{},{class}\n", (i % 100) as f64 / 100.0, i % 2);
    }
    s
}

#[test]
fn an_unterminated_quote_is_an_error_at_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let model = d.join("m.json");
    calib(["fit", "--input", write(d, "ok.csv", SMALL).to_str().unwrap(), "--out", model.to_str().unwrap()]).ok();
    // Data row 3 is line 4; the quote swallowed the 997 rows after it.
    let f = write(d, "open.csv", &rows_with_open_quote(1000, 3));
    let want = format!("{}:4: column 3 (class): ", f.display());
    let out_model = d.join("never.json");
    let fit = calib(["fit", "--input", f.to_str().unwrap(), "--out", out_model.to_str().unwrap()]).input_error();
    assert!(fit.starts_with(&want) && fit.contains("unterminated quote"), "{fit}");
    assert!(!out_model.exists());
    for cmd in [vec!["apply", "--model"], vec!["eval", "--model"]] {
        let msg = calib([cmd[0], cmd[1], model.to_str().unwrap(), "--input", f.to_str().unwrap()]).input_error();
        assert!(msg.starts_with(&want) && msg.contains("unterminated quote"), "{} : {msg}", cmd[0]);
    }

    // In a column no command reads, at the end of the file: still an error.
    let f = write(d, "tail.csv", "score,label,note\n0.1,0,a\n0.7,1,\"oops\n0.8,1,b\n");
    let msg = calib(["fit", "--input", f.to_str().unwrap(), "--out", out_model.to_str().unwrap()]).input_error();
    assert!(msg.starts_with(&format!("{}:3: column 3 (note): unterminated quote", f.display())), "{msg}");
    let msg = calib(["apply", "--model", model.to_str().unwrap(), "--input", f.to_str().unwrap()]).input_error();
    assert!(msg.starts_with(&format!("{}:3: column 3 (note): unterminated quote", f.display())), "{msg}");

    // In the score column.
    let f = write(d, "score.csv", "score,label\n0.1,0\n\"0.7,1\n0.8,1\n");
    let msg = calib(["fit", "--input", f.to_str().unwrap(), "--out", out_model.to_str().unwrap()]).input_error();
    assert!(msg.starts_with(&format!("{}:3: column 1 (score): ", f.display())), "{msg}");
    assert!(msg.contains("unterminated quote"), "{msg}");

    // In the header.
    let f = write(d, "header.csv", "score,\"label\n0.1,0\n");
    let msg = calib(["fit", "--input", f.to_str().unwrap(), "--out", out_model.to_str().unwrap()]).input_error();
    assert!(msg.contains("unterminated quote") && msg.contains("column 2"), "{msg}");
}

#[test]
fn a_closed_quote_over_lines_is_refused_only_where_one_value_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // A note over two lines is fine: the column is not read.
    let f = write(d, "note.csv", "score,label,note\n0.1,0,\"two\nlines\"\n0.7,1,x\n0.8,1,y\n");
    let out = d.join("m.json");
    let fit = calib(["fit", "--input", f.to_str().unwrap(), "--out", out.to_str().unwrap()]).ok();
    assert!(fit.stderr.contains("(3 rows;"), "{}", fit.stderr);
    // A class over two lines is not one class: named at the quote's line.
    let f = write(d, "class.csv", "score,label,class\n0.1,0,a\n0.7,1,\"we\nb\"\n0.8,1,a\n");
    let msg = calib(["fit", "--input", f.to_str().unwrap(), "--out", out.to_str().unwrap()]).input_error();
    assert!(msg.starts_with(&format!("{}:3: column 3 (class): ", f.display())), "{msg}");
    assert!(msg.contains("runs over 2 lines"), "{msg}");
}

#[test]
fn a_column_name_given_twice_is_refused_naming_both() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let model = d.join("m.json");
    calib(["fit", "--input", write(d, "ok.csv", SMALL).to_str().unwrap(), "--out", model.to_str().unwrap()]).ok();
    let m = model.to_str().unwrap();
    // Which `score` would be read is a guess: the first was, silently.
    let f = write(d, "two.csv", "score,label,score\n0.1,0,0.9\n0.7,1,0.2\n");
    let want = format!("{}:1: the header names two columns \"score\", columns 1 and 3", f.display());
    let out = d.join("never.json");
    for args in [
        vec!["fit", "--input", f.to_str().unwrap(), "--out", out.to_str().unwrap()],
        vec!["eval", "--input", f.to_str().unwrap()],
        vec!["apply", "--model", m, "--input", f.to_str().unwrap()],
        vec!["sketch", "--input", f.to_str().unwrap(), "--out", out.to_str().unwrap()],
    ] {
        let msg = calib(&args).input_error();
        assert!(msg.starts_with(&want), "{}: {msg}", args[0]);
    }
    assert!(!out.exists());
    // Every column a command reads is checked: label, weight, class.
    for (header, name, cols) in [
        ("score,label,label", "label", "2 and 3"),
        ("weight,score,label,weight", "weight", "1 and 4"),
        ("class,score,label,class", "class", "1 and 4"),
    ] {
        let n = header.split(',').count();
        let row = vec!["1"; n].join(",");
        let f = write(d, "dup.csv", &format!("{header}\n{row}\n{row}\n"));
        let msg = calib(["fit", "--input", f.to_str().unwrap(), "--out", out.to_str().unwrap()]).input_error();
        assert!(msg.contains(&format!("two columns \"{name}\", columns {cols}")), "{header}: {msg}");
    }
    // A repeated name no command reads is fine.
    let f = write(d, "notes.csv", "note,score,label,note\na,0.1,0,b\nc,0.7,1,d\n");
    calib(["fit", "--input", f.to_str().unwrap(), "--out", out.to_str().unwrap()]).ok();
}

/// Runs `calib args…` under a 1 GiB address-space limit (`ulimit -v`), so
/// a command that reads an endless file whole fails fast instead of taking
/// the machine's memory.
#[cfg(unix)]
fn calib_in_1gib(args: &[&str]) -> Piped {
    let child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1048576 && exec \"$0\" \"$@\"")
        .arg(calib_bin())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run sh");
    wait_or_kill(child, Duration::from_secs(60))
}

#[cfg(unix)]
#[test]
fn an_endless_manifest_key_or_model_is_refused_at_its_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let model = d.join("m.json");
    let data = write(d, "ok.csv", SMALL);
    calib(["fit", "--input", data.to_str().unwrap(), "--out", model.to_str().unwrap()]).ok();
    calib(["keygen", "--out", d.join("keys").to_str().unwrap()]).ok();
    let public = d.join("keys/calib.pub");
    let cases: [(Vec<&str>, &str); 4] = [
        (vec!["manifest", "show", "/dev/zero"], "4194304 bytes a manifest"),
        (vec!["verify", "--manifest", "/dev/zero", "--pubkey", public.to_str().unwrap()], "4194304 bytes a manifest"),
        (vec!["apply", "--model", "/dev/zero", "--input", data.to_str().unwrap()], "bytes a model"),
        (
            vec!["sign", "--model", model.to_str().unwrap(), "--key", "/dev/zero", "--out", "/dev/null"],
            "bytes a key file",
        ),
    ];
    for (args, what) in cases {
        let out = calib_in_1gib(&args);
        assert_eq!(out.code, Some(2), "calib {}: {}", args.join(" "), out.stderr);
        assert!(out.stderr.starts_with("calib: error: /dev/zero: larger than the "), "{}", out.stderr);
        assert!(out.stderr.contains(what), "{}", out.stderr);
    }
}

#[test]
fn weights_whose_sum_overflows_are_an_error_naming_the_input() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // fit gave y = [0, 0, 1] (not [0.5, 0.5, 1]), eval ECE 0, and sketch a
    // sketch `fit --sketch` refused.
    let f = write(d, "huge.csv", "score,label,weight\n0.1,1,1e308\n0.2,0,1e308\n0.3,1,1e308\n");
    let out = d.join("never");
    let want = format!("{}: weight overflow: a sum of ", f.display());
    for args in [
        vec!["fit", "--input", f.to_str().unwrap(), "--out", out.to_str().unwrap()],
        vec!["eval", "--input", f.to_str().unwrap()],
        vec!["sketch", "--input", f.to_str().unwrap(), "--out", out.to_str().unwrap()],
    ] {
        let msg = calib(&args).input_error();
        assert!(msg.starts_with(&want), "{}: {msg}", args[0]);
    }
    assert!(!out.exists());
}

#[test]
fn gate_names_the_line_of_a_non_finite_score() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let model = d.join("m.json");
    calib(["fit", "--input", write(d, "ok.csv", SMALL).to_str().unwrap(), "--out", model.to_str().unwrap()]).ok();
    // Exit 4 (a gate `error` verdict) naming no row, where every other
    // command exits 2 and names the file, line and column.
    let f = write(d, "nan.csv", "query_id,score,label\nq1,0.1,0\nq1,0.7,1\nq2,NaN,1\nq2,0.3,0\n");
    let m = model.to_str().unwrap();
    let msg = calib(["gate", "--candidate", m, "--incumbent", m, "--input", f.to_str().unwrap()]).input_error();
    assert!(msg.starts_with(&format!("{}:4: column 2 (score): non-finite score NaN", f.display())), "{msg}");
}

#[test]
fn a_grid_step_too_fine_for_the_scores_is_blamed_on_the_step() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let f = write(d, "in.csv", "score,label\n0.1344,0\n0.5,1\n");
    let out = d.join("s.sketch");
    let args = ["sketch", "--input", f.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quantize", "grid:1e-320"];
    let msg = calib(args).input_error();
    let want = format!("{}:2: column 1 (score): invalid quantisation grid step: 1e-320: score 0.1344", f.display());
    assert!(msg.starts_with(&want), "{msg}");
}

#[test]
fn huge_values_in_messages_are_printed_shortly() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // A weight of -1e308 (from the core) and scores of 1e308 (parity's own
    // message) were printed as 309-digit decimals.
    let f = write(d, "w.csv", "score,label,weight\n0.1,0,1\n0.2,1,-1e308\n");
    let msg = calib(["fit", "--input", f.to_str().unwrap(), "--out", d.join("m").to_str().unwrap()]).input_error();
    assert!(msg.ends_with("weight -1e308 at index 1 of weights is negative or not finite"), "{msg}");
    let a = write(d, "a.csv", "score,calibrated\n0.5,0.5\n1e308,0.9\n");
    let b = write(d, "b.csv", "score,calibrated\n0.5,0.5\n1.5e308,0.9\n");
    let msg = calib(["parity", a.to_str().unwrap(), b.to_str().unwrap()]).input_error();
    assert!(msg.contains("score 1.5e308 differs from 1e308 in the other file"), "{msg}");
}
