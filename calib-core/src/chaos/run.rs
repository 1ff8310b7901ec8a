//! Running scenarios: one on a world, or the whole suite, each judged
//! against its stated outcome.

use super::{Lab, Scenario, ScenarioOutcome, SuiteReport, World};
use crate::error::Result;
use crate::monitor::{AlertRule, Severity};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// Runs one scenario on `world`: a panic, an error or any difference from
/// the expected outcome makes it misbehave.
pub fn run_scenario(world: &World, scenario: &Scenario) -> ScenarioOutcome {
    let played = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut lab = Lab::new(world, scenario.name)?;
        (scenario.run)(&mut lab)?;
        Ok::<_, crate::Error>(lab)
    }));
    let mut out = ScenarioOutcome {
        name: scenario.name,
        description: scenario.description,
        expected: scenario.expected,
        observed: None,
        windows: Vec::new(),
        behaved: false,
        problems: Vec::new(),
    };
    let lab = match played {
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a non-string panic".into());
            out.problems.push(format!("panicked: {msg}"));
            return out;
        }
        Ok(Err(e)) => {
            out.problems.push(format!("failed: {e}"));
            return out;
        }
        Ok(Ok(lab)) => lab,
    };
    let obs = lab.observed();
    let e = &scenario.expected;
    let mut problems = lab.problems.clone();
    if obs.alerts != e.alerts {
        let names = |a: &[(AlertRule, Severity)]| -> String {
            let v: Vec<String> = a.iter().map(|(r, s)| format!("{}:{}", r.name(), s.name())).collect();
            if v.is_empty() { "none".into() } else { v.join(", ") }
        };
        problems.push(format!("alerts fired: {}; expected: {}", names(&obs.alerts), names(e.alerts)));
    }
    if obs.rollout != e.rollout {
        problems.push(format!("rollout {:?}; expected {:?}", obs.rollout, e.rollout));
    }
    if obs.refused != e.refused {
        problems.push(format!("{} window(s) refused; expected {}", obs.refused, e.refused));
    }
    if obs.bad_outputs > 0 {
        problems.push(format!("{} probabilities not finite or outside [0, 1]", obs.bad_outputs));
    }
    out.behaved = problems.is_empty();
    out.problems = problems;
    out.observed = Some(obs);
    out.windows = lab.windows;
    out
}

/// Runs `scenarios` on the world of `seed`.
pub fn run_suite(seed: u64, scenarios: &[Scenario]) -> Result<SuiteReport> {
    let world = World::new(seed)?;
    let outcomes: Vec<ScenarioOutcome> = scenarios.iter().map(|s| run_scenario(&world, s)).collect();
    let behaved = outcomes.iter().filter(|o| o.behaved).count();
    let total = outcomes.len();
    Ok(SuiteReport {
        seed,
        c_hat: world.c_hat,
        scenarios: outcomes,
        behaved,
        total,
        resilience_score: if total == 0 { 1.0 } else { behaved as f64 / total as f64 },
    })
}
