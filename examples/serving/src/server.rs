//! Connections: the accept loop, the header read timeout, and a graceful
//! shutdown with a deadline.
//!
//! `axum::serve` sets no timer on its connections, so a client could take
//! as long as it liked over its headers, and a graceful shutdown waited
//! for every connection however slow. Here each connection is hyper's
//! HTTP/1 connection with tokio's timer:
//!
//! - **Headers** must arrive whole within [`Timeouts::header`] of the
//!   connection starting to wait for a request — which is also how long a
//!   kept-alive connection may sit idle between requests. Then hyper
//!   closes it.
//! - **Bodies** are read by the handler within [`Timeouts::body`]
//!   (`http::App::body_timeout`), or refused with 408 `body_timeout`.
//! - **Shutdown**: the listener closes, idle connections close at once,
//!   in-flight requests may finish, and after [`Timeouts::shutdown_grace`]
//!   whatever is still open is dropped. A stop never waits on a client.

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// The service's bounds on slow clients (the command-line defaults in
/// `--help`: 10 s, 30 s, 10 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Longest wait for a request's headers (and idle time between requests).
    pub header: Duration,
    /// Longest wait for a request's whole body, from the end of its headers.
    pub body: Duration,
    /// Longest wait for open connections after a stop is asked for.
    pub shutdown_grace: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            header: Duration::from_secs(10),
            body: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// How a serve ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// Connections still open when the grace period ran out, and dropped.
    pub cut: usize,
}

/// Serves `router` on `listener` until `stop` completes, then shuts down
/// within `timeouts.shutdown_grace`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    timeouts: Timeouts,
    stop: impl Future<Output = ()>,
) -> Stopped {
    let (stopping, stop_seen) = tokio::sync::watch::channel(false);
    let mut conns = JoinSet::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => break,
            // Reap finished connections so the set holds only open ones.
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: wait, then
                        // accept again, rather than spin or stop serving.
                        eprintln!("calib-serving: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let service = TowerToHyperService::new(router.clone());
                let mut stop_seen = stop_seen.clone();
                conns.spawn(async move {
                    let mut builder = http1::Builder::new();
                    builder.timer(TokioTimer::new()).header_read_timeout(timeouts.header);
                    let mut conn = std::pin::pin!(builder.serve_connection(TokioIo::new(stream), service));
                    tokio::select! {
                        _ = conn.as_mut() => return,
                        _ = stop_seen.changed() => conn.as_mut().graceful_shutdown(),
                    }
                    let _ = conn.await;
                });
            }
        }
    }
    drop(listener);
    let _ = stopping.send(true);
    let drained =
        tokio::time::timeout(timeouts.shutdown_grace, async { while conns.join_next().await.is_some() {} }).await;
    let cut = if drained.is_ok() { 0 } else { conns.len() };
    conns.abort_all();
    Stopped { cut }
}
