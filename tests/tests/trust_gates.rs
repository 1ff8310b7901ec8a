//! The SLA gates on constructed holdouts: one holdout per gate, each
//! breaching that gate alone; plain isotonic ties lose Recall@50 while the
//! strict twin does not; no data, errors and the config lint.

use calib_core::gate::{
    GateConfig, GateConfigFile, GateKind, GateReport, Latencies, Verdict, evaluate_gates, evaluate_holdout,
    measure_latencies,
};
use calib_core::map::{NonFinite, OutOfBounds};
use calib_core::model::{FitConfig, MapData, Method, Model, ModelFile, fit_model};
use calib_core::rng::SeededRng;
use calib_tests::trust::HoldoutData;
use std::collections::BTreeMap;

const ITEMS: usize = 60;
const QUERIES: usize = 120;

/// A model with one global map through the given breakpoints.
fn map_model(x: &[f64], y: &[f64], out_of_bounds: OutOfBounds) -> Model {
    Model::from_file(ModelFile {
        schema_version: 1,
        method: Method::Isotonic,
        strict: false,
        out_of_bounds,
        non_finite: NonFinite::Error,
        epsilon: 0.0,
        global: MapData { x: x.to_vec(), y: y.to_vec(), increasing: true, n: 2, merged_bins: 0 },
        classes: BTreeMap::new(),
    })
    .expect("valid map")
}

fn identity() -> Model {
    map_model(&[0.0, 1.0], &[0.0, 1.0], OutOfBounds::Clip)
}

/// The raw score of the item at rank `r` (1 = best) of query `q`. Ranks
/// 48–53 lie in [0.50, 0.52], straddling the top-50 boundary.
fn score(q: usize, r: usize) -> f64 {
    let jitter = q as f64 * 1e-6;
    match r {
        1..=47 => 0.53 + (47 - r) as f64 / 47.0 * 0.46 + jitter,
        48..=53 => 0.5195 - (r - 48) as f64 * 0.003,
        _ => 0.49 - (r - 54) as f64 / 7.0 * 0.48 + jitter,
    }
}

/// `QUERIES` queries of `ITEMS` items, each query listed worst item first
/// (so a tie-break by input position favours the lower raw score). Ranks
/// 48–50 are relevant and 51–53 are not; at every other rank (whose scores
/// are nearly equal across queries) a stratified `rate(s)` share of the
/// queries has the item relevant — calibrated without sampling noise, so
/// the AECE gate's verdict does not hang on a random draw.
fn holdout(rate: impl Fn(f64) -> f64) -> HoldoutData {
    let mut d = HoldoutData { query_ids: vec![], scores: vec![], labels: vec![], classes: vec![] };
    for q in 0..QUERIES {
        for r in (1..=ITEMS).rev() {
            let s = score(q, r);
            let y = match r {
                48..=50 => 1.0,
                51..=53 => 0.0,
                // (37q + 11r) mod QUERIES permutes the queries for each rank.
                _ => f64::from(((q * 37 + r * 11) % QUERIES) as f64 + 0.5 < rate(s) * QUERIES as f64),
            };
            d.query_ids.push(format!("q{q}"));
            d.scores.push(s);
            d.labels.push(y);
            d.classes.push("all".into());
        }
    }
    d
}

/// Fixed, fast latencies (0.01 ms per query): the latency gate passes.
fn fast(d: &HoldoutData) -> Vec<f64> {
    vec![0.01; calib_core::recall::QueryGroups::new(&d.query_ids).len()]
}

fn run(candidate: &Model, incumbent: &Model, d: &HoldoutData, latencies: &[f64]) -> GateReport {
    evaluate_gates(candidate, incumbent, &d.holdout(), &GateConfig::default(), Latencies::Measured(latencies))
        .expect("valid holdout")
}

fn verdicts(r: &GateReport) -> Vec<(GateKind, Verdict)> {
    r.gates.iter().map(|g| (g.gate, g.verdict)).collect()
}

/// Asserts exactly `gate` breached and every other gate passed.
fn only_breach(r: &GateReport, gate: GateKind) {
    for g in &r.gates {
        let want = if g.gate == gate { Verdict::Breach } else { Verdict::Pass };
        assert_eq!(g.verdict, want, "{}: {g:?}\nall: {:?}", g.gate.name(), verdicts(r));
    }
    assert_eq!(r.verdict, Verdict::Breach);
}

/// Training rows whose labels dip around 0.51: plain isotonic pools them
/// into a flat segment on [0.50, 0.52], strict mode into one centroid.
fn tie_making_fit(strict: bool) -> Model {
    let mut scores = vec![];
    let mut labels = vec![];
    for k in 0..=200 {
        let s = k as f64 / 200.0;
        let y = match k {
            100..=104 => [0.53, 0.52, 0.51, 0.50, 0.49][k - 100],
            _ => s,
        };
        scores.push(s);
        labels.push(y);
    }
    fit_model::<&str>(&scores, &labels, None, None, &FitConfig { strict, ..FitConfig::default() }).unwrap()
}

#[test]
fn calibrated_identical_candidate_passes_every_gate() {
    let d = holdout(|s| s);
    let r = run(&identity(), &identity(), &d, &fast(&d));
    assert_eq!(r.verdict, Verdict::Pass, "{:#?}", r.gates);
    assert_eq!(r.rows, (QUERIES * ITEMS) as u64);
    assert_eq!(r.queries, QUERIES as u64);
    assert_eq!(r.gate(GateKind::MedianShift).unwrap().value, Some(0.0));
    assert_eq!(r.gate(GateKind::RecallAt50).unwrap().value, Some(0.0));
    let a = r.aece.as_ref().unwrap();
    assert!(a.classes.is_empty(), "7200 rows: no class reaches 10 000 rows of its own");
    assert!(a.overall.tau >= 0.015 && a.overall.c_hat > 0.0);
    // The report survives JSON (it travels inside manifests).
    let back: GateReport = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    assert_eq!(back, r);
}

#[test]
fn latency_breaches_alone() {
    let d = holdout(|s| s);
    let mut ms = fast(&d);
    // 3 slow queries of 120: the p99 lands among them.
    for v in ms.iter_mut().take(3) {
        *v = 5.0;
    }
    let r = run(&identity(), &identity(), &d, &ms);
    only_breach(&r, GateKind::P99Latency);
    assert!(r.gate(GateKind::P99Latency).unwrap().value.unwrap() > 1.0);
}

#[test]
fn aece_excess_breaches_alone() {
    // Labels follow s², so the identity map is miscalibrated everywhere;
    // candidate and incumbent agree, so only the absolute gate can fail.
    let d = holdout(|s| s * s);
    let r = run(&identity(), &identity(), &d, &fast(&d));
    only_breach(&r, GateKind::AeceExcess);
    let a = r.aece.as_ref().unwrap();
    assert!(a.overall.aece > a.overall.tau + 0.01, "{a:?}");
    assert_eq!(r.gate(GateKind::AeceExcess).unwrap().value, Some(a.overall.excess));
}

#[test]
fn median_shift_breaches_alone() {
    // The incumbent is s·0.95: same order, shifted by 0.05·s (most scores
    // lie above 0.5, so the median shift is about 0.035).
    let d = holdout(|s| s);
    let incumbent = map_model(&[0.0, 1.0], &[0.0, 0.95], OutOfBounds::Clip);
    let r = run(&identity(), &incumbent, &d, &fast(&d));
    only_breach(&r, GateKind::MedianShift);
    let v = r.gate(GateKind::MedianShift).unwrap().value.unwrap();
    assert!(v > 0.02 && v < 0.05, "{v}");
}

#[test]
fn recall_breaches_alone_when_plain_isotonic_ties_items() {
    let d = holdout(|s| s);
    let plain = tie_making_fit(false);
    // The fit really has the flat segment the test relies on.
    assert_eq!(plain.apply(None, 0.5045).unwrap(), plain.apply(None, 0.5195).unwrap());
    let r = run(&plain, &identity(), &d, &fast(&d));
    only_breach(&r, GateKind::RecallAt50);
    let rc = r.recall.unwrap();
    assert!(rc.candidate < rc.incumbent, "{rc:?}");
    assert_eq!(rc.queries, QUERIES as u64);
}

#[test]
fn strict_twin_keeps_recall() {
    let d = holdout(|s| s);
    let strict = tie_making_fit(true);
    assert!(strict.apply(None, 0.5045).unwrap() < strict.apply(None, 0.5195).unwrap());
    let r = run(&strict, &identity(), &d, &fast(&d));
    assert_eq!(r.verdict, Verdict::Pass, "{:#?}", r.gates);
    assert_eq!(r.gate(GateKind::RecallAt50).unwrap().value, Some(0.0), "ΔRecall@50 is exactly 0");
    // And against its plain twin as the incumbent, strict gains what plain lost.
    let r = run(&strict, &tie_making_fit(false), &d, &fast(&d));
    assert!(r.gate(GateKind::RecallAt50).unwrap().value.unwrap() > 0.0);
}

#[test]
fn too_few_samples_is_no_data_never_pass() {
    let mut d = holdout(|s| s);
    d.query_ids.truncate(600);
    d.scores.truncate(600);
    d.labels.truncate(600);
    d.classes.truncate(600);
    let r = run(&identity(), &identity(), &d, &fast(&d));
    assert_eq!(r.verdict, Verdict::NoData);
    for g in &r.gates {
        assert_eq!(g.verdict, Verdict::NoData, "{g:?}");
        assert!(g.note.as_deref().unwrap().contains("fewer than min_samples"), "{g:?}");
    }
    let none =
        evaluate_gates(&identity(), &identity(), &d.holdout(), &GateConfig::default(), Latencies::Missing).unwrap();
    assert_eq!(none.gate(GateKind::P99Latency).unwrap().verdict, Verdict::NoData);
}

#[test]
fn unmeasurable_candidate_is_an_error_worse_than_no_data() {
    // The candidate refuses scores outside [0.2, 0.8]: nothing can be measured.
    let d = holdout(|s| s);
    let strict_range = map_model(&[0.2, 0.8], &[0.2, 0.8], OutOfBounds::Error);
    let r = evaluate_holdout(&strict_range, &identity(), &d.holdout(), &GateConfig::default()).unwrap();
    for g in &r.gates {
        assert_eq!(g.verdict, Verdict::Error, "{g:?}");
        assert!(g.note.as_deref().unwrap().contains("candidate cannot be applied"), "{g:?}");
    }
    assert_eq!(r.verdict, Verdict::Error);
    // A NaN output (the `nan` policy) cannot be ranked or binned: Error too.
    let nan = map_model(&[0.2, 0.8], &[0.2, 0.8], OutOfBounds::Nan);
    let r = run(&nan, &identity(), &d, &fast(&d));
    for gate in [GateKind::AeceExcess, GateKind::MedianShift, GateKind::RecallAt50] {
        assert_eq!(r.gate(gate).unwrap().verdict, Verdict::Error, "{gate:?}");
    }
    // Bad labels are bad input, not a verdict.
    let mut bad = d.clone();
    bad.labels[7] = 2.0;
    let e = run_err(&bad);
    assert_eq!((e.kind(), e.index()), (calib_core::ErrorKind::LabelOutOfRange, Some(7)));
    // So are NaN and infinite scores (issue 17: a NaN score was an Error
    // verdict, exit 4, naming no row), before any gate is measured.
    for v in [f64::NAN, f64::INFINITY] {
        let mut bad = d.clone();
        bad.scores[5] = v;
        let e = run_err(&bad);
        assert_eq!((e.kind(), e.index()), (calib_core::ErrorKind::NonFiniteScore, Some(5)), "{v}");
        let e = evaluate_holdout(&identity(), &identity(), &bad.holdout(), &GateConfig::default()).unwrap_err();
        assert_eq!((e.kind(), e.index()), (calib_core::ErrorKind::NonFiniteScore, Some(5)), "{v}");
    }
}

fn run_err(d: &HoldoutData) -> calib_core::Error {
    evaluate_gates(&identity(), &identity(), &d.holdout(), &GateConfig::default(), Latencies::Missing).unwrap_err()
}

#[test]
fn latencies_are_measured_per_query() {
    let d = holdout(|s| s);
    let ms = measure_latencies(&identity(), &d.holdout()).unwrap();
    assert_eq!(ms.len(), QUERIES);
    assert!(ms.iter().all(|v| v.is_finite() && *v >= 0.0), "{ms:?}");
    let r = evaluate_holdout(&identity(), &identity(), &d.holdout(), &GateConfig::default()).unwrap();
    assert_eq!(r.gate(GateKind::P99Latency).unwrap().samples, QUERIES as u64);
}

#[test]
fn per_class_aece_groups_from_ten_thousand_rows() {
    // 12 000 rows of class "big" (judged on its own) and 600 of "small" (not).
    let mut rng = SeededRng::new(5);
    let mut d = HoldoutData { query_ids: vec![], scores: vec![], labels: vec![], classes: vec![] };
    for i in 0..12_600 {
        let s = rng.uniform();
        d.query_ids.push(format!("q{}", i / 20));
        d.scores.push(s);
        d.labels.push(rng.bernoulli(s));
        d.classes.push(if i < 12_000 { "big".into() } else { "small".into() });
    }
    let mut config = GateConfig::default();
    config.aece.resamples = 20;
    let r = evaluate_gates(&identity(), &identity(), &d.holdout(), &config, Latencies::Missing).unwrap();
    let a = r.aece.unwrap();
    assert_eq!(a.classes.keys().collect::<Vec<_>>(), vec!["big"]);
    assert_eq!(a.classes["big"].n, 12_000);
    assert_eq!(a.overall.n, 12_600);
}

fn lint(toml_like: &[(&str, &str, &str)]) -> Vec<String> {
    // Build the file through serde_json (the CLI uses TOML; the schema is the same).
    let mut root = serde_json::Map::new();
    for (table, field, value) in toml_like {
        let t = root.entry(table.to_string()).or_insert_with(|| serde_json::json!({}));
        t[*field] = serde_json::from_str(value).unwrap();
    }
    let file: GateConfigFile = serde_json::from_value(serde_json::Value::Object(root)).unwrap();
    match file.resolve() {
        Ok(_) => vec![],
        Err(issues) => issues.iter().map(|i| i.to_string()).collect(),
    }
}

#[test]
fn config_defaults_are_the_sla() {
    let c = GateConfigFile::default().resolve().unwrap();
    assert_eq!(c, GateConfig::default());
    let t = c.thresholds;
    assert_eq!(
        (t.p99_latency.threshold, t.aece_excess.threshold, t.median_shift.threshold, t.recall_at_50.threshold),
        (1.0, 0.01, 0.02, 0.0)
    );
    let partial = lint(&[("median_shift", "threshold", "0.03")]);
    assert!(partial.is_empty());
}

#[test]
fn config_lint_refuses_gates_that_cannot_fail_or_pass() {
    let cases: &[(&str, &str, &str, &str)] = &[
        ("p99_latency", "threshold", "0", "never pass"),
        ("p99_latency", "min_samples", "0", "min_samples = 0"),
        ("aece_excess", "threshold", "-0.01", "never pass"),
        ("aece_excess", "threshold", "0.99", "never fail"),
        ("aece_excess", "resamples", "5", "at least 20"),
        ("aece_excess", "bins", "0", "no usable number of bins"),
        ("aece_excess", "bins", "\"sqrt\"", "not a K policy"),
        ("aece_excess", "class_min_samples", "1", "at least 2"),
        ("median_shift", "threshold", "1.0", "never fail"),
        ("median_shift", "threshold", "-1", "never pass"),
        ("recall_at_50", "threshold", "-1", "never fail"),
        ("recall_at_50", "threshold", "1.5", "never pass"),
        ("recall_at_50", "min_samples", "0", "min_samples = 0"),
    ];
    for (table, field, value, why) in cases {
        let issues = lint(&[(table, field, value)]);
        assert_eq!(issues.len(), 1, "{table}.{field} = {value}: {issues:?}");
        assert!(issues[0].starts_with(&format!("{table}.{field}")), "{issues:?}");
        assert!(issues[0].contains(why), "{table}.{field} = {value}: {:?} lacks {why:?}", issues[0]);
    }
    // NaN and ∞ cannot be written in JSON (TOML can: `nan`, `inf`); check
    // them on the resolved config. The CLI tests check the TOML path.
    for (gate, t, why) in
        [(GateKind::MedianShift, f64::NAN, "NaN"), (GateKind::P99Latency, f64::INFINITY, "never fail")]
    {
        let mut c = GateConfig::default();
        let th = &mut c.thresholds;
        match gate {
            GateKind::P99Latency => th.p99_latency.threshold = t,
            GateKind::AeceExcess => th.aece_excess.threshold = t,
            GateKind::MedianShift => th.median_shift.threshold = t,
            GateKind::RecallAt50 => th.recall_at_50.threshold = t,
        }
        let issues = c.lint();
        assert!(issues.len() == 1 && issues[0].message.contains(why), "{gate:?} = {t}: {issues:?}");
    }
    // Several problems are all reported.
    assert_eq!(lint(&[("p99_latency", "min_samples", "0"), ("recall_at_50", "threshold", "-2")]).len(), 2);
    // Unknown names are refused by the schema itself.
    assert!(serde_json::from_str::<GateConfigFile>(r#"{"p99": {}}"#).is_err());
    assert!(serde_json::from_str::<GateConfigFile>(r#"{"p99_latency": {"treshold": 1}}"#).is_err());
}

#[test]
fn worst_verdict_order() {
    use Verdict::*;
    assert_eq!(Verdict::worst([Pass, NoData]), NoData);
    assert_eq!(Verdict::worst([NoData, Error, Pass]), Error);
    assert_eq!(Verdict::worst([Error, Breach]), Breach);
}
