//! Arbitrary bytes as a model JSON (`Model::from_json`).
//! Must never panic (see calib_tests::fuzz).

#![no_main]

use calib_tests::fuzz::harness;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    harness("model").expect("a harness of calib_tests::fuzz")(data);
});
