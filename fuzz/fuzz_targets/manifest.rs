//! Parses, inspects, verifies and loads arbitrary bytes as a manifest.
//! Must never panic (see calib_tests::trust::fuzz_manifest).

#![no_main]

use calib_tests::trust::{FuzzFixture, fuzz_fixture, fuzz_manifest};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static FIXTURE: OnceLock<FuzzFixture> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    fuzz_manifest(FIXTURE.get_or_init(fuzz_fixture), data);
});
