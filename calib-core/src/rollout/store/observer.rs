//! What a store operation tells its caller while it runs: the named points
//! of the crash protocol, and the notices a person should see.
//!
//! The store never reads the environment and never prints. A caller that
//! wants to prove crash safety (calib's tests do, through the CLI's
//! `test-hooks` feature) passes an [`Observer`] that ends the process at a
//! named [`CrashPoint`]; every other caller passes [`Quiet`], or an observer
//! that only prints the [`Notice`]s.

use std::path::PathBuf;
use std::string::String;

/// A named point of `init` and `step`, in protocol order. The names are the
/// ones calib's crash tests use (`CALIB_CRASH_AT=<name>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CrashPoint {
    /// `init-logged`: the init record is in the log; no state file yet.
    InitLogged,
    /// `step-decided`: the controller decided; nothing is written yet.
    StepDecided,
    /// `step-log-torn`: half the decision record is in the log (reached
    /// only after [`Observer::tear_append`] asked for it).
    StepLogTorn,
    /// `step-logged`: the decision record is durable; the state is not saved.
    StepLogged,
    /// `state-temp-written`: the new state is durable in the temp file
    /// beside the state file (every state save reaches it).
    StateTempWritten,
    /// `state-renamed`: the temp file replaced the state file; the directory
    /// is not yet synced (every state save reaches it).
    StateRenamed,
    /// `step-saved`: the step is complete.
    StepSaved,
}

impl CrashPoint {
    /// Every point, in protocol order.
    pub const ALL: [CrashPoint; 7] = [
        CrashPoint::InitLogged,
        CrashPoint::StepDecided,
        CrashPoint::StepLogTorn,
        CrashPoint::StepLogged,
        CrashPoint::StateTempWritten,
        CrashPoint::StateRenamed,
        CrashPoint::StepSaved,
    ];

    /// The point's name (`"step-logged"`).
    pub fn name(self) -> &'static str {
        match self {
            CrashPoint::InitLogged => "init-logged",
            CrashPoint::StepDecided => "step-decided",
            CrashPoint::StepLogTorn => "step-log-torn",
            CrashPoint::StepLogged => "step-logged",
            CrashPoint::StateTempWritten => "state-temp-written",
            CrashPoint::StateRenamed => "state-renamed",
            CrashPoint::StepSaved => "step-saved",
        }
    }
}

/// Something a store operation did on its own that a person should hear of.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Notice {
    /// `init` found its own init record last in the log with no state file
    /// (an interrupted init) and adopted it instead of writing a second.
    AdoptedInit {
        /// The adopted record's hash: the rollout id.
        record: String,
    },
    /// The log was one decision ahead of the state (a step stopped after
    /// logging and before saving); that decision was re-derived, checked and
    /// saved.
    RecoveredDecision {
        /// The recovered decision's number.
        seq: u64,
    },
    /// A torn last line (an append interrupted by a crash, never
    /// acknowledged) was cut from the log before appending.
    DroppedTornTail {
        /// The log.
        log: PathBuf,
        /// How many bytes were cut.
        bytes: u64,
    },
}

/// Hooks into a running store operation. Every method has a no-op default.
pub trait Observer {
    /// The operation reached `point`. An observer may end the process here
    /// to simulate a crash; returning continues normally.
    fn reached(&mut self, point: CrashPoint) {
        let _ = point;
    }

    /// Asked before each record is appended: `true` makes the store write
    /// the first half of the record (as a crash mid-write would leave it)
    /// and then report [`CrashPoint::StepLogTorn`]. If the process lives on,
    /// the store cuts that half line again and appends normally.
    fn tear_append(&mut self) -> bool {
        false
    }

    /// The operation did something a person should hear of.
    fn notice(&mut self, notice: &Notice) {
        let _ = notice;
    }
}

/// The observer that does nothing: no crash points, no notices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quiet;

impl Observer for Quiet {}
