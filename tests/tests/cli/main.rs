//! End-to-end tests of the `calib` binary: every command, the numbers it
//! prints checked against calib-core on the same data, and every bad input
//! checked for exit code 2 and a one-line `file:line: column …` message.
//!
//! The binary is built once per test run with the `cargo` that runs the tests
//! (so calib-tests needs no dependency on calib-cli), and located from
//! cargo's own build report. `CALIB_BIN` overrides it, e.g. to test an
//! installed binary.
//!
//! One test binary (linking one binary per file would cost CI time), one
//! module per command: `demo`, `fit`, `apply`, `eval`; then the behaviours
//! every data command shares — input errors (exit 2, one located line),
//! atomic outputs and line numbering, hostile inputs (pipes, FIFOs,
//! unterminated quotes, repeated columns). `common` runs the binary and builds
//! the data.

mod common;

mod apply;
mod atomic_outputs;
mod demo;
mod eval;
mod fit;
mod hostile_inputs;
mod input_errors;
mod line_numbers;
