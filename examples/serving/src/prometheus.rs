//! Writing the Prometheus text format (0.0.4): the service's own families,
//! and merging per-calibrator expositions into one.
//!
//! The format allows one `# HELP` and one `# TYPE` line per metric name and
//! wants every sample of a family in one group. calib-core's
//! `monitor::write_prometheus` writes one window's families; with two
//! calibrators there are two such texts, so [`merge_families`] regroups
//! their lines by family.

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

/// Merges expositions into one with each family once: families in the
/// order they first appear, each with its `# HELP`/`# TYPE` lines from its
/// first appearance and then the samples of every part, in part order.
pub fn merge_families(parts: &[String]) -> String {
    // (name, header lines, sample lines), in order of first appearance.
    let mut families: Vec<(String, Vec<&str>, Vec<&str>)> = Vec::new();
    for part in parts {
        let mut current: Option<usize> = None;
        for line in part.lines() {
            let meta = line.strip_prefix("# HELP ").or_else(|| line.strip_prefix("# TYPE "));
            if let Some(rest) = meta {
                let name = rest.split(' ').next().unwrap_or_default();
                let i = match families.iter().position(|f| f.0 == name) {
                    Some(i) => i,
                    None => {
                        families.push((name.to_string(), Vec::new(), Vec::new()));
                        families.len() - 1
                    }
                };
                // Only the first part's header lines are kept.
                if families[i].1.len() < 2 && !families[i].1.contains(&line) {
                    families[i].1.push(line);
                }
                current = Some(i);
            } else if !line.is_empty() {
                match current {
                    Some(i) => families[i].2.push(line),
                    // A sample before any header: its own family, as is.
                    None => families.push((String::new(), Vec::new(), vec![line])),
                }
            }
        }
    }
    let mut out = String::new();
    for (_, header, samples) in families {
        for l in header.into_iter().chain(samples) {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_groups_each_family_once() {
        let a = "# HELP m1 one\n# TYPE m1 gauge\nm1{c=\"a\"} 1\n# HELP m2 two\n# TYPE m2 gauge\nm2{c=\"a\"} 2\n";
        let b = "# HELP m1 one\n# TYPE m1 gauge\nm1{c=\"b\"} 3\n# HELP m3 three\n# TYPE m3 gauge\nm3{c=\"b\"} 4\n";
        let merged = merge_families(&[a.to_string(), b.to_string()]);
        assert_eq!(
            merged,
            "# HELP m1 one\n# TYPE m1 gauge\nm1{c=\"a\"} 1\nm1{c=\"b\"} 3\n\
             # HELP m2 two\n# TYPE m2 gauge\nm2{c=\"a\"} 2\n\
             # HELP m3 three\n# TYPE m3 gauge\nm3{c=\"b\"} 4\n"
        );
    }

    #[test]
    fn histogram_series_stay_with_their_family() {
        let a =
            "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\",c=\"a\"} 1\nh_sum{c=\"a\"} 0.5\nh_count{c=\"a\"} 1\n";
        let b = "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\",c=\"b\"} 2\nh_sum{c=\"b\"} 1\nh_count{c=\"b\"} 2\n";
        let merged = merge_families(&[a.to_string(), b.to_string()]);
        assert_eq!(merged.matches("# TYPE h histogram").count(), 1);
        assert!(merged.contains("h_count{c=\"a\"} 1\nh_bucket{le=\"1\",c=\"b\"} 2\n"));
    }

    #[test]
    fn values_and_labels_are_written_as_the_format_wants() {
        let mut s = String::new();
        let mut f = Family::new(&mut s, "x", "gauge", "help");
        f.sample(&[("a", "q\"\\\n")], f64::INFINITY);
        f.sample(&[], 0.1);
        assert_eq!(s, "# HELP x help\n# TYPE x gauge\nx{a=\"q\\\"\\\\\\n\"} +Inf\nx 0.1\n");
    }
}
