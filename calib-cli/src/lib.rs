//! calib-cli's input and output layer ([`io`]) as a library, so that the
//! fuzz harness (calib-tests' `fuzz` module, run by the cargo-fuzz targets
//! in `fuzz/` and replayed by `cargo test`) reads CSV and Parquet inputs
//! through exactly the code `calib` runs. `io` imports nothing else of the
//! crate (checked by `tests/tests/cli_modules.rs`), which is what lets it
//! stand alone here. The `calib` binary (`main.rs`) compiles it as its own
//! module, as before.

pub mod io;
