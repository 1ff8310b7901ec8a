//! The core's identity and rollout bucketing: `fingerprint`, `bucket`, `included`.

use crate::convert::{NumberArg, Result, StringArg, ToArg, throw};
use calib_js::rollout;
use napi_derive::napi;

/// The binning-core fingerprint of the calib-core this package links:
/// SHA-256 over the core's outputs on its built-in conformance inputs, as
/// 64 lowercase hex digits. Every runtime linking the same core reports the
/// same value; a manifest made for another core is refused.
#[napi]
pub fn fingerprint() -> String {
    rollout::fingerprint()
}

/// The rollout bucket of `key` under `salt`, in `[0, 10000)`: the first 4
/// bytes of SHA-256(salt ‖ 0x00 ‖ key) as a big-endian u32, times 10 000,
/// shifted right by 32. Salt and key are hashed as UTF-8.
#[napi]
pub fn bucket(
    #[napi(ts_arg_type = "string")] salt: StringArg<'_>,
    #[napi(ts_arg_type = "string")] key: StringArg<'_>,
) -> Result<u32> {
    rollout::bucket(salt.arg(), key.arg()).map_err(throw)
}

/// Whether `key` is in a rollout at `percent` % (whole percents): `bucket(salt, key) < percent × 100`.
/// Monotone: a key included at 5 % is included at 25 %.
#[napi]
pub fn included(
    #[napi(ts_arg_type = "string")] salt: StringArg<'_>,
    #[napi(ts_arg_type = "string")] key: StringArg<'_>,
    #[napi(ts_arg_type = "number")] percent: NumberArg<'_>,
) -> Result<bool> {
    rollout::included(salt.arg(), key.arg(), percent.arg()).map_err(throw)
}
