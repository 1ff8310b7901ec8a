//! Seeded synthetic data: the built-in demo data set of `calib demo`.
//!
//! A ranker over three query classes whose scores are miscalibrated in three
//! different ways (one over-confident, one under-confident, one shifted), so
//! that a per-class calibrator has something real to fix. The same seed
//! gives the same rows in every runtime.

use crate::rng::SeededRng;
use alloc::vec::Vec;

/// The demo's query classes.
pub const DEMO_CLASSES: [&str; 3] = ["navigational", "informational", "transactional"];

/// Rows of (query, class, score, label), split into train and holdout.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Query id of each row (20 items per query).
    pub query_id: Vec<u64>,
    /// Class index into [`DEMO_CLASSES`].
    pub class: Vec<u8>,
    /// The ranker's raw score, in (0, 1).
    pub score: Vec<f64>,
    /// 1 if relevant.
    pub label: Vec<f64>,
    /// Whether the row belongs to the training split (else the holdout).
    pub train: Vec<bool>,
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + libm::exp(-z))
}

/// `n` demo rows from `seed`; queries alternate 7:3 between train and holdout.
pub fn demo_dataset(n: usize, seed: u64) -> Dataset {
    let mut rng = SeededRng::new(seed);
    // Per class: latent mean and spread, and the true map from the ranker's
    // logit z to the log-odds of relevance (slope, intercept).
    let spec = [
        (0.8, 1.6, 0.55, 0.9),  // navigational: scores too extreme, and too low
        (-0.6, 1.4, 1.8, -0.4), // informational: scores not extreme enough
        (-0.2, 1.2, 1.0, -1.1), // transactional: scores too high throughout
    ];
    let per_query = 20;
    let mut d = Dataset {
        query_id: Vec::with_capacity(n),
        class: Vec::with_capacity(n),
        score: Vec::with_capacity(n),
        label: Vec::with_capacity(n),
        train: Vec::with_capacity(n),
    };
    let mut c = 0usize;
    for i in 0..n {
        let q = (i / per_query) as u64;
        if i % per_query == 0 {
            c = match rng.index(10) {
                0..=3 => 0,
                4..=7 => 1,
                _ => 2,
            };
        }
        let (mu, sd, a, b) = spec[c];
        let z = mu + sd * rng.normal();
        let s = sigmoid(z);
        let y = rng.bernoulli(sigmoid(a * z + b));
        d.query_id.push(q);
        d.class.push(c as u8);
        d.score.push(s);
        d.label.push(y);
        d.train.push(q % 10 < 7);
    }
    d
}
