//! The cross-runtime parity vectors (`tests/vectors/parity.json`).
//!
//! Every runtime (Rust, Python, Node, WASM in Node, WASM in Chromium) loads
//! the same models, calibrates the same scores and computes the same
//! metrics, and writes its outputs; calib's parity check then demands zero
//! bitwise differences. Floats travel as 16-digit hex of their IEEE-754 bits
//! so NaN, ±inf, −0.0 and subnormals survive JSON in every language.

use calib_core::map::{ApplyStats, NonFinite, OutOfBounds};
use calib_core::metrics;
use calib_core::model::{FitConfig, Model, fit_model};
use calib_core::rng::SeededRng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// f64 as 16 lowercase hex digits of its bits.
pub fn hex(v: f64) -> String {
    format!("{:016x}", v.to_bits())
}

/// The f64 of [`hex`] digits.
pub fn unhex(s: &str) -> f64 {
    f64::from_bits(u64::from_str_radix(s, 16).expect("16 hex digits"))
}

/// One batch of scores calibrated by one model and class.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ApplyCase {
    /// Case name.
    pub name: String,
    /// Key into [`ParityVectors::models`].
    pub model: String,
    /// Class to calibrate as (`None`: the global map).
    pub class: Option<String>,
    /// Scores, as hex bits.
    pub scores: Vec<String>,
    /// calib-core's outputs, as hex bits.
    pub expected: Vec<String>,
}

/// One metrics computation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MetricCase {
    /// Case name.
    pub name: String,
    /// Probabilities, as hex bits.
    pub probs: Vec<String>,
    /// Labels, as hex bits.
    pub labels: Vec<String>,
    /// Bins K.
    pub bins: usize,
    /// calib-core's ece, aece, mce, dece, brier, log_loss as hex bits.
    pub expected: BTreeMap<String, String>,
}

/// The whole vector file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ParityVectors {
    /// What this file is.
    #[serde(rename = "_comment")]
    pub comment: String,
    /// Models by name, as calib model JSON.
    pub models: BTreeMap<String, serde_json::Value>,
    /// Apply cases.
    pub apply: Vec<ApplyCase>,
    /// Metric cases.
    pub metrics: Vec<MetricCase>,
}

fn ranker(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<String>) {
    let mut rng = SeededRng::new(seed);
    let (mut s, mut y, mut c) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        let z = rng.normal();
        let score = 1.0 / (1.0 + (-z).exp());
        // Quantise so the fit sees ties.
        let score = (score * 4096.0).round() / 4096.0;
        let p = 1.0 / (1.0 + (-(1.7 * z - 0.4)).exp());
        s.push(score);
        y.push(rng.bernoulli(p));
        c.push(["web", "news", "shop"][i % 3].to_string());
    }
    (s, y, c)
}

/// Builds the vectors from calib-core (deterministic).
pub fn generate() -> ParityVectors {
    let (s, y, c) = ranker(6000, 7);
    let mut models = BTreeMap::new();
    let configs = [
        (
            "isotonic_fallback",
            FitConfig { non_finite: NonFinite::Fallback(0.5), min_class_samples: 500, ..Default::default() },
        ),
        (
            "strict_nan_eps",
            FitConfig {
                strict: true,
                out_of_bounds: OutOfBounds::Nan,
                non_finite: NonFinite::Fallback(0.25),
                epsilon: 1e-3,
                min_class_samples: 500,
                ..Default::default()
            },
        ),
        (
            "histogram",
            FitConfig {
                method: calib_core::model::Method::Histogram,
                non_finite: NonFinite::Fallback(0.0),
                min_class_samples: 500,
                ..Default::default()
            },
        ),
    ];
    let mut fitted = BTreeMap::new();
    for (name, cfg) in &configs {
        let m = fit_model(&s, &y, None, Some(&c), cfg).expect("parity model fits");
        models.insert(name.to_string(), serde_json::from_str(&m.to_json()).expect("model JSON"));
        fitted.insert(name.to_string(), m);
    }
    let special = vec![
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        0.0,
        5e-324,
        -5e-324,
        f64::MIN_POSITIVE,
        1e-300,
        -1.0,
        2.0,
        1.0,
        0.5,
        f64::MAX,
        f64::MIN,
    ];
    let mut apply = Vec::new();
    for (name, m) in &fitted {
        for class in [None, Some("web"), Some("news"), Some("shop"), Some("unknown-class")] {
            let map = m.map(class);
            // Exact breakpoints, their neighbours, and the specials.
            let mut scores = special.clone();
            for &x in map.xs().iter().step_by(3) {
                scores.extend([x, x.next_up(), x.next_down()]);
            }
            scores.push(map.xs()[0].next_down());
            scores.push(map.xs()[map.xs().len() - 1].next_up());
            apply.push(case(name, m, class, &format!("{name}/{}/edges", class.unwrap_or("global")), scores));
        }
        let mut rng = SeededRng::new(11);
        let big: Vec<f64> = (0..4_000).map(|_| rng.uniform() * 1.2 - 0.1).collect();
        apply.push(case(name, m, Some("news"), &format!("{name}/news/large-batch"), big));
    }
    let (ps, ls, _) = ranker(5000, 9);
    let mut metric_cases = Vec::new();
    for (cname, probs, labels, k) in [
        ("ranker-15", ps.clone(), ls.clone(), 15usize),
        ("ranker-7", ps.clone(), ls.clone(), 7),
        (
            "edges-10",
            (0..=100).map(|i| (i % 11) as f64 / 10.0).collect::<Vec<_>>(),
            (0..=100).map(|i| (i % 2) as f64).collect(),
            10,
        ),
        ("plateau-15", vec![0.3; 400], (0..400).map(|i| (i % 3 == 0) as u8 as f64).collect(), 15),
    ] {
        let mut expected = BTreeMap::new();
        let mm = metrics::evaluate(&probs, &labels, None, k).expect("metrics");
        for (key, v) in [
            ("ece", mm.ece),
            ("aece", mm.aece),
            ("mce", mm.mce),
            ("dece", mm.dece),
            ("brier", mm.brier),
            ("log_loss", mm.log_loss),
        ] {
            expected.insert(key.to_string(), hex(v));
        }
        metric_cases.push(MetricCase {
            name: cname.to_string(),
            probs: probs.iter().map(|&v| hex(v)).collect(),
            labels: labels.iter().map(|&v| hex(v)).collect(),
            bins: k,
            expected,
        });
    }
    ParityVectors {
        comment:
            "Generated by `cargo run -p calib-tests --bin gen-parity` from calib-core; do not edit. Every runtime \
                  must reproduce `expected` bit for bit. Floats are hex IEEE-754 bits."
                .to_string(),
        models,
        apply,
        metrics: metric_cases,
    }
}

fn case(model_name: &str, m: &Model, class: Option<&str>, name: &str, scores: Vec<f64>) -> ApplyCase {
    let mut out = vec![0.0; scores.len()];
    let mut stats = ApplyStats::default();
    m.apply_batch(class, &scores, &mut out, &mut stats).expect("fallback models never fail");
    ApplyCase {
        name: name.to_string(),
        model: model_name.to_string(),
        class: class.map(str::to_string),
        scores: scores.iter().map(|&v| hex(v)).collect(),
        expected: out.iter().map(|&v| hex(v)).collect(),
    }
}

/// The vectors as the committed file's bytes.
pub fn to_file_text(v: &ParityVectors) -> String {
    serde_json::to_string_pretty(v).expect("vectors serialise") + "\n"
}

/// What one runtime computed on the vectors (`target/parity/<runtime>.json`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RuntimeOutputs {
    /// `rust`, `python`, `node`, `wasm-node` or `wasm-chromium`.
    pub runtime: String,
    /// The runtime's binning-core fingerprint (hex), or "" where the
    /// runtime cannot report one yet.
    pub fingerprint: String,
    /// Outputs per apply case name, as hex bits.
    pub apply: BTreeMap<String, Vec<String>>,
    /// Metric values per metric case name and metric, as hex bits.
    pub metrics: BTreeMap<String, BTreeMap<String, String>>,
}

/// The Rust runtime's outputs: every model loaded from its JSON (as the
/// other runtimes do) and applied with calib-core.
pub fn rust_outputs(v: &ParityVectors) -> RuntimeOutputs {
    let models: BTreeMap<&str, Model> = v
        .models
        .iter()
        .map(|(k, j)| (k.as_str(), Model::from_json(&j.to_string()).expect("vector models load")))
        .collect();
    let mut apply = BTreeMap::new();
    for c in &v.apply {
        let scores: Vec<f64> = c.scores.iter().map(|s| unhex(s)).collect();
        let mut out = vec![0.0; scores.len()];
        models[c.model.as_str()]
            .apply_batch(c.class.as_deref(), &scores, &mut out, &mut ApplyStats::default())
            .expect("fallback models never fail");
        apply.insert(c.name.clone(), out.iter().map(|&x| hex(x)).collect());
    }
    let mut mets = BTreeMap::new();
    for c in &v.metrics {
        let p: Vec<f64> = c.probs.iter().map(|s| unhex(s)).collect();
        let l: Vec<f64> = c.labels.iter().map(|s| unhex(s)).collect();
        let m = metrics::evaluate(&p, &l, None, c.bins).expect("metrics");
        let mut e = BTreeMap::new();
        for (key, val) in [
            ("ece", m.ece),
            ("aece", m.aece),
            ("mce", m.mce),
            ("dece", m.dece),
            ("brier", m.brier),
            ("log_loss", m.log_loss),
        ] {
            e.insert(key.to_string(), hex(val));
        }
        mets.insert(c.name.clone(), e);
    }
    let fingerprint = calib_core::fingerprint::core_fingerprint().to_string();
    RuntimeOutputs { runtime: "rust".into(), fingerprint, apply, metrics: mets }
}

/// Outputs that differ bitwise from the expected ones: (case, index, expected, got).
pub fn differences(v: &ParityVectors, o: &RuntimeOutputs) -> Vec<(String, usize, String, String)> {
    let mut d = Vec::new();
    for c in &v.apply {
        match o.apply.get(&c.name) {
            None => d.push((c.name.clone(), 0, "outputs".into(), "missing".into())),
            Some(got) => {
                if got.len() != c.expected.len() {
                    d.push((c.name.clone(), 0, format!("{} outputs", c.expected.len()), format!("{}", got.len())));
                }
                for (i, (e, g)) in c.expected.iter().zip(got).enumerate() {
                    if e != g {
                        d.push((c.name.clone(), i, e.clone(), g.clone()));
                    }
                }
            }
        }
    }
    for c in &v.metrics {
        for (k, e) in &c.expected {
            let g = o.metrics.get(&c.name).and_then(|m| m.get(k)).cloned().unwrap_or_else(|| "missing".into());
            if &g != e {
                d.push((format!("{}/{k}", c.name), 0, e.clone(), g));
            }
        }
    }
    d
}

/// Where runtimes write their outputs.
pub fn outputs_dir() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("target"));
    target.join("parity")
}

/// Path of the committed file.
pub fn path() -> std::path::PathBuf {
    crate::vectors::path("parity.json")
}

// ------------------------------------------------------------ single-core rule

/// Words that betray numeric work a binding must leave to calib-core:
/// interpolation, PAV, bin lookup, quantiles.
pub const FORBIDDEN: [&str; 10] = [
    "slope",
    "interpolat",
    "partition_point",
    "binary_search",
    "violat",
    "pool_adjacent",
    "searchsorted",
    "quantile",
    "lerp",
    "bin_index",
];

/// A line without its comment and string literals (names in messages such
/// as `"quantile"` are not computation), lowercased.
pub fn code_of(line: &str) -> String {
    let line = line.split("//").next().unwrap_or("");
    let (mut out, mut in_str, mut escaped) = (String::new(), false, false);
    for c in line.chars() {
        match (in_str, escaped, c) {
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_str = false,
            (true, _, _) => escaped = false,
            (false, _, '"') => in_str = true,
            (false, _, c) => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Every use of a [`FORBIDDEN`] word in the `.rs` files below `dir`.
pub fn lint_binding(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                for (i, line) in text.lines().enumerate() {
                    let code = code_of(line);
                    for w in FORBIDDEN {
                        if code.contains(w) {
                            found.push(format!("{}:{}: `{w}` in binding code: {}", p.display(), i + 1, line.trim()));
                        }
                    }
                }
            }
        }
    }
    found
}
