//! Arbitrary bytes as a sketch (`FitSketch::from_bytes`).
//! Must never panic (see calib_tests::fuzz).

#![no_main]

use calib_tests::fuzz::harness;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    harness("sketch").expect("a harness of calib_tests::fuzz")(data);
});
