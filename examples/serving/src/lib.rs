//! # calib-serving
//!
//! An example HTTP service that links calib-core and serves calibrators the
//! way calib means them to be served: only through verified manifests, by
//! rollout stage, watched by the drift monitor, and swapped without a
//! failed request.
//!
//! - **Loading** ([`load`]): the incumbent's manifest and model, and
//!   optionally the candidate's with the rollout state and the bucketing
//!   salt. Each manifest goes through `Calibrator::from_manifest` (signature,
//!   core fingerprint, expiry, gate report, rollback against the role's
//!   trust state, model digest). Any refusal stops the start-up with the
//!   reason and its code.
//! - **`POST /calibrate`** ([`http`]) `{"key": "repo:42", "class": "news",
//!   "scores": [...], "labels": [...]?}` → `{"calibrator": "candidate",
//!   "version": 2, "model_sha256": …, "stage": "25", "probabilities": [...]}`.
//!   The candidate serves the keys whose bucket is included at the current
//!   stage (`calib_core::bucket::included(salt, key, percent)`), the
//!   incumbent the rest (see expiry below). Labels, when a request carries
//!   them, feed the calibrator's drift monitor ([`drift`]).
//! - **`GET /metrics`**: Prometheus text — request latency histogram,
//!   requests, served scores and their clamp rate per calibrator, the
//!   rollout stage, the loaded manifests, reloads ([`metrics`]), and each
//!   calibrator's drift window (calib-core's `monitor` exposition of
//!   both windows, each family once: [`drift`]).
//! - **`GET /healthz`**: status, generation, stage, loaded calibrators
//!   (with their expiry), reloads.
//! - **Expiry while serving**: each request is routed by calib-core's
//!   `rollout::route`, which enforces each manifest's expiry at the time of
//!   the request: an expired candidate's keys fall back to the incumbent,
//!   an expired incumbent's are refused (503 `manifest_expired`; `/healthz`
//!   503 `expired`).
//! - **Hot reload** ([`reload`]): on SIGHUP or when a watched file changes,
//!   a new [`load::Snapshot`] is built and swapped in with `arc-swap`.
//!   A request loads the snapshot once and finishes on it; a reload that
//!   does not verify is refused whole, and the old snapshot keeps serving.
//!
//! - **Slow clients** ([`server`]): headers must arrive within
//!   `--header-timeout-ms`, a body within `--body-timeout-ms`, and a stop
//!   (SIGTERM, SIGINT, the lifetime) waits at most `--shutdown-grace-ms`
//!   for open connections.
//!
//! - **Live canary** ([`canary`]): with `--rollout-config` and a
//!   candidate, every request is scored by both calibrators and held in
//!   its window (calib-core's `rollout::LiveWindow`) with a `request_id`;
//!   `POST /feedback` attaches late labels; each window is judged after its
//!   label delay into a `rollout::WindowReport`, shown on `GET /canary`
//!   and `/metrics`.
//!
//! The service binds 127.0.0.1 only.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod canary;
pub mod drift;
pub mod http;
pub mod load;
pub mod metrics;
pub mod prometheus;
pub mod reload;
pub mod server;
