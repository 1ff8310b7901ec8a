//! Writing the Prometheus text format (0.0.4): the service's own families.
//!
//! The format allows one `# HELP` and one `# TYPE` line per metric name and
//! wants every sample of a family in one group. The drift windows of both
//! calibrators are written together by calib-core's
//! `monitor::write_prometheus_windows`, which groups them so.

use std::fmt::Write as _;

/// A family being written: `# HELP`, `# TYPE`, then its samples.
pub struct Family<'a> {
    out: &'a mut String,
    name: &'static str,
}

impl<'a> Family<'a> {
    /// Writes the family's `# HELP` and `# TYPE` lines.
    pub fn new(out: &'a mut String, name: &'static str, kind: &str, help: &str) -> Family<'a> {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        Family { out, name }
    }

    /// A sample of the family itself.
    pub fn sample(&mut self, labels: &[(&str, &str)], value: f64) {
        self.suffixed("", labels, value);
    }

    /// A sample of a suffixed series (`_bucket`, `_sum`, `_count`).
    pub fn suffixed(&mut self, suffix: &str, labels: &[(&str, &str)], value: f64) {
        let _ = write!(self.out, "{}{suffix}", self.name);
        for (i, (k, v)) in labels.iter().enumerate() {
            let _ = write!(self.out, "{}{k}=\"{}\"", if i == 0 { "{" } else { "," }, escape(v));
        }
        if !labels.is_empty() {
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {}", number(value));
    }
}

/// A family with one sample per calibrator (`calibrator="…"`).
pub fn per_calibrator<'a>(
    out: &mut String,
    name: &'static str,
    kind: &str,
    help: &str,
    values: impl IntoIterator<Item = (&'a str, f64)>,
) {
    let mut f = Family::new(out, name, kind, help);
    for (calibrator, v) in values {
        f.sample(&[("calibrator", calibrator)], v);
    }
}

/// A label value with `\`, `"` and newlines escaped.
pub fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// A sample value: shortest round-trip digits, `NaN`, `+Inf`, `-Inf`.
pub fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_labels_are_written_as_the_format_wants() {
        let mut s = String::new();
        let mut f = Family::new(&mut s, "x", "gauge", "help");
        f.sample(&[("a", "q\"\\\n")], f64::INFINITY);
        f.sample(&[], 0.1);
        assert_eq!(s, "# HELP x help\n# TYPE x gauge\nx{a=\"q\\\"\\\\\\n\"} +Inf\nx 0.1\n");
    }
}
