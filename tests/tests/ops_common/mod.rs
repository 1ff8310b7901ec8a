//! Helpers shared by the operations tests (tests/tests/ops_*.rs): a strict
//! parser of the Prometheus text format, seeded data, and running `calib`.
//! (Each test file includes this module; not every file uses all of it.)
#![allow(dead_code)]

use calib_core::model::{FitConfig, Model, fit_model};
use calib_core::rng::SeededRng;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// One sample: name, labels, value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// A parsed exposition: family name → (type, help, samples).
pub type Families = BTreeMap<String, (String, String, Vec<Sample>)>;

fn valid_name(n: &str) -> bool {
    let mut c = n.chars();
    c.next().is_some_and(|f| f.is_ascii_alphabetic() || f == '_' || f == ':')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_' || x == ':')
}

/// Parses the Prometheus text format 0.0.4 strictly: every family has
/// `# HELP` then `# TYPE` before its samples, each family appears once, every
/// sample belongs to the family declared last (histograms: `_bucket`,
/// `_sum`, `_count`), label values use only the `\\`, `\"`, `\n` escapes,
/// values parse as Go floats do. Panics naming the line otherwise.
pub fn parse_prometheus(text: &str) -> Families {
    assert!(text.ends_with('\n'), "the exposition must end with a newline");
    let mut fams: Families = BTreeMap::new();
    let mut current: Option<(String, String)> = None; // (name, type)
    let mut pending_help: Option<(String, String)> = None;
    for (ln, line) in text.lines().enumerate() {
        let at = || format!("line {}: {line:?}", ln + 1);
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or_else(|| panic!("HELP without text, {}", at()));
            assert!(valid_name(name), "bad family name, {}", at());
            assert!(!fams.contains_key(name), "family declared twice, {}", at());
            pending_help = Some((name.to_string(), help.to_string()));
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or_else(|| panic!("TYPE without type, {}", at()));
            let (hname, help) = pending_help.take().unwrap_or_else(|| panic!("TYPE without HELP before it, {}", at()));
            assert_eq!(hname, name, "HELP and TYPE name different families, {}", at());
            assert!(["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind), "bad type, {}", at());
            fams.insert(name.to_string(), (kind.to_string(), help, Vec::new()));
            current = Some((name.to_string(), kind.to_string()));
            continue;
        }
        assert!(!line.starts_with('#') && !line.is_empty(), "unexpected line, {}", at());
        let (fam, kind) = current.clone().unwrap_or_else(|| panic!("sample before any TYPE, {}", at()));
        let s = parse_sample(line).unwrap_or_else(|e| panic!("{e}, {}", at()));
        let ok = if kind == "histogram" {
            [format!("{fam}_bucket"), format!("{fam}_sum"), format!("{fam}_count")].contains(&s.name)
        } else {
            s.name == fam
        };
        assert!(ok, "sample {} outside its family {fam}, {}", s.name, at());
        fams.get_mut(&fam).unwrap().2.push(s);
    }
    assert!(pending_help.is_none(), "HELP without TYPE at the end");
    fams
}

fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line.find(['{', ' ']).ok_or("no value")?;
    let name = &line[..name_end];
    if !valid_name(name) {
        return Err(format!("bad metric name {name:?}"));
    }
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(r) = rest.strip_prefix('{') {
        let mut chars = r.char_indices().peekable();
        let end;
        loop {
            let start = chars.peek().map(|c| c.0).ok_or("unterminated labels")?;
            let mut key_end = start;
            for (i, c) in chars.by_ref() {
                if c == '=' {
                    key_end = i;
                    break;
                }
            }
            let key = &r[start..key_end];
            if !valid_name(key) || key.contains(':') {
                return Err(format!("bad label name {key:?}"));
            }
            if chars.next().map(|c| c.1) != Some('"') {
                return Err("label value not quoted".into());
            }
            let mut value = String::new();
            loop {
                let (_, c) = chars.next().ok_or("unterminated label value")?;
                match c {
                    '"' => break,
                    '\\' => match chars.next().map(|c| c.1) {
                        Some('\\') => value.push('\\'),
                        Some('"') => value.push('"'),
                        Some('n') => value.push('\n'),
                        other => return Err(format!("bad escape {other:?}")),
                    },
                    '\n' => return Err("raw newline in a label value".into()),
                    c => value.push(c),
                }
            }
            if labels.insert(key.to_string(), value).is_some() {
                return Err(format!("label {key} repeated"));
            }
            match chars.next() {
                Some((_, ',')) => continue,
                Some((i, '}')) => {
                    end = Some(i);
                    break;
                }
                other => return Err(format!("expected , or }} after a label, got {other:?}")),
            }
        }
        rest = &r[end.unwrap() + 1..];
    }
    let v = rest.strip_prefix(' ').ok_or("no space before the value")?;
    let value = match v {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        v => v.parse::<f64>().map_err(|_| format!("bad value {v:?}"))?,
    };
    Ok(Sample { name: name.to_string(), labels, value })
}

/// The value of the one sample of a gauge family.
pub fn gauge(f: &Families, name: &str) -> f64 {
    let (kind, _, samples) = f.get(name).unwrap_or_else(|| panic!("no family {name}"));
    assert_eq!(kind, "gauge");
    assert_eq!(samples.len(), 1, "{name}");
    samples[0].value
}

/// `n` rows of a miscalibrated ranker: (score, label).
pub fn ranker(seed: u64, n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut rng = SeededRng::new(seed);
    let (mut s, mut y) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let z = 1.2 * rng.normal();
        s.push(1.0 / (1.0 + (-z).exp()));
        y.push(rng.bernoulli(1.0 / (1.0 + (-(1.5 * z - 0.4)).exp())));
    }
    (s, y)
}

/// A plain isotonic model fitted on `ranker(seed, n)`.
pub fn model(seed: u64, n: usize) -> Model {
    let (s, y) = ranker(seed, n);
    fit_model::<&str>(&s, &y, None, None, &FitConfig::default()).unwrap()
}

/// Writes a CSV with the given header and rows.
pub fn write_csv(path: &Path, header: &str, rows: impl IntoIterator<Item = String>) {
    let mut text = format!("{header}\n");
    for r in rows {
        let _ = writeln!(text, "{r}");
    }
    std::fs::write(path, text).unwrap();
}
