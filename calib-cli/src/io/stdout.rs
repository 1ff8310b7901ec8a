//! Lines on stdout (the `outln!` macro of the crate root): a closed pipe
//! (`calib demo | head`) ends the process quietly instead of panicking.

use std::io::Write;

/// Writes one line to stdout; exits 0 on a broken pipe and 2 on any other
/// write error.
pub fn emit_line(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|_| out.write_all(b"\n")) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("calib: error: cannot write to stdout: {e}");
        std::process::exit(2);
    }
}
