//! `calib eval`: its JSON and its table agree with calib-core's metrics on
//! the same rows, with and without a model.

use crate::common::{Data, Expect, calib, class_model, write};
use calib_core::map::ApplyStats;
use calib_core::metrics;
use calib_core::model::FitConfig;
use std::collections::BTreeSet;
use std::ffi::OsStr;

const EVAL_KEYS: [&str; 8] = ["n", "ece", "aece", "mce", "dece", "brier", "log_loss", "clamp_rate"];

fn eval_json(args: &[&OsStr]) -> serde_json::Map<String, serde_json::Value> {
    let run = calib(args).ok();
    assert_eq!(run.stdout.lines().count(), 1, "--json prints one line: {}", run.stdout);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("eval --json output is JSON");
    let obj = v.as_object().expect("a JSON object").clone();
    let keys: BTreeSet<&str> = obj.keys().map(String::as_str).collect();
    assert_eq!(keys, EVAL_KEYS.into_iter().collect::<BTreeSet<_>>(), "eval --json keys");
    obj
}

fn assert_metrics(got: &serde_json::Map<String, serde_json::Value>, want: &metrics::Metrics, clamp_rate: f64) {
    assert_eq!(got["n"].as_u64(), Some(want.n));
    for (key, w) in [
        ("ece", want.ece),
        ("aece", want.aece),
        ("mce", want.mce),
        ("dece", want.dece),
        ("brier", want.brier),
        ("log_loss", want.log_loss),
        ("clamp_rate", clamp_rate),
    ] {
        let g = got[key].as_f64().unwrap_or_else(|| panic!("{key} is not a number: {}", got[key]));
        assert!(calib_tests::close(g, w, 1e-12), "{key}: calib eval {g}, calib-core {w}");
    }
}

#[test]
fn eval_json_matches_core_metrics() {
    let tmp = tempfile::tempdir().unwrap();
    let data = Data::overconfident(800, 11, &[("a", 400)]);
    let input = write(tmp.path(), "d.csv", &data.csv(&["class", "label", "id", "score"]));
    for bins in [None, Some(7), Some(1)] {
        let mut args: Vec<&OsStr> = vec!["eval".as_ref(), "--input".as_ref(), input.as_os_str(), "--json".as_ref()];
        let b = bins.map(|b: usize| b.to_string());
        if let Some(b) = &b {
            args.extend([OsStr::new("--bins"), b.as_ref()]);
        }
        let got = eval_json(&args);
        let want = metrics::evaluate(&data.score, &data.label, None, bins.unwrap_or(15)).unwrap();
        assert_metrics(&got, &want, 0.0);
    }
    // Weighted.
    let input = write(tmp.path(), "w.csv", &data.csv(&["score", "weight", "label"]));
    let got = eval_json(&["eval".as_ref(), "--input".as_ref(), input.as_os_str(), "--json".as_ref()]);
    let want = metrics::evaluate(&data.score, &data.label, Some(&data.weight), 15).unwrap();
    assert_metrics(&got, &want, 0.0);
    // The table shows the same numbers.
    let table = calib([OsStr::new("eval"), "--input".as_ref(), input.as_os_str()]).ok().stdout;
    assert!(table.contains("800 rows, 15 bins"), "{table}");
    for (name, v) in [("ECE", want.ece), ("AECE", want.aece), ("Brier", want.brier), ("log-loss", want.log_loss)] {
        let line = table.lines().find(|l| l.split_whitespace().next() == Some(name)).expect(name);
        assert!(line.ends_with(&format!("{v:.6}")), "{name}: {line:?}, want {v:.6}");
    }
}

#[test]
fn eval_with_model_reports_model_metrics_and_clamp_rate() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = FitConfig { min_class_samples: 300, ..FitConfig::default() };
    let (model, model_path) = class_model(tmp.path(), &cfg);
    let (lo, hi) = (model.file().global.x[0], *model.file().global.x.last().unwrap());
    assert!(lo <= 0.3 && hi > 0.9 && hi < 1.0, "need room above the map's range: [{lo}, {hi}]");

    // One of four scores is outside the fitted range.
    let input = write(tmp.path(), "e.csv", &format!("score,label\n0.3,0\n0.6,1\n{},1\n0.9,1\n", (hi + 1.0) / 2.0));
    let got = eval_json(&[
        "eval".as_ref(),
        "--input".as_ref(),
        input.as_os_str(),
        "--model".as_ref(),
        model_path.as_os_str(),
        "--json".as_ref(),
    ]);
    assert_eq!(got["clamp_rate"].as_f64(), Some(0.25));
    let scores = [0.3, 0.6, (hi + 1.0) / 2.0, 0.9];
    let probs: Vec<f64> = scores.iter().map(|&s| model.apply(None, s).unwrap()).collect();
    assert_metrics(&got, &metrics::evaluate(&probs, &[0.0, 1.0, 1.0, 1.0], None, 15).unwrap(), 0.25);

    // With a class column: rows are routed to their class's map.
    let data = Data::overconfident(200, 12, &[("a", 50), ("b", 50), ("zzz", 50)]);
    let input = write(tmp.path(), "c.csv", &data.csv(&["score", "label", "class"]));
    let got = eval_json(&[
        "eval".as_ref(),
        "--input".as_ref(),
        input.as_os_str(),
        "--model".as_ref(),
        model_path.as_os_str(),
        "--json".as_ref(),
        "--bins".as_ref(),
        "10".as_ref(),
    ]);
    let mut probs = vec![0.0; 200];
    let mut stats = ApplyStats::default();
    model.apply_rows(Some(&data.classes()[..]), &data.score, &mut probs, &mut stats).unwrap();
    assert_metrics(&got, &metrics::evaluate(&probs, &data.label, None, 10).unwrap(), stats.clamp_rate());
}
