//! Whole files: reading one with its name in the error (a model file
//! parsed as well), and writing one atomically (temp file in the same directory, then rename), so a failed
//! command never leaves a half-written output.

use super::CliError;
use calib_core::model::Model;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Reads a whole file, naming it in errors.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::file(path, format!("cannot read: {e}")))
}

/// Loads a model file (calib's JSON model), naming the file in errors.
pub fn load_model(path: &Path) -> Result<Model, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::file(path, format!("cannot read: {e}")))?;
    Model::from_json(&text).map_err(|e| CliError::file(path, e))
}

/// Writes a file atomically: the closure writes into a temp file in the
/// destination's directory, which is renamed over `path` only on success.
pub fn write_atomic(path: &Path, f: impl FnOnce(&mut (dyn Write + Send)) -> io::Result<()>) -> Result<(), CliError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(&dir)
        .map_err(|e| CliError::file(path, format!("cannot create a temp file in {}: {e}", dir.display())))?;
    {
        let mut w = io::BufWriter::new(tmp.as_file_mut());
        f(&mut w).map_err(|e| CliError::file(path, format!("write failed: {e}")))?;
        w.flush().map_err(|e| CliError::file(path, format!("write failed: {e}")))?;
    }
    // The bytes reach the disk before the rename makes them visible.
    tmp.as_file().sync_all().map_err(|e| CliError::file(path, format!("write failed: {e}")))?;
    // Temp files are created owner-only; a result file is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(path).map_err(|e| CliError::file(path, format!("cannot rename into place: {}", e.error)))?;
    Ok(())
}
