//! End-to-end tests of `calib rollout init|step|status|simulate|plan`:
//! every exit code (0 hold, 10 advance, 20 revert, 30 publish, 2 bad input),
//! the files it keeps, and crash safety — the process is killed between
//! every pair of steps of the step protocol (`CALIB_CRASH_AT`) and resumed,
//! and the final state file and audit log must equal an uninterrupted run's.

mod rollout_common;

use rollout_common::{Kind, MINUTE, T0, calib_in, rfc3339, stderr, stdout, window_json};
use serde_json::Value;
use std::path::Path;
use std::process::Output;

/// Short stages so a whole rollout is ~15 windows; two trips allowed.
const SHORT: &str =
    "min_windows_per_stage = 1\nstable_hold_hours = 1\nmax_trips_per_version = 2\ncooldown_minutes = 30\n";

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write test file");
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or_else(|| panic!("killed by a signal: {o:?}"))
}

/// Exit 2 with one `calib: error: …` line on stderr; returns the message.
fn bad_input(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(2), "expected exit 2: {}{}", stdout(o), stderr(o));
    let err = stderr(o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "expected one error line: {err}");
    lines[0].strip_prefix("calib: error: ").unwrap_or_else(|| panic!("unexpected error format: {err}")).to_string()
}

/// Writes window `i` to `w<i>.json` and steps it, deciding at the window's end.
fn step(dir: &Path, i: i64, kind: Kind, env: &[(&str, &str)]) -> Output {
    let name = format!("w{i}.json");
    write(dir, &name, &window_json(i, kind));
    let now = rfc3339(T0 + (i + 1) * 15 * MINUTE);
    calib_in(dir, &["rollout", "step", "--state", "s.json", "--window", &name, "--now", &now], env)
}

fn init(dir: &Path, config: &str, env: &[(&str, &str)]) -> Output {
    write(dir, "rollout.toml", config);
    calib_in(dir, &["rollout", "init", "--config", "rollout.toml", "--state", "s.json", "--now", &rfc3339(T0)], env)
}

fn state(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("s.json")).unwrap()).unwrap()
}

// ---------------------------------------------------------------- plan

#[test]
fn plan_prints_the_default_timeline() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "empty.toml", "");
    let o = calib_in(dir.path(), &["rollout", "plan", "--config", "empty.toml"], &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("publish at the earliest 28h15m after the first window starts (113 windows of 15 min)"),
        "{out}"
    );
    for row in ["off", "5 ", "25 ", "50 ", "100 ", "stable"] {
        assert!(out.lines().any(|l| l.starts_with(row)), "no {row:?} row:\n{out}");
    }
    let o = calib_in(dir.path(), &["rollout", "lint", "--config", "empty.toml", "--json"], &[]);
    assert_eq!(code(&o), 0);
    let plan: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(plan["min_minutes_to_publish"], 1695);
    assert_eq!(plan["stages"][5]["stage"], "stable");
    assert_eq!(plan["stages"][5]["min_windows"], 96);
    // The default config warns that the cooldown is unused with one trip.
    assert_eq!(plan["problems"][0]["code"], "cooldown_unused");
}

#[test]
fn plan_refuses_configs_that_never_trip_or_never_publish() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("stages = [5, 25, 50]\n", "never_publishes"),
        ("dry_run_gates = [\"p99_latency\", \"aece_excess\", \"median_shift\", \"recall_at_50\"]\n", "never_trips"),
        ("[thresholds.recall_at_50]\nthreshold = 1.5\nmin_samples = 100\n", "never_publishes"),
        ("[thresholds.p99_latency]\nthreshold = 0.0\nmin_samples = 100\n", "never_publishes"),
        (
            "dry_run_gates = [\"p99_latency\"]\n[thresholds.aece_excess]\nthreshold = 1.0\nmin_samples = 10\n\
             [thresholds.median_shift]\nthreshold = 1.0\nmin_samples = 10\n[thresholds.recall_at_50]\nthreshold = -1.0\n\
             min_samples = 10\n",
            "never_trips",
        ),
    ];
    for (config, problem) in cases {
        write(dir.path(), "c.toml", config);
        let o = calib_in(dir.path(), &["rollout", "plan", "--config", "c.toml"], &[]);
        let msg = bad_input(&o);
        assert!(msg.starts_with("c.toml: refused: ") && msg.contains(problem), "{config}: {msg}");
        // init refuses the same config and writes nothing.
        let o = calib_in(dir.path(), &["rollout", "init", "--config", "c.toml", "--state", "s.json"], &[]);
        assert!(bad_input(&o).contains(problem));
        assert!(!dir.path().join("s.json").exists() && !dir.path().join("s.audit.jsonl").exists());
    }
    // nodata = "breach" can still trip when no gate can breach.
    write(dir.path(), "c.toml", &format!("nodata = \"breach\"\n{}", cases[4].0));
    assert_eq!(code(&calib_in(dir.path(), &["rollout", "plan", "--config", "c.toml"], &[])), 0);
}

/// Issue 17, defect 12: limits so large that the earliest publish lies
/// thousands of years away were accepted ("publish at the earliest" in 8 000
/// years). A plan that cannot publish within a year is refused as
/// `never_publishes`, by `plan` and by `init`.
#[test]
fn plan_refuses_limits_that_could_not_publish_within_a_year() {
    let dir = tempfile::tempdir().unwrap();
    for config in [
        "stable_hold_hours = 4294967295\n",
        "min_windows_per_stage = 4294967295\n",
        "stable_hold_hours = 8760\n",
        "window_minutes = 1440\nmin_windows_per_stage = 92\n",
    ] {
        write(dir.path(), "c.toml", config);
        let msg = bad_input(&calib_in(dir.path(), &["rollout", "plan", "--config", "c.toml"], &[]));
        assert!(msg.contains("never_publishes") && msg.contains("a year"), "{config}: {msg}");
        let o = calib_in(dir.path(), &["rollout", "init", "--config", "c.toml", "--state", "s.json"], &[]);
        assert!(bad_input(&o).contains("never_publishes"), "{config}");
        assert!(!dir.path().join("s.json").exists());
    }
    // Just inside the year is a (slow) plan, not a refusal.
    write(dir.path(), "c.toml", "stable_hold_hours = 8000\n");
    let o = calib_in(dir.path(), &["rollout", "plan", "--config", "c.toml"], &[]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn invalid_configs_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("stage = [5]\n", "unknown field `stage`"),
        ("stages = [25, 5, 100]\n", "stages[1] = 5 does not increase"),
        ("stages = [0, 100]\n", "stages[0] = 0 is outside 1..=100"),
        ("breaches_in_last = { m = 4, n = 3 }\n", "breaches_in_last"),
        ("consecutive_breaches_to_trip = 0\n", "consecutive_breaches_to_trip = 0"),
        ("nodata = \"ignore\"\n", "unknown variant `ignore`"),
        ("dry_run_gates = [\"aece_excess\", \"aece_excess\"]\n", "twice"),
        ("window_minutes = \"15\"\n", "invalid type"),
    ];
    for (config, want) in cases {
        write(dir.path(), "c.toml", config);
        let msg = bad_input(&calib_in(dir.path(), &["rollout", "plan", "--config", "c.toml"], &[]));
        assert!(msg.contains(want), "{config}: {msg}");
    }
    // JSON configs work too.
    write(dir.path(), "c.json", r#"{"stages": [10, 100], "breaches_in_last": {"m": 2, "n": 4}}"#);
    let o = calib_in(dir.path(), &["rollout", "plan", "--config", "c.json"], &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("2 of the last 4 judged windows"));
    assert!(
        bad_input(&calib_in(dir.path(), &["rollout", "plan", "--config", "missing.toml"], &[])).contains("cannot read")
    );
}

// ---------------------------------------------------------------- init / step / status

#[test]
fn a_rollout_advances_reverts_restarts_and_publishes_with_its_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "m.json", r#"{"payloadType": "application/vnd.in-toto+json", "payload": "", "signatures": []}"#);
    write(d, "rollout.toml", SHORT);
    let o = calib_in(
        d,
        &[
            "rollout",
            "init",
            "--config",
            "rollout.toml",
            "--state",
            "s.json",
            "--manifest",
            "m.json",
            "--now",
            &rfc3339(T0),
        ],
        &[],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).starts_with("rollout ") && stdout(&o).contains("initialised at off"));
    let s = state(d);
    assert_eq!(s["state"]["phase"], "off");
    assert_eq!(s["rollout_id"], s["head"]);
    assert_eq!(s["manifest"]["manifest"], "m.json");
    assert_eq!(s["audit_log"], "s.audit.jsonl");
    // A second init of the same state file is refused.
    assert!(bad_input(&init(d, SHORT, &[])).contains("already exists"));

    let plan: [(Kind, i32, &str); 15] = [
        (Kind::Pass, 10, "5"),
        (Kind::Pass, 10, "25"),
        (Kind::Breach, 0, "25"),
        (Kind::Breach, 20, "reverted"),
        (Kind::Pass, 0, "reverted"), // cooldown: the trip ended at 01:00, cooldown to 01:30
        (Kind::Pass, 0, "reverted"),
        (Kind::Pass, 10, "5"), // starts at 01:30: restart
        (Kind::NoData, 0, "5"),
        (Kind::Pass, 10, "25"),
        (Kind::Pass, 10, "50"),
        (Kind::Pass, 10, "100"),
        (Kind::Pass, 10, "stable"),
        (Kind::Pass, 0, "stable"),
        (Kind::Pass, 0, "stable"),
        (Kind::Pass, 0, "stable"),
    ];
    for (i, (kind, want, stage)) in plan.iter().enumerate() {
        let o = step(d, i as i64, *kind, &[]);
        assert_eq!(code(&o), *want, "window {i}: {}{}", stdout(&o), stderr(&o));
        assert_eq!(state(d)["state"]["phase"], *stage, "window {i}");
        assert!(stdout(&o).contains(&format!("-> {stage}")), "window {i}: {}", stdout(&o));
    }
    let o = step(d, 15, Kind::Pass, &[]);
    assert_eq!(code(&o), 30, "{}", stderr(&o));
    assert!(stdout(&o).contains("publish") && stdout(&o).contains("stable_hold_complete"));
    // Published is final: further windows hold.
    let o = step(d, 16, Kind::Breach, &[("x", "y")]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("finished"));

    // --json prints one object with the simulate keys.
    let o = step(d, 17, Kind::Pass, &[]);
    assert_eq!(code(&o), 0);
    write(d, "w18.json", &window_json(18, Kind::Pass));
    let o = calib_in(
        d,
        &[
            "rollout",
            "step",
            "--state",
            "s.json",
            "--window",
            "w18.json",
            "--json",
            "--now",
            &rfc3339(T0 + 19 * 15 * MINUTE),
        ],
        &[],
    );
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (v["index"].as_u64(), v["stage_before"].as_str(), v["decision"].as_str()),
        (Some(18), Some("published"), Some("hold"))
    );

    // status: text and JSON; the log replays to the state.
    let o = calib_in(d, &["rollout", "status", "--state", "s.json"], &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("stage      published (100 % of traffic)"), "{out}");
    assert!(out.contains("replaying its 19 decisions gives this state"), "{out}");
    assert!(out.contains("trips 1/2"), "{out}");
    let o = calib_in(d, &["rollout", "status", "--state", "s.json", "--json"], &[]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (v["stage"].as_str(), v["decisions"].as_u64(), v["log_records"].as_u64()),
        (Some("published"), Some(19), Some(20))
    );
    assert_eq!(v["replay_matches"], true);
    // The decision log is an intact calib audit chain.
    let o = calib_in(d, &["audit", "verify", "s.audit.jsonl"], &[]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let log = std::fs::read_to_string(d.join("s.audit.jsonl")).unwrap();
    let kinds: Vec<String> =
        log.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["kind"].as_str().unwrap().to_string()).collect();
    assert_eq!(kinds[0], "rollout.init");
    assert!(kinds[1..].iter().all(|k| k == "rollout.decision") && kinds.len() == 20);
    let revert: Value = serde_json::from_str(log.lines().nth(4).unwrap()).unwrap();
    assert_eq!(revert["data"]["decision"], "revert");
    assert_eq!(revert["data"]["seq"], 4);
    assert_eq!(revert["time"], "2026-03-02T01:00:00Z");
}

#[test]
fn rejected_windows_are_bad_input_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(code(&init(d, SHORT, &[])), 0);
    assert_eq!(code(&step(d, 0, Kind::Pass, &[])), 10);
    assert_eq!(code(&step(d, 1, Kind::Pass, &[])), 10);
    let files = || (std::fs::read(d.join("s.json")).unwrap(), std::fs::read(d.join("s.audit.jsonl")).unwrap());
    let before = files();
    let run = |name: &str, body: &str, now: &str| {
        write(d, name, body);
        calib_in(d, &["rollout", "step", "--state", "s.json", "--window", name, "--now", now], &[])
    };
    let late = rfc3339(T0 + 100 * 15 * MINUTE);
    let mut shifted: Value = serde_json::from_str(&window_json(2, Kind::Pass)).unwrap();
    shifted["start"] = rfc3339(T0 + 25 * MINUTE).into();
    shifted["end"] = rfc3339(T0 + 40 * MINUTE).into();
    let mut long: Value = serde_json::from_str(&window_json(2, Kind::Pass)).unwrap();
    long["end"] = rfc3339(T0 + 50 * MINUTE).into();
    let mut typo: Value = serde_json::from_str(&window_json(2, Kind::Pass)).unwrap();
    typo["recall_delta"] = 0.0.into();
    let mut range: Value = serde_json::from_str(&window_json(2, Kind::Pass)).unwrap();
    range["aece"] = 1.5.into();
    let mut bad_time: Value = serde_json::from_str(&window_json(2, Kind::Pass)).unwrap();
    bad_time["start"] = "yesterday".into();
    let cases: Vec<(String, String, &str)> = vec![
        (window_json(1, Kind::Pass), late.clone(), "duplicate window: 2026-03-02T00:15:00Z to 2026-03-02T00:30:00Z"),
        (window_json(0, Kind::Pass), late.clone(), "time went backwards"),
        (shifted.to_string(), late.clone(), "starts before the previous window ended at 2026-03-02T00:30:00Z"),
        (window_json(2, Kind::Pass), rfc3339(T0 + 44 * MINUTE), "has not ended by the decision time"),
        (long.to_string(), late.clone(), "window_minutes = 15 needs exactly 900000 ms"),
        (typo.to_string(), late.clone(), "unknown field `recall_delta`"),
        (range.to_string(), late.clone(), "aece = 1.5 is outside its possible range"),
        (bad_time.to_string(), late.clone(), "start: \"yesterday\" is not an RFC 3339 time"),
        ("{\"start\": ".into(), late.clone(), "not a window"),
    ];
    for (body, now, want) in &cases {
        let msg = bad_input(&run("bad.json", body, now));
        assert!(msg.starts_with("bad.json: ") && msg.contains(want), "{want}: {msg}");
        assert!(files() == before, "a rejected window changed the state or the log: {want}");
    }
    // The duplicate message says where the rollout is.
    let msg = bad_input(&run("bad.json", &window_json(1, Kind::Pass), &late));
    assert!(msg.contains("the rollout is at 25, 25 % of traffic"), "{msg}");
    assert!(
        bad_input(&calib_in(d, &["rollout", "step", "--state", "nope.json", "--window", "w0.json"], &[]))
            .contains("nope.json")
    );
    let o = calib_in(d, &["rollout", "step", "--state", "s.json", "--window", "w0.json", "--now", "soon"], &[]);
    assert!(bad_input(&o).contains("--now"));
    // A good window still works afterwards.
    assert_eq!(code(&step(d, 2, Kind::Pass, &[])), 10);
}

#[test]
fn a_state_that_disagrees_with_its_log_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(code(&init(d, SHORT, &[])), 0);
    assert_eq!(code(&step(d, 0, Kind::Pass, &[])), 10);
    let good = std::fs::read_to_string(d.join("s.json")).unwrap();
    // Someone edits the counters by hand.
    write(d, "s.json", &good.replace("\"trips\": 0", "\"trips\": 1"));
    assert!(bad_input(&step(d, 1, Kind::Pass, &[])).contains("disagree"));
    assert!(
        bad_input(&calib_in(d, &["rollout", "status", "--state", "s.json"], &[])).contains("differs from the replay")
    );
    // Someone restores an older state file: the log is two decisions ahead.
    write(d, "s.json", &good);
    assert_eq!(code(&step(d, 1, Kind::Pass, &[])), 10);
    assert_eq!(code(&step(d, 2, Kind::Pass, &[])), 10);
    write(d, "s.json", &good);
    assert!(bad_input(&step(d, 3, Kind::Pass, &[])).contains("refusing to guess"));
    // An edited log line is refused by the chain check.
    let log = std::fs::read_to_string(d.join("s.audit.jsonl")).unwrap();
    write(d, "s.audit.jsonl", &log.replacen("\"advance\"", "\"hold\"", 1));
    assert!(bad_input(&calib_in(d, &["rollout", "status", "--state", "s.json"], &[])).contains("damaged"));
}

/// Issue 17, defect 1: the `config` block of the state file was not bound to
/// the rollout. Raising a threshold by hand turned a breach into a pass (an
/// advance to 25 % where the breaker should have counted a breach), and
/// `status` reported everything intact.
#[test]
fn an_edited_config_in_the_state_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(code(&init(d, SHORT, &[])), 0);
    assert_eq!(code(&step(d, 0, Kind::Pass, &[])), 10);
    let good = std::fs::read_to_string(d.join("s.json")).unwrap();
    let mut edited = state(d);
    edited["config"]["thresholds"]["aece_excess"]["threshold"] = serde_json::json!(1.0);
    write(d, "s.json", &(serde_json::to_string_pretty(&edited).unwrap() + "\n"));
    let msg = bad_input(&step(d, 1, Kind::Breach, &[]));
    assert!(msg.starts_with("s.json: ") && msg.contains("config") && msg.contains("init record"), "{msg}");
    assert_eq!(state(d), edited, "a refused step changes nothing");
    let msg = bad_input(&calib_in(d, &["rollout", "status", "--state", "s.json"], &[]));
    assert!(msg.contains("config") && msg.contains("init record"), "{msg}");
    // Every record names the config it was decided under.
    let log = std::fs::read_to_string(d.join("s.audit.jsonl")).unwrap();
    let records: Vec<Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let hash = records[0]["data"]["config_sha256"].as_str().expect("the init record hashes its config").to_string();
    assert_eq!(hash.len(), 64);
    assert_eq!(records[1]["data"]["config_sha256"], hash.as_str());
    // The original config works again.
    write(d, "s.json", &good);
    assert_eq!(code(&step(d, 1, Kind::Breach, &[])), 0);
    assert_eq!(code(&calib_in(d, &["rollout", "status", "--state", "s.json"], &[])), 0);

    // `audit verify` checks that every decision names its rollout's config:
    // a log rewritten with a decision under another config (its chain
    // re-hashed, so only this check can see it) is damaged.
    let mut records = records;
    records[1]["data"]["config_sha256"] = serde_json::json!("0".repeat(64));
    let forged = d.join("forged.jsonl");
    for r in &records {
        let time =
            time::OffsetDateTime::parse(r["time"].as_str().unwrap(), &time::format_description::well_known::Rfc3339)
                .unwrap();
        calib_core::audit::append_at(&forged, r["kind"].as_str().unwrap(), r["data"].clone(), time.into()).unwrap();
    }
    let o = calib_in(d, &["audit", "verify", "forged.jsonl"], &[]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("line 2") && stdout(&o).contains("config"), "{}", stdout(&o));
    let o = calib_in(d, &["audit", "verify", "s.audit.jsonl"], &[]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[test]
fn a_second_step_at_the_same_time_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(code(&init(d, SHORT, &[])), 0);
    let before = std::fs::read(d.join("s.json")).unwrap();
    // Another process holds the state's lock (as a running step would).
    let held = std::fs::File::open(d.join(".s.json.lock")).unwrap();
    held.lock().unwrap();
    assert!(bad_input(&step(d, 0, Kind::Pass, &[])).contains("another `calib rollout` is working on this state"));
    assert!(std::fs::read(d.join("s.json")).unwrap() == before);
    drop(held);
    assert_eq!(code(&step(d, 0, Kind::Pass, &[])), 10);
}

/// Issue 17, defect 2: the lock was keyed on the path's name. A step through
/// a symlink took `.alias.json.lock`, so it and a step through the real path
/// both decided the same window (two seq-1 decisions), and the save renamed
/// a regular file over the symlink. The lock and the writes now go to the
/// file the path resolves to.
#[cfg(unix)]
#[test]
fn a_symlink_to_the_state_shares_its_lock_and_stays_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(code(&init(d, SHORT, &[])), 0);
    std::os::unix::fs::symlink("s.json", d.join("alias.json")).unwrap();
    write(d, "w0.json", &window_json(0, Kind::Pass));
    let now = rfc3339(T0 + 15 * MINUTE);
    let step_as =
        |name: &str| calib_in(d, &["rollout", "step", "--state", name, "--window", "w0.json", "--now", &now], &[]);
    // A step through the real path holds the lock: the alias must wait.
    let held = std::fs::File::open(d.join(".s.json.lock")).unwrap();
    held.lock().unwrap();
    assert!(bad_input(&step_as("alias.json")).contains("another `calib rollout` is working on this state"));
    drop(held);
    assert!(!d.join(".alias.json.lock").exists());

    // Both at once: exactly one decides; the other is refused.
    let spawn = |name: &str| {
        let mut cmd = std::process::Command::new(calib_tests::binary::calib_bin());
        cmd.current_dir(d).env_remove("CALIB_CRASH_AT");
        cmd.args(["rollout", "step", "--state", name, "--window", "w0.json", "--now", &now]);
        cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap()
    };
    let (a, b) = (spawn("s.json"), spawn("alias.json"));
    let codes = [code(&a.wait_with_output().unwrap()), code(&b.wait_with_output().unwrap())];
    assert!(codes.contains(&10) && codes.contains(&2), "{codes:?}");
    let log = std::fs::read_to_string(d.join("s.audit.jsonl")).unwrap();
    assert_eq!(log.matches("\"rollout.decision\"").count(), 1, "{log}");
    assert!(std::fs::symlink_metadata(d.join("alias.json")).unwrap().file_type().is_symlink());
    assert_eq!(state(d)["seq"], 1);
    // Later commands work through either name.
    assert_eq!(code(&step(d, 1, Kind::Pass, &[])), 10);
    let o = calib_in(d, &["rollout", "status", "--state", "alias.json"], &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(std::fs::symlink_metadata(d.join("alias.json")).unwrap().file_type().is_symlink());
}

#[test]
fn simulate_runs_a_scenario_as_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let windows: Vec<Value> = (0..4)
        .map(|i| serde_json::from_str(&window_json(i, if i == 2 { Kind::Breach } else { Kind::Pass })).unwrap())
        .collect();
    write(d, "s.json", &serde_json::json!({"config": {"min_windows_per_stage": 2}, "windows": windows}).to_string());
    let o = calib_in(d, &["rollout", "simulate", "--scenario", "s.json"], &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let lines: Vec<String> = stdout(&o).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 5, "a header and one line per window");
    assert!(lines[1].contains("2026-03-02T00:00:00Z") && lines[1].contains("off -> 5") && lines[1].contains("advance"));
    assert!(lines[3].contains("breach") && lines[3].contains("aece_excess 0.025 breach (needs <= 0.01)"));
    let o = calib_in(d, &["rollout", "simulate", "--scenario", "s.json", "--json"], &[]);
    let v: Vec<Value> = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v.len(), 4);
    assert_eq!(v[3]["reasons"][0], serde_json::json!({"kind": "rule", "rule": "baking"}));
    write(d, "bad.json", "{\"config\": {}, \"windows\": [{}]}");
    assert!(bad_input(&calib_in(d, &["rollout", "simulate", "--scenario", "bad.json"], &[])).contains("missing field"));
}

// ---------------------------------------------------------------- crash safety

/// The crash points of one step, in protocol order.
const POINTS: [&str; 6] =
    ["step-decided", "step-log-torn", "step-logged", "state-temp-written", "state-renamed", "step-saved"];

/// The timeline of the crash test: advance, hold, revert, cooldown, restart,
/// publish — every kind of decision.
fn crash_timeline() -> Vec<(Kind, i32)> {
    let mut t = vec![(Kind::Pass, 10), (Kind::Pass, 10), (Kind::Breach, 0), (Kind::Breach, 20)];
    t.extend([(Kind::Pass, 0), (Kind::Pass, 0), (Kind::Pass, 10), (Kind::NoData, 0)]);
    t.extend([(Kind::Pass, 10), (Kind::Pass, 10), (Kind::Pass, 10), (Kind::Pass, 10)]);
    t.extend([(Kind::Pass, 0), (Kind::Pass, 0), (Kind::Pass, 0), (Kind::Pass, 30)]);
    t
}

/// Runs the whole rollout in `dir`; `crash(i)` names the point to crash at
/// in window i (None: no crash). After a crash the same step is run again,
/// as an operator or a supervisor would, and then `status` must be clean.
fn run_rollout(dir: &Path, crash_init: bool, crash: &dyn Fn(usize) -> Option<&'static str>) -> (Vec<u8>, Vec<u8>) {
    let env: &[(&str, &str)] = if crash_init { &[("CALIB_CRASH_AT", "init-logged")] } else { &[] };
    let o = init(dir, SHORT, env);
    if crash_init {
        assert_ne!(o.status.code(), Some(0), "init did not crash");
        assert!(!dir.join("s.json").exists());
        let o = init(dir, SHORT, &[]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert!(stderr(&o).contains("adopting init record"), "{}", stderr(&o));
    } else {
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    for (i, &(kind, want)) in crash_timeline().iter().enumerate() {
        let i64i = i as i64;
        let Some(point) = crash(i) else {
            let o = step(dir, i64i, kind, &[]);
            assert_eq!(code(&o), want, "window {i}: {}", stderr(&o));
            continue;
        };
        let o = step(dir, i64i, kind, &[("CALIB_CRASH_AT", point)]);
        assert!(o.status.code().is_none_or(|c| c != want && c != 2), "window {i}: no crash at {point}");
        assert!(stderr(&o).contains(&format!("CALIB_CRASH_AT={point}")), "{}", stderr(&o));
        // status works on whatever the crash left behind, and changes nothing.
        let files = (std::fs::read(dir.join("s.json")).unwrap(), std::fs::read(dir.join("s.audit.jsonl")).unwrap());
        let s = calib_in(dir, &["rollout", "status", "--state", "s.json"], &[]);
        assert_eq!(code(&s), 0, "status after a crash at {point} in window {i}: {}", stderr(&s));
        assert!(
            files == (std::fs::read(dir.join("s.json")).unwrap(), std::fs::read(dir.join("s.audit.jsonl")).unwrap())
        );
        // Resume: rerun the same step.
        let again = step(dir, i64i, kind, &[]);
        let logged_before_crash = POINTS.iter().position(|&p| p == point).unwrap() >= 2;
        if logged_before_crash {
            // The decision was logged: it is recovered (if the state lagged)
            // and the rerun window is refused as a duplicate, never applied twice.
            assert_eq!(again.status.code(), Some(2), "window {i}, {point}: {}", stderr(&again));
            assert!(stderr(&again).contains("duplicate window"), "{}", stderr(&again));
            let recovered = stderr(&again).contains("recovered decision");
            assert_eq!(recovered, matches!(point, "step-logged" | "state-temp-written"), "window {i}, {point}");
        } else {
            assert_eq!(code(&again), want, "window {i}, {point}: {}", stderr(&again));
            assert_eq!(stderr(&again).contains("dropped a torn last line"), point == "step-log-torn");
        }
    }
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.retain(|n| !n.starts_with('w'));
    names.sort();
    assert_eq!(names, [".s.json.lock", "rollout.toml", "s.audit.jsonl", "s.json"], "stray files");
    (std::fs::read(dir.join("s.json")).unwrap(), std::fs::read(dir.join("s.audit.jsonl")).unwrap())
}

#[test]
fn a_crash_at_any_point_loses_no_decision_and_applies_none_twice() {
    // Every run uses the same directory (the init record names the state
    // file's absolute path), emptied in between.
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("rollout");
    let fresh = || {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
    };
    fresh();
    let reference = run_rollout(&dir, false, &|_| None);
    let n = crash_timeline().len();
    // Rotation k crashes window i at point (i + k) mod 6, so across the six
    // rotations every window is killed at every point.
    for k in 0..POINTS.len() {
        fresh();
        let got = run_rollout(&dir, k == 0, &|i| Some(POINTS[(i + k) % POINTS.len()]));
        assert!(got.0 == reference.0, "rotation {k}: the state file differs from the uninterrupted run");
        assert!(got.1 == reference.1, "rotation {k}: the audit log differs from the uninterrupted run");
    }
    assert!(n >= POINTS.len());
}

/// The tests' `calib` carries the test-only switches (so the crash tests
/// above really crash), and the check in scripts/test.sh that the release
/// binary lacks them greps for strings that a build with them does contain.
#[test]
fn the_test_build_has_the_test_switches() {
    let bin = std::fs::read(calib_tests::binary::calib_bin()).expect("readable calib binary");
    for switch in ["CALIB_CRASH_AT", "CALIB_CHAOS_SABOTAGE"] {
        assert!(bin.windows(switch.len()).any(|w| w == switch.as_bytes()), "{switch} is not in the test build");
    }
}
