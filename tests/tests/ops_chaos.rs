//! The chaos suite: every scenario behaves as it states, for several seeds;
//! a wrong expectation, an error and a panic are each reported as
//! misbehaviour; and `calib chaos` prints the table, the JSON and the
//! resilience score, with exit 1 when a scenario misbehaves.

mod ops_common;

use calib_core::chaos::{self, Expected, Lab, RolloutOutcome, SCENARIOS, Scenario, World};
use calib_core::monitor::{AlertRule, Severity};
use calib_tests::binary::calib_in;
use std::sync::OnceLock;

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| World::new(chaos::DEFAULT_SEED).unwrap())
}

#[test]
fn every_scenario_behaves_as_stated_for_several_seeds() {
    for seed in [chaos::DEFAULT_SEED, 7] {
        let r = chaos::run_suite(seed, SCENARIOS).unwrap();
        for s in &r.scenarios {
            assert!(s.behaved, "seed {seed}, {}: {:?}\n{:#?}", s.name, s.problems, s.windows);
            let o = s.observed.as_ref().unwrap();
            assert!(o.outputs > 0 || s.name == "empty_and_missing_windows", "{} handed out no probability", s.name);
            assert_eq!(o.bad_outputs, 0);
        }
        assert_eq!((r.behaved, r.total), (SCENARIOS.len(), SCENARIOS.len()));
        assert_eq!(r.resilience_score, 1.0);
    }
}

#[test]
fn the_suite_covers_the_issue_and_every_outcome() {
    let names: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
    for n in [
        "nan_storm",
        "plateau_99",
        "breakpoint_pile",
        "out_of_range",
        "bimodal_shift",
        "label_flip_drift",
        "empty_and_missing_windows",
        "clock_skew",
        "duplicated_windows",
    ] {
        assert!(names.contains(&n), "{n} missing");
    }
    let has = |o: RolloutOutcome| SCENARIOS.iter().any(|s| s.expected.rollout == o);
    assert!(has(RolloutOutcome::Hold) && has(RolloutOutcome::Revert) && has(RolloutOutcome::Advance));
    for rule in AlertRule::ALL {
        assert!(SCENARIOS.iter().any(|s| s.expected.alerts.iter().any(|a| a.0 == rule)), "{rule:?} never fires");
    }
}

#[test]
fn a_wrong_expectation_an_error_and_a_panic_misbehave() {
    let w = world();
    let mut wrong = SCENARIOS[0];
    wrong.expected =
        Expected { alerts: &[(AlertRule::ClampRate, Severity::Fail)], rollout: RolloutOutcome::Revert, refused: 1 };
    let o = chaos::run_scenario(w, &wrong);
    assert!(!o.behaved);
    assert_eq!(o.problems.len(), 3, "alerts, rollout and refusals each named: {:?}", o.problems);

    fn boom(_: &mut Lab<'_>) -> calib_core::Result<()> {
        panic!("scenario bug")
    }
    let panics = Scenario { name: "boom", description: "panics", expected: SCENARIOS[0].expected, run: boom };
    let o = chaos::run_scenario(w, &panics);
    assert!(!o.behaved && o.problems[0].contains("panicked: scenario bug"), "{:?}", o.problems);

    fn fails(lab: &mut Lab<'_>) -> calib_core::Result<()> {
        lab.check(false, || "a scenario check failed".into());
        Ok(())
    }
    let checks = Scenario {
        name: "checks",
        description: "fails a check",
        expected: Expected { alerts: &[], rollout: RolloutOutcome::Hold, refused: 0 },
        run: fails,
    };
    let o = chaos::run_scenario(w, &checks);
    assert_eq!(o.problems, vec!["a scenario check failed".to_string()]);
}

#[test]
fn the_world_is_healthy_and_deterministic() {
    let w = world();
    assert_eq!(w.state.phase.to_string(), "5", "the pre-flight window started the rollout");
    assert!(w.baseline.aece.unwrap() < 0.02 && w.baseline.clamp_rate < 0.01);
    assert!(w.c_hat > 0.0 && w.c_hat < 2.0);
    let again = World::new(chaos::DEFAULT_SEED).unwrap();
    assert_eq!(again.c_hat.to_bits(), w.c_hat.to_bits());
    assert_eq!(again.baseline, w.baseline);
}

#[test]
fn calib_chaos_prints_a_table_json_and_a_score() {
    let dir = tempfile::tempdir().unwrap();
    let r = calib_in(dir.path(), ["chaos"]).code(0);
    assert!(r.stdout.contains(&format!("resilience score: {0}/{0} = 1.000", SCENARIOS.len())), "{}", r.stdout);
    for s in SCENARIOS {
        assert!(r.stdout.lines().any(|l| l.starts_with(s.name) && l.contains(" ok ")), "{}: {}", s.name, r.stdout);
    }
    let a = calib_in(dir.path(), ["chaos", "--json", "--seed", "11"]).code(0);
    let b = calib_in(dir.path(), ["chaos", "--json", "--seed", "11"]).code(0);
    assert_eq!(a.stdout, b.stdout, "a seed gives the same report");
    let v: serde_json::Value = serde_json::from_str(&a.stdout).unwrap();
    assert_eq!(v["seed"], 11);
    assert_eq!(v["resilience_score"], 1.0);
    assert_eq!(v["scenarios"].as_array().unwrap().len(), SCENARIOS.len());
    let storm = v["scenarios"].as_array().unwrap().iter().find(|s| s["name"] == "nan_storm").unwrap();
    assert_eq!(storm["observed"]["alerts"], serde_json::json!([["clamp_rate", "fail"]]));
}

#[test]
fn a_misbehaving_scenario_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(calib_tests::binary::calib_bin());
    let out = cmd.current_dir(dir.path()).arg("chaos").env("CALIB_CHAOS_SABOTAGE", "clock_skew").output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let n = SCENARIOS.len();
    assert!(stdout.contains(&format!("resilience score: {}/{n}", n - 1)), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("clock_skew") && l.contains("MISBEHAVED")), "{stdout}");
    assert!(stdout.contains("rollout Hold; expected Revert"), "{stdout}");
}
