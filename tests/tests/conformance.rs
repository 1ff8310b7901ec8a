//! calib's isotonic fit and apply against scikit-learn's IsotonicRegression,
//! on the committed vectors (tests/vectors/isotonic.json), to 1e-12.

use calib_core::ErrorKind;
use calib_core::isotonic::{self, IsotonicOptions};
use calib_core::map::{ApplyOptions, MapRef, NonFinite, OutOfBounds};
use calib_tests::close;
use calib_tests::vectors::{self, Increasing};

const TOL: f64 = 1e-12;

#[test]
fn every_case_matches_scikit_learn() {
    let v = vectors::isotonic();
    assert!(v.cases.len() >= 40, "expected the full vector set, got {} cases", v.cases.len());
    let mut failures = Vec::new();
    for c in &v.cases {
        if let Err(msg) = check_case(c) {
            failures.push(format!("{}: {msg}", c.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from scikit-learn {}:\n{}",
        failures.len(),
        v.cases.len(),
        v.sklearn_version,
        failures.join("\n")
    );
}

fn check_case(c: &vectors::Case) -> Result<(), String> {
    let increasing = match &c.increasing {
        Increasing::Flag(b) => *b,
        Increasing::Auto(s) if s == "auto" => isotonic::check_increasing(&c.x, &c.y).map_err(|e| e.to_string())?,
        Increasing::Auto(s) => return Err(format!("unknown increasing {s:?}")),
    };
    if increasing != c.increasing_ {
        return Err(format!("direction: calib decided increasing={increasing}, scikit-learn {}", c.increasing_));
    }
    let opts = IsotonicOptions { increasing, y_min: c.y_min, y_max: c.y_max, strict: false };
    let bp = isotonic::fit(&c.x, &c.y, c.sample_weight.as_deref(), &opts).map_err(|e| format!("fit failed: {e}"))?;
    if bp.x.len() != c.X_thresholds.len() {
        return Err(format!(
            "{} thresholds, scikit-learn has {}: {:?} vs {:?}",
            bp.x.len(),
            c.X_thresholds.len(),
            bp.x,
            c.X_thresholds
        ));
    }
    for (i, (a, b)) in bp.x.iter().zip(&c.X_thresholds).enumerate() {
        if a.to_bits() != b.to_bits() && !(*a == 0.0 && *b == 0.0) {
            return Err(format!("X_thresholds[{i}] = {a:e}, scikit-learn {b:e}"));
        }
    }
    for (i, (a, b)) in bp.y.iter().zip(&c.y_thresholds).enumerate() {
        if !close(*a, *b, TOL) {
            return Err(format!("y_thresholds[{i}] = {a}, scikit-learn {b}"));
        }
    }
    if bp.x[0] != c.X_min || bp.x[bp.x.len() - 1] != c.X_max {
        return Err(format!("range [{}, {}], scikit-learn [{}, {}]", bp.x[0], bp.x[bp.x.len() - 1], c.X_min, c.X_max));
    }
    let oob = match c.out_of_bounds.as_str() {
        "clip" => OutOfBounds::Clip,
        "nan" => OutOfBounds::Nan,
        "raise" => OutOfBounds::Error,
        o => return Err(format!("unknown out_of_bounds {o:?}")),
    };
    let map =
        MapRef::new(&bp.x, &bp.y, ApplyOptions { out_of_bounds: oob, non_finite: NonFinite::Error, epsilon: 0.0 })
            .map_err(|e| e.to_string())?;
    let single = bp.x.len() == 1;
    for (q, expect) in c.x_query.iter().zip(&c.predictions) {
        let outside = *q < bp.x[0] || *q > bp.x[bp.x.len() - 1];
        // Deliberate difference: with a single threshold scikit-learn returns
        // the constant everywhere, ignoring its own out-of-bounds policy;
        // calib applies the policy (docs/concepts.md, "out of bounds").
        if single && outside && oob != OutOfBounds::Clip {
            continue;
        }
        let got = map.apply(*q).map_err(|e| format!("predict({q:e}) failed: {e}"))?;
        let want = expect.unwrap_or(f64::NAN);
        if !close(got, want, TOL) {
            return Err(format!("predict({q:e}) = {got}, scikit-learn {want}"));
        }
    }
    for q in &c.raises_on {
        match map.apply(*q) {
            Err(e) if e.kind() == ErrorKind::OutOfBounds => {}
            other => return Err(format!("predict({q:e}) should fail out of bounds, got {other:?}")),
        }
    }
    Ok(())
}

/// Predictions through the cell index equal those of the plain binary
/// search, bit for bit, on every vector's query points.
#[test]
fn cell_index_and_binary_search_agree_bitwise() {
    for c in &vectors::isotonic().cases {
        let inc = matches!(c.increasing, Increasing::Flag(true)) || c.increasing_;
        let opts = IsotonicOptions { increasing: inc, ..Default::default() };
        let bp = isotonic::fit(&c.x, &c.y, c.sample_weight.as_deref(), &opts).unwrap();
        let plain = MapRef::new(&bp.x, &bp.y, ApplyOptions::default()).unwrap();
        let mut buf = vec![0u32; calib_core::map::CellIndex::buffer_len(bp.x.len())];
        let idx = calib_core::map::CellIndex::build(&bp.x, &mut buf).unwrap();
        let fast = plain.with_index(idx);
        for q in c.x_query.iter().chain(&c.x) {
            let (a, b) = (plain.apply(*q).unwrap(), fast.apply(*q).unwrap());
            assert_eq!(a.to_bits(), b.to_bits(), "{}: q={q:e}", c.name);
        }
    }
}

/// The committed vectors are what the generator makes with the pinned
/// scikit-learn. Needs the pinned Python tools (scripts/test.sh installs
/// them and sets CALIB_PYTHON); without them it fails under CI=true.
#[test]
fn vectors_are_up_to_date() {
    vectors::check_generator("gen_isotonic.py");
}
