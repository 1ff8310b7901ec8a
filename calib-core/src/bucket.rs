//! Stable bucketing: which keys (repositories, tenants, …) a staged rollout
//! includes at a given traffic share.
//!
//! ```text
//! h      = first 4 bytes of SHA-256(salt ‖ 0x00 ‖ key), big-endian u32
//! bucket = (u64(h) × 10 000) >> 32                  in [0, 10 000)
//! key is included at p %  ⇔  bucket < p × 100
//! ```
//!
//! Salt and key are hashed as their bytes (UTF-8 for `&str`). The arithmetic
//! is integer-only, so every runtime (native, WASM, Python, Node) puts a key
//! in the same bucket; the committed vectors in `tests/vectors/bucket.json`
//! are the contract between them.
//!
//! **Monotone.** Inclusion is a threshold on one number per key, so a key
//! included at 5 % is still included at 25 %, 50 % and 100 %: raising the
//! share only adds keys, and no repository flips between the candidate and
//! the incumbent as a rollout advances.
//!
//! **Fractional shares.** [`included`] takes whole percents. A bucket is
//! exactly one basis point (0.01 %), so [`included_basis_points`] gives every
//! finer share calib can express: 0.5 % is 50 basis points. Shares are never
//! floats, so there is no rounding to disagree about. A share above 100 %
//! (10 000 basis points) includes every key.
//!
//! **Salts.** The 0x00 separator keeps `("ab", "c")` and `("a", "bc")` apart.
//! A salt that itself contains a NUL byte can still collide with another
//! (salt, key) split; use salts without NUL.
//!
//! Nothing here allocates, and it builds without `alloc`.

use sha2::{Digest, Sha256};

/// The number of buckets; one bucket is one basis point (0.01 %).
pub const BUCKETS: u32 = 10_000;

/// The bucket of `key` under `salt`, in `0..BUCKETS`.
///
/// ```
/// use calib_core::bucket::{bucket, included};
/// let b = bucket("calib-2026-05", "repo:4211");
/// assert!(b < 10_000);
/// assert_eq!(included("calib-2026-05", "repo:4211", 25), b < 2_500);
/// ```
pub fn bucket(salt: &str, key: &str) -> u32 {
    bucket_bytes(salt.as_bytes(), key.as_bytes())
}

/// [`bucket`] over raw bytes, for keys that are not text.
pub fn bucket_bytes(salt: &[u8], key: &[u8]) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update([0u8]);
    hasher.update(key);
    let digest = hasher.finalize();
    let h = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    // Multiply-shift maps [0, 2³²) onto [0, 10 000) without the bias of `h % 10 000`.
    ((u64::from(h) * u64::from(BUCKETS)) >> 32) as u32
}

/// Whether `key` is in a rollout at `percent` % (whole percents; `bucket < percent × 100`).
pub fn included(salt: &str, key: &str, percent: u32) -> bool {
    included_basis_points(salt, key, percent.saturating_mul(100))
}

/// Whether `key` is in a rollout at `basis_points` / 100 % (`bucket < basis_points`).
pub fn included_basis_points(salt: &str, key: &str, basis_points: u32) -> bool {
    bucket(salt, key) < basis_points
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_salt_and_key_is_sha256_of_one_zero_byte() {
        // SHA-256(0x00) = 6e340b9c…; 0x6e340b9c × 10 000 >> 32 = 4304.
        assert_eq!(bucket("", ""), ((0x6e34_0b9cu64 * 10_000) >> 32) as u32);
        assert_eq!(bucket("", ""), 4304);
    }

    #[test]
    fn shares_saturate() {
        assert!(included("s", "k", 100));
        assert!(included("s", "k", u32::MAX));
        assert!(!included("s", "k", 0));
        assert!(included_basis_points("s", "k", BUCKETS));
        assert!(!included_basis_points("s", "k", 0));
    }
}
