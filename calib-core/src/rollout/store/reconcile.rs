//! Recovery: bringing the state file up to the log when a crash stopped a
//! step between appending its decision and saving the state, and refusing
//! every other disagreement between the two.

use super::error::{StoreError, StoreErrorKind};
use super::format::StateFile;
use super::log::DecisionLog;
use super::observer::Observer;
use crate::rollout::Controller;
use std::format;
use std::path::Path;
use std::string::String;

/// Checks the log against the state file and, when the log is exactly one
/// decision ahead, re-derives that decision, checks it against the record
/// and saves it. Returns whether it recovered one.
pub(super) fn reconcile(
    sf: &mut StateFile,
    state_path: &Path,
    controller: &Controller,
    log: &DecisionLog,
    observer: &mut dyn Observer,
) -> Result<bool, StoreError> {
    let log_path = log.path();
    let refuse = |m: String| StoreError::new(StoreErrorKind::Disagree, state_path, m);
    let init = log.init_record(&sf.rollout_id).ok_or_else(|| {
        refuse(format!("the audit log {} has no init record {} for this rollout", log_path.display(), sf.rollout_id))
    })??;
    let records = log.decisions(&sf.rollout_id)?;
    let logged = records.len() as u64;
    match logged.checked_sub(sf.seq) {
        Some(0) => {
            let (head, digest) = match records.last() {
                Some(d) => (d.hash.as_str(), d.record.state_sha256.as_str()),
                None => (sf.rollout_id.as_str(), init.state_sha256.as_str()),
            };
            if head != sf.head || digest != sf.state.digest_hex() {
                return Err(refuse(format!(
                    "state and audit log disagree: the state's head {} and state hash {} are not the log's {head} \
                     and {digest}",
                    sf.head,
                    sf.state.digest_hex()
                )));
            }
            Ok(false)
        }
        Some(1) => {
            let last = records.last().expect("one record ahead");
            let record = &last.record;
            let previous = records.len().checked_sub(2).map_or(sf.rollout_id.as_str(), |i| records[i].hash.as_str());
            if previous != sf.head {
                return Err(refuse(format!(
                    "state and audit log disagree: the state's head {} is not the log's {previous}",
                    sf.head
                )));
            }
            let step = controller
                .step(&sf.state, &record.window, record.now_ms)
                .map_err(|e| refuse(format!("cannot re-derive decision {} from the audit log: {e}", record.seq)))?;
            if step.state.digest_hex() != record.state_sha256 || step.decision.name() != record.decision {
                return Err(refuse(format!(
                    "decision {} in the audit log does not follow from the state: recorded {} with state {}, \
                     re-derived {} with state {}",
                    record.seq,
                    record.decision,
                    record.state_sha256,
                    step.decision.name(),
                    step.state.digest_hex()
                )));
            }
            sf.state = step.state;
            sf.seq = record.seq;
            sf.head = last.hash.clone();
            sf.save(state_path, observer)?;
            Ok(true)
        }
        _ => Err(refuse(format!(
            "state and audit log disagree: the state has applied {} decisions, the log {} holds {logged}; \
             refusing to guess",
            sf.seq,
            log_path.display()
        ))),
    }
}
