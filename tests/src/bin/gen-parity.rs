//! Writes tests/vectors/parity.json from calib-core (see calib_tests::parity).

fn main() -> std::io::Result<()> {
    let text = calib_tests::parity::to_file_text(&calib_tests::parity::generate());
    let path = calib_tests::parity::path();
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, &path)?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
