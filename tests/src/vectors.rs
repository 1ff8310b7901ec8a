//! The scikit-learn conformance vectors in `tests/vectors/isotonic.json`.

use serde::Deserialize;
use std::path::PathBuf;

/// `increasing`: a flag or `"auto"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Increasing {
    /// Fixed direction.
    Flag(bool),
    /// `"auto"`.
    Auto(String),
}

/// One fitted and queried `IsotonicRegression`.
#[derive(Debug, Clone, Deserialize)]
#[allow(non_snake_case)]
pub struct Case {
    /// Case name.
    pub name: String,
    /// Training scores.
    pub x: Vec<f64>,
    /// Training targets.
    pub y: Vec<f64>,
    /// Weights, if any.
    pub sample_weight: Option<Vec<f64>>,
    /// Direction asked for.
    pub increasing: Increasing,
    /// Lower bound.
    pub y_min: Option<f64>,
    /// Upper bound.
    pub y_max: Option<f64>,
    /// `clip`, `nan` or `raise`.
    pub out_of_bounds: String,
    /// scikit-learn's `X_thresholds_`.
    pub X_thresholds: Vec<f64>,
    /// scikit-learn's `y_thresholds_`.
    pub y_thresholds: Vec<f64>,
    /// scikit-learn's `X_min_`.
    pub X_min: f64,
    /// scikit-learn's `X_max_`.
    pub X_max: f64,
    /// scikit-learn's `increasing_`.
    pub increasing_: bool,
    /// Query points.
    pub x_query: Vec<f64>,
    /// `predict(x_query)`; `None` is NaN.
    pub predictions: Vec<Option<f64>>,
    /// Points on which `predict` raises.
    pub raises_on: Vec<f64>,
}

/// The vector file.
#[derive(Debug, Clone, Deserialize)]
pub struct Vectors {
    /// scikit-learn version the vectors were made with.
    pub sklearn_version: String,
    /// The cases.
    pub cases: Vec<Case>,
}

/// Path of a file in `tests/vectors`.
pub fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors").join(name)
}

/// Loads `tests/vectors/isotonic.json`.
pub fn isotonic() -> Vectors {
    let text = std::fs::read_to_string(path("isotonic.json")).expect("tests/vectors/isotonic.json is readable");
    serde_json::from_str(&text).expect("tests/vectors/isotonic.json parses")
}

/// Runs a committed generator (a Python script under tests/vectors) with
/// `--check`, which fails when the files it writes differ from the committed
/// ones. Uses the pinned venv's python (`CALIB_PYTHON`, set by
/// scripts/test.sh); without it the check is skipped with a note, except
/// under `CI=true`, where it fails.
pub fn check_generator(script: &str) {
    let py = match std::env::var("CALIB_PYTHON") {
        Ok(p) => p,
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CALIB_PYTHON must point at the pinned venv's python in CI")
        }
        Err(_) => {
            eprintln!("skipping the staleness check of {script}: CALIB_PYTHON is not set (scripts/test.sh sets it)");
            return;
        }
    };
    let out = std::process::Command::new(&py)
        .arg(path(script))
        .arg("--check")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {py}: {e}"));
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}
