//! Parquet inputs: a single file, or a directory of files (a Spark or Hive
//! output directory, a dataset written in parts). Read batch by batch
//! through Arrow, keeping only the columns a command uses; each value is
//! checked with its row, so a null label or a text score is reported as
//! `file: row N: column "label": ...`, like a CSV error names its line.
//!
//! Accepted types: numbers (`score`, `label`, `weight`) may be any float or
//! integer column, and `label` may be boolean; names (`class`, `query_id`)
//! may be strings, dictionary-encoded strings or integers; `timestamp` may
//! be a Parquet timestamp or an RFC 3339 string. Nulls are refused.
//!
//! Hive-style partition directories (`logs/class=web/part-0.parquet`, as
//! Spark's `partitionBy` writes them) supply a column the files under them
//! lack: the directory's value, percent-decoded, for every row.
//!
//! - [`dataset`]: which paths are Parquet, the files of a dataset, opening one;
//! - `structure`: checks of the footer and page headers that the parquet
//!   crate would loop or panic on;
//! - [`partition`]: Hive partition directories, their values and types;
//! - [`decode`]: Arrow columns to calib's numbers and names, errors by row;
//! - [`read`]: the columns of a dataset, whole or streamed, and timestamps;
//! - [`write`](mod@write): `calib apply`'s Parquet output.

pub mod dataset;
pub mod decode;
pub mod partition;
pub mod read;
mod structure;
pub mod write;

pub use dataset::is_parquet;
pub use read::{read_columns, read_timestamps, scan};
pub use write::apply;
