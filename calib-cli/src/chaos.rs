//! `calib chaos`: the chaos suite of calib-core, as a table (or JSON) and a
//! resilience score — the scenarios that behaved as stated, out of all.
//!
//! Exit codes: 0 every scenario behaved, 1 one or more misbehaved (or the
//! suite's world could not be built), 2 bad arguments.
//!
//! **Test-only switch.** `CALIB_CHAOS_SABOTAGE=<scenario>` states the wrong
//! rollout outcome for that scenario, so the tests can check that a
//! misbehaving scenario is reported and fails the run. Only in a build with
//! the `test-hooks` feature (the tests' build of `calib`).

use crate::io::CliError;
use calib_core::chaos::{self, RolloutOutcome, SCENARIOS, Scenario};
use clap::Args;

#[derive(Args, Debug)]
pub struct ChaosArgs {
    /// Seed of every scenario's data.
    #[arg(long, default_value_t = chaos::DEFAULT_SEED)]
    seed: u64,
    /// Print the whole report as JSON.
    #[arg(long)]
    json: bool,
}

fn scenarios() -> Vec<Scenario> {
    #[cfg(feature = "test-hooks")]
    let sabotage = std::env::var("CALIB_CHAOS_SABOTAGE").ok();
    #[cfg(not(feature = "test-hooks"))]
    let sabotage: Option<String> = None;
    SCENARIOS
        .iter()
        .map(|s| {
            let mut s = *s;
            if sabotage.as_deref() == Some(s.name) {
                s.expected.rollout = match s.expected.rollout {
                    RolloutOutcome::Hold => RolloutOutcome::Revert,
                    _ => RolloutOutcome::Hold,
                };
            }
            s
        })
        .collect()
}

fn rollout_name(r: RolloutOutcome) -> &'static str {
    match r {
        RolloutOutcome::Advance => "advance",
        RolloutOutcome::Hold => "hold",
        RolloutOutcome::Revert => "revert",
    }
}

pub fn run(a: ChaosArgs) -> Result<u8, CliError> {
    let report = match chaos::run_suite(a.seed, &scenarios()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("calib: chaos: the suite's world could not be built: {e}");
            return Ok(1);
        }
    };
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&report).expect("a chaos report serialises"));
    } else {
        outln!("chaos suite, seed {} (baseline c_hat {:.4})", report.seed, report.c_hat);
        outln!(
            "{:<26} {:<9} {:<36} {:<17} {:>7}",
            "scenario",
            "result",
            "alerts (expected → seen)",
            "rollout",
            "refused"
        );
        for s in &report.scenarios {
            let names = |a: &[(calib_core::monitor::AlertRule, calib_core::monitor::Severity)]| {
                if a.is_empty() {
                    "none".to_string()
                } else {
                    a.iter().map(|(r, s)| format!("{}:{}", r.name(), s.name())).collect::<Vec<_>>().join(",")
                }
            };
            let (seen_alerts, seen_rollout, seen_refused) = match &s.observed {
                Some(o) => (names(&o.alerts), rollout_name(o.rollout).to_string(), o.refused.to_string()),
                None => ("?".into(), "?".into(), "?".into()),
            };
            let alerts = format!("{} → {}", names(s.expected.alerts), seen_alerts);
            let rollout = format!("{} → {}", rollout_name(s.expected.rollout), seen_rollout);
            let refused = format!("{}→{}", s.expected.refused, seen_refused);
            let result = if s.behaved { "ok" } else { "MISBEHAVED" };
            outln!("{:<26} {:<9} {:<36} {:<17} {:>7}", s.name, result, alerts, rollout, refused);
            for p in &s.problems {
                outln!("    {p}");
            }
        }
        outln!("resilience score: {}/{} = {:.3}", report.behaved, report.total, report.resilience_score);
    }
    Ok(if report.behaved == report.total { 0 } else { 1 })
}
