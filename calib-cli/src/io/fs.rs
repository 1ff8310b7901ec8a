//! Whole files: reading one with its name in the error (a manifest, key
//! or model at most a stated size, a model file parsed as well), and writing one atomically (temp file in the same directory, then rename), so a failed
//! command never leaves a half-written output.

use super::CliError;
use calib_core::model::Model;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// The most bytes of a manifest (a DSSE envelope) calib reads: the core's
/// own limit, 4 MiB.
pub const MANIFEST_BYTES: usize = calib_core::manifest::MAX_ENVELOPE_BYTES;

/// The most bytes of a key file calib reads (a key file is one line of
/// about a hundred bytes).
pub const KEY_BYTES: usize = 64 << 10;

/// The most bytes of a model or wasm module calib reads, 64 MiB: a model
/// of a million breakpoints (a strict fit on unpooled data) takes about
/// 40 MB of JSON.
pub const ARTIFACT_BYTES: usize = 64 << 20;

/// Reads a whole data file (hashed as it is, e.g. `calib governance`'s
/// input), naming it in errors. Data has no size limit; a manifest, key or
/// model is read with [`read_limited`].
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::file(path, format!("cannot read: {e}")))
}

/// Reads a file of at most `limit` bytes, `what` it is naming the limit in
/// the error. At most `limit + 1` bytes are read, so a huge file, or an
/// endless one (`/dev/zero`, a FIFO), is refused without being read whole.
pub fn read_limited(path: &Path, limit: usize, what: &str) -> Result<Vec<u8>, CliError> {
    let cannot = |e: io::Error| CliError::file(path, format!("cannot read: {e}"));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut out = Vec::new();
    file.take(limit as u64 + 1).read_to_end(&mut out).map_err(cannot)?;
    if out.len() > limit {
        return Err(CliError::file(path, format!("larger than the {limit} bytes a {what} may have")));
    }
    Ok(out)
}

/// Reads a manifest (at most [`MANIFEST_BYTES`]).
pub fn read_manifest(path: &Path) -> Result<Vec<u8>, CliError> {
    read_limited(path, MANIFEST_BYTES, "manifest")
}

/// Reads a model file's or a wasm module's bytes (at most [`ARTIFACT_BYTES`]).
pub fn read_artifact(path: &Path, what: &str) -> Result<Vec<u8>, CliError> {
    read_limited(path, ARTIFACT_BYTES, what)
}

/// Reads a key file's text (at most [`KEY_BYTES`]).
pub fn read_key_text(path: &Path) -> Result<String, CliError> {
    String::from_utf8(read_limited(path, KEY_BYTES, "key file")?)
        .map_err(|_| CliError::file(path, "cannot read: stream did not contain valid UTF-8"))
}

/// Loads a model file (calib's JSON model, at most [`ARTIFACT_BYTES`]),
/// naming the file in errors.
pub fn load_model(path: &Path) -> Result<Model, CliError> {
    let text = String::from_utf8(read_artifact(path, "model")?)
        .map_err(|_| CliError::file(path, "cannot read: stream did not contain valid UTF-8"))?;
    Model::from_json(&text).map_err(|e| CliError::file(path, e))
}

/// Writes a file atomically: the closure writes into a temp file in the
/// destination's directory, which is renamed over `path` only on success.
///
/// A destination that exists and is not a regular file or a directory (a
/// device such as `/dev/null` or `/dev/stdout`, a FIFO, a socket) is
/// written into as a stream instead: renaming over it would replace the
/// device itself (as root, `--out /dev/null` turned /dev/null into a
/// regular file), and a stream has no half-written file to protect.
pub fn write_atomic(path: &Path, f: impl FnOnce(&mut (dyn Write + Send)) -> io::Result<()>) -> Result<(), CliError> {
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
        && !meta.is_dir()
    {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| CliError::file(path, format!("cannot open for writing: {e}")))?;
        let mut w = io::BufWriter::new(file);
        f(&mut w).map_err(|e| CliError::file(path, format!("write failed: {e}")))?;
        return w.flush().map_err(|e| CliError::file(path, format!("write failed: {e}")));
    }
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
