//! The Prometheus text exposition (format 0.0.4) of one window, or of
//! several windows told apart by their labels ([`write_prometheus_windows`]).
//!
//! Every family has a `# HELP` and a `# TYPE` line and a `calib_` name;
//! label values are escaped (`\\`, `\"`, `\n`) and help texts too (`\\`,
//! `\n`). Units follow Prometheus' naming advice: fractions are `_ratio`
//! in [0, 1] (so the merged-bin % is exposed divided by 100). A quantity the
//! window could not measure (no row got a probability) is left out, family
//! and all, rather than exposed as NaN, so `absent()` alerts can see it.
//!
//! | metric | type | meaning |
//! |---|---|---|
//! | `calib_window_scores` | gauge | scores observed |
//! | `calib_window_calibrated` | gauge | rows that got a probability |
//! | `calib_window_sampled` | gauge | rows of the equal-mass metrics |
//! | `calib_out_of_range_scores` / `calib_non_finite_scores` / `calib_refused_scores` | gauge | clamp counters |
//! | `calib_clamp_ratio` | gauge | the clamp rate |
//! | `calib_positive_ratio` | gauge | observed positive rate |
//! | `calib_mean_probability` | gauge | mean calibrated probability |
//! | `calib_brier` / `calib_aece` / `calib_dece` | gauge | the metrics |
//! | `calib_merged_bin_ratio` | gauge | merged-bin % / 100 |
//! | `calib_calibrated_probability` | histogram | calibrated probabilities (`le` = bin upper edges) |
//! | `calib_alert_firing` | gauge | 1 when `rule` fires with `severity`, else 0 |
//! | `calib_alert_no_data` | gauge | 1 when `rule` could not be judged |

use super::{Alert, AlertState, WindowSummary};
use crate::error::{Error, ErrorKind, Result};
use core::fmt::{self, Write};

/// Label names the exposition uses itself.
const RESERVED: [&str; 3] = ["le", "rule", "severity"];

fn check_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') && !name.starts_with("__")
}

struct Escaped<'a>(&'a str, bool);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '"' if self.1 => f.write_str("\\\"")?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

struct Value(f64);

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if v.is_nan() {
            f.write_str("NaN")
        } else if v.is_infinite() {
            f.write_str(if v > 0.0 { "+Inf" } else { "-Inf" })
        } else {
            // Shortest round-trip digits, which Prometheus parses exactly.
            write!(f, "{v}")
        }
    }
}

struct Writer<'w, W: Write> {
    w: &'w mut W,
}

impl<W: Write> Writer<'_, W> {
    fn family(&mut self, name: &str, kind: &str, help: &str) -> fmt::Result {
        writeln!(self.w, "# HELP {name} {}", Escaped(help, false))?;
        writeln!(self.w, "# TYPE {name} {kind}")
    }

    /// One sample: the window's labels, then `extra`.
    fn sample(&mut self, name: &str, labels: &[(&str, &str)], extra: &[(&str, &str)], v: f64) -> fmt::Result {
        self.w.write_str(name)?;
        let mut first = true;
        for (k, val) in labels.iter().chain(extra) {
            self.w.write_str(if first { "{" } else { "," })?;
            first = false;
            write!(self.w, "{k}=\"{}\"", Escaped(val, true))?;
        }
        if !first {
            self.w.write_str("}")?;
        }
        writeln!(self.w, " {}", Value(v))
    }

    /// A gauge family with a sample for each window that measured it; no
    /// family at all when none did.
    fn gauge(
        &mut self,
        windows: &[Exposed<'_>],
        name: &str,
        help: &str,
        value: impl Fn(&WindowSummary) -> Option<f64>,
    ) -> fmt::Result {
        if windows.iter().all(|x| value(x.summary).is_none()) {
            return Ok(());
        }
        self.family(name, "gauge", help)?;
        for x in windows {
            if let Some(v) = value(x.summary) {
                self.sample(name, x.labels, &[], v)?;
            }
        }
        Ok(())
    }
}

/// One window's part of an exposition (see [`write_prometheus_windows`]).
#[derive(Debug, Clone, Copy)]
pub struct Exposed<'a> {
    /// The window's summary.
    pub summary: &'a WindowSummary,
    /// Its histogram of calibrated probabilities: `histogram[b]` is
    /// equal-width bin `b` of `histogram.len()` over [0, 1]; empty for none.
    pub histogram: &'a [u64],
    /// Its alerts; empty for none.
    pub alerts: &'a [Alert],
    /// Labels added to each of its samples (e.g. the model's digest, a
    /// class, a calibrator's role).
    pub labels: &'a [(&'a str, &'a str)],
}

/// Writes the exposition of a window: its summary, the histogram of
/// calibrated probabilities (`histogram[b]` is equal-width bin `b` of
/// `histogram.len()` over [0, 1]) with `prob_sum` as the histogram's `_sum`,
/// and the alerts. `labels` are added to every sample (e.g. the model's
/// digest, a class); their names must be valid Prometheus label names and
/// not `le`, `rule` or `severity`. Never allocates.
pub fn write_prometheus<W: Write>(
    w: &mut W,
    summary: &WindowSummary,
    histogram: &[u64],
    alerts: &[Alert],
    labels: &[(&str, &str)],
) -> Result<()> {
    write_prometheus_windows(w, &[Exposed { summary, histogram, alerts, labels }])
}

/// Writes several windows (one per class, per model version, per
/// calibrator of a service …) as one exposition. The text format allows
/// each metric family once, so each family is written once, with the
/// samples of every window that measured it, in window order; a window is
/// told apart by its labels. For one window it is [`write_prometheus`].
///
/// Each window's label names must be valid Prometheus label names, distinct
/// within the window, and not `le`, `rule` or `severity`; no two windows may
/// have the same labels (their series would collide). The error's index is
/// the window's; its value, the offending label's index (or, for a
/// collision, the index of the earlier window). Never allocates.
pub fn write_prometheus_windows<W: Write>(w: &mut W, windows: &[Exposed<'_>]) -> Result<()> {
    for (k, x) in windows.iter().enumerate() {
        let labels = x.labels;
        for (i, (name, _)) in labels.iter().enumerate() {
            if !check_label_name(name) || RESERVED.contains(name) {
                return Err(Error::new(ErrorKind::InvalidParameter, "Prometheus label name (label index in value)")
                    .at(k)
                    .value(i as f64));
            }
            if labels[..i].iter().any(|(n, _)| n == name) {
                return Err(Error::new(
                    ErrorKind::InvalidParameter,
                    "Prometheus label name, repeated (label index in value)",
                )
                .at(k)
                .value(i as f64));
            }
        }
        if let Some(j) = windows[..k].iter().position(|other| same_labels(other.labels, labels)) {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                "Prometheus labels, the same as an earlier window's (its index in value)",
            )
            .at(k)
            .value(j as f64));
        }
    }
    write_all(&mut Writer { w }, windows)
        .map_err(|_| Error::new(ErrorKind::BufferTooSmall, "Prometheus writer (it refused the text)"))
}

/// Whether two label sets name the same series (the same pairs, in any order).
fn same_labels(a: &[(&str, &str)], b: &[(&str, &str)]) -> bool {
    a.len() == b.len() && a.iter().all(|p| b.contains(p))
}

fn write_all<W: Write>(x: &mut Writer<'_, W>, windows: &[Exposed<'_>]) -> fmt::Result {
    let count = |v: u64| Some(v as f64);
    x.gauge(windows, "calib_window_scores", "Scores observed in the window.", |s| count(s.scores))?;
    x.gauge(windows, "calib_window_calibrated", "Rows of the window that got a calibrated probability.", |s| {
        count(s.calibrated)
    })?;
    x.gauge(
        windows,
        "calib_window_sampled",
        "Rows the equal-mass metrics (AECE, DECE, merged bins) used; below calibrated when sampled.",
        |s| count(s.sampled),
    )?;
    x.gauge(windows, "calib_out_of_range_scores", "Finite scores outside the calibration map's range.", |s| {
        count(s.out_of_range)
    })?;
    x.gauge(windows, "calib_non_finite_scores", "NaN or infinite scores.", |s| count(s.non_finite))?;
    x.gauge(windows, "calib_refused_scores", "Scores the map refused under an error policy.", |s| count(s.refused))?;
    x.gauge(
        windows,
        "calib_clamp_ratio",
        "Clamp rate: out-of-range and non-finite scores over scores observed.",
        |s| Some(s.clamp_rate),
    )?;
    x.gauge(windows, "calib_positive_ratio", "Observed positive rate (mean label).", |s| s.positive_rate)?;
    x.gauge(windows, "calib_mean_probability", "Mean calibrated probability.", |s| s.mean_probability)?;
    x.gauge(windows, "calib_brier", "Brier score of the calibrated probabilities.", |s| s.brier)?;
    x.gauge(windows, "calib_aece", "Adaptive ECE over the window's equal-mass bins.", |s| s.aece)?;
    x.gauge(windows, "calib_dece", "Debiased L2 calibration error over the window's equal-mass bins.", |s| s.dece)?;
    x.gauge(
        windows,
        "calib_merged_bin_ratio",
        "Equal-mass bins merged away as duplicate edges, as a fraction of the bins requested.",
        |s| s.merged_bin_percent.map(|m| m / 100.0),
    )?;
    if windows.iter().any(|w| !w.histogram.is_empty()) {
        let name = "calib_calibrated_probability";
        x.family(name, "histogram", "Calibrated probabilities of the window (a value on an edge counts below it).")?;
        for w in windows.iter().filter(|w| !w.histogram.is_empty()) {
            let (hist, labels) = (w.histogram, w.labels);
            let h = hist.len();
            let mut cum = 0u64;
            let mut le = [0u8; 64];
            for (b, &c) in hist.iter().enumerate() {
                cum += c;
                let edge = (b + 1) as f64 / h as f64;
                let text = fmt_into(&mut le, edge);
                x.sample("calib_calibrated_probability_bucket", labels, &[("le", text)], cum as f64)?;
            }
            x.sample("calib_calibrated_probability_bucket", labels, &[("le", "+Inf")], cum as f64)?;
            x.sample("calib_calibrated_probability_sum", labels, &[], w.summary.probability_sum)?;
            x.sample("calib_calibrated_probability_count", labels, &[], cum as f64)?;
        }
    }
    if windows.iter().any(|w| !w.alerts.is_empty()) {
        x.family("calib_alert_firing", "gauge", "1 when the rule fires with this severity, else 0.")?;
        for w in windows {
            for a in w.alerts {
                for &sev in a.rule.severities() {
                    let on = a.state == AlertState::Firing && a.severity == Some(sev);
                    let extra = [("rule", a.rule.name()), ("severity", sev.name())];
                    x.sample("calib_alert_firing", w.labels, &extra, on as u8 as f64)?;
                }
            }
        }
        x.family("calib_alert_no_data", "gauge", "1 when the rule could not be judged on this window.")?;
        for w in windows {
            for a in w.alerts {
                let on = a.state == AlertState::NoData;
                x.sample("calib_alert_no_data", w.labels, &[("rule", a.rule.name())], on as u8 as f64)?;
            }
        }
    }
    Ok(())
}

/// Formats `v` into `buf` without allocating (bucket edges are short).
fn fmt_into(buf: &mut [u8; 64], v: f64) -> &str {
    struct Cursor<'a>(&'a mut [u8], usize);
    impl Write for Cursor<'_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let end = self.1 + s.len();
            if end > self.0.len() {
                return Err(fmt::Error);
            }
            self.0[self.1..end].copy_from_slice(s.as_bytes());
            self.1 = end;
            Ok(())
        }
    }
    let mut c = Cursor(buf, 0);
    // k/h ≥ 2⁻³² has at most 17 significant digits after ≤ 10 zeros: it fits.
    let _ = write!(c, "{}", Value(v));
    let n = c.1;
    core::str::from_utf8(&buf[..n]).unwrap_or("+Inf")
}
