//! Golden decision traces: `calib rollout simulate` on every committed
//! scenario in tests/golden/rollout must print exactly the committed text
//! (`<name>.txt`: stdout, then `--- exit N` and stderr) and JSON
//! (`<name>.json`). Any difference fails. Each trace's key decisions are
//! also asserted by hand below, so a wrong golden file cannot be blessed
//! unnoticed.
//!
//! After an intended change of output: `CALIB_BLESS=1 cargo test -p
//! calib-tests --test rollout_golden`, then review the diff.

mod rollout_common;

use rollout_common::{calib_in, stderr, stdout};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("golden").join("rollout")
}

const SCENARIOS: [&str; 11] = [
    "happy_path",
    "consecutive_breaches_at_25",
    "breach_pass_breach",
    "breach_pass_breach_m_of_n",
    "nodata_hold",
    "nodata_breach",
    "stable_hold_breach",
    "cooldown_restart",
    "dry_run_gates",
    "time_backwards",
    "duplicate_window",
];

/// The keys of every `--json` entry, in the order they are printed.
const KEYS: [&str; 7] = ["index", "start", "stage_before", "stage_after", "verdict", "decision", "reasons"];

/// Compares `actual` with the committed file (or writes it under CALIB_BLESS).
fn check_golden(file: &str, actual: &str) {
    let path = golden_dir().join(file);
    if std::env::var_os("CALIB_BLESS").is_some() {
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with CALIB_BLESS=1 to create it)", path.display()));
    if expected != actual {
        let (e, a): (Vec<_>, Vec<_>) = (expected.lines().collect(), actual.lines().collect());
        let first = e.iter().zip(&a).position(|(x, y)| x != y).unwrap_or(e.len().min(a.len()));
        panic!(
            "{} differs at line {}:\n  expected: {:?}\n  actual:   {:?}\n({} vs {} lines)",
            path.display(),
            first + 1,
            e.get(first),
            a.get(first),
            e.len(),
            a.len()
        );
    }
}

/// Runs the scenario: (text output incl. exit code and stderr, JSON array, exit code).
fn simulate(name: &str) -> (String, Vec<Value>, i32) {
    let dir = golden_dir();
    let file = format!("{name}.scenario.json");
    let text = calib_in(&dir, &["rollout", "simulate", "--scenario", &file], &[]);
    let json = calib_in(&dir, &["rollout", "simulate", "--scenario", &file, "--json"], &[]);
    let code = text.status.code().expect("calib exited");
    assert_eq!(json.status.code(), Some(code), "{name}: --json exits differently");
    assert_eq!(stderr(&json), stderr(&text), "{name}: --json reports differently");
    let shown = format!("{}--- exit {code}\n{}", stdout(&text), stderr(&text));
    check_golden(&format!("{name}.txt"), &shown);
    check_golden(&format!("{name}.json"), &stdout(&json));
    let raw = stdout(&json);
    let entries: Vec<Value> = serde_json::from_str(&raw).expect("--json prints a JSON array");
    // Keys in the documented order (serde_json's Value would sort them).
    if let Some(first) = raw.split("\n  },").next() {
        let at: Vec<usize> = KEYS.iter().map(|k| first.find(&format!("\"{k}\":")).expect("key printed")).collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{name}: keys out of order: {at:?}");
    }
    (shown, entries, code)
}

#[test]
fn golden_traces_match_byte_for_byte() {
    for name in SCENARIOS {
        simulate(name);
    }
    // Every committed scenario is in the list above.
    let mut on_disk: Vec<String> = std::fs::read_dir(golden_dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".scenario.json").map(str::to_string))
        .collect();
    on_disk.sort();
    let mut listed: Vec<&str> = SCENARIOS.to_vec();
    listed.sort();
    assert_eq!(on_disk, listed);
}

/// The committed scenario inputs are what their generator writes.
#[test]
fn scenarios_are_up_to_date() {
    let py = std::env::var("CALIB_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = golden_dir().join("make_scenarios.py");
    match std::process::Command::new(&py).arg(&script).arg("--check").output() {
        Ok(out) => assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr)),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => panic!("cannot run {py}: {e}"),
        Err(e) => eprintln!("skipping: cannot run {py}: {e}"),
    }
}

// ------------------------------------------------------- the traces by hand

/// (decision, stage_before, stage_after, rules) of one entry.
fn at(entries: &[Value], i: usize) -> (String, String, String, Vec<String>) {
    let e = &entries[i];
    assert_eq!(e["index"], i as u64);
    let mut keys: Vec<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut want = KEYS;
    want.sort_unstable();
    assert_eq!(keys, want);
    let rules = e["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "rule")
        .map(|r| r["rule"].as_str().unwrap().to_string())
        .collect();
    let s = |k: &str| e[k].as_str().unwrap().to_string();
    (s("decision"), s("stage_before"), s("stage_after"), rules)
}

fn decisions(entries: &[Value]) -> Vec<String> {
    entries.iter().map(|e| e["decision"].as_str().unwrap().to_string()).collect()
}

#[test]
fn happy_path_publishes_after_exactly_28h15m() {
    let (_, e, code) = simulate("happy_path");
    assert_eq!(code, 0);
    assert_eq!(e.len(), 113);
    let advances = [(0, "off", "5"), (4, "5", "25"), (8, "25", "50"), (12, "50", "100"), (16, "100", "stable")];
    for (i, from, to) in advances {
        let (d, b, a, _) = at(&e, i);
        assert_eq!((d.as_str(), b.as_str(), a.as_str()), ("advance", from, to), "window {i}");
    }
    let (d, b, a, rules) = at(&e, 112);
    assert_eq!((d.as_str(), b.as_str(), a.as_str()), ("publish", "stable", "published"));
    assert_eq!(rules, ["stable_hold_complete"]);
    // The last window starts 28 h after T0 and ends 28 h 15 min after it.
    assert_eq!(e[112]["start"], "2026-03-03T04:00:00Z");
    let holds = decisions(&e).iter().filter(|d| *d == "hold").count();
    assert_eq!(holds, 113 - 6);
    // The stable hold's counter reaches 96/96 (24 h of 15-minute windows).
    let counters = e[112]["reasons"].as_array().unwrap();
    let stable = counters.iter().find(|r| r["counter"] == "stable_windows").unwrap();
    assert_eq!((stable["value"].as_u64(), stable["limit"].as_u64()), (Some(96), Some(96)));
}

#[test]
fn two_consecutive_breaches_at_25_revert_to_zero() {
    let (_, e, _) = simulate("consecutive_breaches_at_25");
    assert_eq!(at(&e, 4).2, "25");
    let (d, _, a, rules) = at(&e, 6);
    assert_eq!((d.as_str(), a.as_str()), ("hold", "25"));
    assert_eq!(rules, ["breach_below_trip"]);
    let (d, b, a, rules) = at(&e, 7);
    assert_eq!((d.as_str(), b.as_str(), a.as_str()), ("revert", "25", "reverted"));
    assert_eq!(rules, ["consecutive_breaches", "no_restart"]);
    // The second breach was the latency gate: the reason names it with its value and threshold.
    let lat = e[7]["reasons"].as_array().unwrap().iter().find(|r| r["gate"] == "p99_latency").unwrap().clone();
    assert_eq!(
        (lat["verdict"].as_str(), lat["value"].as_f64(), lat["threshold"].as_f64()),
        (Some("breach"), Some(1.7), Some(1.0))
    );
    let (d, _, a, rules) = at(&e, 8);
    assert_eq!((d.as_str(), a.as_str(), rules[0].as_str()), ("hold", "aborted", "trips_exhausted"));
}

#[test]
fn breach_pass_breach_trips_only_under_m_of_n() {
    let (_, e, _) = simulate("breach_pass_breach");
    assert!(!decisions(&e).contains(&"revert".to_string()));
    assert_eq!(at(&e, 7).0, "advance");
    assert_eq!(at(&e, 7).2, "25");
    let (_, e, _) = simulate("breach_pass_breach_m_of_n");
    let (d, b, a, rules) = at(&e, 3);
    assert_eq!((d.as_str(), b.as_str(), a.as_str()), ("revert", "5", "reverted"));
    assert_eq!(rules[0], "breaches_in_last");
    assert_eq!(decisions(&e)[..3], ["advance", "hold", "hold"]);
}

#[test]
fn nodata_holds_under_hold_and_trips_under_breach() {
    let (_, e, _) = simulate("nodata_hold");
    for i in [2, 3] {
        let (d, _, a, rules) = at(&e, i);
        assert_eq!((d.as_str(), a.as_str(), rules[0].as_str()), ("hold", "5", "no_data_held"), "window {i}");
        assert_eq!(e[i]["verdict"], "no_data");
    }
    // NoData did not reset the count: the next breach is the second in a row.
    let (d, _, _, rules) = at(&e, 4);
    assert_eq!((d.as_str(), rules[0].as_str()), ("revert", "consecutive_breaches"));
    let (_, e, _) = simulate("nodata_breach");
    let (d, _, a, rules) = at(&e, 2);
    assert_eq!((d.as_str(), a.as_str()), ("revert", "reverted"));
    assert_eq!(rules[..2], ["consecutive_breaches", "no_data_as_breach"]);
}

#[test]
fn a_breach_in_the_stable_hold_reverts() {
    let (_, e, _) = simulate("stable_hold_breach");
    assert_eq!(at(&e, 4).2, "stable");
    let (d, b, a, rules) = at(&e, 7);
    assert_eq!((d.as_str(), b.as_str(), a.as_str()), ("revert", "stable", "reverted"));
    assert_eq!(rules[0], "stable_hold_breach");
}

#[test]
fn cooldown_then_restart_then_refusal_at_max_trips() {
    let (_, e, _) = simulate("cooldown_restart");
    assert_eq!(at(&e, 2).0, "revert");
    assert_eq!(at(&e, 2).3, ["consecutive_breaches"]);
    for i in 3..=6 {
        let (d, _, a, rules) = at(&e, i);
        assert_eq!((d.as_str(), a.as_str(), rules[0].as_str()), ("hold", "reverted", "cooldown"), "window {i}");
    }
    // The trip ended at 00:45; the first window starting at 01:45 restarts.
    let (d, b, a, rules) = at(&e, 7);
    assert_eq!((d.as_str(), b.as_str(), a.as_str(), rules[0].as_str()), ("advance", "reverted", "5", "restarted"));
    assert_eq!(e[7]["start"], "2026-03-02T01:45:00Z");
    assert_eq!(at(&e, 9).0, "revert");
    assert_eq!(at(&e, 9).3, ["consecutive_breaches", "no_restart"]);
    let (d, _, a, rules) = at(&e, 10);
    assert_eq!((d.as_str(), a.as_str(), rules[0].as_str()), ("hold", "aborted", "trips_exhausted"));
    assert_eq!(at(&e, 11).3, ["finished"]);
}

#[test]
fn dry_run_gates_never_act() {
    let (_, e, _) = simulate("dry_run_gates");
    assert_eq!(e.len(), 9);
    for (i, entry) in e.iter().enumerate() {
        assert_eq!(entry["verdict"], "pass", "window {i}");
        assert!(at(&e, i).3.contains(&"dry_run_ignored".to_string()));
        let shift = entry["reasons"].as_array().unwrap().iter().find(|r| r["gate"] == "median_shift").unwrap().clone();
        assert_eq!((shift["verdict"].as_str(), shift["dry_run"].as_bool()), (Some("breach"), Some(true)));
    }
    assert_eq!(at(&e, 8).0, "publish");
}

#[test]
fn backwards_and_duplicate_windows_are_refused() {
    for (name, message) in [("time_backwards", "time went backwards"), ("duplicate_window", "duplicate window")] {
        let (shown, e, code) = simulate(name);
        assert_eq!(code, 2, "{name}");
        assert_eq!(e.len(), 2, "{name}: the two windows before the bad one are still printed");
        assert!(shown.contains("windows[2] (start "), "{shown}");
        assert!(shown.contains(message), "{name}: {shown}");
    }
}
