//! Arbitrary bytes as a rollout config TOML (`rollout::Config`).
//! Must never panic (see calib_tests::fuzz).

#![no_main]

use calib_tests::fuzz::harness;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    harness("rollout_toml").expect("a harness of calib_tests::fuzz")(data);
});
