//! `calib demo --workflow [--out DIR]`: the whole deployment workflow on
//! built-in data, every artefact in DIR, one summary at the end.
//!
//! 1. **Core fingerprint** of every runtime it can reach (this binary's
//!    core, and the Node, Python and WASM parity outputs under
//!    `<target>/parity/` when they exist), and the **legacy check**: a
//!    manifest made for another core is refused.
//! 2. **Baseline** metrics of the incumbent on this quarter's holdout (and
//!    its drift-monitor window).
//! 3. **Gates** of the candidate against the incumbent (`calib gate`'s
//!    evaluation, `gate::evaluate_holdout`).
//! 4. **Keygen, sign and verify** both manifests as the serving loader does.
//! 5. **Staged rollout**, simulated over generated windows: once clean (it
//!    must publish) and once with an injected breach (it must revert).
//! 6. **The post-deployment report**: `calib report` on the traffic the
//!    candidate served at 100 %, against the holdout.
//!
//! Every event goes to one audit chain (`DIR/audit.jsonl`), verified last.
//! Exit 0 when every step did what it must, 1 when one did not (named in
//! the summary), 2 on an I/O or input error.
//!
//! Like every other consumer of calib-core it decides nothing itself: the
//! metrics are `metrics::evaluate_by_class` and `monitor::window_of`, the
//! gates `gate::evaluate_holdout`, versions and parents
//! `governance::Successor`, a window's measurements
//! `rollout::WindowReport::measure`, every rollout decision
//! `rollout::Controller::step`. What is left here is the built-in data,
//! files, the audit records, the summary, and the demo's own expectations
//! of each step (the clean rollout publishes, the breach reverts, the
//! legacy manifest is refused).

mod data;
mod rollout;
mod trust;

use crate::io::{self, CliError};
use calib_core::audit::{self, ManifestEvent};
use calib_core::canonical::{Sha256Digest, model_digest};
use calib_core::fingerprint::core_fingerprint;
use calib_core::gate::{GateConfig, GateKind, GateReport, Verdict, evaluate_holdout};
use calib_core::governance::Successor;
use calib_core::manifest::{Calibrator, ManifestErrorKind, SecretKey, TrustPolicy, TrustState};
use calib_core::map::ApplyStats;
use calib_core::metrics::{self, Metrics};
use calib_core::model::Model;
use calib_core::monitor::{self, MonitorConfig, WindowSummary};
use calib_core::rollout::{Config, Phase};
use calib_core::synthetic::DEMO_CLASSES;
use data::Rows;
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What `calib demo --workflow` runs on.
#[derive(Debug, Clone)]
pub struct Options {
    pub out: PathBuf,
    pub rows: usize,
    pub seed: u64,
    pub bins: usize,
}

/// Rows of traffic in every simulated 15-minute window.
pub const WINDOW_ROWS: usize = 4000;

/// The fingerprint the legacy manifest is made for: a stand-in for a
/// retired core (the SHA-256 of a transcript name no core uses).
fn retired_core() -> Sha256Digest {
    Sha256Digest::of(b"calib-core binning fingerprint v0 (retired)\0")
}

/// One step's line in the summary.
#[derive(Debug, Serialize)]
struct Step {
    step: &'static str,
    ok: bool,
    detail: String,
    seconds: f64,
}

fn usage(e: impl std::fmt::Display) -> CliError {
    CliError::Usage(e.to_string())
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).expect("workflow artefacts serialise");
    io::write_atomic(path, |w| w.write_all(text.as_bytes()).and_then(|_| w.write_all(b"\n")))
}

fn mkdir(path: &Path) -> Result<(), CliError> {
    std::fs::create_dir_all(path).map_err(|e| CliError::file(path, format!("cannot create directory: {e}")))
}

fn gate_line(r: &GateReport) -> String {
    let v = |g: GateKind| r.gate(g).and_then(|x| x.value).map_or("-".to_string(), |v| format!("{v:.4}"));
    format!(
        "{}: p99 {} ms, AECE−τ {}, median shift {}, ΔRecall@50 {}",
        r.verdict.name(),
        v(GateKind::P99Latency),
        v(GateKind::AeceExcess),
        v(GateKind::MedianShift),
        v(GateKind::RecallAt50)
    )
}

/// The incumbent's baseline: metrics per class and overall, and its drift
/// window over the holdout.
#[derive(Debug, Serialize)]
struct Baseline {
    model_sha256: String,
    rows: usize,
    clamp_rate: f64,
    metrics: BTreeMap<String, Metrics>,
    monitor: WindowSummary,
}

fn baseline(model: &Model, holdout: &Rows, k: usize) -> Result<Baseline, CliError> {
    let mut probs = vec![0.0; holdout.len()];
    let mut stats = ApplyStats::default();
    model.apply_rows(Some(&holdout.classes), &holdout.scores, &mut probs, &mut stats).map_err(usage)?;
    let by_class: BTreeMap<String, Metrics> =
        metrics::evaluate_by_class(&probs, &holdout.labels, &holdout.classes, &DEMO_CLASSES, k)
            .map_err(usage)?
            .into_iter()
            .map(|(class, m)| (class.unwrap_or("overall").to_string(), m))
            .collect();
    let config = MonitorConfig { bins: k, ..MonitorConfig::default() };
    let rows = monitor::Rows {
        scores: &holdout.scores,
        labels: &holdout.labels,
        classes: Some(&holdout.classes),
        timestamps_ms: None,
    };
    let (window, _) = monitor::window_of(model, &rows, &config).map_err(usage)?;
    Ok(Baseline {
        model_sha256: model_digest(model).to_hex(),
        rows: holdout.len(),
        clamp_rate: stats.clamp_rate(),
        metrics: by_class,
        monitor: window,
    })
}

fn release_files(dir: &Path, model: &Model, report: &GateReport) -> Result<(PathBuf, PathBuf), CliError> {
    mkdir(dir)?;
    let model_path = dir.join("model.json");
    let json = model.to_json_pretty();
    io::write_atomic(&model_path, |w| w.write_all(json.as_bytes()))?;
    write_json(&dir.join("gate-report.json"), report)?;
    Ok((model_path, dir.join("manifest.json")))
}

/// Runs another `calib` command (this binary) and captures its output:
/// the workflow uses `calib report` and `calib rollout simulate` exactly
/// as a user would.
fn run_calib(args: &[&std::ffi::OsStr]) -> Result<std::process::Output, CliError> {
    let exe =
        std::env::current_exe().map_err(|e| CliError::Usage(format!("cannot find the calib binary itself: {e}")))?;
    std::process::Command::new(&exe).args(args).output().map_err(|e| {
        let what = args.first().map_or(String::new(), |a| a.to_string_lossy().into_owned());
        CliError::Usage(format!("cannot run calib {what}: {e}"))
    })
}

/// Runs the workflow (see the module docs): one call a step, in the order
/// the steps depend on each other (step 1's legacy check re-signs the
/// candidate's statement, so it runs after step 4 and is reported first).
pub fn run(o: Options) -> Result<u8, CliError> {
    let mut w = Run::start(&o)?;
    let world = World::generate(&o, &w.out)?;
    w.baseline(&world, o.bins)?;
    let Some(releases) = w.gates(&world)? else {
        return w.finish("the candidate (or the incumbent's release) did not pass its gates");
    };
    let signed = w.sign_and_verify(&world, &releases)?;
    w.fingerprints(&releases, &signed)?;
    let Some(calibrator) = &signed.candidate else { return w.finish("a manifest did not verify") };
    let clean = w.rollout(&world, &releases, calibrator, signed.now, o.seed)?;
    w.report(&world, &releases, &clean)?;
    w.finish("")
}

/// One run: its directory, its audit chain and the steps done so far.
struct Run {
    out: PathBuf,
    log: PathBuf,
    own: Sha256Digest,
    steps: Vec<Step>,
    clock: Instant,
}

/// The built-in data and both models fitted on it.
struct World {
    last: data::Quarter,
    this: data::Quarter,
    incumbent: Model,
    candidate: Model,
    holdout_csv: PathBuf,
}

/// Both releases' gate reports and where their files are.
struct Releases {
    inc_report: GateReport,
    report: GateReport,
    inc_model: PathBuf,
    inc_manifest: PathBuf,
    cand_model: PathBuf,
    cand_manifest: PathBuf,
}

/// What step 4 signed and verified.
struct SignedReleases {
    key: SecretKey,
    now: time::OffsetDateTime,
    policy: TrustPolicy,
    /// The candidate's statement (v2), which the legacy check re-signs.
    candidate_statement: calib_core::manifest::Statement,
    /// The candidate as the serving loader loads it; `None`: a manifest
    /// did not verify.
    candidate: Option<Calibrator>,
}

impl World {
    fn generate(o: &Options, out: &Path) -> Result<Self, CliError> {
        let last = data::quarter(o.rows, o.seed.wrapping_add(1), "last-q");
        let this = data::quarter(o.rows, o.seed, "q");
        let incumbent = data::fit(&last.train, false)?;
        let candidate = data::fit(&this.train, true)?;
        mkdir(&out.join("data"))?;
        let holdout_csv = out.join("data").join("holdout.csv");
        io::write_atomic(&holdout_csv, |w| this.holdout.write_csv(w, None))?;
        Ok(World { last, this, incumbent, candidate, holdout_csv })
    }
}

impl Run {
    /// The run's directory and a fresh audit chain: a previous run's log is
    /// replaced, not extended.
    fn start(o: &Options) -> Result<Self, CliError> {
        let out = o.out.clone();
        mkdir(&out)?;
        let log = out.join("audit.jsonl");
        match std::fs::remove_file(&log) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(CliError::file(&log, e)),
            _ => {}
        }
        let own = core_fingerprint();
        trust::append(
            &log,
            "workflow.start",
            json!({ "rows": o.rows, "seed": o.seed, "core_fingerprint": own, "calib": env!("CARGO_PKG_VERSION") }),
        )?;
        Ok(Run { out, log, own, steps: Vec::new(), clock: Instant::now() })
    }

    fn done(&mut self, step: &'static str, ok: bool, detail: String) {
        self.steps.push(Step { step, ok, detail, seconds: self.clock.elapsed().as_secs_f64() });
        self.clock = Instant::now();
    }

    fn finish(self, stopped: &str) -> Result<u8, CliError> {
        finish(&self.out, &self.log, self.steps, stopped)
    }

    /// Step 2: the incumbent's baseline on this quarter's holdout.
    fn baseline(&mut self, world: &World, bins: usize) -> Result<(), CliError> {
        let base = baseline(&world.incumbent, &world.this.holdout, bins)?;
        write_json(&self.out.join("baseline.json"), &base)?;
        let m = &base.metrics["overall"];
        let detail = format!(
            "incumbent on {} holdout rows: ECE {:.4}, AECE {:.4}, DECE {:.4}, Brier {:.4}, clamp rate {:.4}",
            base.rows, m.ece, m.aece, m.dece, m.brier, base.clamp_rate
        );
        self.done("2 baseline", true, detail);
        Ok(())
    }

    /// Step 3: gates: the incumbent's own release report (last quarter, against
    /// itself: the first release), and the candidate against the
    /// incumbent. `None`: a release did not pass.
    fn gates(&mut self, world: &World) -> Result<Option<Releases>, CliError> {
        let gates = GateConfig::default();
        let (inc, cand) = (&world.incumbent, &world.candidate);
        let inc_report = evaluate_holdout(inc, inc, &world.last.holdout.holdout(), &gates).map_err(usage)?;
        let report = evaluate_holdout(cand, inc, &world.this.holdout.holdout(), &gates).map_err(usage)?;
        let (inc_model, inc_manifest) = release_files(&self.out.join("incumbent"), inc, &inc_report)?;
        let (cand_model, cand_manifest) = release_files(&self.out.join("candidate"), cand, &report)?;
        let gates_ok = report.verdict == Verdict::Pass && inc_report.verdict == Verdict::Pass;
        self.done("3 gates", gates_ok, gate_line(&report));
        Ok(gates_ok.then_some(Releases { inc_report, report, inc_model, inc_manifest, cand_model, cand_manifest }))
    }

    /// Step 4: a key pair, both manifests signed (v1, and v2 with v1 as its
    /// parent), and both verified as the serving loader verifies them.
    fn sign_and_verify(&mut self, world: &World, r: &Releases) -> Result<SignedReleases, CliError> {
        let log = &self.log;
        let key = trust::keygen(&self.out.join("keys"))?;
        let now = time::OffsetDateTime::now_utc();
        let expires = now + time::Duration::days(90);
        let release = |model, report, successor| trust::Release { model, report, successor, created: now, expires };
        let v1 = trust::sign(&release(&world.incumbent, &r.inc_report, Successor::FIRST), &key)?;
        trust::record_signed(log, &r.inc_manifest, &v1)?;
        let v1_digest = calib_core::manifest::inspect(&v1.envelope).map_err(usage)?.digest;
        let v2_successor = Successor::of(&v1.statement, v1_digest).map_err(usage)?;
        let v2 = trust::sign(&release(&world.candidate, &r.report, v2_successor), &key)?;
        trust::record_signed(log, &r.cand_manifest, &v2)?;
        let policy = TrustPolicy::single(key.public_key());
        let mut state = TrustState::default();
        let verified_v1 = trust::verify(log, &r.inc_manifest, &r.inc_model, &policy, &mut state)?;
        let verified_v2 = trust::verify(log, &r.cand_manifest, &r.cand_model, &policy, &mut state)?;
        let trust_path = self.out.join("trust-state.json");
        io::write_atomic(&trust_path, |w| w.write_all(state.to_json().as_bytes()).and_then(|_| w.write_all(b"\n")))?;
        let (candidate, detail) = match (verified_v1, verified_v2) {
            (Ok(_), Ok(c)) => {
                let d = format!(
                    "keyid {}; incumbent v1 and candidate v2 (parent v1) signed and verified; trust state at version {}",
                    key.public_key().key_id(),
                    state.version
                );
                (Some(c), d)
            }
            (Err((_, why)), _) | (_, Err((_, why))) => (None, format!("a manifest did not verify: {why}")),
        };
        self.done("4 sign and verify", candidate.is_some(), detail);
        Ok(SignedReleases { key, now, policy, candidate_statement: v2.statement, candidate })
    }

    /// Step 1: fingerprints of every runtime in reach, and the legacy check: the
    /// candidate's statement signed for a retired core must be refused.
    /// Reported first, as the workflow's first step.
    fn fingerprints(&mut self, r: &Releases, signed: &SignedReleases) -> Result<(), CliError> {
        let (out, own) = (&self.out, self.own);
        let (parity_dir, runtimes) = trust::runtimes();
        write_json(
            &out.join("fingerprints.json"),
            &json!({ "core": own, "parity_dir": parity_dir, "runtimes": runtimes }),
        )?;
        mkdir(&out.join("legacy"))?;
        let legacy_path = out.join("legacy").join("manifest.json");
        let legacy = trust::sign_for_core(&signed.candidate_statement, retired_core(), &signed.key)?;
        io::write_atomic(&legacy_path, |w| w.write_all(&legacy))?;
        let mut legacy_state = TrustState::default();
        let legacy_outcome = trust::verify(&self.log, &legacy_path, &r.cand_model, &signed.policy, &mut legacy_state)?;
        let legacy_refused = matches!(&legacy_outcome, Err((ManifestErrorKind::FingerprintMismatch, _)));
        let mismatched: Vec<&str> = runtimes.iter().filter(|r| !r.matches).map(|r| r.runtime.as_str()).collect();
        let reached: Vec<&str> = runtimes.iter().map(|r| r.runtime.as_str()).collect();
        let where_from = match &parity_dir {
            Some(d) => format!("this binary and the parity outputs in {}", d.display()),
            None => "this binary only: no <target>/parity/ (the binding tests write it)".to_string(),
        };
        let detail = format!(
            "{} in {} runtime(s): {} ({where_from}){}; legacy manifest (core {}…) {}",
            own.to_hex(),
            runtimes.len(),
            reached.join(", "),
            if mismatched.is_empty() { String::new() } else { format!("; MISMATCH: {}", mismatched.join(", ")) },
            &retired_core().to_hex()[..12],
            match &legacy_outcome {
                Err((kind, _)) => format!("refused ({})", kind.code()),
                Ok(_) => "ACCEPTED, but it must be refused".to_string(),
            }
        );
        self.done("1 core fingerprint", mismatched.is_empty() && legacy_refused, detail);
        let first = self.steps.pop().expect("just pushed");
        self.steps.insert(0, first);
        Ok(())
    }

    /// Step 5: the staged rollout, simulated twice: clean (it must publish) and
    /// with an injected breach (it must revert); both replayed by
    /// `calib rollout simulate`, which must decide alike. Returns the clean
    /// run, whose traffic at 100 % step 6 reports on.
    fn rollout(
        &mut self,
        world: &World,
        r: &Releases,
        calibrator: &Calibrator,
        now: time::OffsetDateTime,
        seed: u64,
    ) -> Result<rollout::Outcome, CliError> {
        let (out, log) = (&self.out, &self.log);
        let params = &calibrator.manifest().statement().predicate.parameters;
        let c_hat = params.c_hat.overall.ok_or_else(|| usage("the candidate manifest records no ĉ"))?;
        let k = params.bins(WINDOW_ROWS);
        let monitor = MonitorConfig { bins: k, ..MonitorConfig::default() };
        let window_ms = rollout::WINDOW_MS;
        let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
        let t0_ms = (now_ms / window_ms + 1) * window_ms;
        let sim = |name, inject_breach| rollout::Simulation {
            name,
            candidate: &world.candidate,
            incumbent: &world.incumbent,
            c_hat,
            config: Config::default(),
            window_rows: WINDOW_ROWS,
            seed,
            t0_ms,
            inject_breach,
        };
        let clean = rollout::simulate(&sim("clean", false), &monitor, log)?;
        let published = clean.state.phase == Phase::Published;
        if published {
            let bytes = crate::io::read_manifest(&r.cand_manifest)?;
            let mut data = crate::audit::manifest_data(&r.cand_manifest, &bytes);
            data["rollout"] = json!("clean");
            trust::append(log, ManifestEvent::Published.kind(), data)?;
        }
        let breach = rollout::simulate(&sim("breach", true), &monitor, log)?;
        let reverted = breach.state.phase == Phase::Reverted;
        // The decisions, as `calib rollout simulate` replays the scenario:
        // they must be the ones taken here.
        let mut replays_agree = true;
        for (name, r) in [("clean", &clean), ("breach", &breach)] {
            replays_agree &= replay(&out.join(format!("rollout-{name}")), r)?;
        }
        let path_of = |r: &rollout::Outcome| {
            let mut stages: Vec<String> = vec!["off".into()];
            for d in &r.decided {
                let s = d.stage_after.to_string();
                if stages.last() != Some(&s) {
                    stages.push(s);
                }
            }
            stages.join(" → ")
        };
        let last_rule = |r: &rollout::Outcome| r.decided.last().map_or("-", |d| d.rule.name());
        let detail = format!(
            "clean: {} windows of {WINDOW_ROWS} rows, {} ({}); breach (30 % of labels flipped from window {}): {} windows, {} ({}); {}",
            clean.decided.len(),
            path_of(&clean),
            last_rule(&clean),
            breach.breach_from.map_or("-".to_string(), |w| w.to_string()),
            breach.decided.len(),
            path_of(&breach),
            last_rule(&breach),
            if replays_agree {
                "calib rollout simulate replays both alike"
            } else {
                "calib rollout simulate DECIDES OTHERWISE"
            }
        );
        self.done("5 staged rollout", published && reverted && replays_agree, detail);
        Ok(clean)
    }

    /// Step 6: the post-deployment report: `calib report` on the traffic the
    /// candidate served at 100 %, against the holdout.
    fn report(&mut self, world: &World, r: &Releases, clean: &rollout::Outcome) -> Result<(), CliError> {
        let (traffic, times) = &clean.full_traffic;
        if traffic.len() == 0 {
            let why = "the clean rollout never served 100 %: no post-deployment traffic";
            self.done("6 report", false, why.into());
            return Ok(());
        }
        let out = &self.out;
        mkdir(&out.join("report"))?;
        let traffic_csv = out.join("report").join("traffic.csv");
        io::write_atomic(&traffic_csv, |w| traffic.write_csv(w, Some(times)))?;
        let page = out.join("report.html");
        let run = run_calib(&[
            "report".as_ref(),
            "--model".as_ref(),
            r.cand_model.as_os_str(),
            "--input".as_ref(),
            traffic_csv.as_os_str(),
            "--baseline".as_ref(),
            world.holdout_csv.as_os_str(),
            "--manifest".as_ref(),
            r.cand_manifest.as_os_str(),
            "--out".as_ref(),
            page.as_os_str(),
        ])?;
        let text = String::from_utf8_lossy(&run.stdout).into_owned();
        io::write_atomic(&out.join("report").join("summary.txt"), |w| w.write_all(text.as_bytes()))?;
        let code = run.status.code();
        let alerts: Vec<String> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("alert "))
            .map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
            .collect();
        let ok = code == Some(0) && page.is_file();
        let page_bytes = std::fs::read(&page).unwrap_or_default();
        trust::append(
            &self.log,
            "workflow.report",
            json!({ "report": page.display().to_string(), "html_sha256": Sha256Digest::of(&page_bytes),
                    "rows": traffic.len(), "exit": code }),
        )?;
        let detail = if ok {
            format!(
                "report.html over {} rows served at 100 % against the holdout; alerts: {}",
                traffic.len(),
                alerts.join(", ")
            )
        } else {
            format!(
                "calib report exited {code:?}{}: {}",
                if code == Some(1) { " (an alert fails)" } else { "" },
                String::from_utf8_lossy(&run.stderr).trim()
            )
        };
        self.done("6 report", ok, detail);
        Ok(())
    }
}

/// Writes a simulated rollout's scenario, replays it with
/// `calib rollout simulate --json` into `dir`, and says whether the replay
/// took the same stages.
fn replay(dir: &Path, r: &rollout::Outcome) -> Result<bool, CliError> {
    mkdir(dir)?;
    let scenario = dir.join("scenario.json");
    write_json(&scenario, &r.scenario)?;
    let replay = run_calib(&[
        "rollout".as_ref(),
        "simulate".as_ref(),
        "--scenario".as_ref(),
        scenario.as_os_str(),
        "--json".as_ref(),
    ])?;
    io::write_atomic(&dir.join("decisions.json"), |w| w.write_all(&replay.stdout))?;
    let replayed: Vec<serde_json::Value> = serde_json::from_slice(&replay.stdout).unwrap_or_default();
    let stages: Vec<String> = r.decided.iter().map(|d| d.stage_after.to_string()).collect();
    let agree = replay.status.success()
        && replayed.iter().map(|e| e["stage_after"].as_str().unwrap_or_default()).eq(stages.iter().map(String::as_str));
    let state = r.state.to_json();
    io::write_atomic(&dir.join("state.json"), |w| w.write_all(state.as_bytes()).and_then(|_| w.write_all(b"\n")))?;
    Ok(agree)
}

/// Verifies the audit chain, writes `summary.json`, prints the summary.
fn finish(out: &Path, log: &Path, mut steps: Vec<Step>, stopped: &str) -> Result<u8, CliError> {
    trust::append(
        log,
        "workflow.end",
        json!({ "steps": steps.iter().map(|s| json!({ "step": s.step, "ok": s.ok })).collect::<Vec<_>>() }),
    )?;
    let check = audit::verify_file(log).map_err(|e| CliError::file(log, e))?;
    let detail = if check.is_ok() {
        format!("{} records, intact; head {}", check.records, check.head)
    } else {
        let problems: Vec<String> = check.problems.iter().map(|p| p.to_string()).collect();
        format!("DAMAGED: {}", problems.join("; "))
    };
    steps.push(Step { step: "audit chain", ok: check.is_ok(), detail, seconds: 0.0 });
    let all_ok = stopped.is_empty() && steps.iter().all(|s| s.ok);
    write_json(
        &out.join("summary.json"),
        &json!({ "ok": all_ok, "stopped": (!stopped.is_empty()).then_some(stopped), "steps": steps,
                 "audit_head": check.head, "audit_records": check.records }),
    )?;
    outln!("calib demo --workflow: the deployment workflow on built-in data, artefacts in {}", out.display());
    for s in &steps {
        outln!("{:<20} {:<4} {}", s.step, if s.ok { "ok" } else { "FAIL" }, s.detail);
    }
    if !stopped.is_empty() {
        outln!("stopped: {stopped}");
    }
    let d = out.display();
    outln!("serve it: cargo run --release -p calib-serving -- --pubkey {d}/keys/calib.pub \\");
    outln!("  --incumbent-manifest {d}/incumbent/manifest.json --incumbent-model {d}/incumbent/model.json \\");
    outln!("  --candidate-manifest {d}/candidate/manifest.json --candidate-model {d}/candidate/model.json \\");
    outln!("  --rollout-state {d}/rollout-clean/state.json --salt calib-demo");
    outln!("verdict: {}", if all_ok { "every step passed" } else { "a step FAILED" });
    Ok(if all_ok { 0 } else { 1 })
}
