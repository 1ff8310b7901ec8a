//! `calib rollout`: the staged canary controller from the command line.
//!
//! The decisions are calib-core's (`calib_core::rollout`), and so is the
//! durable store (`calib_core::rollout::store`: the state file, the decision
//! log and the crash protocol, one call per command). This module parses
//! arguments, reads configs, windows and scenarios, calls the core, and
//! prints.
//!
//! Exit codes of `step`: 0 hold, 10 advance, 20 revert, 30 publish; every
//! command exits 2 on bad input.
//!
//! **Test-only switch.** `CALIB_CRASH_AT=<point>` makes the process abort
//! (as if killed) at a named point of `init`/`step`, so the tests can check
//! that a crash anywhere loses no decision and applies none twice. The
//! points, in order: `init-logged`, `step-decided`, `step-log-torn` (half a
//! record written), `step-logged`, `state-temp-written`, `state-renamed`,
//! `step-saved` (`calib_core::rollout::store::CrashPoint`; the store reports
//! them to an observer, which here reads the switch). Unset, it costs one
//! environment lookup per point. The switch exists only in a build with the
//! `test-hooks` feature, which only the tests turn on (`tests/src/binary.rs`);
//! the shipped binary has none.

mod report;

use crate::io::CliError;
use calib_core::rollout::store::{CrashPoint, Notice, Observer, Store, StoreError, StoreErrorKind};
use calib_core::rollout::{Config, Controller, Decision, RolloutError, RolloutErrorKind, State, WindowReport};
use clap::{Args, Subcommand};
use serde::Deserialize;
use std::path::Path;
use std::path::PathBuf;
use time::OffsetDateTime;

#[derive(Args, Debug)]
pub struct RolloutArgs {
    #[command(subcommand)]
    command: RolloutCommand,
}

#[derive(Subcommand, Debug)]
enum RolloutCommand {
    /// Start a rollout: check the config, write the state file and the log's init record.
    Init(InitArgs),
    /// Decide one window and print the decision (exit 0 hold, 10 advance, 20 revert, 30 publish).
    Step(StepArgs),
    /// Where a rollout is, its counters, and whether its decision log replays to its state.
    Status(StatusArgs),
    /// Run a whole timeline of windows through the controller, offline.
    Simulate(SimulateArgs),
    /// The timeline a config implies; refuses configs that could never trip or never publish.
    #[command(alias = "lint")]
    Plan(PlanArgs),
}

#[derive(Args, Debug)]
struct InitArgs {
    /// The rollout config (TOML or JSON).
    #[arg(long)]
    config: PathBuf,
    /// The state file to create.
    #[arg(long)]
    state: PathBuf,
    /// The manifest being rolled out; its SHA-256 identifies the version.
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// The decision log [default: the state file's name with `.audit.jsonl`, beside it].
    #[arg(long)]
    audit: Option<PathBuf>,
    /// The time of the init record (RFC 3339) [default: the system clock].
    #[arg(long)]
    now: Option<String>,
}

#[derive(Args, Debug)]
struct StepArgs {
    /// The state file.
    #[arg(long)]
    state: PathBuf,
    /// The window report (JSON).
    #[arg(long)]
    window: PathBuf,
    /// The time of the decision (RFC 3339) [default: the system clock].
    #[arg(long)]
    now: Option<String>,
    /// Print the decision as a JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct StatusArgs {
    /// The state file.
    #[arg(long)]
    state: PathBuf,
    /// Print as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct SimulateArgs {
    /// `{"config": {…}, "windows": [window, …]}`.
    #[arg(long)]
    scenario: PathBuf,
    /// Print a JSON array instead of one line per window.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct PlanArgs {
    /// The rollout config (TOML or JSON).
    #[arg(long)]
    config: PathBuf,
    /// Print as JSON.
    #[arg(long)]
    json: bool,
}

/// `step`'s exit code for a decision.
fn exit_code(d: Decision) -> u8 {
    match d {
        Decision::Hold => 0,
        Decision::Advance { .. } => 10,
        Decision::Revert { .. } => 20,
        Decision::Publish => 30,
    }
}

pub fn run(args: RolloutArgs) -> Result<u8, CliError> {
    match args.command {
        RolloutCommand::Init(a) => init(a),
        RolloutCommand::Step(a) => step(a),
        RolloutCommand::Status(a) => report::status(&a.state, a.json),
        RolloutCommand::Simulate(a) => simulate(a),
        RolloutCommand::Plan(a) => plan(a),
    }
}

/// Whether the test-only crash switch names `point`. Only a binary built
/// with the `test-hooks` feature (the tests' build) reads the switch; a
/// shipped `calib` has no crash points at all.
#[cfg(feature = "test-hooks")]
fn crashing_at(point: &str) -> bool {
    std::env::var_os("CALIB_CRASH_AT").is_some_and(|v| v == point)
}

/// Without `test-hooks` no point is ever named.
#[cfg(not(feature = "test-hooks"))]
fn crashing_at(_point: &str) -> bool {
    false
}

/// Aborts the process at `point` when `CALIB_CRASH_AT` names it (tests only).
fn crash_point(point: &str) {
    if crashing_at(point) {
        #[cfg(feature = "test-hooks")]
        eprintln!("calib: CALIB_CRASH_AT={point}: aborting");
        std::process::abort();
    }
}

/// How the CLI watches a store operation: the store's notices go to stderr,
/// and its crash points go to the test-only switch.
struct Terminal;

impl Observer for Terminal {
    fn reached(&mut self, point: CrashPoint) {
        crash_point(point.name());
    }

    fn tear_append(&mut self) -> bool {
        crashing_at(CrashPoint::StepLogTorn.name())
    }

    fn notice(&mut self, notice: &Notice) {
        match notice {
            Notice::AdoptedInit { record } => {
                eprintln!("calib: adopting init record {record} left by an interrupted init")
            }
            Notice::RecoveredDecision { seq } => eprintln!(
                "calib: recovered decision {seq} from the audit log (the previous step stopped before saving the state)"
            ),
            Notice::DroppedTornTail { log, bytes } => eprintln!(
                "calib: dropped a torn last line ({bytes} bytes) from {}: an append interrupted by a crash, never acknowledged",
                log.display()
            ),
            other => eprintln!("calib: {other:?}"),
        }
    }
}

/// A store error as the CLI reports it: the file, then the store's message
/// (the lock's in the CLI's words).
fn store_error(e: StoreError) -> CliError {
    match e.kind() {
        StoreErrorKind::Locked => CliError::file(
            e.path(),
            "another `calib rollout` is working on this state (its lock is held); try again when it is done",
        ),
        _ => CliError::file(e.path(), e.message()),
    }
}

// ----------------------------------------------------------------- inputs

// RFC 3339 → ms since the Unix epoch, and back: the CLI's one parser and
// formatter (crate::io::time).
pub(crate) use crate::io::time::format_ms as format_time;
use crate::io::time::parse_ms as parse_time;

fn now_ms(arg: &Option<String>) -> Result<i64, CliError> {
    match arg {
        Some(t) => parse_time(t).map_err(|e| CliError::Usage(format!("--now: {e}"))),
        None => Ok(i64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)),
    }
}

/// A window as it is written in files.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowJson {
    start: String,
    end: String,
    samples: u64,
    p99_latency_ms: Option<f64>,
    aece: Option<f64>,
    tau: Option<f64>,
    median_confidence_shift: Option<f64>,
    recall_at_50_delta: Option<f64>,
}

impl WindowJson {
    fn report(&self) -> Result<WindowReport, String> {
        Ok(WindowReport {
            start_ms: parse_time(&self.start).map_err(|e| format!("start: {e}"))?,
            end_ms: parse_time(&self.end).map_err(|e| format!("end: {e}"))?,
            samples: self.samples,
            p99_latency_ms: self.p99_latency_ms,
            aece: self.aece,
            tau: self.tau,
            median_confidence_shift: self.median_confidence_shift,
            recall_at_50_delta: self.recall_at_50_delta,
        })
    }
}

/// The controller's message, with times in RFC 3339 where it has them.
fn explain(e: &RolloutError, w: &WindowReport, state: &State) -> String {
    let span = format!("{} to {}", format_time(w.start_ms), format_time(w.end_ms));
    let previous = state.last_window;
    match e.kind() {
        // Says where the rollout is, so a caller retrying after a crash
        // learns the traffic share the decision it missed set.
        RolloutErrorKind::DuplicateWindow => format!(
            "duplicate window: {span} was already decided, not applied twice (the rollout is at {}, {} % of traffic)",
            state.phase,
            state.phase.traffic_percent()
        ),
        RolloutErrorKind::TimeWentBackwards => format!(
            "time went backwards: the window {span} starts before the previous window ended at {}",
            previous.map_or_else(|| "?".into(), |p| format_time(p.end_ms))
        ),
        RolloutErrorKind::WindowInFuture => format!("the window {span} has not ended by the decision time"),
        _ => e.to_string(),
    }
}

fn read_text(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|e| CliError::file(path, format!("cannot read: {e}")))
}

/// A config from TOML (`.toml`) or JSON (`.json`; other names: JSON if it
/// starts with `{`, else TOML), checked by `Config::validate`.
fn load_config(path: &Path) -> Result<Config, CliError> {
    let text = read_text(path)?;
    let config: Config = if calib_core::rollout::config_is_json(path.extension().and_then(|e| e.to_str()), &text) {
        serde_json::from_str(&text).map_err(|e| CliError::file(path, format!("not a rollout config: {e}")))?
    } else {
        toml::from_str(&text).map_err(|e| CliError::file(path, format!("not a rollout config: {}", e.message())))?
    };
    config.validate().map_err(|e| CliError::file(path, e))?;
    Ok(config)
}

/// Refuses a config whose plan has a `Refuse` problem.
fn refuse_bad_plan(path: &Path, config: &Config) -> Result<calib_core::rollout::Plan, CliError> {
    let plan = config.plan().map_err(|e| CliError::file(path, e))?;
    if let Some(why) = plan.refusal() {
        return Err(CliError::file(path, format!("refused: {why}")));
    }
    Ok(plan)
}

// ----------------------------------------------------------------- commands

fn init(a: InitArgs) -> Result<u8, CliError> {
    let config = load_config(&a.config)?;
    refuse_bad_plan(&a.config, &config)?;
    let now = now_ms(&a.now)?;
    let manifest = match &a.manifest {
        Some(m) => {
            let bytes = crate::io::read_manifest(m)?;
            Some(crate::audit::manifest_data(m, &bytes))
        }
        None => None,
    };
    let controller = Controller::new(config).map_err(|e| CliError::file(&a.config, e))?;
    let done = Store::new(&a.state)
        .init(&controller, manifest, a.audit.as_deref(), now, &mut Terminal)
        .map_err(store_error)?;
    outln!("rollout {} initialised at off (0 % of traffic)", done.rollout_id);
    outln!("state      {}", a.state.display());
    outln!("audit log  {}", done.log_path.display());
    Ok(0)
}

fn step(a: StepArgs) -> Result<u8, CliError> {
    let window_json: WindowJson = serde_json::from_str(&read_text(&a.window)?)
        .map_err(|e| CliError::file(&a.window, format!("not a window: {e}")))?;
    let window = window_json.report().map_err(|e| CliError::file(&a.window, e))?;
    let now = now_ms(&a.now)?;
    let done =
        Store::new(&a.state).step(&window, now, &mut Terminal).map_err(|e| match (e.rollout_error(), e.state()) {
            (Some(refused), Some(state)) => CliError::file(&a.window, explain(refused, &window, state)),
            _ => store_error(e),
        })?;
    let entry = report::Entry::new(done.index, &window, done.before, &done.step);
    report::print_entries(std::slice::from_ref(&entry), a.json, true);
    Ok(exit_code(done.step.decision))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    config: Config,
    windows: Vec<WindowJson>,
}

fn simulate(a: SimulateArgs) -> Result<u8, CliError> {
    let scenario: Scenario = serde_json::from_str(&read_text(&a.scenario)?)
        .map_err(|e| CliError::file(&a.scenario, format!("not a scenario: {e}")))?;
    let controller =
        Controller::new(scenario.config).map_err(|e| CliError::file(&a.scenario, format!("config: {e}")))?;
    let mut state = controller.initial_state();
    let mut entries = Vec::with_capacity(scenario.windows.len());
    let mut failure = None;
    for (i, w) in scenario.windows.iter().enumerate() {
        let decided = w.report().and_then(|window| {
            // Offline, each window is decided the moment it ends.
            let step = controller.step(&state, &window, window.end_ms).map_err(|e| explain(&e, &window, &state))?;
            Ok((window, step))
        });
        match decided {
            Ok((window, step)) => {
                entries.push(report::Entry::new(i as u64, &window, state.phase, &step));
                state = step.state;
            }
            Err(e) => {
                failure = Some(CliError::file(&a.scenario, format!("windows[{i}] (start {}): {e}", w.start)));
                break;
            }
        }
    }
    // The windows decided before a refused one are still printed.
    report::print_entries(&entries, a.json, false);
    match failure {
        Some(e) => Err(e),
        None => Ok(0),
    }
}

fn plan(a: PlanArgs) -> Result<u8, CliError> {
    let config = load_config(&a.config)?;
    let plan = config.plan().map_err(|e| CliError::file(&a.config, e))?;
    report::print_plan(&config, &plan, a.json);
    refuse_bad_plan(&a.config, &config)?;
    Ok(0)
}
