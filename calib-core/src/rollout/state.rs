//! The controller's state: where the rollout is and the counters behind
//! its next decision.

use crate::gate::Verdict;
use alloc::vec::Vec;
use core::fmt;
use core::str::FromStr;
use serde::{Deserialize, Serialize};

/// Where a rollout is. Written as `off`, `5`, `25`, …, `stable`,
/// `published`, `reverted`, `aborted`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Not started: 0 % of traffic.
    Off,
    /// A stage at this share of traffic (percent).
    Stage(u32),
    /// The stable hold at 100 %.
    Stable,
    /// Done: the candidate is the new incumbent.
    Published,
    /// The breaker tripped: 0 % of traffic, cooling down.
    Reverted,
    /// Out of trips for this manifest version: 0 %, for good.
    Aborted,
}

impl Phase {
    /// The share of traffic (percent) the candidate serves in this phase.
    pub fn traffic_percent(self) -> u32 {
        match self {
            Phase::Off | Phase::Reverted | Phase::Aborted => 0,
            Phase::Stage(p) => p,
            Phase::Stable | Phase::Published => 100,
        }
    }
    /// Whether no window can change this phase any more.
    pub fn is_terminal(self) -> bool {
        matches!(self, Phase::Published | Phase::Aborted)
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Phase::Off => f.write_str("off"),
            Phase::Stage(p) => write!(f, "{p}"),
            Phase::Stable => f.write_str("stable"),
            Phase::Published => f.write_str("published"),
            Phase::Reverted => f.write_str("reverted"),
            Phase::Aborted => f.write_str("aborted"),
        }
    }
}

/// The name is not a phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPhase;

impl fmt::Display for UnknownPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected off, a stage percent (1-100), stable, published, reverted or aborted")
    }
}

impl FromStr for Phase {
    type Err = UnknownPhase;
    fn from_str(s: &str) -> Result<Self, UnknownPhase> {
        Ok(match s {
            "off" => Phase::Off,
            "stable" => Phase::Stable,
            "published" => Phase::Published,
            "reverted" => Phase::Reverted,
            "aborted" => Phase::Aborted,
            // Digits only: "+5" or "05" would not round-trip through Display.
            _ if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0') => {
                match s.parse::<u32>() {
                    Ok(p @ 1..=100) => Phase::Stage(p),
                    _ => return Err(UnknownPhase),
                }
            }
            _ => return Err(UnknownPhase),
        })
    }
}

impl Serialize for Phase {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Phase {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = alloc::string::String::deserialize(d)?;
        s.parse().map_err(|e: UnknownPhase| serde::de::Error::custom(alloc::format!("phase {s:?}: {e}")))
    }
}

/// The start and end of a window (ms since the Unix epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowSpan {
    /// Start, inclusive.
    pub start_ms: i64,
    /// End, exclusive.
    pub end_ms: i64,
}

/// Everything the controller remembers between windows. Serialises to JSON
/// with the fields in this order; [`State::digest`] is the SHA-256 of
/// those bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// Where the rollout is.
    pub phase: Phase,
    /// Windows judged at the current stage (or stable hold), of any verdict.
    pub windows_at_stage: u32,
    /// `Pass` windows at the current stage since it was entered or since its
    /// last breach; in the stable hold, its `Pass` windows.
    pub passes_at_stage: u32,
    /// Breach windows in a row (NoData under `hold` neither adds nor resets).
    pub consecutive_breaches: u32,
    /// The last judged verdicts (`pass`/`breach`), oldest first, kept only
    /// for the M-of-N rule and at most its `n` long.
    pub recent: Vec<Verdict>,
    /// Trips of this manifest version.
    pub trips: u32,
    /// The end of the window that last tripped the breaker.
    pub tripped_at_ms: Option<i64>,
    /// The last window decided, for the time-order and duplicate checks.
    pub last_window: Option<WindowSpan>,
    /// Windows decided in total.
    pub windows: u64,
}

impl State {
    /// The state of a rollout that has seen no window.
    pub fn new() -> Self {
        State {
            phase: Phase::Off,
            windows_at_stage: 0,
            passes_at_stage: 0,
            consecutive_breaches: 0,
            recent: Vec::new(),
            trips: 0,
            tripped_at_ms: None,
            last_window: None,
            windows: 0,
        }
    }

    /// The state's JSON (the form the digest is taken over).
    pub fn to_json(&self) -> alloc::string::String {
        serde_json::to_string(self).expect("a rollout state always serialises")
    }

    /// SHA-256 of [`State::to_json`]: two states are equal iff their digests are.
    pub fn digest(&self) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        Sha256::digest(self.to_json().as_bytes()).into()
    }

    /// [`State::digest`] as 64 lowercase hex digits.
    pub fn digest_hex(&self) -> alloc::string::String {
        use core::fmt::Write;
        let mut s = alloc::string::String::with_capacity(64);
        for b in self.digest() {
            let _ = write!(s, "{b:02x}");
        }
        s
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}
