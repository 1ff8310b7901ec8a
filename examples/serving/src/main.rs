//! `calib-serving`: see the crate docs (src/lib.rs) and the README's
//! "Serving" section.

use arc_swap::ArcSwap;
use calib_core::monitor::MonitorConfig;
use calib_serving::canary::{Canary, Clock, DEFAULT_CAPACITY_ROWS};
use calib_serving::drift::Drift;
use calib_serving::http::{App, router};
use calib_serving::load::{Candidate, Loader, ModelSource, Sources};
use calib_serving::metrics::Metrics;
use calib_serving::server::Timeouts;
use clap::Parser;
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(name = "calib-serving", version, about = "Serve calib calibrators from verified manifests on 127.0.0.1")]
struct Args {
    /// The incumbent's manifest (DSSE envelope).
    #[arg(long)]
    incumbent_manifest: PathBuf,
    /// The incumbent's model (the manifest's model subject).
    #[arg(long)]
    incumbent_model: PathBuf,
    /// The candidate's manifest.
    #[arg(long, requires_all = ["candidate_model", "rollout_state", "salt"])]
    candidate_manifest: Option<PathBuf>,
    /// The candidate's model.
    #[arg(long, requires = "candidate_manifest")]
    candidate_model: Option<PathBuf>,
    /// The rollout state: a `calib rollout` state file, or a controller state (JSON).
    #[arg(long, requires = "candidate_manifest")]
    rollout_state: Option<PathBuf>,
    /// The bucketing salt of the rollout (the same in every replica).
    #[arg(long, requires = "candidate_manifest")]
    salt: Option<String>,
    /// A trusted public key file (repeat for several).
    #[arg(long, required = true)]
    pubkey: Vec<PathBuf>,
    /// Distinct trusted keys that must have signed each manifest.
    #[arg(long, default_value_t = 1)]
    threshold: usize,
    /// Accept manifests that record no gate report.
    #[arg(long)]
    allow_no_gates: bool,
    /// Keeps each role's last trusted version between runs (JSON; created).
    #[arg(long)]
    trust_state: Option<PathBuf>,
    /// Port on 127.0.0.1 (0: any free port; the chosen one is printed).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Poll the files for changes every this many ms (0: only SIGHUP reloads).
    #[arg(long, default_value_t = 1000)]
    watch_ms: u64,
    /// Length of a drift-monitor window, in seconds.
    #[arg(long, default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..))]
    monitor_window_secs: u64,
    /// Labelled rows a drift window keeps for its equal-mass metrics.
    #[arg(long, default_value_t = 1 << 16, value_parser = clap::value_parser!(u64).range(1..(1 << 31)))]
    monitor_capacity: u64,
    /// Stop by itself after this many seconds (tests, load tests).
    #[arg(long)]
    max_lifetime_secs: Option<u64>,
    /// Longest wait for a request's headers, in ms; also how long a
    /// kept-alive connection may sit idle. Then the connection is closed.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout_ms: u64,
    /// Longest wait for a request's whole body after its headers, in ms;
    /// then it is refused with 408 body_timeout.
    #[arg(long, default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout_ms: u64,
    /// After SIGTERM, SIGINT or the lifetime, wait at most this many ms for
    /// open connections (in-flight requests finish), then close them.
    #[arg(long, default_value_t = 10_000)]
    shutdown_grace_ms: u64,
    /// The rollout config (TOML or JSON, as `calib rollout` reads it): turns
    /// on the live canary's windows (needs a candidate).
    #[arg(long, requires = "candidate_manifest")]
    rollout_config: Option<PathBuf>,
    /// Bound of the canary's label join, in rows held for windows not yet
    /// judged; a request beyond it is served but not held.
    #[arg(long, default_value_t = DEFAULT_CAPACITY_ROWS as u64, value_parser = clap::value_parser!(u64).range(1..))]
    canary_capacity_rows: u64,
    /// Run the canary's windows on a manual clock starting at this time (ms
    /// since the epoch), moved only by `POST /canary/clock` (tests).
    #[arg(long, requires = "rollout_config")]
    canary_manual_clock_ms: Option<i64>,
    /// Worker threads of the runtime (default: one per core).
    #[arg(long)]
    workers: Option<usize>,
}

fn main() -> ExitCode {
    let a = Args::parse();
    let sources = Sources {
        incumbent: ModelSource { manifest: a.incumbent_manifest.clone(), model: a.incumbent_model.clone() },
        candidate: match (&a.candidate_manifest, &a.candidate_model, &a.rollout_state, &a.salt) {
            (Some(manifest), Some(model), Some(rollout_state), Some(salt)) => Some(Candidate {
                source: ModelSource { manifest: manifest.clone(), model: model.clone() },
                rollout_state: rollout_state.clone(),
                salt: salt.clone(),
            }),
            _ => None,
        },
    };
    let started = Loader::new(sources, &a.pubkey, a.threshold, !a.allow_no_gates, a.trust_state.clone())
        .and_then(|mut loader| loader.load().map(|snapshot| (loader, snapshot)));
    let (loader, snapshot) = match started {
        Ok(v) => v,
        Err(e) => {
            eprintln!("calib-serving: refusing to start: {e}");
            return ExitCode::from(1);
        }
    };
    for s in snapshot.served() {
        eprintln!(
            "calib-serving: {} verified: manifest version {} ({}), model {}",
            s.role.name(),
            s.version,
            s.manifest_sha256,
            s.model_sha256
        );
    }
    let monitor = MonitorConfig { capacity: a.monitor_capacity as usize, ..MonitorConfig::default() };
    let drift = match Drift::new(monitor, Duration::from_secs(a.monitor_window_secs)) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("calib-serving: bad drift-monitor settings: {e}");
            return ExitCode::from(2);
        }
    };
    let canary = match &a.rollout_config {
        None => None,
        Some(path) => {
            let clock = a.canary_manual_clock_ms.map_or(Clock::System, |ms| Clock::Manual(ms.into()));
            let made = read_rollout_config(path).and_then(|config| {
                Canary::new(
                    config,
                    monitor,
                    clock,
                    usize::try_from(a.canary_capacity_rows).unwrap_or(usize::MAX),
                    &calib_serving::metrics::LATENCY_BUCKETS,
                )
            });
            match made {
                Ok(c) => Some(c),
                Err(e) => {
                    eprintln!("calib-serving: rollout config {}: {e}", path.display());
                    return ExitCode::from(2);
                }
            }
        }
    };
    let app = Arc::new(App {
        snapshot: ArcSwap::from_pointee(snapshot),
        metrics: Metrics::default(),
        drift,
        last_refusal: Mutex::new(None),
        body_timeout: Duration::from_millis(a.body_timeout_ms),
        canary,
    });
    let timeouts = Timeouts {
        header: Duration::from_millis(a.header_timeout_ms),
        body: Duration::from_millis(a.body_timeout_ms),
        shutdown_grace: Duration::from_millis(a.shutdown_grace_ms),
    };
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(w) = a.workers {
        rt.worker_threads(w.max(1));
    }
    let rt = match rt.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("calib-serving: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let interval = (a.watch_ms > 0).then(|| Duration::from_millis(a.watch_ms));
    if let Some(secs) = a.max_lifetime_secs {
        // A hard bound too, beyond the shutdown's own deadline: the
        // lifetime is a promise to the tests that run the service.
        let grace = timeouts.shutdown_grace;
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(secs.saturating_add(10)).saturating_add(grace));
            eprintln!("calib-serving: lifetime over and connections still open: exiting");
            std::process::exit(3);
        });
    }
    match rt.block_on(serve(app, loader, a.port, interval, a.max_lifetime_secs.map(Duration::from_secs), timeouts)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("calib-serving: {e}");
            ExitCode::from(2)
        }
    }
}

async fn serve(
    app: Arc<App>,
    loader: Loader,
    port: u16,
    interval: Option<Duration>,
    lifetime: Option<Duration>,
    timeouts: Timeouts,
) -> std::io::Result<()> {
    // Loopback only: this example is never reachable from another machine.
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
    let addr = listener.local_addr()?;
    println!("calib-serving listening on http://{addr}");
    std::io::stdout().flush()?;
    let reloading = calib_serving::reload::run(app.clone(), loader, interval);
    let reloader = tokio::spawn(async move {
        if let Err(e) = reloading.await {
            eprintln!("calib-serving: hot reload stopped: {e}; the current calibrators keep serving");
        }
    });
    let shutdown = async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (mut term, mut int) = match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(t), Ok(i)) => (t, i),
            _ => return,
        };
        let stop_at = async {
            match lifetime {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = term.recv() => eprintln!("calib-serving: SIGTERM: stopping"),
            _ = int.recv() => eprintln!("calib-serving: SIGINT: stopping"),
            _ = stop_at => eprintln!("calib-serving: lifetime over: stopping"),
        }
    };
    let stopped = calib_serving::server::serve(listener, router(app.clone()), timeouts, shutdown).await;
    reloader.abort();
    if stopped.cut > 0 {
        eprintln!(
            "calib-serving: {} connection(s) still open after the {} ms shutdown grace: closed",
            stopped.cut,
            timeouts.shutdown_grace.as_millis()
        );
    }
    let (ok, failed) = app.metrics.requests();
    eprintln!("calib-serving: stopped after {ok} ok and {failed} failed requests");
    Ok(())
}

/// The rollout config as `calib rollout` reads it (JSON or TOML by
/// [`calib_core::rollout::config_is_json`]); refused when its plan is (it
/// could never trip or never publish).
fn read_rollout_config(path: &std::path::Path) -> Result<calib_core::rollout::Config, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let json = calib_core::rollout::config_is_json(path.extension().and_then(|e| e.to_str()), &text);
    let config: calib_core::rollout::Config = if json {
        serde_json::from_str(&text).map_err(|e| format!("not a rollout config: {e}"))?
    } else {
        toml::from_str(&text).map_err(|e| format!("not a rollout config: {}", e.message()))?
    };
    match config.plan().map_err(|e| e.to_string())?.refusal() {
        None => Ok(config),
        Some(why) => Err(why),
    }
}
