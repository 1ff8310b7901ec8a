//! The drift monitor: window summaries against `metrics::evaluate`, the
//! reservoir, the clamp counters, the histogram's bin convention, every
//! alert rule firing alone and not firing, the Prometheus exposition
//! (parsed strictly), and the calendar of the trends.

mod ops_common;

use calib_core::map::{ApplyOptions, MapRef, NonFinite, OutOfBounds};
use calib_core::metrics;
use calib_core::monitor::{
    self, AlertConfig, AlertNote, AlertRule, AlertState, MonitorConfig, Rows, Severity, WindowStorage, WindowSummary,
    evaluate_alerts, histogram_bin,
};
use calib_core::rng::SeededRng;
use ops_common::{gauge, model, parse_prometheus, ranker};

fn probs(seed: u64, n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut rng = SeededRng::new(seed);
    let p: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
    let y = p.iter().map(|&p| rng.bernoulli((p * 0.8 + 0.05).min(1.0))).collect();
    (p, y)
}

fn summarize(cfg: &MonitorConfig, p: &[f64], y: &[f64]) -> (WindowSummary, Vec<u64>) {
    let mut st = WindowStorage::new(cfg).unwrap();
    let mut w = st.window().unwrap();
    for (&p, &y) in p.iter().zip(y) {
        w.observe_probability(p, y).unwrap();
    }
    (w.summary().unwrap(), w.histogram().to_vec())
}

#[test]
fn a_window_under_capacity_equals_evaluate_bit_for_bit() {
    for (seed, n, k) in [(1, 5000, 15), (2, 777, 10), (3, 20_000, 40)] {
        let (p, y) = probs(seed, n);
        let cfg = MonitorConfig { bins: k, capacity: 1 << 15, ..MonitorConfig::default() };
        let (s, hist) = summarize(&cfg, &p, &y);
        let m = metrics::evaluate(&p, &y, None, k).unwrap();
        assert_eq!(s.aece.unwrap().to_bits(), m.aece.to_bits(), "AECE, seed {seed}");
        assert_eq!(s.dece.unwrap().to_bits(), m.dece.to_bits(), "DECE, seed {seed}");
        assert_eq!(s.brier.unwrap().to_bits(), m.brier.to_bits(), "Brier, seed {seed}");
        assert_eq!(s.merged_bin_percent.unwrap().to_bits(), m.merged_bin_percent.to_bits());
        assert_eq!((s.scores, s.calibrated, s.sampled), (n as u64, n as u64, n as u64));
        let pos = y.iter().sum::<f64>() / n as f64;
        assert!((s.positive_rate.unwrap() - pos).abs() < 1e-12);
        assert_eq!(hist.iter().sum::<u64>(), n as u64);
    }
}

#[test]
fn merged_bins_count_collapsed_equal_mass_edges() {
    // 90 % of the probabilities are one value: most of K = 10 edges collapse.
    let mut p = vec![0.3; 900];
    p.extend((0..100).map(|i| i as f64 / 100.0));
    let y: Vec<f64> = (0..1000).map(|i| (i % 3 == 0) as u8 as f64).collect();
    let cfg = MonitorConfig { bins: 10, ..MonitorConfig::default() };
    let (s, _) = summarize(&cfg, &p, &y);
    let m = metrics::evaluate(&p, &y, None, 10).unwrap();
    assert_eq!(s.merged_bin_percent, Some(m.merged_bin_percent));
    assert!(s.merged_bin_percent.unwrap() > 20.0);
    assert_eq!(s.bins_left + (s.merged_bin_percent.unwrap() / 10.0).round() as usize, 10);
}

#[test]
fn beyond_capacity_the_equal_mass_metrics_use_a_seeded_uniform_sample() {
    let (p, y) = probs(9, 6000);
    let cfg = MonitorConfig { capacity: 1000, ..MonitorConfig::default() };
    let (a, ha) = summarize(&cfg, &p, &y);
    let (b, hb) = summarize(&cfg, &p, &y);
    assert_eq!(a, b, "same rows, same summary");
    assert_eq!(ha, hb);
    assert_eq!((a.calibrated, a.sampled), (6000, 1000));
    // Exact over every row regardless of the sample.
    let m = metrics::evaluate(&p, &y, None, 15).unwrap();
    assert_eq!(a.brier.unwrap().to_bits(), m.brier.to_bits());
    assert_eq!(ha.iter().sum::<u64>(), 6000);
    // A sample of 1000 estimates the AECE of 6000 within its noise.
    assert!((a.aece.unwrap() - m.aece).abs() < 0.05, "{} vs {}", a.aece.unwrap(), m.aece);
    // Another seed draws another sample.
    let (c, _) = summarize(&MonitorConfig { seed: 1, ..cfg }, &p, &y);
    assert_ne!(c.aece, a.aece);
}

#[test]
fn clamp_counters_follow_the_maps_policies() {
    let xs = [0.2, 0.5, 0.8];
    let ys = [0.1, 0.4, 0.9];
    let scores = [0.1, 0.3, f64::NAN, 0.9, f64::INFINITY, 0.5];
    let cfg = MonitorConfig::default();
    let mut st = WindowStorage::new(&cfg).unwrap();
    let cases = [
        // (policies, calibrated rows, refused)
        (ApplyOptions::default(), 4, 2),
        (ApplyOptions { out_of_bounds: OutOfBounds::Nan, ..Default::default() }, 2, 2),
        (ApplyOptions { out_of_bounds: OutOfBounds::Error, non_finite: NonFinite::Fallback(0.5), epsilon: 0.0 }, 4, 2),
    ];
    for (opts, calibrated, refused) in cases {
        let map = MapRef::new(&xs, &ys, opts).unwrap();
        let mut w = st.window().unwrap();
        let mut got = 0;
        for &s in &scores {
            if w.observe(&map, s, 1.0).unwrap().is_some() {
                got += 1;
            }
        }
        let s = w.summary().unwrap();
        assert_eq!((s.scores, s.out_of_range, s.non_finite), (6, 2, 2), "{opts:?}");
        assert_eq!(s.clamp_rate, 4.0 / 6.0);
        assert_eq!((s.calibrated, got), (calibrated, calibrated), "{opts:?}");
        assert_eq!(s.refused, refused, "{opts:?}");
        assert_eq!(s.positive_rate, Some(1.0), "every observed label counts");
    }
    // A bad label adds nothing at all.
    let map = MapRef::new(&xs, &ys, ApplyOptions::default()).unwrap();
    let mut w = st.window().unwrap();
    assert!(w.observe(&map, 0.5, 1.5).is_err());
    assert!(w.observe(&map, 0.5, f64::NAN).is_err());
    assert_eq!(w.summary().unwrap().scores, 0);
    // A map whose fallback is not a probability is refused, not counted.
    let bad = ApplyOptions { non_finite: NonFinite::Fallback(2.0), ..Default::default() };
    let map = MapRef::new(&xs, &ys, bad).unwrap();
    assert!(w.observe(&map, f64::NAN, 0.0).is_err());
    assert_eq!(w.summary().unwrap().scores, 0);
}

#[test]
fn histogram_bins_follow_the_bin_convention() {
    for h in [1usize, 3, 10, 20, 49] {
        assert_eq!(histogram_bin(0.0, h), 0);
        assert_eq!(histogram_bin(1.0, h), h - 1);
        for k in 1..h {
            let e = k as f64 / h as f64;
            assert_eq!(histogram_bin(e, h), k - 1, "edge {k}/{h} goes to the lower bin");
            let above = f64::from_bits(e.to_bits() + 1);
            assert_eq!(histogram_bin(above, h), k, "just above edge {k}/{h}");
        }
    }
    // Same bins as the metrics' equal-width reliability bins.
    let (p, y) = probs(4, 3000);
    let (_, hist) = summarize(&MonitorConfig { histogram_bins: 15, ..MonitorConfig::default() }, &p, &y);
    let rel = metrics::reliability_bins(&p, &y, None, 15, calib_core::binning::BinStrategy::EqualWidth).unwrap();
    let nonzero: Vec<u64> = hist.into_iter().filter(|&c| c > 0).collect();
    assert_eq!(nonzero, rel.iter().map(|b| b.count).collect::<Vec<_>>());
}

#[test]
fn an_empty_window_measures_nothing_and_judges_nothing() {
    let mut st = WindowStorage::new(&MonitorConfig::default()).unwrap();
    let mut w = st.window().unwrap();
    let s = w.summary().unwrap();
    assert_eq!((s.scores, s.clamp_rate, s.aece, s.brier, s.merged_bin_percent), (0, 0.0, None, None, None));
    for a in evaluate_alerts(&s, Some(&s), &AlertConfig::default()) {
        assert_eq!(a.state, AlertState::NoData, "{:?}", a.rule);
    }
}

// ---------------------------------------------------------------- alert rules

fn healthy(n: u64) -> WindowSummary {
    WindowSummary {
        scores: n,
        out_of_range: 0,
        non_finite: 0,
        refused: 0,
        clamp_rate: 0.0,
        calibrated: n,
        sampled: n,
        positive_rate: Some(0.4),
        probability_sum: 0.4 * n as f64,
        mean_probability: Some(0.4),
        brier: Some(0.2),
        aece: Some(0.02),
        dece: Some(0.01),
        bins_requested: 15,
        bins_left: 15,
        merged_bin_percent: Some(0.0),
    }
}

fn firing(w: &WindowSummary, b: Option<&WindowSummary>) -> Vec<(AlertRule, Severity)> {
    evaluate_alerts(w, b, &AlertConfig::default())
        .iter()
        .filter(|a| a.state == AlertState::Firing)
        .map(|a| (a.rule, a.severity.unwrap()))
        .collect()
}

#[test]
fn each_rule_fires_alone_and_not_at_its_limit() {
    let base = healthy(50_000);
    assert_eq!(firing(&healthy(50_000), Some(&base)), vec![]);

    let mut drift = healthy(50_000);
    drift.aece = Some(0.0301);
    assert_eq!(firing(&drift, Some(&base)), vec![(AlertRule::AeceDrift, Severity::Fail)]);
    drift.aece = Some(0.0099);
    assert_eq!(firing(&drift, Some(&base)), vec![(AlertRule::AeceDrift, Severity::Fail)], "a drop counts too");
    drift.aece = Some(0.025);
    assert_eq!(firing(&drift, Some(&base)), vec![], "within 0.01");

    let mut clamp = healthy(50_000);
    clamp.clamp_rate = 0.1001;
    assert_eq!(firing(&clamp, Some(&base)), vec![(AlertRule::ClampRate, Severity::Fail)]);
    clamp.clamp_rate = 0.1;
    assert_eq!(firing(&clamp, Some(&base)), vec![], "exactly the limit does not fire");

    let mut merged = healthy(50_000);
    for (pct, want) in [
        (5.0, vec![]),
        (6.67, vec![(AlertRule::MergedBins, Severity::Warn)]),
        (20.0, vec![(AlertRule::MergedBins, Severity::Warn)]),
        (26.7, vec![(AlertRule::MergedBins, Severity::Fail)]),
    ] {
        merged.merged_bin_percent = Some(pct);
        assert_eq!(firing(&merged, Some(&base)), want, "merged {pct} %");
    }
}

#[test]
fn rules_without_enough_data_say_so() {
    let base = healthy(50_000);
    let rule = |w: &WindowSummary, b: Option<&WindowSummary>, r: AlertRule| {
        *evaluate_alerts(w, b, &AlertConfig::default()).iter().find(|a| a.rule == r).unwrap()
    };
    let a = rule(&healthy(50_000), None, AlertRule::AeceDrift);
    assert_eq!((a.state, a.note), (AlertState::NoData, Some(AlertNote::NoBaseline)));
    let mut small = healthy(9_999);
    small.aece = Some(0.5);
    let a = rule(&small, Some(&base), AlertRule::AeceDrift);
    assert_eq!((a.state, a.note), (AlertState::NoData, Some(AlertNote::TooFewSamples)));
    let a = rule(&healthy(50_000), Some(&small), AlertRule::AeceDrift);
    assert_eq!((a.state, a.note), (AlertState::NoData, Some(AlertNote::BaselineTooFewSamples)));
    let mut collapsed = healthy(50_000);
    collapsed.aece = Some(0.3);
    collapsed.merged_bin_percent = Some(40.0);
    let a = rule(&collapsed, Some(&base), AlertRule::AeceDrift);
    assert_eq!((a.state, a.note), (AlertState::NoData, Some(AlertNote::BinsCollapsed)));
    let mut few = healthy(99);
    few.clamp_rate = 0.9;
    assert_eq!(rule(&few, None, AlertRule::ClampRate).state, AlertState::NoData);
    few.merged_bin_percent = Some(90.0);
    assert_eq!(rule(&few, None, AlertRule::MergedBins).state, AlertState::NoData);
}

#[test]
fn alert_config_is_validated() {
    let mut c = MonitorConfig::default();
    c.alerts.merged_bins.warn = 30.0;
    assert!(c.validate().is_err(), "warn above fail");
    let mut c = MonitorConfig::default();
    c.alerts.clamp_rate.threshold = f64::NAN;
    assert!(c.validate().is_err());
    assert!(MonitorConfig { bins: 0, ..MonitorConfig::default() }.validate().is_err());
}

// ---------------------------------------------------------------- Prometheus

#[test]
fn the_exposition_parses_and_carries_the_window() {
    let m = model(5, 4000);
    let (s, y) = ranker(6, 3000);
    let cfg = MonitorConfig::default();
    let rows = Rows::<&str> { scores: &s, labels: &y, classes: None, timestamps_ms: None };
    let (w, hist) = monitor::window_of(&m, &rows, &cfg).unwrap();
    let alerts = evaluate_alerts(&w, None, &cfg.alerts);
    let tricky = "a \"quoted\" back\\slash\nnew line";
    let mut text = String::new();
    monitor::write_prometheus(&mut text, &w, &hist.counts, &alerts, &[("model", "m1"), ("class", tricky)]).unwrap();
    let f = parse_prometheus(&text);
    for (name, (_, help, samples)) in &f {
        assert!(name.starts_with("calib_"), "{name}");
        assert!(!help.is_empty());
        for smp in samples {
            assert_eq!(smp.labels["model"], "m1");
            assert_eq!(smp.labels["class"], tricky, "label values round-trip through the escapes");
        }
    }
    assert_eq!(gauge(&f, "calib_window_scores"), 3000.0);
    assert_eq!(gauge(&f, "calib_aece"), w.aece.unwrap());
    assert_eq!(gauge(&f, "calib_clamp_ratio"), w.clamp_rate);
    assert_eq!(gauge(&f, "calib_merged_bin_ratio"), w.merged_bin_percent.unwrap() / 100.0);
    let (kind, _, samples) = &f["calib_calibrated_probability"];
    assert_eq!(kind, "histogram");
    let buckets: Vec<&_> = samples.iter().filter(|s| s.name.ends_with("_bucket")).collect();
    assert_eq!(buckets.len(), 21, "20 bins and +Inf");
    assert!(buckets.windows(2).all(|b| b[0].value <= b[1].value), "cumulative");
    assert_eq!(buckets[0].labels["le"], "0.05");
    assert_eq!(buckets[20].labels["le"], "+Inf");
    let count = samples.iter().find(|s| s.name.ends_with("_count")).unwrap().value;
    assert_eq!(buckets[20].value, count);
    assert_eq!(count, w.calibrated as f64);
    let (_, _, firing) = &f["calib_alert_firing"];
    assert_eq!(firing.len(), 4, "aece_drift:fail, clamp_rate:fail, merged_bins:warn and :fail");
    let (_, _, no_data) = &f["calib_alert_no_data"];
    let drift = no_data.iter().find(|s| s.labels["rule"] == "aece_drift").unwrap();
    assert_eq!(drift.value, 1.0, "no baseline: the drift rule has no data");
}

#[test]
fn unmeasured_metrics_are_left_out_and_bad_labels_refused() {
    let mut st = WindowStorage::new(&MonitorConfig::default()).unwrap();
    let mut w = st.window().unwrap();
    let s = w.summary().unwrap();
    let mut text = String::new();
    monitor::write_prometheus(&mut text, &s, w.histogram(), &[], &[]).unwrap();
    let f = parse_prometheus(&text);
    assert!(!f.contains_key("calib_aece") && !f.contains_key("calib_brier"));
    assert_eq!(gauge(&f, "calib_window_scores"), 0.0);
    for bad in ["1x", "a-b", "__x", "le", "rule", "severity", ""] {
        let mut t = String::new();
        assert!(monitor::write_prometheus(&mut t, &s, &[], &[], &[(bad, "v")]).is_err(), "{bad:?}");
    }
    let mut t = String::new();
    assert!(monitor::write_prometheus(&mut t, &s, &[], &[], &[("a", "1"), ("a", "2")]).is_err());
}

/// Several windows in one exposition: each family once, and each window's
/// samples exactly those of its own exposition; a window that measured
/// nothing is left out of the families it lacks.
#[test]
fn several_windows_share_one_exposition() {
    let m = model(5, 4000);
    let cfg = MonitorConfig::default();
    let (s1, y1) = ranker(6, 3000);
    let (s2, y2) = ranker(7, 2000);
    let w1 =
        monitor::window_of(&m, &Rows::<&str> { scores: &s1, labels: &y1, classes: None, timestamps_ms: None }, &cfg)
            .unwrap();
    let w2 =
        monitor::window_of(&m, &Rows::<&str> { scores: &s2, labels: &y2, classes: None, timestamps_ms: None }, &cfg)
            .unwrap();
    let mut st = WindowStorage::new(&cfg).unwrap();
    let mut empty = st.window().unwrap();
    let e = empty.summary().unwrap();
    let a1 = evaluate_alerts(&w1.0, None, &cfg.alerts);
    let a2 = evaluate_alerts(&w2.0, Some(&w1.0), &cfg.alerts);
    let (l1, l2, l3) = ([("calibrator", "incumbent")], [("calibrator", "candidate")], [("calibrator", "shadow")]);
    let windows = [
        monitor::Exposed { summary: &w1.0, histogram: &w1.1.counts, alerts: &a1, labels: &l1 },
        monitor::Exposed { summary: &w2.0, histogram: &w2.1.counts, alerts: &a2, labels: &l2 },
        monitor::Exposed { summary: &e, histogram: &[], alerts: &[], labels: &l3 },
    ];
    let mut text = String::new();
    monitor::write_prometheus_windows(&mut text, &windows).unwrap();
    let all = parse_prometheus(&text); // panics on a family declared twice
    for x in &windows {
        let mut own = String::new();
        monitor::write_prometheus(&mut own, x.summary, x.histogram, x.alerts, x.labels).unwrap();
        let own = parse_prometheus(&own);
        let who = x.labels[0].1;
        for (name, (kind, help, samples)) in &all {
            let mine: Vec<_> = samples.iter().filter(|s| s.labels["calibrator"] == who).collect();
            match own.get(name) {
                Some((k, h, theirs)) => {
                    assert_eq!((kind, help), (k, h), "{name}");
                    assert_eq!(mine.len(), theirs.len(), "{name} of {who}");
                    for (a, b) in mine.iter().zip(theirs) {
                        assert_eq!((&a.name, &a.labels, a.value.to_bits()), (&b.name, &b.labels, b.value.to_bits()));
                    }
                }
                None => assert!(mine.is_empty(), "{name} has samples of {who}, which did not measure it"),
            }
        }
        assert!(own.keys().all(|k| all.contains_key(k)), "every family of {who} is in the shared exposition");
    }
    assert!(!all["calib_aece"].2.iter().any(|s| s.labels["calibrator"] == "shadow"), "unmeasured: left out");
    assert_eq!(all["calib_window_scores"].2.len(), 3, "counts are measured by every window");

    // One series per window: the same labels twice are refused, whatever
    // their order, and so is a bad label name, naming the window.
    let twice = [("a", "1"), ("b", "2")];
    let swapped = [("b", "2"), ("a", "1")];
    let clash = [
        monitor::Exposed { summary: &e, histogram: &[], alerts: &[], labels: &twice },
        monitor::Exposed { summary: &e, histogram: &[], alerts: &[], labels: &swapped },
    ];
    let err = monitor::write_prometheus_windows(&mut String::new(), &clash).unwrap_err();
    assert_eq!((err.index(), err.offending_value()), (Some(1), Some(0.0)));
    let bad = [("le", "1")];
    let clash = [
        monitor::Exposed { summary: &e, histogram: &[], alerts: &[], labels: &twice },
        monitor::Exposed { summary: &e, histogram: &[], alerts: &[], labels: &bad },
    ];
    let err = monitor::write_prometheus_windows(&mut String::new(), &clash).unwrap_err();
    assert_eq!((err.index(), err.offending_value()), (Some(1), Some(0.0)));
}

// ---------------------------------------------------------------- calendar

#[test]
fn days_and_iso_weeks() {
    use monitor::{day_label, days_from_civil, iso_week_label};
    assert_eq!(days_from_civil(1970, 1, 1), 0);
    assert_eq!(day_label(days_from_civil(2026, 3, 2)), "2026-03-02");
    assert_eq!(day_label(-1), "1969-12-31");
    for ((y, m, d), week) in [
        ((2026, 1, 1), "2026-W01"),
        ((2026, 3, 2), "2026-W10"),
        ((2027, 1, 1), "2026-W53"),
        ((2024, 12, 30), "2025-W01"),
        ((2021, 1, 3), "2020-W53"),
        ((2000, 2, 29), "2000-W09"),
    ] {
        assert_eq!(iso_week_label(days_from_civil(y, m, d)), week, "{y}-{m}-{d}");
    }
    // Round trip over four centuries, both sides of the epoch.
    for days in (-146_097..146_097).step_by(13) {
        let label = day_label(days);
        let (y, m, d) = (
            label[..label.len() - 6].parse().unwrap(),
            label[label.len() - 5..label.len() - 3].parse().unwrap(),
            label[label.len() - 2..].parse().unwrap(),
        );
        assert_eq!(days_from_civil(y, m, d), days, "{label}");
    }
}
