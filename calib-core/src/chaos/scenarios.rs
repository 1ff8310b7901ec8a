//! The scenarios. Each is one function over a [`Lab`] and one entry of
//! [`SCENARIOS`] stating what must happen.

use super::world::{sigmoid, truth};
use super::{Batch, Expected, Lab, RolloutOutcome};
use crate::error::Result;
use crate::monitor::{AlertRule, Severity};
use alloc::format;

use AlertRule::{AeceDrift, ClampRate, MergedBins};
use RolloutOutcome::{Advance, Hold, Revert};
use Severity::Fail;

/// One scenario: a name, what it does, its expected outcome and the function
/// that plays it.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// Short name (`nan_storm`).
    pub name: &'static str,
    /// One line on what it does.
    pub description: &'static str,
    /// What must happen.
    pub expected: Expected,
    /// Plays the scenario's windows on the lab.
    pub run: fn(&mut Lab<'_>) -> Result<()>,
}

/// Every scenario of `calib chaos`, in the order they run.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "control",
        description: "healthy traffic: no alert fires and the rollout advances (the harness can tell)",
        expected: Expected { alerts: &[], rollout: Advance, refused: 0 },
        run: control,
    },
    Scenario {
        name: "nan_storm",
        description: "25 % of scores are NaN, +inf or -inf: the candidate refuses them",
        expected: Expected { alerts: &[(ClampRate, Fail)], rollout: Hold, refused: 0 },
        run: nan_storm,
    },
    Scenario {
        name: "plateau_99",
        description: "99 % of scores are one repeated value: the equal-mass bins collapse",
        expected: Expected { alerts: &[(MergedBins, Fail)], rollout: Hold, refused: 0 },
        run: plateau,
    },
    Scenario {
        name: "breakpoint_pile",
        description: "every score sits exactly on a breakpoint of g (its two ends and one inside)",
        expected: Expected { alerts: &[(MergedBins, Fail)], rollout: Hold, refused: 0 },
        run: breakpoint_pile,
    },
    Scenario {
        name: "out_of_range",
        description: "40 % of scores fall outside the fitted range and are clipped to its end values",
        expected: Expected { alerts: &[(ClampRate, Fail), (MergedBins, Fail)], rollout: Hold, refused: 0 },
        run: out_of_range,
    },
    Scenario {
        name: "bimodal_shift",
        description: "scores split into two modes where the true relevance no longer follows g",
        expected: Expected { alerts: &[(AeceDrift, Fail)], rollout: Revert, refused: 0 },
        run: bimodal_shift,
    },
    Scenario {
        name: "label_flip_drift",
        description: "a growing share of labels (10, 25, 40 %) is flipped",
        expected: Expected { alerts: &[(AeceDrift, Fail)], rollout: Revert, refused: 0 },
        run: label_flip_drift,
    },
    Scenario {
        name: "empty_and_missing_windows",
        description: "windows with no rows, and windows that never arrive",
        expected: Expected { alerts: &[], rollout: Hold, refused: 0 },
        run: empty_and_missing,
    },
    Scenario {
        name: "clock_skew",
        description: "a window whose clock runs 5 minutes behind, then one decided before it ends",
        expected: Expected { alerts: &[], rollout: Hold, refused: 2 },
        run: clock_skew,
    },
    Scenario {
        name: "duplicated_windows",
        description: "a passing window delivered twice: counted once (a second pass would advance)",
        expected: Expected { alerts: &[], rollout: Hold, refused: 1 },
        run: duplicated,
    },
];

const N: usize = super::WINDOW_ROWS;

fn control(lab: &mut Lab<'_>) -> Result<()> {
    for _ in 0..2 {
        let b = lab.healthy(N);
        lab.window(&b)?;
    }
    Ok(())
}

fn nan_storm(lab: &mut Lab<'_>) -> Result<()> {
    for _ in 0..2 {
        let mut b = lab.healthy(N);
        let mut injected = 0u64;
        for i in 0..N {
            if lab.rng.uniform() < 0.25 {
                b.scores[i] = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY][injected as usize % 3];
                injected += 1;
            }
        }
        let m = lab.window(&b)?;
        let s = m.summary;
        lab.check(s.non_finite == injected && s.refused == injected, || {
            format!(
                "{injected} non-finite scores injected; the monitor counted {} and refused {}",
                s.non_finite, s.refused
            )
        });
    }
    Ok(())
}

fn plateau(lab: &mut Lab<'_>) -> Result<()> {
    let z0 = 0.3;
    for _ in 0..2 {
        let mut b = lab.healthy(N);
        for i in 0..N {
            if lab.rng.uniform() < 0.99 {
                b.scores[i] = sigmoid(z0);
                b.labels[i] = lab.rng.bernoulli(truth(z0));
            }
        }
        let m = lab.window(&b)?;
        let s = m.summary;
        // Only the 1 % of healthy rows can fall outside the strict map's range.
        lab.check(s.clamp_rate <= 0.01, || format!("a plateau inside the range clamped {}", s.clamp_rate));
    }
    Ok(())
}

fn breakpoint_pile(lab: &mut Lab<'_>) -> Result<()> {
    let map = lab.world().candidate.global_map();
    let (xs, ys) = (map.xs(), map.ys());
    let m = xs.len();
    for _ in 0..2 {
        let inner = 1 + lab.rng.index(m.saturating_sub(2).max(1));
        let picks = [0, inner.min(m - 1), m - 1];
        let mut b = Batch::default();
        let mut want = alloc::vec::Vec::with_capacity(N);
        for _ in 0..N {
            let j = picks[lab.rng.index(3)];
            b.scores.push(xs[j]);
            b.labels.push(lab.rng.bernoulli(ys[j]));
            b.latent.push(0.0);
            want.push(ys[j]);
        }
        let r = lab.window(&b)?;
        let exact = r.outputs.iter().zip(&want).all(|(p, y)| p.is_some_and(|p| p.to_bits() == y.to_bits()));
        lab.check(exact, || "a score on a breakpoint x_j did not give exactly y_j".into());
        let s = r.summary;
        lab.check(s.clamp_rate == 0.0, || format!("scores on the range's ends counted as clamped ({})", s.clamp_rate));
    }
    Ok(())
}

fn out_of_range(lab: &mut Lab<'_>) -> Result<()> {
    let map = lab.world().candidate.global_map();
    let (lo, hi) = (map.xs()[0], map.xs()[map.xs().len() - 1]);
    let (y_lo, y_hi) = (map.ys()[0], map.ys()[map.ys().len() - 1]);
    for _ in 0..2 {
        let mut b = lab.healthy(N);
        let mut moved = alloc::vec::Vec::new();
        for i in 0..N {
            if lab.rng.uniform() < 0.4 {
                let above = lab.rng.bernoulli(0.5) == 1.0;
                let d = 0.5 + lab.rng.uniform();
                b.scores[i] = if above { hi + d } else { lo - d };
                moved.push((i, if above { y_hi } else { y_lo }));
            }
        }
        let r = lab.window(&b)?;
        let ends = moved.iter().all(|&(i, y)| r.outputs[i] == Some(y));
        lab.check(ends, || "a clipped score did not get the map's end value".into());
        let s = r.summary;
        // The healthy rows add their own few clamped scores (about 0.2 %).
        lab.check(s.out_of_range >= moved.len() as u64, || {
            format!("{} scores moved out of range; only {} counted", moved.len(), s.out_of_range)
        });
    }
    Ok(())
}

fn bimodal_shift(lab: &mut Lab<'_>) -> Result<()> {
    for _ in 0..2 {
        let mut b = Batch::default();
        for _ in 0..N {
            let mode = if lab.rng.bernoulli(0.5) == 1.0 { 1.6 } else { -1.6 };
            let z = mode + 0.4 * lab.rng.normal();
            b.scores.push(sigmoid(z));
            // The relationship moved: relevance is pulled towards 1/2.
            b.labels.push(lab.rng.bernoulli(0.5 + 0.4 * (truth(z) - 0.5)));
            b.latent.push(z);
        }
        lab.window(&b)?;
    }
    Ok(())
}

fn label_flip_drift(lab: &mut Lab<'_>) -> Result<()> {
    for flip in [0.10, 0.25, 0.40] {
        let mut b = lab.healthy(N);
        for y in b.labels.iter_mut() {
            if lab.rng.uniform() < flip {
                *y = 1.0 - *y;
            }
        }
        lab.window(&b)?;
    }
    Ok(())
}

fn empty_and_missing(lab: &mut Lab<'_>) -> Result<()> {
    for i in 0..3 {
        let m = lab.window(&Batch::default())?;
        let s = m.summary;
        let none = s.aece.is_none() && s.brier.is_none() && s.positive_rate.is_none() && s.clamp_rate == 0.0;
        lab.check(none, || "an empty window reported measurements".into());
        if i < 2 {
            lab.missing();
        }
    }
    Ok(())
}

fn clock_skew(lab: &mut Lab<'_>) -> Result<()> {
    let b = lab.healthy(N);
    lab.skewed(&b, 5 * 60_000)?;
    let b = lab.healthy(N);
    lab.future(&b)?;
    let b = lab.healthy(N);
    lab.window(&b)?;
    Ok(())
}

fn duplicated(lab: &mut Lab<'_>) -> Result<()> {
    let b = lab.healthy(N);
    let first = lab.window(&b)?;
    lab.duplicate();
    let again = lab.measure(&b)?;
    lab.check(first.summary == again.summary && first.outputs == again.outputs, || {
        "the same window measured twice gave different results".into()
    });
    Ok(())
}
