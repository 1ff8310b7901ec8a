//! The parity vectors are up to date, and the Rust runtime reproduces them
//! bit for bit through the JSON model format (writing its outputs for the
//! cross-runtime parity check, `cargo run -p calib-tests --bin parity-check`).

use calib_tests::parity;

#[test]
fn parity_vectors_are_up_to_date() {
    let want = parity::to_file_text(&parity::generate());
    let have = std::fs::read_to_string(parity::path()).expect("tests/vectors/parity.json exists");
    assert!(have == want, "tests/vectors/parity.json is stale: run `cargo run -p calib-tests --bin gen-parity`");
}

#[test]
fn rust_runtime_matches_the_vectors_bitwise() {
    let v: parity::ParityVectors =
        serde_json::from_str(&std::fs::read_to_string(parity::path()).unwrap()).expect("vectors parse");
    let out = parity::rust_outputs(&v);
    let diffs = parity::differences(&v, &out);
    assert!(diffs.is_empty(), "{} differences, first: {:?}", diffs.len(), &diffs[..diffs.len().min(5)]);
    let dir = parity::outputs_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("rust.json"), serde_json::to_string(&out).unwrap()).unwrap();
}

#[test]
fn vectors_cover_the_special_values() {
    let v: parity::ParityVectors = serde_json::from_str(&std::fs::read_to_string(parity::path()).unwrap()).unwrap();
    let all: Vec<f64> = v.apply.iter().flat_map(|c| c.scores.iter().map(|s| parity::unhex(s))).collect();
    assert!(all.iter().any(|x| x.is_nan()));
    assert!(all.contains(&f64::INFINITY) && all.contains(&f64::NEG_INFINITY));
    assert!(all.iter().any(|&x| x == 0.0 && x.is_sign_negative()));
    assert!(all.iter().any(|&x| x != 0.0 && x.abs() < f64::MIN_POSITIVE));
    assert!(v.apply.iter().any(|c| c.class.as_deref() == Some("unknown-class")));
    assert!(v.apply.iter().any(|c| c.scores.len() >= 4000));
}

/// The single-core rule's lint finds numeric work in a binding, and ignores
/// the same words in comments and strings.
#[test]
fn single_core_lint_catches_a_binding_that_interpolates() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lib.rs"),
        "// the slope is computed by the core\nfn f() { let s = \"quantile\"; }\nfn g(x0: f64, x1: f64) -> f64 { let slope = 1.0 / (x1 - x0); slope }\n",
    )
    .unwrap();
    let found = parity::lint_binding(dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found.iter().all(|f| f.contains("lib.rs:3")), "{found:?}");
}
