//! `calib keygen`, and reading key files for `sign` and `verify`.
//!
//! `DIR/calib.key` holds the secret key and is created mode 0600 (owner
//! read/write only) *before* any secret byte is written: it is written to a
//! temp file that is already 0600, fsynced, then renamed into place, so a
//! crash leaves either no key or a whole one. `DIR/calib.pub` is the public
//! key (0644). Both are small JSON files naming their type and key id.

use crate::io::{self, CliError};
use calib_core::manifest::{PublicKey, SecretKey};
use clap::Args;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// File name of the secret key in a key directory.
pub const SECRET_FILE: &str = "calib.key";
/// File name of the public key in a key directory.
pub const PUBLIC_FILE: &str = "calib.pub";

#[derive(Args, Debug)]
pub struct KeygenArgs {
    /// Directory for calib.key and calib.pub (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Replace an existing key pair (its manifests will no longer verify
    /// under the new public key).
    #[arg(long)]
    force: bool,
}

/// Reads a whole file, naming it in errors (kept here for the callers that
/// read key and manifest files as `keys::read_bytes`).
pub use crate::io::read_bytes;

fn read_text(path: &Path) -> Result<String, CliError> {
    crate::io::read_key_text(path)
}

/// Loads a public key file.
pub fn load_public(path: &Path) -> Result<PublicKey, CliError> {
    PublicKey::from_file_text(&read_text(path)?).map_err(|e| CliError::file(path, e))
}

/// Loads a secret key file.
pub fn load_secret(path: &Path) -> Result<SecretKey, CliError> {
    SecretKey::from_file_text(&read_text(path)?).map_err(|e| CliError::file(path, e))
}

/// Writes a secret atomically with mode 0600 from the start.
fn write_secret(path: &Path, text: &str, force: bool) -> Result<(), CliError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    // tempfile creates its files 0600 on unix.
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| CliError::file(path, format!("cannot create a temp file in {}: {e}", dir.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| CliError::file(path, format!("cannot restrict permissions: {e}")))?;
    }
    tmp.write_all(text.as_bytes())
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| CliError::file(path, format!("write failed: {e}")))?;
    let persisted = if force { tmp.persist(path).map(|_| ()) } else { tmp.persist_noclobber(path).map(|_| ()) };
    persisted.map_err(|e| CliError::file(path, format!("cannot rename into place: {}", e.error)))
}

/// Generates a key pair and writes it to `dir` (created if missing):
/// `calib.key` 0600 from its first byte, then `calib.pub`, each atomically.
/// Without `force` an existing secret key is not replaced.
pub fn write_pair(dir: &Path, force: bool) -> Result<SecretKey, CliError> {
    std::fs::create_dir_all(dir).map_err(|e| CliError::file(dir, format!("cannot create directory: {e}")))?;
    let key = SecretKey::generate().map_err(|e| CliError::Usage(e.to_string()))?;
    write_secret(&dir.join(SECRET_FILE), &key.to_file_text(), force)?;
    let public_path = dir.join(PUBLIC_FILE);
    io::write_atomic(&public_path, |w| w.write_all(key.public_key().to_file_text().as_bytes()))?;
    Ok(key)
}

pub fn run(a: KeygenArgs) -> Result<u8, CliError> {
    let secret_path = a.out.join(SECRET_FILE);
    let public_path = a.out.join(PUBLIC_FILE);
    if !a.force {
        for p in [&secret_path, &public_path] {
            if p.exists() {
                return Err(CliError::file(p, "already exists; pass --force to replace the key pair"));
            }
        }
    }
    let key = write_pair(&a.out, a.force)?;
    let public = key.public_key();
    outln!("keyid {}", public.key_id());
    outln!("secret key {} (mode 0600: keep it private)", secret_path.display());
    outln!("public key {}", public_path.display());
    Ok(0)
}
