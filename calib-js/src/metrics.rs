//! The metric functions: each converts its arguments and calls the
//! calib-core function of the same name, with K defaulting to
//! [`DEFAULT_BINS`].

use crate::arg::{Arg, Floats, count, count_usize, floats, number, opt_count_usize, opt_floats, opt_string};
use crate::error::{Error, Result};
use calib_core::binning::{BinStrategy, DEFAULT_BINS};
use calib_core::metrics::{self, Metrics, ReliabilityBin};

/// The arguments every metric takes, converted in the order the API lists them.
struct Input<'a> {
    probs: Floats<'a>,
    labels: Floats<'a>,
    weights: Option<Floats<'a>>,
}

impl<'a> Input<'a> {
    fn new(probs: Arg<Floats<'a>>, labels: Arg<Floats<'a>>, weights: Option<Arg<Floats<'a>>>) -> Result<Input<'a>> {
        Ok(Input {
            probs: floats("probs", probs)?,
            labels: floats("labels", labels)?,
            weights: opt_floats("weights", weights)?,
        })
    }
}

/// The metrics over K bins, each `(probs, labels, bins?, weights?)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binned {
    /// `ece`: expected calibration error over equal-width bins.
    Ece,
    /// `aece`: adaptive ECE over equal-mass bins.
    Aece,
    /// `mce`: maximum calibration error over the non-empty equal-width bins.
    Mce,
    /// `dece`: debiased L2 calibration error over equal-mass bins.
    Dece,
}

/// The binned metric `metric` (`ece`, `aece`, `mce` or `dece`) of its arguments.
pub fn binned(
    metric: Binned,
    probs: Arg<Floats<'_>>,
    labels: Arg<Floats<'_>>,
    bins: Option<Arg<f64>>,
    weights: Option<Arg<Floats<'_>>>,
) -> Result<f64> {
    let i = Input::new(probs, labels, weights)?;
    let k = opt_count_usize("bins", bins, DEFAULT_BINS)?;
    let f = match metric {
        Binned::Ece => metrics::ece,
        Binned::Aece => metrics::aece,
        Binned::Mce => metrics::mce,
        Binned::Dece => metrics::dece,
    };
    Ok(f(&i.probs, &i.labels, i.weights.as_deref(), k)?)
}

/// `brier(probs, labels, weights?)`: the Brier score.
pub fn brier(probs: Arg<Floats<'_>>, labels: Arg<Floats<'_>>, weights: Option<Arg<Floats<'_>>>) -> Result<f64> {
    let i = Input::new(probs, labels, weights)?;
    Ok(metrics::brier(&i.probs, &i.labels, i.weights.as_deref())?)
}

/// `logLoss(probs, labels, weights?)`: the log-loss.
pub fn log_loss(probs: Arg<Floats<'_>>, labels: Arg<Floats<'_>>, weights: Option<Arg<Floats<'_>>>) -> Result<f64> {
    let i = Input::new(probs, labels, weights)?;
    Ok(metrics::log_loss(&i.probs, &i.labels, i.weights.as_deref())?)
}

/// `evaluate(probs, labels, bins?, weights?)`: every metric with one K.
pub fn evaluate(
    probs: Arg<Floats<'_>>,
    labels: Arg<Floats<'_>>,
    bins: Option<Arg<f64>>,
    weights: Option<Arg<Floats<'_>>>,
) -> Result<Metrics> {
    let i = Input::new(probs, labels, weights)?;
    let k = opt_count_usize("bins", bins, DEFAULT_BINS)?;
    Ok(metrics::evaluate(&i.probs, &i.labels, i.weights.as_deref(), k)?)
}

/// The JavaScript name of a bin strategy (`reliabilityBins`'s `strategy`):
/// `"equal_width"` (the default) or `"equal_mass"`.
pub fn bin_strategy(name: Option<&str>) -> Result<BinStrategy> {
    match name {
        None | Some("equal_width") => Ok(BinStrategy::EqualWidth),
        Some("equal_mass") => Ok(BinStrategy::EqualMass),
        Some(other) => {
            Err(Error::invalid_argument(format!("strategy must be \"equal_width\" or \"equal_mass\", got {other:?}")))
        }
    }
}

/// `reliabilityBins(probs, labels, bins?, strategy?, weights?)`: the
/// non-empty bins of a reliability diagram.
pub fn reliability_bins(
    probs: Arg<Floats<'_>>,
    labels: Arg<Floats<'_>>,
    bins: Option<Arg<f64>>,
    strategy: Option<Arg<String>>,
    weights: Option<Arg<Floats<'_>>>,
) -> Result<Vec<ReliabilityBin>> {
    let i = Input::new(probs, labels, weights)?;
    let k = opt_count_usize("bins", bins, DEFAULT_BINS)?;
    let strategy = bin_strategy(opt_string("strategy", strategy)?.as_deref())?;
    Ok(metrics::reliability_bins(&i.probs, &i.labels, i.weights.as_deref(), k, strategy)?)
}

/// `tau(n, k, cHat)`: the AECE tolerance `max(0.015, ĉ·√(K/N))`.
pub fn tau(n: Arg<f64>, k: Arg<f64>, c_hat: Arg<f64>) -> Result<f64> {
    let n = count("n", n)?;
    let k = count_usize("k", k)?;
    let c_hat = number("cHat", c_hat)?;
    Ok(metrics::tau(n, k, c_hat))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bin_strategy_names() {
        assert_eq!(bin_strategy(None), Ok(BinStrategy::EqualWidth));
        assert_eq!(bin_strategy(Some("equal_width")), Ok(BinStrategy::EqualWidth));
        assert_eq!(bin_strategy(Some("equal_mass")), Ok(BinStrategy::EqualMass));
        let e = bin_strategy(Some("quantile")).unwrap_err();
        assert_eq!(e.message(), "strategy must be \"equal_width\" or \"equal_mass\", got \"quantile\"");
    }
}
