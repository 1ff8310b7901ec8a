//! The bench a scenario plays on.

use super::world::invalid;
use super::{Batch, Measured, Observed, RolloutOutcome, T0_MS, WINDOW_MS, WindowLog, World, measure, window_report};
use crate::error::Result;
use crate::monitor::{AlertRule, AlertState, Severity, WindowStorage};
use crate::rng::SeededRng;
use crate::rollout::{Controller, Decision, State, WindowReport};
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// The bench a scenario plays on: it generates traffic, runs it through the
/// monitor and the controller, and records what happened.
pub struct Lab<'w> {
    world: &'w World,
    /// The scenario's own generator.
    pub rng: SeededRng,
    storage: WindowStorage,
    controller: Controller,
    state: State,
    slot: i64,
    last: Option<WindowReport>,
    fired: BTreeMap<AlertRule, Severity>,
    decisions: Vec<Decision>,
    refused: usize,
    outputs: u64,
    bad_outputs: u64,
    pub(super) windows: Vec<WindowLog>,
    pub(super) problems: Vec<String>,
}

impl<'w> Lab<'w> {
    pub(super) fn new(world: &'w World, name: &str) -> Result<Lab<'w>> {
        // FNV-1a of the name: each scenario draws from its own stream.
        let mix = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        Ok(Lab {
            world,
            rng: SeededRng::new(world.seed ^ mix),
            storage: WindowStorage::new(&world.monitor)?,
            controller: Controller::new(world.rollout.clone()).map_err(|_| invalid("chaos rollout config"))?,
            state: world.state.clone(),
            slot: 0,
            last: None,
            fired: BTreeMap::new(),
            decisions: Vec::new(),
            refused: 0,
            outputs: 0,
            bad_outputs: 0,
            windows: Vec::new(),
            problems: Vec::new(),
        })
    }

    /// The world.
    pub fn world(&self) -> &'w World {
        self.world
    }

    /// `n` rows of healthy traffic from the scenario's generator.
    pub fn healthy(&mut self, n: usize) -> Batch {
        Batch::healthy(&mut self.rng, n)
    }

    /// Records a failed scenario-specific check.
    pub fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.problems.push(what());
        }
    }

    fn start_of(&self, slot: i64) -> i64 {
        T0_MS + slot * WINDOW_MS
    }

    /// Monitors `batch` in the next time slot and sends its window to the
    /// controller, decided at the window's end. Returns the monitor's view.
    pub fn window(&mut self, batch: &Batch) -> Result<Measured> {
        self.slot += 1;
        let start = self.start_of(self.slot);
        self.play(batch, "rows", start, start + WINDOW_MS)
    }

    /// Runs `batch` through the monitor only (no time slot, no controller).
    pub fn measure(&mut self, batch: &Batch) -> Result<Measured> {
        measure(self.world, &mut self.storage, batch)
    }

    /// A window that never arrives: its slot passes with nothing sent.
    pub fn missing(&mut self) {
        self.slot += 1;
        self.windows.push(WindowLog {
            slot: self.slot,
            kind: "missing",
            scores: 0,
            clamp_rate: 0.0,
            aece: None,
            merged_bin_percent: None,
            alerts: Vec::new(),
            decision: "-".into(),
        });
    }

    /// A window whose clock runs `skew_ms` behind: it claims to start that
    /// long before the slot after the last window.
    pub fn skewed(&mut self, batch: &Batch, skew_ms: i64) -> Result<Measured> {
        let start = self.start_of(self.slot + 1) - skew_ms;
        self.play(batch, "skewed", start, start + WINDOW_MS)
    }

    /// A window whose clock runs ahead: it is decided a minute before it ends.
    pub fn future(&mut self, batch: &Batch) -> Result<Measured> {
        let start = self.start_of(self.slot + 1);
        self.play(batch, "future", start, start + WINDOW_MS - 60_000)
    }

    /// The last window, delivered again (at-least-once delivery).
    pub fn duplicate(&mut self) {
        let Some(w) = self.last else { return };
        let log = self.windows.iter().rev().find(|l| l.kind == "rows").cloned();
        let (decision, _) = self.decide(&w, w.end_ms);
        let mut log = log.unwrap_or_else(|| self.windows[self.windows.len() - 1].clone());
        log.kind = "duplicate";
        log.decision = decision;
        self.windows.push(log);
    }

    fn play(&mut self, batch: &Batch, kind: &'static str, start: i64, now: i64) -> Result<Measured> {
        let m = measure(self.world, &mut self.storage, batch)?;
        for p in m.outputs.iter().flatten() {
            self.outputs += 1;
            if !(p.is_finite() && (0.0..=1.0).contains(p)) {
                self.bad_outputs += 1;
            }
        }
        self.bad_outputs += m.bad_outputs;
        let mut alerts = Vec::new();
        for a in m.alerts.iter().filter(|a| a.state == AlertState::Firing) {
            let sev = a.severity.unwrap_or(Severity::Fail);
            alerts.push(format!("{}:{}", a.rule.name(), sev.name()));
            let e = self.fired.entry(a.rule).or_insert(sev);
            *e = (*e).max(sev);
        }
        let report = window_report(self.world, &m, start)?;
        let (decision, accepted) = self.decide(&report, now);
        if accepted && kind == "rows" {
            self.last = Some(report);
        }
        let s = &m.summary;
        self.windows.push(WindowLog {
            slot: self.slot,
            kind,
            scores: s.scores,
            clamp_rate: s.clamp_rate,
            aece: s.aece,
            merged_bin_percent: s.merged_bin_percent,
            alerts,
            decision,
        });
        Ok(m)
    }

    fn decide(&mut self, report: &WindowReport, now: i64) -> (String, bool) {
        match self.controller.step(&self.state, report, now) {
            Ok(step) => {
                self.state = step.state;
                self.decisions.push(step.decision);
                (step.decision.name().to_string(), true)
            }
            Err(e) => {
                self.refused += 1;
                (format!("refused:{}", e.code()), false)
            }
        }
    }

    pub(super) fn observed(&self) -> Observed {
        let rollout = if self.decisions.iter().any(|d| matches!(d, Decision::Revert { .. })) {
            RolloutOutcome::Revert
        } else if self.decisions.iter().any(|d| matches!(d, Decision::Advance { .. } | Decision::Publish)) {
            RolloutOutcome::Advance
        } else {
            RolloutOutcome::Hold
        };
        Observed {
            alerts: self.fired.iter().map(|(r, s)| (*r, *s)).collect(),
            rollout,
            refused: self.refused,
            outputs: self.outputs,
            bad_outputs: self.bad_outputs,
            final_phase: self.state.phase.to_string(),
        }
    }
}
