//! Evaluating the gates on a holdout (feature `gate`).
//!
//! Decisions the glossary leaves open, made here:
//! - **Recall@50** ranks each query's items by calibrated score, ties broken
//!   by input position; relevance is `label ≥ 0.5` ([`crate::recall`]).
//! - **AECE excess** is measured on the whole holdout and, separately, on
//!   every class with at least [`AeceSettings::class_min_samples`] rows
//!   (default 10 000, the governance minimum of ĉ); the gate's value is the
//!   largest excess among them. A smaller class is not judged on its own:
//!   ĉ would be too noisy to govern it, but its rows still count in the
//!   holdout-wide group. Each group's ĉ is bootstrapped from the
//!   candidate's own outputs on that group (B = 200 resamples, seed
//!   `0x00ca11b0`, K from the K policy, default fixed 15, by default); the
//!   holdout-wide group accepts any N the gate's `min_samples` lets through.
//! - **Median shift** is numpy's linear quantile at 0.5 of
//!   `|g_candidate(s) − g_incumbent(s)|` over every row, each row served by
//!   its class's map (or the global map).
//! - **p99 latency**: one sample per query — the wall time to apply the
//!   candidate to the query's first [`LATENCY_ITEMS`] items (in input
//!   order), after one untimed warm-up pass; the p99 is numpy's linear
//!   quantile at 0.99, in milliseconds.
//! - A gate whose measurement cannot be taken (the candidate refuses a
//!   holdout score, or gives NaN) is `Error` — even when it would also lack
//!   samples, because `Error` is the worse verdict. A holdout that is bad
//!   data (a label outside [0, 1], a NaN or infinite score) is not a
//!   verdict but an error naming the row ([`Holdout::validate`]).

#[cfg(feature = "std")]
use super::measure_latencies;
use super::{
    AeceDetail, AeceGroup, AeceSettings, GATE_REPORT_VERSION, GateConfig, GateKind, GateReport, GateResult, Holdout,
    Latencies, RecallDetail, Thresholds, Verdict,
};
use crate::binning::quantile_sorted;
use crate::canonical::model_digest;
use crate::error::{Error, Result};
use crate::fingerprint::core_fingerprint;
use crate::metrics;
use crate::model::Model;
use crate::recall::{QueryGroups, RECALL_K, recall_at_k};
use crate::tolerance::{BootstrapOptions, bootstrap_c_hat};
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// numpy's linear quantile `q` of `values` (`None` when empty, NaN when one
/// is NaN): how the latency and median-shift gates summarise their rows.
fn gate_quantile(mut values: Vec<f64>, q: f64) -> Option<f64> {
    values.sort_unstable_by(f64::total_cmp);
    if values.is_empty() {
        None
    } else if values.iter().any(|v| v.is_nan()) {
        Some(f64::NAN)
    } else {
        Some(quantile_sorted(&values, q))
    }
}

/// The p99-latency gate's measurement: the 0.99 quantile of the timings in
/// ms. The rollout's window measurements use it too.
pub(crate) fn p99_ms(ms: &[f64]) -> Option<f64> {
    gate_quantile(ms.to_vec(), 0.99)
}

/// The median-shift gate's measurement: the median of `|candidate −
/// incumbent|` row by row. The rollout's window measurements use it too.
pub(crate) fn median_shift(candidate: &[f64], incumbent: &[f64]) -> Option<f64> {
    gate_quantile(candidate.iter().zip(incumbent).map(|(a, b)| (a - b).abs()).collect(), 0.5)
}

fn judged(th: &Thresholds, gate: GateKind, value: Option<f64>, samples: u64, note: Option<String>) -> GateResult {
    let t = th.get(gate);
    let verdict = th.judge(gate, value, samples);
    let note = note.or_else(|| match verdict {
        Verdict::NoData => Some(format!("{samples} samples, fewer than min_samples {}", t.min_samples)),
        Verdict::Error => Some("the measurement is NaN".to_string()),
        _ => None,
    });
    GateResult { gate, verdict, value, threshold: t.threshold, min_samples: t.min_samples, samples, note }
}

fn failed(th: &Thresholds, gate: GateKind, samples: u64, note: String) -> GateResult {
    let t = th.get(gate);
    GateResult {
        gate,
        verdict: Verdict::Error,
        value: None,
        threshold: t.threshold,
        min_samples: t.min_samples,
        samples,
        note: Some(note),
    }
}

fn aece_group(probs: &[f64], labels: &[f64], s: &AeceSettings) -> Result<AeceGroup> {
    let n = probs.len();
    let k = s.bins.bins(n);
    let aece = metrics::aece(probs, labels, None, k)?;
    let opts = BootstrapOptions { resamples: s.resamples, bins: k, seed: s.seed, min_samples: 2 };
    let (c_hat, _) = bootstrap_c_hat(probs, &opts)?;
    let tau = metrics::tau(n as u64, k, c_hat);
    Ok(AeceGroup { n: n as u64, bins: k, aece, c_hat, tau, excess: (aece - tau).max(0.0) })
}

fn aece_detail<C: AsRef<str>>(
    probs: &[f64],
    labels: &[f64],
    classes: Option<&[C]>,
    s: &AeceSettings,
) -> Result<AeceDetail> {
    let overall = aece_group(probs, labels, s)?;
    let mut by_class: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, c) in classes.into_iter().flatten().enumerate() {
        by_class.entry(c.as_ref()).or_default().push(i);
    }
    let mut out = BTreeMap::new();
    for (name, rows) in by_class {
        if rows.len() < s.class_min_samples {
            continue;
        }
        let p: Vec<f64> = rows.iter().map(|&i| probs[i]).collect();
        let y: Vec<f64> = rows.iter().map(|&i| labels[i]).collect();
        out.insert(name.to_string(), aece_group(&p, &y, s)?);
    }
    Ok(AeceDetail { overall, classes: out })
}

/// Evaluates the four gates of `candidate` against `incumbent` on a
/// holdout. `latencies` are the candidate's per-query timings (see
/// `measure_latencies`, with `std`). Fails only on malformed input
/// (lengths, labels); a measurement that cannot be taken is a gate
/// with verdict `Error`.
pub fn evaluate_gates<Q: AsRef<str>, C: AsRef<str>>(
    candidate: &Model,
    incumbent: &Model,
    holdout: &Holdout<'_, Q, C>,
    config: &GateConfig,
    latencies: Latencies<'_>,
) -> Result<GateReport> {
    holdout.validate()?;
    let th = &config.thresholds;
    let n = holdout.scores.len() as u64;
    let groups = QueryGroups::new(holdout.query_ids);
    let cand = holdout.apply(candidate);
    let inc = holdout.apply(incumbent);
    let cannot = |who: &str, e: &Error| format!("the {who} cannot be applied to the holdout: {e}");
    let mut gates = Vec::with_capacity(4);

    gates.push(match latencies {
        Latencies::Failed(e) => failed(th, GateKind::P99Latency, 0, cannot("candidate", &e)),
        Latencies::Missing => {
            let note = Some("no timings were taken (latency is measured only with std)".to_string());
            judged(th, GateKind::P99Latency, None, 0, note)
        }
        Latencies::Measured(ms) => judged(th, GateKind::P99Latency, p99_ms(ms), ms.len() as u64, None),
    });

    let mut aece = None;
    gates.push(match &cand {
        Err(e) => failed(th, GateKind::AeceExcess, n, cannot("candidate", e)),
        Ok(_) if n < th.aece_excess.min_samples => judged(th, GateKind::AeceExcess, None, n, None),
        Ok(p) => match aece_detail(p, holdout.labels, holdout.classes, &config.aece) {
            Err(e) => failed(th, GateKind::AeceExcess, n, format!("AECE cannot be measured: {e}")),
            Ok(d) => {
                let worst = d.classes.values().map(|g| g.excess).fold(d.overall.excess, f64::max);
                aece = Some(d);
                judged(th, GateKind::AeceExcess, Some(worst), n, None)
            }
        },
    });

    gates.push(match (&cand, &inc) {
        (Err(e), _) => failed(th, GateKind::MedianShift, n, cannot("candidate", e)),
        (_, Err(e)) => failed(th, GateKind::MedianShift, n, cannot("incumbent", e)),
        (Ok(c), Ok(i)) => judged(th, GateKind::MedianShift, median_shift(c, i), n, None),
    });

    let mut recall = None;
    gates.push(match (&cand, &inc) {
        (Err(e), _) => failed(th, GateKind::RecallAt50, 0, cannot("candidate", e)),
        (_, Err(e)) => failed(th, GateKind::RecallAt50, 0, cannot("incumbent", e)),
        (Ok(c), Ok(i)) => {
            match (recall_at_k(&groups, c, holdout.labels, RECALL_K), recall_at_k(&groups, i, holdout.labels, RECALL_K))
            {
                (Err(e), _) | (_, Err(e)) => {
                    failed(th, GateKind::RecallAt50, 0, format!("Recall@50 cannot be measured: {e}"))
                }
                (Ok(rc), Ok(ri)) => {
                    let delta = match (rc.mean, ri.mean) {
                        (Some(a), Some(b)) => {
                            recall = Some(RecallDetail { candidate: a, incumbent: b, queries: rc.queries });
                            Some(a - b)
                        }
                        _ => None,
                    };
                    judged(th, GateKind::RecallAt50, delta, rc.queries, None)
                }
            }
        }
    });

    Ok(GateReport {
        report_version: GATE_REPORT_VERSION,
        verdict: Verdict::worst(gates.iter().map(|g| g.verdict)),
        gates,
        rows: n,
        queries: groups.len() as u64,
        candidate_sha256: model_digest(candidate),
        incumbent_sha256: model_digest(incumbent),
        core_fingerprint: core_fingerprint(),
        config: *config,
        aece,
        recall,
    })
}

/// [`evaluate_gates`] with the candidate timed in-process by
/// [`measure_latencies`].
#[cfg(feature = "std")]
pub fn evaluate_holdout<Q: AsRef<str>, C: AsRef<str>>(
    candidate: &Model,
    incumbent: &Model,
    holdout: &Holdout<'_, Q, C>,
    config: &GateConfig,
) -> Result<GateReport> {
    holdout.validate()?;
    match measure_latencies(candidate, holdout) {
        Ok(ms) => evaluate_gates(candidate, incumbent, holdout, config, Latencies::Measured(&ms)),
        Err(e) => evaluate_gates(candidate, incumbent, holdout, config, Latencies::Failed(e)),
    }
}
