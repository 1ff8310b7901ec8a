//! Running the `calib` binary from tests: built once per test run by the
//! `cargo` running the tests (same profile) and located from cargo's JSON
//! build report; `CALIB_BIN` overrides it (e.g. an installed binary).
//! It is built with calib-cli's `test-hooks` feature, the test-only switches
//! (`CALIB_CRASH_AT`, `CALIB_CHAOS_SABOTAGE`) that a shipped binary lacks.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The `calib` binary.
pub fn calib_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("CALIB_BIN") {
            return PathBuf::from(p);
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is in the workspace");
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.current_dir(root).args([
            "build",
            "-p",
            "calib-cli",
            "--bin",
            "calib",
            "--features",
            "test-hooks",
            "--message-format=json",
        ]);
        if !cfg!(debug_assertions) {
            cmd.arg("--release");
        }
        let out = cmd.output().expect("cannot run cargo");
        assert!(out.status.success(), "building calib failed:\n{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["reason"] == "compiler-artifact" && v["target"]["name"] == "calib")
            .find_map(|v| v["executable"].as_str().map(PathBuf::from))
            .expect("cargo reported no calib executable")
    })
}

/// What one run of `calib` did.
#[derive(Debug)]
pub struct Run {
    /// Exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// The arguments, for messages.
    pub args: String,
}

/// Runs `calib` with `args` in `dir`.
pub fn calib_in<I, S>(dir: &Path, args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_os_string()).collect();
    let out = Command::new(calib_bin()).current_dir(dir).args(&args).output().expect("cannot run calib");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        args: args.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" "),
    }
}

impl Run {
    /// Asserts the exit code; returns the run for more checks.
    pub fn code(self, want: i32) -> Run {
        assert_eq!(self.code, Some(want), "calib {}\nstdout:\n{}\nstderr:\n{}", self.args, self.stdout, self.stderr);
        self
    }
}
