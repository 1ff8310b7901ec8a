//! Hot reload: on SIGHUP, or when a watched file changes, load a new
//! snapshot and swap it in atomically.
//!
//! The watch polls each file's size and modification time (every
//! `interval`; no platform watcher to depend on). The stamps are taken
//! *before* the files are read, so a file written during a load is seen
//! again on the next poll. Files should still be replaced atomically
//! (written beside, then renamed): a half-written manifest is refused like
//! any other bad one, and the old snapshot keeps serving until the whole
//! set verifies.

use crate::http::App;
use crate::load::Loader;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

type Stamp = Option<(u64, SystemTime)>;

fn stamps(files: &[PathBuf]) -> Vec<Stamp> {
    files.iter().map(|f| std::fs::metadata(f).ok().and_then(|m| Some((m.len(), m.modified().ok()?)))).collect()
}

/// Loads a snapshot and swaps it in, or keeps the old one and says why.
/// Returns whether the new snapshot is serving.
pub fn reload(app: &App, loader: &mut Loader, why: &str) -> bool {
    match loader.load() {
        Ok(snapshot) => {
            let g = snapshot.generation;
            let versions: Vec<String> =
                snapshot.served().map(|s| format!("{} v{}", s.role.name(), s.version)).collect();
            eprintln!(
                "calib-serving: reloaded ({why}): generation {g}, {}, stage {}",
                versions.join(", "),
                snapshot.phase()
            );
            app.snapshot.store(Arc::new(snapshot));
            app.metrics.reload(true);
            *app.last_refusal.lock().unwrap_or_else(|e| e.into_inner()) = None;
            true
        }
        Err(e) => {
            eprintln!("calib-serving: reload refused ({why}): {e}; the previous calibrators keep serving");
            app.metrics.reload(false);
            *app.last_refusal.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.to_string());
            false
        }
    }
}

/// Reloads on SIGHUP and, with an `interval`, when a watched file changes.
/// Runs until the process ends.
pub async fn run(app: Arc<App>, loader: Loader, interval: Option<Duration>) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hup = signal(SignalKind::hangup())?;
    let files = loader.sources().files();
    let mut seen = stamps(&files);
    let mut loader = Some(loader);
    loop {
        let why = tokio::select! {
            _ = hup.recv() => "SIGHUP",
            _ = tick(interval) => {
                if stamps(&files) == seen { continue; }
                "file change"
            }
        };
        seen = stamps(&files);
        // Files are read and verified off the async workers.
        let (app2, mut l) = (app.clone(), loader.take().expect("the loader is returned after each reload"));
        let l = tokio::task::spawn_blocking(move || {
            reload(&app2, &mut l, why);
            l
        })
        .await
        .map_err(std::io::Error::other)?;
        loader = Some(l);
    }
}

async fn tick(interval: Option<Duration>) {
    match interval {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}
