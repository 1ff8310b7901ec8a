//! The core's identity and rollout bucketing: `fingerprint`, `bucket`, `included`.

use crate::arg::{Arg, count, string};
use crate::error::{Error, Result};

/// `fingerprint()`: the binning-core fingerprint of the linked calib-core,
/// as 64 lowercase hex digits.
#[cfg(feature = "full")]
pub fn fingerprint() -> String {
    calib_core::fingerprint::core_fingerprint().to_hex()
}

/// `bucket(salt, key)`: the rollout bucket of `key` under `salt`, in `[0, 10000)`.
pub fn bucket(salt: Arg<String>, key: Arg<String>) -> Result<u32> {
    Ok(calib_core::bucket::bucket(&string("salt", salt)?, &string("key", key)?))
}

/// `included(salt, key, percent)`: whether `key` is in a rollout at
/// `percent` % (a whole number).
pub fn included(salt: Arg<String>, key: Arg<String>, percent: Arg<f64>) -> Result<bool> {
    let salt = string("salt", salt)?;
    let key = string("key", key)?;
    let p = count("percent", percent)?;
    let p = u32::try_from(p)
        .map_err(|_| Error::invalid_argument(format!("percent must be at most {}, got {p}", u32::MAX)))?;
    Ok(calib_core::bucket::included(&salt, &key, p))
}
