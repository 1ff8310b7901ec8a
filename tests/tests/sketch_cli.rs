//! `calib sketch`, `calib merge` and `calib fit --sketch`: fitting a data
//! set part by part gives the model a fit over all rows gives, byte for byte
//! (unweighted 0/1 labels), and damaged sketches are refused with exit 2.

use calib_core::rng::SeededRng;
use calib_tests::binary::calib_in;
use std::fmt::Write;

fn part(rows: &[(f64, u8, &str)]) -> String {
    let mut s = String::from("score,label,class\n");
    for (x, y, c) in rows {
        writeln!(s, "{x},{y},{c}").unwrap();
    }
    s
}

#[test]
fn parts_sketched_and_merged_fit_the_same_model_as_all_rows() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut rng = SeededRng::new(42);
    let rows: Vec<(f64, u8, &str)> = (0..6000)
        .map(|i| {
            let s = (rng.uniform() * 1000.0).round() / 1000.0; // ties across parts
            (s, u8::from(rng.uniform() < s), ["web", "news"][i % 2])
        })
        .collect();
    std::fs::write(d.join("all.csv"), part(&rows)).unwrap();
    for (i, chunk) in rows.chunks(2000).enumerate() {
        std::fs::write(d.join(format!("p{i}.csv")), part(chunk)).unwrap();
        calib_in(d, ["sketch", "--input", &format!("p{i}.csv"), "--out", &format!("p{i}.sketch")]).code(0);
    }
    // Merge in a scrambled order: merging is commutative and associative.
    calib_in(d, ["merge", "p2.sketch", "p0.sketch", "p1.sketch", "--out", "all.sketch"]).code(0);
    for extra in [&[][..], &["--strict"][..], &["--increasing", "false", "--min-class-samples", "100"][..]] {
        let mut a = vec!["fit", "--input", "all.csv", "--out", "direct.json"];
        a.extend_from_slice(extra);
        calib_in(d, &a).code(0);
        let mut b = vec!["fit", "--sketch", "all.sketch", "--out", "sketched.json"];
        b.extend_from_slice(extra);
        calib_in(d, &b).code(0);
        let direct = std::fs::read(d.join("direct.json")).unwrap();
        let sketched = std::fs::read(d.join("sketched.json")).unwrap();
        assert!(direct == sketched, "fit --sketch differs from fit --input with {extra:?}");
    }
}

#[test]
fn damaged_or_mismatched_sketches_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a.csv"), "score,label\n0.1,0\n0.7,1\n0.4,0\n").unwrap();
    calib_in(d, ["sketch", "--input", "a.csv", "--out", "a.sketch"]).code(0);
    calib_in(d, ["sketch", "--input", "a.csv", "--out", "q.sketch", "--quantize", "grid:0.5"]).code(0);
    let mut bytes = std::fs::read(d.join("a.sketch")).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(d.join("bad.sketch"), &bytes).unwrap();
    std::fs::write(d.join("short.sketch"), &bytes[..mid]).unwrap();
    for f in ["bad.sketch", "short.sketch"] {
        let r = calib_in(d, ["fit", "--sketch", f, "--out", "m.json"]).code(2);
        assert!(r.stderr.starts_with(&format!("calib: error: {f}: ")), "{}", r.stderr);
        assert!(!d.join("m.json").exists());
    }
    // Different quantisations cannot be merged.
    let r = calib_in(d, ["merge", "a.sketch", "q.sketch", "--out", "m.sketch"]).code(2);
    assert!(r.stderr.contains("q.sketch"), "{}", r.stderr);
    assert!(!d.join("m.sketch").exists());
    // A bad label names its line.
    std::fs::write(d.join("b.csv"), "score,label\n0.1,0\n0.2,3\n").unwrap();
    let r = calib_in(d, ["sketch", "--input", "b.csv", "--out", "b.sketch"]).code(2);
    assert!(r.stderr.contains("b.csv:3: column 2 (label)"), "{}", r.stderr);
    calib_in(d, ["sketch", "--input", "b.csv", "--out", "b.sketch", "--quantize", "grid:-1"]).code(2);
}
