//! The rollout config, its validation, and the plan/lint that refuses
//! configs that could never trip or never publish.

use super::{Phase, Result, RolloutError, RolloutErrorKind};
use crate::gate::{GateKind, Thresholds};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// The rollout config. Every key is optional; the defaults are calib's
/// standard plan (5 → 25 → 50 → 100 %, 15-minute windows, 4 windows per
/// stage, 24 h stable hold, trip on 2 consecutive breaches).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Traffic shares of the stages, in whole percents, strictly increasing,
    /// ending at 100.
    pub stages: Vec<u32>,
    /// The length of every window, in minutes.
    pub window_minutes: u32,
    /// `Pass` windows a stage needs before it advances.
    pub min_windows_per_stage: u32,
    /// How long the stable hold at 100 % lasts before `Publish`.
    pub stable_hold_hours: u32,
    /// Breach windows in a row that trip the breaker.
    pub consecutive_breaches_to_trip: u32,
    /// Optional M-of-N rule: trip on `m` breaches among the last `n` judged windows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breaches_in_last: Option<MOfN>,
    /// A window with fewer samples is `NoData` for every gate.
    pub min_samples: u64,
    /// The gates' thresholds (and each gate's own minimum of samples).
    pub thresholds: Thresholds,
    /// What a window without usable data does.
    pub nodata: NoDataPolicy,
    /// Minutes after a trip before anything can restart.
    pub cooldown_minutes: u32,
    /// Trips a manifest version may have; at this many, no restart.
    pub max_trips_per_version: u32,
    /// Gates whose verdicts are recorded but never acted on.
    #[serde(with = "gate_names")]
    pub dry_run_gates: Vec<GateKind>,
    /// Minutes a live window waits after its end for labels that arrive
    /// late (clicks, judgements) before it is judged: labels of a request
    /// count in the window it was served in. Default
    /// [`DEFAULT_LABEL_DELAY_MINUTES`]. Not written out at its default, so
    /// the digest of every config that predates it stays the same.
    #[serde(skip_serializing_if = "is_default_label_delay")]
    pub label_delay_minutes: u32,
}

/// The default `label_delay_minutes`: an hour, long enough for most clicks
/// on a search result, short enough that a rollout step waits at most
/// an hour beyond its window.
pub const DEFAULT_LABEL_DELAY_MINUTES: u32 = 60;

fn is_default_label_delay(minutes: &u32) -> bool {
    *minutes == DEFAULT_LABEL_DELAY_MINUTES
}

/// Gates by [`GateKind::name`] (`recall_at_50`), the names every report
/// uses; written out here so an unknown name gets a message listing the
/// valid ones.
pub(crate) mod gate_names {
    use crate::gate::GateKind;
    use alloc::string::String;
    use alloc::vec::Vec;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(gates: &[GateKind], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(gates.iter().map(|g| g.name()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<GateKind>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|n| {
                GateKind::ALL.into_iter().find(|g| g.name() == n).ok_or_else(|| {
                    D::Error::custom(alloc::format!(
                        "unknown gate {n:?}: expected p99_latency, aece_excess, median_shift or recall_at_50"
                    ))
                })
            })
            .collect()
    }

    /// One gate by its name.
    pub fn serialize_one<S: Serializer>(gate: &GateKind, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(gate.name())
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            stages: alloc::vec![5, 25, 50, 100],
            window_minutes: 15,
            min_windows_per_stage: 4,
            stable_hold_hours: 24,
            consecutive_breaches_to_trip: 2,
            breaches_in_last: None,
            min_samples: 1000,
            thresholds: Thresholds::default(),
            nodata: NoDataPolicy::Hold,
            cooldown_minutes: 60,
            max_trips_per_version: 1,
            dry_run_gates: Vec::new(),
            label_delay_minutes: DEFAULT_LABEL_DELAY_MINUTES,
        }
    }
}

/// The M-of-N breaker rule: `m` breaches among the last `n` judged windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MOfN {
    /// Breaches that trip.
    pub m: u32,
    /// Judged windows looked at (at most [`MOfN::MAX_N`]).
    pub n: u32,
}

impl MOfN {
    /// The longest history the rule may look at (a week of 15-minute windows).
    pub const MAX_N: u32 = 672;
}

/// What a window whose verdict is `NoData` (or `Error`) does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoDataPolicy {
    /// Hold: no advance, no breach, and the breach count is not reset.
    #[default]
    Hold,
    /// Count it as a breach.
    Breach,
}

/// How bad a plan problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemSeverity {
    /// The config is refused: the rollout could never trip or never publish.
    Refuse,
    /// Worth a look, but the rollout works.
    Warn,
}

/// One finding of [`Config::plan`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Refuse or warn.
    pub severity: ProblemSeverity,
    /// A stable name (`"never_publishes"`, `"never_trips"`, …).
    pub code: &'static str,
    /// What is wrong, naming the keys and values.
    pub message: String,
}

/// One stage of the plan and the least time it takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanStage {
    /// The stage.
    pub stage: Phase,
    /// Its traffic share in percent.
    pub percent: u32,
    /// The fewest windows it lasts.
    pub min_windows: u64,
    /// The fewest minutes it lasts.
    pub min_minutes: u64,
}

/// The timeline a config implies, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Off (one pass window), each stage, and the stable hold, in order.
    pub stages: Vec<PlanStage>,
    /// The fewest windows from the first window to `Publish`.
    pub min_windows_to_publish: u64,
    /// The fewest minutes from the start of the first window to `Publish`.
    pub min_minutes_to_publish: u64,
    /// Findings; any [`ProblemSeverity::Refuse`] means the config is refused.
    pub problems: Vec<Problem>,
}

impl Plan {
    /// Whether the config is refused.
    pub fn refused(&self) -> bool {
        self.problems.iter().any(|p| p.severity == ProblemSeverity::Refuse)
    }

    /// Why the config is refused: each [`ProblemSeverity::Refuse`] problem
    /// as `code: message`, joined by `; `, or `None` when it is not.
    pub fn refusal(&self) -> Option<String> {
        let mut why = self.problems.iter().filter(|p| p.severity == ProblemSeverity::Refuse);
        let first = why.next()?;
        let mut text = format!("{}: {}", first.code, first.message);
        for p in why {
            text.push_str(&format!("; {}: {}", p.code, p.message));
        }
        Some(text)
    }
}

/// Whether a rollout config file is read as JSON (else TOML), the one rule
/// for every reader of it (`calib rollout`, calib-serving): by the name's
/// extension, `toml` or `json`, and for any other name, JSON when the text
/// starts with `{`.
pub fn config_is_json(extension: Option<&str>, text: &str) -> bool {
    match extension {
        Some("toml") => false,
        Some("json") => true,
        _ => text.trim_start().starts_with('{'),
    }
}

fn invalid(message: String) -> RolloutError {
    RolloutError::new(RolloutErrorKind::InvalidConfig, message)
}

impl Config {
    /// The horizon within which a rollout must be able to publish: a year, in
    /// minutes. A plan whose earliest publish lies beyond it is refused as
    /// `never_publishes` ([`Config::plan`]): limits like
    /// `stable_hold_hours = 4294967295` are typing errors, not plans, and a
    /// rollout that cannot finish within a year would hold a manifest
    /// version (and its keys, expiry and incumbent) in limbo.
    pub const PUBLISH_HORIZON_MINUTES: u64 = 365 * 24 * 60;

    /// Checks that every value is usable (ranges, order). This does not judge
    /// whether the rollout can trip or publish: [`Config::plan`] does.
    pub fn validate(&self) -> Result<()> {
        if self.stages.is_empty() {
            return Err(invalid("stages is empty: at least one stage is needed".into()));
        }
        for (i, &p) in self.stages.iter().enumerate() {
            if !(1..=100).contains(&p) {
                return Err(invalid(format!("stages[{i}] = {p} is outside 1..=100 (percent)")));
            }
            if i > 0 && p <= self.stages[i - 1] {
                return Err(invalid(format!(
                    "stages[{i}] = {p} does not increase on stages[{}] = {}",
                    i - 1,
                    self.stages[i - 1]
                )));
            }
        }
        let at_least_one = [
            ("window_minutes", self.window_minutes),
            ("min_windows_per_stage", self.min_windows_per_stage),
            ("stable_hold_hours", self.stable_hold_hours),
            ("consecutive_breaches_to_trip", self.consecutive_breaches_to_trip),
            ("max_trips_per_version", self.max_trips_per_version),
        ];
        for (key, value) in at_least_one {
            if value == 0 {
                return Err(invalid(format!("{key} = 0: it must be at least 1")));
            }
        }
        if self.window_minutes > 24 * 60 {
            return Err(invalid(format!("window_minutes = {} is longer than a day", self.window_minutes)));
        }
        if self.label_delay_minutes > 7 * 24 * 60 {
            return Err(invalid(format!("label_delay_minutes = {} is longer than a week", self.label_delay_minutes)));
        }
        if let Some(MOfN { m, n }) = self.breaches_in_last
            && (m == 0 || m > n || n > MOfN::MAX_N)
        {
            return Err(invalid(format!(
                "breaches_in_last = {{m = {m}, n = {n}}}: it needs 1 <= m <= n <= {}",
                MOfN::MAX_N
            )));
        }
        for gate in GateKind::ALL {
            let t = self.thresholds.get(gate).threshold;
            if !t.is_finite() {
                return Err(invalid(format!("thresholds.{}.threshold = {t} is not finite", gate.name())));
            }
        }
        for (i, g) in self.dry_run_gates.iter().enumerate() {
            if self.dry_run_gates[..i].contains(g) {
                return Err(invalid(format!("dry_run_gates lists {} twice", g.name())));
            }
        }
        Ok(())
    }

    /// Whether `gate` is acted on (not in `dry_run_gates`).
    pub fn acts_on(&self, gate: GateKind) -> bool {
        !self.dry_run_gates.contains(&gate)
    }

    /// The start (ms since the epoch) of the live window that holds the
    /// instant `now_ms`: windows are `window_minutes` long and aligned to
    /// multiples of their length since the epoch, so every replica puts a
    /// request in the same window.
    pub fn window_start_ms(&self, now_ms: i64) -> i64 {
        let len = i64::from(self.window_minutes.max(1)) * 60_000;
        now_ms.div_euclid(len) * len
    }

    /// When a live window that ends at `end_ms` is judged: after its label
    /// delay (`label_delay_minutes`), so late labels still count in it.
    pub fn judged_at_ms(&self, end_ms: i64) -> i64 {
        end_ms.saturating_add(i64::from(self.label_delay_minutes) * 60_000)
    }

    /// The `Pass` windows the stable hold needs: `stable_hold_hours` of
    /// windows, rounded up.
    pub fn stable_windows(&self) -> u32 {
        (self.stable_hold_hours.saturating_mul(60)).div_ceil(self.window_minutes.max(1))
    }

    /// The timeline and the lint: validates, then lists why the rollout could
    /// never publish or never trip ([`ProblemSeverity::Refuse`]) and what else
    /// deserves a look ([`ProblemSeverity::Warn`]).
    pub fn plan(&self) -> Result<Plan> {
        self.validate()?;
        let w = u64::from(self.window_minutes);
        let mut stages = Vec::with_capacity(self.stages.len() + 2);
        stages.push(PlanStage { stage: Phase::Off, percent: 0, min_windows: 1, min_minutes: w });
        for &p in &self.stages {
            let n = u64::from(self.min_windows_per_stage);
            stages.push(PlanStage { stage: Phase::Stage(p), percent: p, min_windows: n, min_minutes: n * w });
        }
        // In u64, not `stable_windows` (u32, saturating): the plan states
        // the true length, however absurd, so the horizon check sees it.
        let n = (u64::from(self.stable_hold_hours) * 60).div_ceil(w);
        stages.push(PlanStage { stage: Phase::Stable, percent: 100, min_windows: n, min_minutes: n * w });
        let min_windows_to_publish = stages.iter().map(|s| s.min_windows).sum::<u64>();
        let min_minutes_to_publish = min_windows_to_publish * w;
        Ok(Plan {
            stages,
            min_windows_to_publish,
            min_minutes_to_publish,
            problems: self.problems(min_minutes_to_publish),
        })
    }

    fn problems(&self, min_minutes_to_publish: u64) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut push = |severity, code, message: String| out.push(Problem { severity, code, message });
        if min_minutes_to_publish > Config::PUBLISH_HORIZON_MINUTES {
            push(
                ProblemSeverity::Refuse,
                "never_publishes",
                format!(
                    "the earliest publish is {} days after the first window (min_windows_per_stage = {}, \
                     stable_hold_hours = {}, window_minutes = {}), but a rollout must be able to publish within a \
                     year ({} days)",
                    min_minutes_to_publish / (24 * 60),
                    self.min_windows_per_stage,
                    self.stable_hold_hours,
                    self.window_minutes,
                    Config::PUBLISH_HORIZON_MINUTES / (24 * 60)
                ),
            );
        }
        let acted: Vec<GateKind> = GateKind::ALL.into_iter().filter(|g| self.acts_on(*g)).collect();
        let last = *self.stages.last().expect("validated: not empty");
        if last != 100 {
            push(
                ProblemSeverity::Refuse,
                "never_publishes",
                format!("the last stage is {last} %: publishing needs a stable hold at 100 %, so add 100 to stages"),
            );
        }
        if acted.is_empty() {
            push(
                ProblemSeverity::Refuse,
                "never_publishes",
                "every gate is in dry_run_gates: every window is no_data, which never advances".into(),
            );
        }
        for &g in &acted {
            if !can_pass(g, self.thresholds.get(g).threshold) {
                push(
                    ProblemSeverity::Refuse,
                    "never_publishes",
                    format!(
                        "thresholds.{}.threshold = {} can never pass, so no window passes",
                        g.name(),
                        self.thresholds.get(g).threshold
                    ),
                );
            }
        }
        let breachable: Vec<GateKind> =
            acted.iter().copied().filter(|&g| can_breach(g, self.thresholds.get(g).threshold)).collect();
        if breachable.is_empty() && self.nodata == NoDataPolicy::Hold {
            push(
                ProblemSeverity::Refuse,
                "never_trips",
                "no acted-on gate can ever breach (all dry-run or thresholds beyond every possible value) and \
                 nodata = \"hold\": the breaker could never trip"
                    .into(),
            );
        }
        for &g in &acted {
            if !breachable.contains(&g) && !breachable.is_empty() {
                push(
                    ProblemSeverity::Warn,
                    "gate_never_breaches",
                    format!(
                        "thresholds.{}.threshold = {} can never be breached: this gate never trips anything",
                        g.name(),
                        self.thresholds.get(g).threshold
                    ),
                );
            }
        }
        if self.max_trips_per_version == 1 && self.cooldown_minutes > 0 {
            push(
                ProblemSeverity::Warn,
                "cooldown_unused",
                format!(
                    "cooldown_minutes = {} has no effect: with max_trips_per_version = 1 a trip never restarts",
                    self.cooldown_minutes
                ),
            );
        }
        if let Some(MOfN { m, n }) = self.breaches_in_last
            && m == n
            && m >= self.consecutive_breaches_to_trip
        {
            push(
                ProblemSeverity::Warn,
                "m_of_n_redundant",
                format!(
                    "breaches_in_last = {{m = {m}, n = {n}}} needs {m} breaches in a row, which \
                     consecutive_breaches_to_trip = {} already trips on",
                    self.consecutive_breaches_to_trip
                ),
            );
        }
        let gate_min = GateKind::ALL.iter().map(|&g| self.thresholds.get(g).min_samples).max().unwrap_or(0);
        if self.min_samples < gate_min {
            push(
                ProblemSeverity::Warn,
                "min_samples_below_gate",
                format!(
                    "min_samples = {} is below a gate's own min_samples ({gate_min}): windows between the two are \
                     no_data for that gate",
                    self.min_samples
                ),
            );
        }
        out
    }
}

/// Whether some possible measurement passes the gate. The measurements'
/// ranges: latency ≥ 0, AECE excess and median shift in [0, 1], ΔRecall@50
/// in [-1, 1] (the window validation enforces them).
fn can_pass(gate: GateKind, t: f64) -> bool {
    match gate {
        GateKind::P99Latency => t > 0.0,
        GateKind::AeceExcess | GateKind::MedianShift => t >= 0.0,
        GateKind::RecallAt50 => t <= 1.0,
    }
}

/// Whether some possible measurement breaches the gate.
fn can_breach(gate: GateKind, t: f64) -> bool {
    match gate {
        GateKind::P99Latency => true,
        GateKind::AeceExcess | GateKind::MedianShift => t < 1.0,
        GateKind::RecallAt50 => t > -1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_plan_says_each_refusing_problem_and_only_those() {
        let mut config = Config::default();
        assert_eq!(config.plan().unwrap().refusal(), None);
        // Two refusals: no stage at 100 %, and a stable hold over a year.
        config.stages = alloc::vec![5, 25];
        config.stable_hold_hours = 24 * 400;
        let plan = config.plan().unwrap();
        let refusing: Vec<&Problem> = plan.problems.iter().filter(|p| p.severity == ProblemSeverity::Refuse).collect();
        assert_eq!(refusing.len(), 2, "{:?}", plan.problems);
        let why = plan.refusal().expect("refused");
        assert_eq!(why.split("; ").count(), refusing.len(), "{why}");
        for p in refusing {
            assert!(why.contains(&format!("{}: {}", p.code, p.message)), "{why}");
        }
        assert!(plan.refused());
    }

    #[test]
    fn live_windows_are_aligned_and_judged_after_the_label_delay() {
        let config = Config { window_minutes: 15, label_delay_minutes: 30, ..Config::default() };
        let w = 15 * 60_000;
        assert_eq!(config.window_start_ms(0), 0);
        assert_eq!(config.window_start_ms(w - 1), 0);
        assert_eq!(config.window_start_ms(w), w);
        assert_eq!(config.window_start_ms(7 * w + 123), 7 * w);
        assert_eq!(config.window_start_ms(-1), -w, "before the epoch, the window that holds it");
        assert_eq!(config.judged_at_ms(w), w + 30 * 60_000);
        assert_eq!(config.judged_at_ms(i64::MAX - 1), i64::MAX);
    }

    #[test]
    fn the_extension_decides_the_syntax_and_else_the_first_character() {
        assert!(!config_is_json(Some("toml"), "{ \"stages\": [5] }"));
        assert!(config_is_json(Some("json"), "stages = [5]"));
        assert!(config_is_json(None, "  \n{ \"stages\": [5] }"));
        assert!(config_is_json(Some("conf"), "{}"));
        assert!(!config_is_json(Some("conf"), "stages = [5]"));
        assert!(!config_is_json(None, ""));
    }
}
