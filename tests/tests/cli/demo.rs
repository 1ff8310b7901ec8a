//! `calib demo`: the model, the reliability diagram and the held-out rows it
//! writes, the table it prints, and that the same seed gives the same bytes.

use crate::common::{Expect, calib, read};
use calib_core::model::Model;
use calib_core::synthetic::DEMO_CLASSES;
use std::ffi::OsStr;

/// A row of the demo's table: class, rows, then (before, after) for ECE,
/// AECE, DECE and Brier — as printed.
#[derive(Debug)]
struct DemoRow {
    class: String,
    rows: usize,
    pairs: Vec<(String, String)>,
}

fn demo_table(stdout: &str) -> Vec<DemoRow> {
    let names: Vec<&str> = DEMO_CLASSES.iter().copied().chain(["overall"]).collect();
    stdout
        .lines()
        .filter_map(|l| {
            let t: Vec<&str> = l.split_whitespace().collect();
            if t.is_empty() || !names.contains(&t[0]) {
                return None;
            }
            assert_eq!(t.len(), 14, "unexpected table row {l:?}");
            let pairs = (0..4)
                .map(|k| {
                    let b = 2 + 3 * k;
                    assert_eq!(t[b + 1], "→", "unexpected table row {l:?}");
                    (t[b].to_string(), t[b + 2].to_string())
                })
                .collect();
            Some(DemoRow { class: t[0].to_string(), rows: t[1].parse().expect("row count"), pairs })
        })
        .collect()
}

#[test]
fn demo_writes_model_svg_and_holdout_and_improves_every_class() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("nested").join("demo");
    let run = calib([OsStr::new("demo"), "--out".as_ref(), out.as_os_str()]).ok();

    let table = demo_table(&run.stdout);
    let classes: Vec<&str> = table.iter().map(|r| r.class.as_str()).collect();
    assert_eq!(classes, ["navigational", "informational", "transactional", "overall"], "{}", run.stdout);
    for r in &table {
        let f = |s: &str| s.parse::<f64>().unwrap_or_else(|_| panic!("not a number {s:?} in {r:?}"));
        for (metric, k) in [("ECE", 0), ("AECE", 1), ("Brier", 3)] {
            let (before, after) = (f(&r.pairs[k].0), f(&r.pairs[k].1));
            assert!(after < before, "{metric} of {} did not improve: {before} → {after}", r.class);
        }
        assert!(r.rows > 0);
    }
    let overall = &table[3];
    assert_eq!(overall.rows, table[..3].iter().map(|r| r.rows).sum::<usize>(), "class rows do not add up");

    // model.json: a valid model with a map per demo class.
    let model_path = out.join("model.json");
    let model = Model::from_json(&read(&model_path)).expect("demo model loads");
    assert_eq!(model.classes().collect::<Vec<_>>(), {
        let mut c = DEMO_CLASSES.to_vec();
        c.sort();
        c
    });

    // reliability.svg: one panel per class and overall, with bin markers.
    let svg = read(&out.join("reliability.svg"));
    assert!(svg.starts_with("<svg"), "svg starts with {:?}", &svg[..svg.len().min(40)]);
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<svg").count(), 1);
    assert_eq!(svg.matches("<g class=\"panel\"").count(), 4);
    for name in ["navigational", "informational", "transactional", "overall"] {
        assert!(svg.contains(&format!("<g class=\"panel\" data-title=\"{name}\"")), "no panel for {name}");
    }
    assert!(svg.matches("class=\"bin\"").count() >= 4 * 2, "too few bin markers");
    assert_eq!(svg.matches("<g").count(), svg.matches("</g>").count(), "unbalanced <g>");
    // Bin markers carry a <title> child; the legend's circles close themselves.
    assert_eq!(svg.matches("<circle class=\"bin\"").count(), svg.matches("</circle>").count());
    assert!(!svg.contains("NaN"), "NaN coordinates in the svg");

    // holdout.csv: the held-out rows; evaluating them with the model gives
    // the table's overall numbers.
    let holdout = out.join("holdout.csv");
    let text = read(&holdout);
    assert_eq!(text.lines().next(), Some("query_id,class,score,label"));
    assert_eq!(text.lines().count() - 1, overall.rows);
    let json = |args: &[&OsStr]| -> serde_json::Value {
        let r = calib(args).ok();
        serde_json::from_str(r.stdout.trim()).expect("eval --json prints JSON")
    };
    let before = json(&["eval".as_ref(), "--input".as_ref(), holdout.as_os_str(), "--json".as_ref()]);
    let after = json(&[
        "eval".as_ref(),
        "--input".as_ref(),
        holdout.as_os_str(),
        "--model".as_ref(),
        model_path.as_os_str(),
        "--json".as_ref(),
    ]);
    for (k, key) in [(0, "ece"), (1, "aece"), (2, "dece"), (3, "brier")] {
        let b = format!("{:.4}", before[key].as_f64().unwrap());
        let a = format!("{:.4}", after[key].as_f64().unwrap());
        assert_eq!((b, a), overall.pairs[k], "eval of holdout.csv disagrees with the demo's {key}");
    }
    assert_eq!(before["clamp_rate"].as_f64(), Some(0.0));
    assert!((0.0..0.05).contains(&after["clamp_rate"].as_f64().unwrap()), "{after}");
}

#[test]
fn demo_is_deterministic() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let ra = calib([OsStr::new("demo"), "--out".as_ref(), a.as_os_str()]).ok();
    let rb = calib([OsStr::new("demo"), "--out".as_ref(), b.as_os_str()]).ok();
    for f in ["model.json", "reliability.svg", "holdout.csv"] {
        assert!(std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(), "{f} differs between runs");
    }
    let table = |s: &str| format!("{:?}", demo_table(s));
    assert_eq!(table(&ra.stdout), table(&rb.stdout));
    // ... and the seed matters.
    let c = tmp.path().join("c");
    calib([OsStr::new("demo"), "--out".as_ref(), c.as_os_str(), "--seed".as_ref(), "7".as_ref()]).ok();
    assert!(std::fs::read(a.join("model.json")).unwrap() != std::fs::read(c.join("model.json")).unwrap());
}
