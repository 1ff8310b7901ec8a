//! Arbitrary bytes as a CSV input, read by calib-cli's CSV reader.
//! Must never panic (see calib_tests::fuzz).

#![no_main]

use calib_tests::fuzz::harness;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    harness("csv").expect("a harness of calib_tests::fuzz")(data);
});
