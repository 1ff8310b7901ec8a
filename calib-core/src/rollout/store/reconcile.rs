//! Recovery: bringing the state file up to the log when a crash stopped a
//! step between appending its decision and saving the state, and refusing
//! every other disagreement between the two — first of all a config that is
//! not the one the rollout was initialised with.

use super::error::{StoreError, StoreErrorKind};
use super::format::{InitRecord, StateFile, config_sha256};
use super::log::{DecisionLog, LoggedDecision};
use super::observer::Observer;
use crate::rollout::Controller;
use std::format;
use std::path::Path;
use std::string::String;
use std::vec::Vec;

/// The state file's rollout in the log: its init record and its decisions,
/// checked to be under the config the state file holds. The init record
/// fixed the config (it is in the chain, and the rollout id is its hash);
/// a state file whose `config` hashes otherwise was edited, and deciding
/// with it would apply thresholds nobody logged
/// ([`StoreErrorKind::ConfigMismatch`]). A decision that names another
/// config is refused the same way (see [`DecisionLog::config_problems`]).
pub(super) fn bound(
    sf: &StateFile,
    state_path: &Path,
    log: &DecisionLog,
) -> Result<(InitRecord, Vec<LoggedDecision>), StoreError> {
    let init = log.init_record(&sf.rollout_id).ok_or_else(|| {
        StoreError::new(
            StoreErrorKind::Disagree,
            state_path,
            format!("the audit log {} has no init record {} for this rollout", log.path().display(), sf.rollout_id),
        )
    })??;
    let fixed = config_sha256(&init.config);
    let mismatch = |path: &Path, m: String| StoreError::new(StoreErrorKind::ConfigMismatch, path, m);
    if init.config_sha256.as_ref().is_some_and(|h| *h != fixed) {
        return Err(mismatch(
            log.path(),
            format!("init record {}: its config_sha256 is not the SHA-256 of its config ({fixed})", sf.rollout_id),
        ));
    }
    let held = config_sha256(&sf.config);
    if held != fixed {
        return Err(mismatch(
            state_path,
            format!(
                "the config differs from the one in force: its SHA-256 is {held}, but the rollout's init record {} \
                 fixed {fixed}; a rollout's config is fixed at init (a new config needs a new rollout)",
                sf.rollout_id
            ),
        ));
    }
    let records = log.decisions(&sf.rollout_id)?;
    if let Some(d) = records.iter().find(|d| d.record.config_sha256.as_ref().is_some_and(|h| *h != fixed)) {
        return Err(mismatch(
            log.path(),
            format!(
                "decision {} names config {}, not its rollout's {fixed} (the init record {})",
                d.record.seq,
                d.record.config_sha256.as_deref().unwrap_or_default(),
                sf.rollout_id
            ),
        ));
    }
    Ok((init, records))
}

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
    let (init, records) = bound(sf, state_path, log)?;
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
