//! Arbitrary bytes as a audit log (`audit::verify_chain`).
//! Must never panic (see calib_tests::fuzz).

#![no_main]

use calib_tests::fuzz::harness;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    harness("audit").expect("a harness of calib_tests::fuzz")(data);
});
