//! `calib report` and `calib monitor` end to end: the drift pack's JSON
//! against the core on the same rows, the page's structure (self-contained,
//! escaped, the charts with their bins and points), exit codes, line-accurate
//! errors, atomic writes, and the Prometheus exposition.

mod ops_common;

use calib_core::monitor::{self, MonitorConfig, Rows};
use calib_tests::binary::calib_in;
use ops_common::{parse_prometheus, ranker, write_csv};
use serde_json::Value;
use std::path::Path;

/// 2026-03-02T00:00:00Z (a Monday) in seconds.
const T0: i64 = 1_772_409_600;

/// Writes model.json, traffic.csv (with timestamps over `days` days and a
/// class whose name needs escaping) and base.csv into `dir`.
fn setup(dir: &Path, days: i64) -> (Vec<f64>, Vec<f64>, Vec<i64>, Vec<String>) {
    let m = ops_common::model(1, 8000);
    std::fs::write(dir.join("model.json"), m.to_json()).unwrap();
    let (s, y) = ranker(2, 12_000);
    let n = s.len() as i64;
    let ts: Vec<i64> = (0..n).map(|i| (T0 + i * days * 86_400 / n) * 1000).collect();
    let classes: Vec<String> =
        (0..n).map(|i| if i % 3 == 0 { "<b>&\"x\"".to_string() } else { "web".to_string() }).collect();
    write_csv(
        &dir.join("traffic.csv"),
        "timestamp,class,score,label",
        (0..s.len()).map(|i| {
            let t = time::OffsetDateTime::from_unix_timestamp(ts[i] / 1000).unwrap();
            let t = t.format(&time::format_description::well_known::Rfc3339).unwrap();
            format!("{t},\"{}\",{},{}", classes[i].replace('"', "\"\""), s[i], y[i])
        }),
    );
    let (bs, by) = ranker(3, 12_000);
    write_csv(&dir.join("base.csv"), "score,label", bs.iter().zip(&by).map(|(s, y)| format!("{s},{y}")));
    (s, y, ts, classes)
}

#[test]
fn the_json_drift_pack_is_the_cores() {
    let dir = tempfile::tempdir().unwrap();
    let (s, y, ts, classes) = setup(dir.path(), 10);
    let r = calib_in(
        dir.path(),
        ["report", "--model", "model.json", "--input", "traffic.csv", "--baseline", "base.csv", "--json"],
    )
    .code(0);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let model = ops_common::model(1, 8000);
    let (bs, by) = ranker(3, 12_000);
    let cur = Rows { scores: &s, labels: &y, classes: Some(&classes[..]), timestamps_ms: Some(&ts[..]) };
    let base = Rows::<String> { scores: &bs, labels: &by, classes: None, timestamps_ms: None };
    let pack = monitor::drift_pack(&model, &cur, Some(&base), &MonitorConfig::default()).unwrap();
    let want = serde_json::to_value(&pack).unwrap();
    for key in ["window", "alerts", "baseline", "histogram", "reliability", "classes", "daily", "weekly", "config"] {
        assert_eq!(v[key], want[key], "{key}");
    }
    assert_eq!(v["pack_version"], 1);
    assert_eq!(v["daily"].as_array().unwrap().len(), 10);
    assert_eq!(v["weekly"].as_array().unwrap().len(), 2, "10 days from a Monday span two ISO weeks");
    assert_eq!(v["weekly"][0]["label"], "2026-W10");
    assert_eq!(v["daily"][0]["label"], "2026-03-02");
    assert_eq!(v["rows"], 12_000);
    assert_eq!(v["model_sha256"].as_str().unwrap().len(), 64);
    // Equal-size healthy windows: the drift rule is judged and quiet.
    assert_eq!(v["alerts"][0]["rule"], "aece_drift");
    assert_eq!(v["alerts"][0]["state"], "ok");
}

/// Values of an attribute on the elements of a class in an HTML text.
fn count(html: &str, needle: &str) -> usize {
    html.matches(needle).count()
}

#[test]
fn the_page_is_self_contained_escaped_and_has_every_chart() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), 10);
    calib_in(
        dir.path(),
        ["report", "--model", "model.json", "--input", "traffic.csv", "--baseline", "base.csv", "--out", "r.html"],
    )
    .code(0);
    let html = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    for banned in ["src=", "href=", "url(", "@import", "<link", "<img", "<iframe", "http://", "https://"] {
        let n = if banned == "http://" {
            count(&html, banned) - count(&html, "xmlns=\"http://www.w3.org/2000/svg\"")
        } else {
            count(&html, banned)
        };
        assert_eq!(n, 0, "external reference {banned:?} in the page");
    }
    assert!(html.contains("&lt;b&gt;&amp;&quot;x&quot;"), "class names are escaped");
    assert!(!html.contains("<b>&"), "no raw markup from the data");
    // The embedded pack is the JSON of --json, intact.
    let start = html.find(r#"<script type="application/json" id="drift-pack">"#).unwrap();
    let body = &html[start..];
    let body = &body[body.find('>').unwrap() + 1..body.find("</script>").unwrap()];
    let pack: Value = serde_json::from_str(body).unwrap();
    assert_eq!(count(&html, "<svg"), 1 + 1 + 4, "reliability, histogram, 2 daily and 2 weekly trends");
    let rel = pack["reliability"].as_array().unwrap().len() + pack["baseline_reliability"].as_array().unwrap().len();
    assert_eq!(count(&html, r#"<circle class="bin""#), rel);
    assert_eq!(count(&html, r#"<rect class="bar""#), 2 * 20, "input and baseline, 20 bins each");
    // Daily: AECE, DECE, Brier, clamp rate + positive rate, mean: 6 series × 10 days; weekly 6 × 2.
    assert_eq!(count(&html, r#"<circle class="point""#), 6 * 10 + 6 * 2);
    assert_eq!(count(&html, r#"<tr class="alert""#), 3);
}

#[test]
fn exit_codes_errors_and_atomic_writes() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), 3);
    // 20 % of scores far outside the fitted range: clamp rate fails → exit 1, page written.
    let (s, y) = ranker(4, 3000);
    write_csv(
        &dir.path().join("drift.csv"),
        "score,label",
        s.iter().zip(&y).enumerate().map(|(i, (s, y))| format!("{},{y}", if i % 5 == 0 { s + 5.0 } else { *s })),
    );
    let r =
        calib_in(dir.path(), ["report", "--model", "model.json", "--input", "drift.csv", "--out", "d.html"]).code(1);
    assert!(r.stdout.contains("clamp_rate   FIRING (fail)"), "{}", r.stdout);
    assert!(dir.path().join("d.html").is_file());
    // A bad timestamp: exit 2 naming file, line and column; nothing written.
    write_csv(
        &dir.path().join("bad.csv"),
        "timestamp,score,label",
        ["2026-03-02T00:00:00Z,0.5,1".into(), "yesterday,0.4,0".into()],
    );
    let r = calib_in(dir.path(), ["report", "--model", "model.json", "--input", "bad.csv", "--out", "b.html"]).code(2);
    assert!(r.stderr.contains("bad.csv:3: column 1 (timestamp)"), "{}", r.stderr);
    assert!(!dir.path().join("b.html").exists());
    // A bad label in the baseline is located in the baseline.
    write_csv(&dir.path().join("badbase.csv"), "score,label", ["0.5,1".into(), "0.4,7".into()]);
    let r = calib_in(
        dir.path(),
        ["report", "--model", "model.json", "--input", "traffic.csv", "--baseline", "badbase.csv", "--out", "c.html"],
    )
    .code(2);
    assert!(r.stderr.contains("badbase.csv:3: column 2 (label)"), "{}", r.stderr);
    // Neither --out nor --json: a usage error.
    calib_in(dir.path(), ["report", "--model", "model.json", "--input", "traffic.csv"]).code(2);
}

#[test]
fn calib_monitor_exposes_prometheus_text() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), 3);
    let r = calib_in(
        dir.path(),
        [
            "monitor",
            "--model",
            "model.json",
            "--input",
            "traffic.csv",
            "--baseline",
            "base.csv",
            "--prometheus",
            "--label",
            "env=prod",
            "--prom-out",
            "m.prom",
        ],
    )
    .code(0);
    let f = parse_prometheus(&r.stdout);
    assert_eq!(std::fs::read_to_string(dir.path().join("m.prom")).unwrap(), r.stdout);
    assert_eq!(ops_common::gauge(&f, "calib_window_scores"), 12_000.0);
    for (_, _, samples) in f.values() {
        assert!(samples.iter().all(|s| s.labels["env"] == "prod" && s.labels["model_sha256"].len() == 64));
    }
    let j = calib_in(dir.path(), ["monitor", "--model", "model.json", "--input", "traffic.csv", "--json"]).code(0);
    let v: Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(v["window"]["aece"].as_f64().unwrap(), ops_common::gauge(&f, "calib_aece"));
    calib_in(dir.path(), ["monitor", "--model", "model.json", "--input", "traffic.csv", "--label", "le=1"]).code(2);
}
