//! The staged canary controller: 5 → 25 → 50 → 100 % → stable hold →
//! Published, with a circuit breaker that reverts to 0 % at once.
//!
//! The controller is a **pure step function**. [`Controller::step`] takes
//! the current [`State`], one window's [`WindowReport`] and the time of the
//! decision, and returns the next state, the [`Decision`] and the
//! [`Reason`]s for it. It reads no clock, does no I/O and draws no random
//! numbers, so the same inputs always give the same decisions: a recorded
//! log can be replayed ([`Controller::replay`]) and a whole timeline can be
//! simulated offline ("how would it have decided on last week's data?").
//! Durable storage and the decision log are kept apart from it, in
//! [`store`] (feature `rollout-store`): the state file, the audit chain and
//! the crash protocol that the `calib rollout` command and a serving binary
//! share. Which calibrator answers a request while a rollout is served —
//! the stage's bucket rule, with each manifest's expiry enforced at the
//! time of the request — is `route` (feature `manifest`).
//!
//! ```
//! use calib_core::rollout::{Config, Controller, Decision, Phase, WindowReport};
//!
//! let controller = Controller::new(Config::default())?;
//! let state = controller.initial_state();
//! let minute = 60_000;
//! let window = WindowReport {
//!     start_ms: 0,
//!     end_ms: 15 * minute,
//!     samples: 5_000,
//!     p99_latency_ms: Some(0.3),
//!     aece: Some(0.02),
//!     tau: Some(0.015),
//!     median_confidence_shift: Some(0.004),
//!     recall_at_50_delta: Some(0.0),
//! };
//! let step = controller.step(&state, &window, window.end_ms)?;
//! assert_eq!(step.decision, Decision::Advance { to: Phase::Stage(5) });
//! assert_eq!(step.state.phase.traffic_percent(), 5);
//! # Ok::<(), calib_core::rollout::RolloutError>(())
//! ```
//!
//! ## Rules
//!
//! Every window is judged by the four SLA gates ([`crate::gate`]). Gates
//! listed in `dry_run_gates` are judged and reported but never acted on; the
//! window's verdict is the worst of the other gates (`NoData` when every
//! gate is dry-run). A window with fewer than `min_samples` samples is
//! `NoData` for every gate.
//!
//! - **Off → first stage** needs one `Pass` window (measured on shadow
//!   traffic, since nothing is served yet). Nothing at Off trips.
//! - **A stage advances** after `min_windows_per_stage` `Pass` windows at
//!   it, the last one being the current window. A non-tripping breach at a
//!   stage restarts that count (a flapping candidate does not advance on
//!   interleaved passes). The last stage advances to the **stable hold**.
//! - **NoData never advances.** `Error` (a measurement that could not be
//!   taken) is treated as missing data too. With `nodata = "hold"` such a
//!   window holds and leaves every counter as it was: it neither counts as a
//!   breach nor resets the breach count. With `nodata = "breach"` it is a
//!   breach.
//! - **The breaker trips** on `consecutive_breaches_to_trip` breaches in a
//!   row, or, when `breaches_in_last = {m, n}` is set, on `m` breaches among
//!   the last `n` judged windows (NoData windows under `hold` are not
//!   judged). The history spans stage advances; a trip clears it. A trip
//!   reverts traffic to 0 % at once ([`Phase::Reverted`]).
//! - **During the stable hold** a single breach trips; `Publish` comes when
//!   `stable_hold_hours` worth of `Pass` windows have been seen there.
//! - **After a trip** nothing advances until `cooldown_minutes` after the end
//!   of the tripping window (the advancing window must start at or after
//!   that time); then a `Pass` window restarts the first stage. Only while
//!   the trips of this manifest version are below `max_trips_per_version`:
//!   once they reach it, the next window moves the rollout to
//!   [`Phase::Aborted`], and a new manifest version is needed.
//! - **Rejected windows** (an error, state untouched): a window that starts
//!   before the previous one ended, a duplicate of the previous window, a
//!   window that ends after `now`, a window whose length is not
//!   `window_minutes`, and measurements outside their possible range.
//!
//! Time is integer milliseconds since the Unix epoch throughout.

mod config;
#[cfg(all(feature = "monitor", feature = "gate"))]
mod live;
mod next;
#[cfg(feature = "manifest")]
mod route;
mod state;
mod step;
#[cfg(feature = "rollout-store")]
pub mod store;
mod window;

pub use config::{
    Config, DEFAULT_LABEL_DELAY_MINUTES, MOfN, NoDataPolicy, Plan, PlanStage, Problem, ProblemSeverity, config_is_json,
};
#[cfg(all(feature = "monitor", feature = "gate"))]
pub use live::LiveWindow;
pub use next::NextStep;
#[cfg(feature = "manifest")]
pub use route::{Route, RouteCandidate, route, served_expired};
pub use state::{Phase, State, UnknownPhase, WindowSpan};
pub use step::{Controller, Counter, Decision, Reason, Rule, Step};
#[cfg(all(feature = "monitor", feature = "gate"))]
pub use window::WindowTraffic;
pub use window::{WindowGate, WindowReport};

use alloc::string::String;
use core::fmt;

/// What kind of input the controller refused. New kinds may be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RolloutErrorKind {
    /// The config has a value that cannot work (structure, ranges).
    InvalidConfig,
    /// A window's fields are unusable (length, measurement ranges).
    InvalidWindow,
    /// A state that does not fit the config (e.g. a stage the config lacks).
    InvalidState,
    /// A window that starts before the previous window ended.
    TimeWentBackwards,
    /// The same window as the previous one.
    DuplicateWindow,
    /// A window that ends after the time of the decision.
    WindowInFuture,
    /// A replayed decision led to another state than the log recorded.
    ReplayDiverged,
}

/// An input the controller refused, with a message naming the field and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutError {
    kind: RolloutErrorKind,
    message: String,
}

impl RolloutError {
    pub(crate) fn new(kind: RolloutErrorKind, message: impl Into<String>) -> Self {
        RolloutError { kind, message: message.into() }
    }
    /// The kind of input that was refused.
    pub fn kind(&self) -> RolloutErrorKind {
        self.kind
    }
    /// A short stable name for the kind (`"time_went_backwards"`).
    pub fn code(&self) -> &'static str {
        match self.kind {
            RolloutErrorKind::InvalidConfig => "invalid_config",
            RolloutErrorKind::InvalidWindow => "invalid_window",
            RolloutErrorKind::InvalidState => "invalid_state",
            RolloutErrorKind::TimeWentBackwards => "time_went_backwards",
            RolloutErrorKind::DuplicateWindow => "duplicate_window",
            RolloutErrorKind::WindowInFuture => "window_in_future",
            RolloutErrorKind::ReplayDiverged => "replay_diverged",
        }
    }
}

impl fmt::Display for RolloutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for RolloutError {}

/// The rollout's result type.
pub type Result<T> = core::result::Result<T, RolloutError>;

pub(crate) const MINUTE_MS: i64 = 60_000;
