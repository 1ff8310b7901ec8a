//! SLA gates: the verdict vocabulary and the thresholds.
//!
//! A gate compares one measurement of a candidate calibrator with a
//! threshold and gives a [`Verdict`]. The verdict of a window (or of a
//! whole gate report) is the worst of its gates, in the order
//! `Pass < NoData < Error < Breach`: missing data is never a pass.
//!
//! With the `gate` feature this module also evaluates the four gates of a
//! candidate against the incumbent on a holdout (`evaluate_gates`, and
//! `evaluate_holdout` which times the candidate in-process with `std`),
//! lints gate configs (`GateConfigFile::resolve`, `GateConfig::lint`) and
//! writes the `GateReport` that a signed manifest carries. The choices it
//! makes where the definitions leave room are in docs/concepts.md §12.1.
//!
//! One concept a file: `verdict` (the outcome), `threshold` (the gates and
//! how a measurement is judged), and with `gate`: `config` (settings and the
//! config file), `lint`, `holdout`, `latency` (timings), `evaluate` (the
//! gate run) and `report`. Everything is re-exported here, so the paths are
//! `calib_core::gate::X`.

mod threshold;
mod verdict;

#[cfg(feature = "gate")]
mod config;
#[cfg(feature = "gate")]
mod evaluate;
#[cfg(feature = "gate")]
mod holdout;
#[cfg(feature = "gate")]
mod latency;
#[cfg(feature = "gate")]
mod lint;
#[cfg(feature = "gate")]
mod report;

pub use threshold::{GateKind, GateThreshold, Thresholds};
pub use verdict::Verdict;

#[cfg(feature = "gate")]
pub use config::{AeceSettings, AeceTable, BinsSetting, GateConfig, GateConfigFile, GateTable, MIN_RESAMPLES};
#[cfg(feature = "gate")]
pub use evaluate::evaluate_gates;
#[cfg(all(feature = "gate", feature = "std"))]
pub use evaluate::evaluate_holdout;
// The rollout's window measurements (`WindowReport::measure`) share these.
#[cfg(all(feature = "gate", feature = "rollout", feature = "monitor"))]
pub(crate) use evaluate::{median_shift, p99_ms};
#[cfg(feature = "gate")]
pub use holdout::Holdout;
#[cfg(all(feature = "gate", feature = "std"))]
pub use latency::measure_latencies;
#[cfg(feature = "gate")]
pub use latency::{LATENCY_ITEMS, Latencies};
#[cfg(feature = "gate")]
pub use lint::LintIssue;
#[cfg(feature = "gate")]
pub use report::{AeceDetail, AeceGroup, GATE_REPORT_VERSION, GateReport, GateResult, RecallDetail};
