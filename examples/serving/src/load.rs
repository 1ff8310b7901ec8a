//! Loading: every calibrator comes through a verified manifest, and what
//! serving holds is one immutable [`Snapshot`] that a reload replaces whole.
//!
//! A load reads every file anew (incumbent, candidate, rollout state),
//! verifies each manifest with `Calibrator::from_manifest` against the trust
//! policy and that role's trust state, and only when **all** of it checks
//! out returns a snapshot and commits the trust states. Any failure refuses
//! the whole load: at start-up the service does not start, on a reload the
//! snapshot being served stays.

use calib_core::manifest::{Calibrator, PublicKey, TrustPolicy, TrustState};
use calib_core::rollout::store::StateFile;
use calib_core::rollout::{Phase, Route, RouteCandidate, State, served_expired};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// Which calibrator a request was served by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The calibrator in production.
    Incumbent,
    /// The calibrator being rolled out.
    Candidate,
}

impl Role {
    /// Both roles, incumbent first.
    pub const ALL: [Role; 2] = [Role::Incumbent, Role::Candidate];

    /// `"incumbent"` or `"candidate"` (responses, metric labels, messages).
    pub fn name(self) -> &'static str {
        match self {
            Role::Incumbent => "incumbent",
            Role::Candidate => "candidate",
        }
    }

    /// Index into per-role arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Where one role's manifest and model are.
#[derive(Debug, Clone)]
pub struct ModelSource {
    /// The DSSE envelope.
    pub manifest: PathBuf,
    /// The model JSON the manifest names.
    pub model: PathBuf,
}

/// Everything a load reads.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The calibrator in production.
    pub incumbent: ModelSource,
    /// The calibrator being rolled out, with the rollout state that says
    /// which share of keys it serves and the bucketing salt.
    pub candidate: Option<Candidate>,
}

/// The candidate's files and how keys are routed to it.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Its manifest and model.
    pub source: ModelSource,
    /// The rollout state: a `calib rollout` state file, or a bare
    /// `calib_core::rollout::State` as JSON.
    pub rollout_state: PathBuf,
    /// The bucketing salt (the same in every replica and runtime).
    pub salt: String,
}

impl Sources {
    /// Every file a load reads, for the file watch.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut v = vec![self.incumbent.manifest.clone(), self.incumbent.model.clone()];
        if let Some(c) = &self.candidate {
            v.extend([c.source.manifest.clone(), c.source.model.clone(), c.rollout_state.clone()]);
        }
        v
    }
}

/// One calibrator, verified, with what identifies it.
#[derive(Debug)]
pub struct Served {
    /// Its role.
    pub role: Role,
    /// The verified calibrator.
    pub calibrator: Calibrator,
    /// The manifest's release number.
    pub version: u64,
    /// SHA-256 of the manifest's payload (hex).
    pub manifest_sha256: String,
    /// SHA-256 of the model's canonical bytes (hex).
    pub model_sha256: String,
}

impl Served {
    /// Its manifest's predicate (version, times, parameters).
    pub fn predicate(&self) -> &calib_core::manifest::Predicate {
        &self.calibrator.manifest().statement().predicate
    }

    /// Whether its manifest has expired at `now` (calib-core's
    /// `served_expired`: `Predicate::expired_at`, failing closed).
    pub fn expired_at(&self, now: OffsetDateTime) -> bool {
        served_expired(self.predicate(), now)
    }

    /// Seconds from `now` to its manifest's expiry (negative once past):
    /// the gauge an alert fires on before the expiry.
    pub fn seconds_to_expiry(&self, now: OffsetDateTime) -> f64 {
        (self.calibrator.manifest().expires() - now).as_seconds_f64()
    }
}

/// What serving holds: immutable; a reload builds a new one and swaps it in.
#[derive(Debug)]
pub struct Snapshot {
    /// Counts successful loads from 1.
    pub generation: u64,
    /// The calibrator in production.
    pub incumbent: Served,
    /// The candidate, with its rollout phase and salt.
    pub candidate: Option<(Served, Phase, String)>,
}

impl Snapshot {
    /// The rollout phase (`off` without a candidate).
    pub fn phase(&self) -> Phase {
        self.candidate.as_ref().map_or(Phase::Off, |(_, p, _)| *p)
    }

    /// The calibrator that serves `key` at `now`, by calib-core's
    /// [`calib_core::rollout::route`]: the candidate when the key's bucket is
    /// included at the current stage's share and its manifest has not
    /// expired, the incumbent otherwise — or `None` when the key falls to an
    /// incumbent whose manifest has expired (the request is refused).
    pub fn route(&self, key: &str, now: OffsetDateTime) -> Option<&Served> {
        let candidate = self.candidate.as_ref().map(|(c, phase, salt)| RouteCandidate {
            predicate: c.predicate(),
            phase: *phase,
            salt,
        });
        match calib_core::rollout::route(key, self.incumbent.predicate(), candidate, now) {
            Route::Candidate => self.candidate.as_ref().map(|(c, _, _)| c),
            Route::Incumbent => Some(&self.incumbent),
            Route::Refuse => None,
        }
    }

    /// The loaded calibrators, incumbent first.
    pub fn served(&self) -> impl Iterator<Item = &Served> {
        std::iter::once(&self.incumbent).chain(self.candidate.as_ref().map(|(c, _, _)| c))
    }
}

/// Why a load was refused: which file, and the loader's reason (with the
/// core error's stable code when there is one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// What was being read, e.g. `candidate manifest path/m.json`.
    pub what: String,
    /// Why it was refused.
    pub message: String,
    /// The core error's stable code: a manifest's (`bad_signature`,
    /// `fingerprint_mismatch`, …) or a rollout state file's (`bad_state_file`).
    pub code: Option<&'static str>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.message)?;
        if let Some(c) = self.code {
            write!(f, " ({c})")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

fn refused(what: impl fmt::Display, message: impl fmt::Display) -> LoadError {
    LoadError { what: what.to_string(), message: message.to_string(), code: None }
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, LoadError> {
    std::fs::read(path)
        .map_err(|e| refused(format_args!("{what} {}", path.display()), format_args!("cannot read: {e}")))
}

/// The loader's memory between loads, per role: the last version each role
/// trusted, so neither can be rolled back. Persisted as
/// `{"incumbent": {...}, "candidate": {...}}` when a path is given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustStates {
    /// The incumbent's trust state.
    pub incumbent: TrustState,
    /// The candidate's trust state.
    pub candidate: TrustState,
}

impl TrustStates {
    fn get_mut(&mut self, role: Role) -> &mut TrustState {
        match role {
            Role::Incumbent => &mut self.incumbent,
            Role::Candidate => &mut self.candidate,
        }
    }
}

/// Loads snapshots: the sources, the trust policy and the trust states.
#[derive(Debug)]
pub struct Loader {
    sources: Sources,
    policy: TrustPolicy,
    trust: TrustStates,
    trust_path: Option<PathBuf>,
    generation: u64,
}

impl Loader {
    /// A loader trusting the public key files `pubkeys` (`threshold` of them
    /// must sign). `trust_path` keeps the trust states between runs (a
    /// missing file is a fresh state).
    pub fn new(
        sources: Sources,
        pubkeys: &[PathBuf],
        threshold: usize,
        require_gate_report: bool,
        trust_path: Option<PathBuf>,
    ) -> Result<Loader, LoadError> {
        let mut keys = Vec::new();
        for p in pubkeys {
            let text = String::from_utf8_lossy(&read(p, "public key")?).into_owned();
            let key = PublicKey::from_file_text(&text).map_err(|e| LoadError {
                code: Some(e.code()),
                ..refused(format_args!("public key {}", p.display()), e.message())
            })?;
            keys.push(key);
        }
        let mut policy = TrustPolicy::new(keys, threshold)
            .map_err(|e| LoadError { code: Some(e.code()), ..refused("trust policy", e.message()) })?;
        policy.require_gate_report = require_gate_report;
        let trust = match &trust_path {
            None => TrustStates::default(),
            Some(p) => match std::fs::read(p) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => TrustStates::default(),
                Err(e) => {
                    return Err(refused(format_args!("trust state {}", p.display()), format_args!("cannot read: {e}")));
                }
                Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                    refused(format_args!("trust state {}", p.display()), format_args!("not a trust state: {e}"))
                })?,
            },
        };
        Ok(Loader { sources, policy, trust, trust_path, generation: 0 })
    }

    /// The sources it reads.
    pub fn sources(&self) -> &Sources {
        &self.sources
    }

    /// The trust states committed so far.
    pub fn trust_states(&self) -> &TrustStates {
        &self.trust
    }

    /// Reads and verifies everything; on success commits (and persists) the
    /// trust states and returns the next snapshot. On failure nothing
    /// changes.
    pub fn load(&mut self) -> Result<Snapshot, LoadError> {
        let mut trust = self.trust.clone();
        let incumbent = load_role(&self.sources.incumbent, Role::Incumbent, &self.policy, &mut trust)?;
        let candidate = match &self.sources.candidate {
            None => None,
            Some(c) => {
                let served = load_role(&c.source, Role::Candidate, &self.policy, &mut trust)?;
                let phase = read_phase(&c.rollout_state)?;
                Some((served, phase, c.salt.clone()))
            }
        };
        if let Some(p) = &self.trust_path
            && trust != self.trust
        {
            let text = serde_json::to_string(&trust).expect("trust states serialise");
            write_replace(p, text.as_bytes())
                .map_err(|e| refused(format_args!("trust state {}", p.display()), format_args!("cannot write: {e}")))?;
        }
        self.trust = trust;
        self.generation += 1;
        Ok(Snapshot { generation: self.generation, incumbent, candidate })
    }
}

fn load_role(
    src: &ModelSource,
    role: Role,
    policy: &TrustPolicy,
    trust: &mut TrustStates,
) -> Result<Served, LoadError> {
    let what = format!("{} manifest {}", role.name(), src.manifest.display());
    let envelope = read(&src.manifest, &format!("{} manifest", role.name()))?;
    let model = read(&src.model, &format!("{} model", role.name()))?;
    let state = trust.get_mut(role);
    let calibrator = Calibrator::from_manifest(&envelope, &model, policy, state).map_err(|e| LoadError {
        what,
        message: e.message().to_string(),
        code: Some(e.code()),
    })?;
    let m = calibrator.manifest();
    Ok(Served {
        role,
        version: m.version(),
        manifest_sha256: m.digest().to_hex(),
        model_sha256: m.model_digest().to_hex(),
        calibrator,
    })
}

/// The rollout phase from a `calib rollout` state file (read by the core's
/// [`StateFile`], so its format is defined once) or a bare controller state.
pub fn read_phase(path: &Path) -> Result<Phase, LoadError> {
    let what = || format!("rollout state {}", path.display());
    let bytes = read(path, "rollout state")?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| refused(what(), format_args!("not JSON: {e}")))?;
    // A state file holds the controller's state under `state`; a bare state
    // has no such object.
    if value.get("state").is_some_and(serde_json::Value::is_object) {
        let file = StateFile::parse(&bytes, path)
            .map_err(|e| LoadError { code: Some(e.code()), ..refused(what(), e.message()) })?;
        return Ok(file.state.phase);
    }
    let state: State =
        serde_json::from_value(value).map_err(|e| refused(what(), format_args!("not a rollout state: {e}")))?;
    Ok(state.phase)
}

/// Replaces `path` atomically: a temp file beside it, then rename.
fn write_replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes)?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use calib_core::rollout::Controller;
    use calib_core::rollout::store::{Quiet, Store};

    #[test]
    fn the_phase_comes_from_a_state_file_or_a_bare_state() {
        let dir = std::env::temp_dir().join(format!("calib-serving-load-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("s.json");
        let controller = Controller::new(Default::default()).unwrap();
        Store::new(&file).init(&controller, None, None, 0, &mut Quiet).unwrap();
        assert_eq!(read_phase(&file), Ok(Phase::Off));

        let bare = dir.join("bare.json");
        std::fs::write(&bare, State { phase: Phase::Stage(25), ..State::new() }.to_json()).unwrap();
        assert_eq!(read_phase(&bare), Ok(Phase::Stage(25)));

        // A state file of another schema version is refused with the core's code.
        let text = std::fs::read_to_string(&file).unwrap().replace("\"schema_version\": 1", "\"schema_version\": 2");
        std::fs::write(&file, text).unwrap();
        let e = read_phase(&file).unwrap_err();
        assert_eq!(e.code, Some("bad_state_file"), "{e}");
        assert!(e.what.starts_with("rollout state "), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
