//! The HTTP API: `POST /calibrate`, `POST /feedback`, `GET /canary`,
//! `GET /metrics`, `GET /healthz` (and, with a manual canary clock,
//! `POST /canary/clock`).

use crate::canary::{Canary, Clock, FeedbackRefusal, Held};
use crate::drift::Drift;
use crate::load::{Role, Snapshot};
use crate::metrics::{BodyRefusal, Metrics, Outcome};
use arc_swap::ArcSwap;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use calib_core::map::ApplyStats;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Most scores one request may carry.
pub const MAX_SCORES: usize = 10_000;

/// Longest body `POST /calibrate` reads, in bytes (2 MiB: [`MAX_SCORES`]
/// scores and labels at their longest JSON spelling fit well within it).
/// A longer `Content-Length` is refused before a byte of the body is read
/// (and before `100 Continue`); a chunked body is cut off when it passes it.
pub const MAX_BODY_BYTES: usize = 2 << 20;

/// What the handlers share.
#[derive(Debug)]
pub struct App {
    /// The snapshot being served; a reload stores a new one. A request
    /// loads it once and finishes on it, whatever is stored meanwhile.
    pub snapshot: ArcSwap<Snapshot>,
    /// The service's counters.
    pub metrics: Metrics,
    /// The calibrators' drift monitors.
    pub drift: Drift,
    /// The last refused reload's reason, until a reload succeeds.
    pub last_refusal: Mutex<Option<String>>,
    /// Longest wait for a request's whole body (`--body-timeout-ms`).
    pub body_timeout: Duration,
    /// The live canary's windows (`--rollout-config` with a candidate).
    pub canary: Option<Canary>,
}

/// `POST /calibrate`'s body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrateRequest {
    /// The stable id that routes the request (a repository id).
    pub key: String,
    /// The query class (the global map when absent or unknown).
    #[serde(default)]
    pub class: Option<String>,
    /// Raw scores.
    pub scores: Vec<f64>,
    /// Labels of the scores, when known: they feed the drift monitor.
    #[serde(default)]
    pub labels: Option<Vec<f64>>,
}

/// `POST /calibrate`'s answer.
#[derive(Debug, Serialize)]
pub struct CalibrateResponse<'a> {
    /// `"incumbent"` or `"candidate"`.
    pub calibrator: &'static str,
    /// Its manifest's version.
    pub version: u64,
    /// Its model's digest.
    pub model_sha256: &'a str,
    /// The rollout phase the request was routed under.
    pub stage: String,
    /// One probability per score, in order.
    pub probabilities: Vec<f64>,
    /// The id `POST /feedback` attaches late labels by: present when the
    /// live canary holds the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// `POST /feedback`'s body: the labels of an earlier request's scores.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    /// The `request_id` `POST /calibrate` answered with.
    pub request_id: String,
    /// One label in [0, 1] per score of that request, in order.
    pub labels: Vec<f64>,
}

/// The calibrator that answered, for the latency middleware.
#[derive(Debug, Clone, Copy)]
struct AnsweredBy(Role);

/// The server-side span of an answered request: from the whole body's
/// arrival to the encoded answer, for the latency histogram.
#[derive(Debug, Clone, Copy)]
struct ServedIn(Duration);

/// A body refused unread, for the middleware's count.
#[derive(Debug, Clone, Copy)]
struct RefusedBody(BodyRefusal);

fn error(status: StatusCode, code: &str, message: impl std::fmt::Display) -> Response {
    let body = serde_json::json!({ "error": code, "message": message.to_string() });
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// The router over `app`.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/calibrate", post(calibrate))
        // The same limit the handler checks `Content-Length` against.
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .route_layer(middleware::from_fn_with_state(app.clone(), time_requests))
        .route("/feedback", post(feedback))
        .route("/canary", get(canary_status))
        .route("/canary/clock", post(set_clock))
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .with_state(app)
}

/// Counts every `/calibrate` answer, and times it by the span the handler
/// measured ([`ServedIn`]). The span starts when the whole body has
/// arrived, so a client's upload (slow or not) is not in the histogram the
/// rollout's latency gate reads; a body refused before it arrived has no
/// span and is only counted.
async fn time_requests(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let who = resp.extensions().get::<AnsweredBy>().map_or(Outcome::Unrouted, |a| Outcome::Role(a.0));
    if let Some(RefusedBody(why)) = resp.extensions().get::<RefusedBody>() {
        app.metrics.body_refused(*why);
    }
    let span = resp.extensions().get::<ServedIn>().map(|s| s.0);
    app.metrics.request(who, resp.status().is_success(), span);
    resp
}

/// The whole body, or the JSON refusal: a `Content-Length` above
/// [`MAX_BODY_BYTES`] is refused from the headers alone, so the body is
/// never polled and hyper never sends `100 Continue` for it; a body not all
/// there within `timeout` is refused with 408.
async fn read_body(req: Request, timeout: Duration) -> Result<Bytes, Response> {
    let refuse = |why: BodyRefusal, status: StatusCode, message: String| {
        let mut resp = error(status, why.code(), message);
        resp.extensions_mut().insert(RefusedBody(why));
        resp
    };
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if let Some(n) = declared
        && n > MAX_BODY_BYTES as u64
    {
        return Err(refuse(
            BodyRefusal::TooLarge,
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body declares {n} bytes; at most {MAX_BODY_BYTES} are read"),
        ));
    }
    let Ok(read) = tokio::time::timeout(timeout, Bytes::from_request(req, &())).await else {
        let message = format!("the body did not arrive within {} ms", timeout.as_millis());
        return Err(refuse(BodyRefusal::Timeout, StatusCode::REQUEST_TIMEOUT, message));
    };
    read.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            let message = format!("the body is longer than {MAX_BODY_BYTES} bytes");
            refuse(BodyRefusal::TooLarge, StatusCode::PAYLOAD_TOO_LARGE, message)
        } else {
            refuse(BodyRefusal::Broken, StatusCode::BAD_REQUEST, format!("cannot read the body: {}", e.body_text()))
        }
    })
}

async fn calibrate(State(app): State<Arc<App>>, req: Request) -> Response {
    let body = match read_body(req, app.body_timeout).await {
        Ok(b) => b,
        Err(refused) => return refused,
    };
    let arrived = Instant::now();
    let mut resp = answer(&app, &body);
    let span = arrived.elapsed();
    // The request path, shadow scoring and holding included, in its
    // window's histogram: the candidate's when it answered, its shadow's
    // otherwise.
    if let (Some(canary), Some(held), Some(AnsweredBy(role))) =
        (&app.canary, resp.extensions().get::<Held>(), resp.extensions().get::<AnsweredBy>())
    {
        canary.latency(held, span, *role == Role::Candidate);
    }
    resp.extensions_mut().insert(ServedIn(span));
    resp
}

/// Parses, routes, calibrates and encodes one request body.
fn answer(app: &App, body: &[u8]) -> Response {
    let req: CalibrateRequest = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, "bad_request", format_args!("not a calibrate request: {e}")),
    };
    if req.scores.len() > MAX_SCORES {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_scores",
            format_args!("{} scores; at most {MAX_SCORES} per request", req.scores.len()),
        );
    }
    if let Some(labels) = &req.labels
        && let Err(e) = crate::drift::check_labels(&req.scores, labels)
    {
        return error(StatusCode::BAD_REQUEST, "bad_labels", e.0);
    }
    // One load: the request finishes on this snapshot even if a reload
    // swaps another in meanwhile.
    let snapshot = app.snapshot.load();
    let now = time::OffsetDateTime::now_utc();
    let Some(served) = snapshot.route(&req.key, now) else {
        let m = snapshot.incumbent.predicate();
        let mut resp = error(
            StatusCode::SERVICE_UNAVAILABLE,
            "manifest_expired",
            format_args!(
                "the incumbent's manifest (version {}) expired at {}: no valid manifest vouches for a calibrator for this key",
                m.version, m.expires
            ),
        );
        resp.extensions_mut().insert(AnsweredBy(Role::Incumbent));
        return resp;
    };
    let mut probabilities = vec![0.0; req.scores.len()];
    let mut stats = ApplyStats::default();
    let class = req.class.as_deref();
    let applied = served.calibrator.apply_batch(class, &req.scores, &mut probabilities, &mut stats);
    let mut resp = match applied {
        Err(e) => error(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e),
        Ok(()) => {
            app.metrics.scores(served.role, stats.n, stats.out_of_range + stats.non_finite);
            let monitored = match &req.labels {
                Some(labels) => app.drift.observe(served, class, &req.scores, labels),
                None => Ok(()),
            };
            match monitored {
                // Labels were checked above: only the monitor itself can fail here.
                Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "monitor", e.0),
                Ok(()) => {
                    let held = app.canary.as_ref().and_then(|canary| {
                        let shadow = shadow(&snapshot, served.role, class, &req.scores)?;
                        canary.hold(&snapshot, served.role, &probabilities, &shadow, req.labels.as_deref())
                    });
                    let body = CalibrateResponse {
                        calibrator: served.role.name(),
                        version: served.version,
                        model_sha256: &served.model_sha256,
                        stage: snapshot.phase().to_string(),
                        probabilities,
                        request_id: held.as_ref().zip(app.canary.as_ref()).map(|(h, c)| c.request_id(h)),
                    };
                    let mut resp = axum::Json(body).into_response();
                    if let Some(h) = held {
                        resp.extensions_mut().insert(h);
                    }
                    resp
                }
            }
        }
    };
    resp.extensions_mut().insert(AnsweredBy(served.role));
    resp
}

/// The other calibrator's probabilities of the same scores (NaN for every
/// row when it refuses them); `None` without a candidate, when there is
/// nothing to compare.
fn shadow(snapshot: &Snapshot, answered: Role, class: Option<&str>, scores: &[f64]) -> Option<Vec<f64>> {
    let (candidate, _, _) = snapshot.candidate.as_ref()?;
    let other = match answered {
        Role::Candidate => &snapshot.incumbent,
        Role::Incumbent => candidate,
    };
    let mut out = vec![0.0; scores.len()];
    let mut stats = ApplyStats::default();
    if other.calibrator.apply_batch(class, scores, &mut out, &mut stats).is_err() {
        out.fill(f64::NAN);
    }
    Some(out)
}

fn canary_off() -> Response {
    error(StatusCode::NOT_FOUND, "canary_off", "the live canary is off: it needs --rollout-config and a candidate")
}

async fn feedback(State(app): State<Arc<App>>, req: Request) -> Response {
    let Some(canary) = &app.canary else { return canary_off() };
    let body = match read_body(req, app.body_timeout).await {
        Ok(b) => b,
        Err(refused) => return refused,
    };
    let req: FeedbackRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, "bad_request", format_args!("not a feedback request: {e}")),
    };
    match canary.feedback(&req.request_id, &req.labels) {
        Ok(start) => {
            axum::Json(serde_json::json!({ "request_id": req.request_id, "window_start_ms": start })).into_response()
        }
        Err((why, message)) => {
            let status = match why {
                FeedbackRefusal::Unknown => StatusCode::NOT_FOUND,
                FeedbackRefusal::Expired => StatusCode::GONE,
                FeedbackRefusal::AlreadyLabelled => StatusCode::CONFLICT,
                FeedbackRefusal::BadLabels => StatusCode::BAD_REQUEST,
            };
            error(status, why.code(), message)
        }
    }
}

async fn canary_status(State(app): State<Arc<App>>) -> Response {
    let Some(canary) = &app.canary else { return canary_off() };
    axum::Json(canary.status()).into_response()
}

/// `POST /canary/clock {"now_ms": N}`: moves the manual clock (tests).
async fn set_clock(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let Some(canary) = &app.canary else { return canary_off() };
    let Clock::Manual(clock) = canary.clock() else {
        return error(StatusCode::NOT_FOUND, "clock_not_manual", "the canary runs on the system clock");
    };
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct SetClock {
        now_ms: i64,
    }
    match serde_json::from_slice::<SetClock>(&body) {
        Ok(s) => {
            clock.store(s.now_ms, std::sync::atomic::Ordering::Relaxed);
            canary.tick();
            axum::Json(serde_json::json!({ "now_ms": s.now_ms })).into_response()
        }
        Err(e) => error(StatusCode::BAD_REQUEST, "bad_request", format_args!("not a clock request: {e}")),
    }
}

async fn metrics(State(app): State<Arc<App>>) -> Response {
    let snapshot = app.snapshot.load_full();
    let mut out = String::with_capacity(16 << 10);
    app.metrics.expose(&snapshot, &mut out);
    app.drift.expose(&snapshot, &mut out);
    if let Some(canary) = &app.canary {
        canary.expose(&mut out);
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], out).into_response()
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    let snapshot = app.snapshot.load_full();
    let (reloads_ok, reloads_refused) = app.metrics.reloads();
    let refusal = app.last_refusal.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let now = time::OffsetDateTime::now_utc();
    let calibrators: Vec<_> = snapshot
        .served()
        .map(|s| {
            serde_json::json!({
                "calibrator": s.role.name(), "version": s.version,
                "manifest_sha256": s.manifest_sha256, "model_sha256": s.model_sha256,
                "expires": s.predicate().expires, "expired": s.expired_at(now),
                "seconds_to_expiry": s.seconds_to_expiry(now),
            })
        })
        .collect();
    let (status, code) = health(&snapshot, now);
    let body = serde_json::json!({
        "status": status,
        "generation": snapshot.generation,
        "stage": snapshot.phase().to_string(),
        "calibrators": calibrators,
        "reloads_ok": reloads_ok,
        "reloads_refused": reloads_refused,
        "last_refusal": refusal,
    });
    (code, axum::Json(body)).into_response()
}

/// `/healthz`'s status under the expiry policy of `calib_core::rollout::route`:
/// `ok`; `degraded` (200) when the candidate's manifest has expired and its
/// keys fall back to the incumbent; `expired` (503) when the incumbent's has,
/// and its keys are refused.
fn health(snapshot: &Snapshot, now: time::OffsetDateTime) -> (&'static str, StatusCode) {
    if snapshot.incumbent.expired_at(now) {
        ("expired", StatusCode::SERVICE_UNAVAILABLE)
    } else if snapshot.candidate.as_ref().is_some_and(|(c, _, _)| c.expired_at(now)) {
        ("degraded", StatusCode::OK)
    } else {
        ("ok", StatusCode::OK)
    }
}
