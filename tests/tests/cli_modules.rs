//! The shape of calib-cli's modules, read from its source: `io/` (reading
//! and writing files, errors, times) imports nothing else of the crate, and
//! the modules import each other without a cycle, so each command file can
//! be read, and changed, on top of the ones below it.
//!
//! A module is a top-level module of the crate (`src/report.rs` and
//! `src/report/*.rs` are `report`). Its imports are the `crate::NAME` paths
//! in its code (comments aside), grouped `use crate::{a, b::c}` included
//! (`super::` stays inside a module's folder). The crate root (`main.rs`,
//! the command dispatcher, which names every module) is not a module here:
//! what it holds for the others (`load_model`, `outln!`) comes from `io`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source directory") {
        let p = entry.expect("readable directory entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The identifier at the start of `s`.
fn ident(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len());
    &s[..end]
}

/// The first path segments named after `crate::` in `code`: `crate::io::X`
/// gives `io`, `crate::{io::X, keys}` gives `io` and `keys`.
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        // `$crate::` (a macro) is the root; `xcrate::` is not a path of ours.
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            // The top-level items of the group, split at depth-0 commas.
            let (mut depth, mut start) = (0usize, 0usize);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        out.push(ident(group[start..i].trim()).to_string());
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(ident(group[start..i].trim()).to_string());
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            out.push(ident(rest).to_string());
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// The code of a file without its comments (whole-line `//` comments, doc
/// comments included: a doc link is not an import).
fn code_of(text: &str) -> String {
    text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// Module name → the other modules it imports.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let module_of = |p: &Path| -> Option<String> {
        let rel = p.strip_prefix(src).expect("under src");
        let first = rel.components().next()?.as_os_str().to_str()?;
        let name = first.strip_suffix(".rs").unwrap_or(first);
        (name != "main").then(|| name.to_string())
    };
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in &files {
        if let Some(m) = module_of(p) {
            graph.entry(m).or_default();
        }
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for p in &files {
        let Some(m) = module_of(p) else { continue };
        let code = code_of(&std::fs::read_to_string(p).expect("readable source file"));
        for u in crate_paths(&code) {
            if modules.contains(&u) && u != m {
                graph.get_mut(&m).expect("listed").insert(u);
            }
        }
    }
    graph
}

fn cli_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../calib-cli/src")
}

#[test]
fn io_imports_nothing_else_of_the_crate() {
    let graph = module_graph(&cli_src());
    let io = graph.get("io").expect("calib-cli has an io module");
    assert!(io.is_empty(), "calib-cli's io/ must import nothing else of the crate, but imports {io:?}");
}

#[test]
fn cli_modules_import_each_other_without_a_cycle() {
    let graph = module_graph(&cli_src());
    assert!(graph.len() > 10, "expected calib-cli's modules, found {:?}", graph.keys());
    // Depth-first search; a module met again while on the path closes a cycle.
    fn visit<'a>(
        m: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if done.contains(m) {
            return;
        }
        if let Some(k) = path.iter().position(|p| *p == m) {
            let mut cycle = path[k..].to_vec();
            cycle.push(m);
            panic!("calib-cli's modules import each other in a circle: {}", cycle.join(" -> "));
        }
        path.push(m);
        for u in &graph[m] {
            visit(u, graph, path, done);
        }
        path.pop();
        done.insert(m);
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        visit(m, &graph, &mut Vec::new(), &mut done);
    }
}

#[test]
fn crate_paths_reads_plain_and_grouped_imports() {
    let code = "use crate::io::{self, CliError};\nuse crate::{keys, svg::{Panel, esc}};\n$crate::io::emit_line(x);\nlet y = crate::rollout::format_time(0);";
    assert_eq!(crate_paths(code), ["io", "keys", "svg", "rollout"]);
}
