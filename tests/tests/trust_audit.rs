//! The audit chain: appends chain records; every edit, removal and reorder
//! is found and its line named; torn tails are refused.

use calib_core::audit::{self, AuditErrorKind as K, GENESIS, ManifestEvent};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn log_with(n: u64) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    for i in 0..n {
        let event = ManifestEvent::ALL[i as usize % 4];
        let t = UNIX_EPOCH + Duration::from_secs(1_900_000_000 + i);
        audit::append_at(&path, event.kind(), json!({ "i": i, "x": 0.1 * i as f64 }), t).unwrap();
    }
    (dir, path)
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path).unwrap().lines().map(str::to_string).collect()
}

fn check_lines(lines: &[String]) -> audit::ChainCheck {
    let mut text = lines.join("\n");
    text.push('\n');
    audit::verify_chain(text.as_bytes())
}

/// (line, kind) of every problem.
fn problems(c: &audit::ChainCheck) -> Vec<(u64, K)> {
    c.problems.iter().map(|p| (p.line().unwrap(), p.kind())).collect()
}

#[test]
fn appends_form_a_chain() {
    let (_d, path) = log_with(5);
    let c = audit::verify_file(&path).unwrap();
    assert!(c.is_ok(), "{:?}", c.problems);
    assert_eq!(c.records, 5);
    let recs: Vec<audit::AuditRecord> = lines(&path).iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(recs[0].prev, GENESIS);
    for (i, r) in recs.iter().enumerate() {
        assert_eq!(r.seq, i as u64);
        assert_eq!(r.hash, r.expected_hash());
        if i > 0 {
            assert_eq!(r.prev, recs[i - 1].hash);
        }
    }
    assert_eq!(c.head, recs[4].hash);
    assert_eq!(recs[1].kind, "manifest.verified");
    assert_eq!(recs[2].time, "2030-03-17T17:46:42Z");
    assert_eq!(audit::verify_chain(b"").head, GENESIS);
}

#[test]
fn an_edited_line_is_named() {
    let (_d, path) = log_with(5);
    let mut l = lines(&path);
    l[2] = l[2].replace(r#""i":2"#, r#""i":7"#);
    assert_eq!(problems(&check_lines(&l)), vec![(3, K::Edited)]);
    // Whitespace alone is an edit too (records are canonical JSON).
    let mut l = lines(&path);
    l[2] = l[2].replacen(':', ": ", 1);
    assert_eq!(problems(&check_lines(&l)), vec![(3, K::Edited)]);
}

#[test]
fn a_line_that_is_no_record_is_named_once() {
    let (_d, path) = log_with(5);
    // A blank line inserted after line 2: only the blank line is named, not
    // line 4 as well (it follows line 2, the last record before it).
    let mut l = lines(&path);
    l.insert(2, String::new());
    assert_eq!(problems(&check_lines(&l)), vec![(3, K::Malformed)]);
    // Line 3 replaced by something that is not a record: named once too.
    let mut l = lines(&path);
    l[2] = "not a record".into();
    assert_eq!(problems(&check_lines(&l)), vec![(3, K::Malformed)]);
    // But two records gone behind it are still a removal.
    let mut l = lines(&path);
    l[1] = "not a record".into();
    l.remove(2);
    assert_eq!(problems(&check_lines(&l)), vec![(2, K::Malformed), (3, K::Broken)]);
}

#[test]
fn an_edit_with_a_recomputed_hash_breaks_the_next_line() {
    let (_d, path) = log_with(5);
    let mut l = lines(&path);
    let mut r: audit::AuditRecord = serde_json::from_str(&l[2]).unwrap();
    r.kind = "manifest.published".into();
    r.hash = r.expected_hash();
    l[2] = String::from_utf8(r.to_line()).unwrap();
    let c = check_lines(&l);
    assert_eq!(problems(&c), vec![(4, K::Broken)]);
    assert!(c.problems[0].to_string().contains("line 3 was rewritten"), "{}", c.problems[0]);
}

#[test]
fn removed_lines_are_named() {
    let (_d, path) = log_with(5);
    let mut l = lines(&path);
    l.remove(2);
    let c = check_lines(&l);
    assert_eq!(problems(&c), vec![(3, K::Broken)]);
    assert!(c.problems[0].to_string().contains("1 record(s) before it were removed"), "{}", c.problems[0]);
    let mut l = lines(&path);
    l.remove(0);
    assert_eq!(problems(&check_lines(&l)), vec![(1, K::Broken)]);
}

#[test]
fn reordered_lines_are_named() {
    let (_d, path) = log_with(5);
    let mut l = lines(&path);
    l.swap(1, 2);
    let p = problems(&check_lines(&l));
    assert_eq!(p.iter().map(|x| x.0).collect::<Vec<_>>(), vec![2, 3, 4], "{p:?}");
    assert!(p.iter().all(|x| x.1 == K::Broken));
    let mut l = lines(&path);
    let dup = l[3].clone();
    l.insert(4, dup);
    // The duplicate (line 5) is named; line 6 follows the record it repeats.
    assert_eq!(problems(&check_lines(&l)), vec![(5, K::Broken)]);
}

#[test]
fn a_cut_off_tail_changes_the_head() {
    let (_d, path) = log_with(5);
    let full = audit::verify_file(&path).unwrap();
    let mut l = lines(&path);
    l.pop();
    let cut = check_lines(&l);
    assert!(cut.is_ok(), "a chain alone cannot see a cut-off tail");
    assert_ne!(cut.head, full.head, "but the kept head can");
}

#[test]
fn torn_tail_is_reported_and_appends_refuse_it() {
    let (_d, path) = log_with(3);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(br#"{"data":{},"hash":"#);
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(problems(&audit::verify_file(&path).unwrap()), vec![(4, K::Torn)]);
    let e = audit::append(&path, "manifest.signed", json!({})).unwrap_err();
    assert_eq!(e.kind(), K::Torn);
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "a refused append writes nothing");
}

/// Issue 17, defect 7: an append after an edited last line named the line
/// counted from the start of the last 4 KiB read (line 18 of 40), and the
/// message carried the log's path, which every caller prefixes again
/// (`audit.log: line 18: audit.log: cannot append …`).
#[test]
fn an_edited_tail_of_a_long_log_is_named_by_its_line_once() {
    let (d, path) = log_with(60);
    assert!(std::fs::metadata(&path).unwrap().len() > 3 * 4096, "the log spans several reads");
    let mut l = lines(&path);
    l[59] = l[59].replace(r#""i":59"#, r#""i":9"#);
    std::fs::write(&path, l.join("\n") + "\n").unwrap();
    let e = audit::append(&path, "manifest.signed", json!({})).unwrap_err();
    assert_eq!((e.kind(), e.line()), (K::Edited, Some(60)), "{e}");
    assert!(!e.to_string().contains("audit.log"), "the caller names the file: {e}");
    let r = calib_tests::binary::calib_in(d.path(), ["audit", "append", "audit.log", "--kind", "manifest.signed"]);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert_eq!(
        r.stderr.trim_end(),
        "calib: error: audit.log: line 60: cannot append after a damaged last line: was edited: its content does \
         not match its hash"
    );
    // A torn tail is named by its line too, and an unreadable log by its path once.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(br#"{"data":{},"hash":"#);
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(audit::append(&path, "manifest.signed", json!({})).unwrap_err().line(), Some(61));
    std::fs::create_dir(d.path().join("logs")).unwrap();
    let r = calib_tests::binary::calib_in(d.path(), ["audit", "verify", "logs"]);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert_eq!(r.stderr.matches("logs").count(), 1, "{}", r.stderr);
}

#[test]
fn appends_refuse_an_edited_tail_and_bad_kinds() {
    let (_d, path) = log_with(3);
    let mut l = lines(&path);
    l[2] = l[2].replace(r#""i":2"#, r#""i":9"#);
    std::fs::write(&path, l.join("\n") + "\n").unwrap();
    let e = audit::append(&path, "manifest.signed", json!({})).unwrap_err();
    assert_eq!((e.kind(), e.line()), (K::Edited, Some(3)));
    for bad in ["", "Manifest", "has space", &"x".repeat(65)] {
        assert_eq!(audit::append(&path, bad, json!({})).unwrap_err().kind(), K::BadKind, "{bad:?}");
    }
}

#[test]
fn generic_events_and_concurrent_appends_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decisions.log");
    std::thread::scope(|s| {
        for t in 0..4 {
            let path = &path;
            s.spawn(move || {
                for i in 0..10 {
                    let data = json!({ "stage": "5%", "thread": t, "i": i, "verdict": "pass" });
                    audit::append(path, "rollout.decision", data).unwrap();
                }
            });
        }
    });
    let c = audit::verify_file(&path).unwrap();
    assert!(c.is_ok(), "{:?}", c.problems);
    assert_eq!(c.records, 40);
    let now = SystemTime::now();
    let r = audit::append_at(&path, "manifest.published", json!({ "version": 3 }), now).unwrap();
    assert_eq!((r.seq, r.prev), (40, c.head));
}
