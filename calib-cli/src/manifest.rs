//! `calib manifest show`: a human summary of a manifest, **unverified**.

use crate::io::{self, CliError};
use calib_core::fingerprint::core_fingerprint;
use calib_core::manifest;
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ManifestArgs {
    #[command(subcommand)]
    command: ManifestCommand,
}

#[derive(Subcommand, Debug)]
enum ManifestCommand {
    /// Summarise a manifest without verifying it (use `calib verify` for that).
    Show {
        /// The manifest (DSSE envelope).
        manifest: PathBuf,
        /// Print the decoded statement as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(a: ManifestArgs) -> Result<u8, CliError> {
    let ManifestCommand::Show { manifest: path, json } = a.command;
    let m = manifest::inspect(&io::read_manifest(&path)?).map_err(|e| CliError::file(&path, e))?;
    let st = m.statement.map_err(|e| CliError::file(&path, format!("payload is not a calib statement: {e}")))?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&st).expect("a statement serialises"));
        return Ok(0);
    }
    let p = &st.predicate;
    outln!("manifest {} (NOT VERIFIED: run `calib verify` before trusting it)", path.display());
    outln!("  digest         {}", m.digest);
    outln!("  payloadType    {}", m.envelope.payload_type);
    for s in &m.envelope.signatures {
        outln!("  signature      keyid {}", if s.keyid.is_empty() { "(none)" } else { &s.keyid });
    }
    for s in &st.subject {
        outln!("  subject        {} sha256:{}", s.name, s.digest.get("sha256").map_or("?", String::as_str));
    }
    outln!("  version        {}", p.version);
    outln!("  created        {}", p.created);
    let expired = time::OffsetDateTime::parse(&p.expires, &time::format_description::well_known::Rfc3339)
        .map(|t| if t <= time::OffsetDateTime::now_utc() { " (expired)" } else { "" })
        .unwrap_or(" (unreadable)");
    outln!("  expires        {}{expired}", p.expires);
    let same = if p.core_fingerprint == core_fingerprint() { "this core" } else { "NOT this core" };
    outln!("  core           {} ({same})", p.core_fingerprint);
    outln!("  parent         {}", p.parent.map_or("(none)".to_string(), |d| d.to_hex()));
    outln!("  epsilon        {}", p.parameters.epsilon);
    if let Some(k) = &p.parameters.k_policy {
        outln!("  K policy       {k:?}");
    }
    if let Some(c) = p.parameters.c_hat.overall {
        outln!("  c_hat (all)    {c}");
    }
    for (class, c) in &p.parameters.c_hat.classes {
        outln!("  c_hat {class}: {c}");
    }
    if let Some(t) = p.parameters.tau.overall {
        outln!("  tau (all)      {t}");
    }
    match &p.gate_report {
        None => outln!("  gates          (no gate report)"),
        Some(r) => {
            outln!("  gates          {} on {} rows, {} queries", r.verdict.name(), r.rows, r.queries);
            for g in &r.gates {
                let v = g.value.map_or("-".to_string(), |v| format!("{v:.6}"));
                outln!("    {:<14} {:<8} value {v} (threshold {})", g.gate.name(), g.verdict.name(), g.threshold);
            }
        }
    }
    Ok(0)
}
