//! Checks of a Parquet file's Thrift structures, made before the parquet
//! crate decodes them, for the two ways a corrupted or hostile file made
//! that crate stop calib instead of returning an error:
//!
//! - **A footer that takes minutes to parse.** The parquet crate skips an
//!   unknown field without reading a byte for each boolean of a list, so a
//!   list header claiming 2^31 booleans loops 2^31 times (about a second)
//!   and a footer can hold thousands of them. [`check_footer`] walks the
//!   footer with Apache Thrift's compact protocol, which reads every element
//!   and bounds container sizes, so a file is refused in time linear in its
//!   footer (fuzz/corpus/parquet/slow-bool-list).
//! - **A data page without its dictionary.** A data page header whose
//!   encoding says "dictionary" in a column chunk that has no dictionary page
//!   made the parquet crate's value decoder panic, and release builds abort
//!   on panic. [`check_pages`] walks the page headers of each column chunk
//!   calib reads (headers only: no page is read or decompressed) and refuses
//!   such a page (fuzz/corpus/parquet/crash-dict-without-dictionary).
//!
//! Valid files pass both walks: they are what the Parquet format says the
//! bytes are, so each error names a real defect of the file.

use crate::io::CliError;
use parquet::file::metadata::ParquetMetaData;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use thrift::protocol::{TCompactInputProtocol, TInputProtocol, TType};

/// Refuses a footer that is not one well-formed Thrift struct. A file too
/// short for a footer, or without the magic at its end, is left to the
/// parquet crate, whose error says so.
pub(super) fn check_footer(path: &Path, file: &mut File) -> Result<(), CliError> {
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut tail = [0u8; 8];
    if size < 12 || file.seek(SeekFrom::End(-8)).and_then(|_| file.read_exact(&mut tail)).is_err() {
        return Ok(());
    }
    let len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if &tail[4..] != b"PAR1" || len + 8 > size {
        return Ok(());
    }
    let mut footer = vec![0u8; len as usize];
    file.seek(SeekFrom::End(-8 - len as i64))
        .and_then(|_| file.read_exact(&mut footer))
        .map_err(|e| CliError::file(path, format!("cannot read: {e}")))?;
    file.rewind().map_err(|e| CliError::file(path, format!("cannot read: {e}")))?;
    TCompactInputProtocol::new(&footer[..])
        .skip(TType::Struct)
        .map_err(|e| CliError::file(path, format!("not a readable Parquet file: its footer is malformed: {e}")))
}

/// Parquet's `PageType` values (parquet.thrift).
const DICTIONARY_PAGE: i32 = 2;
/// Parquet's `Encoding` values that read values through a dictionary.
const PLAIN_DICTIONARY: i32 = 2;
const RLE_DICTIONARY: i32 = 8;

/// What calib needs of one page header: its type, the size of the page
/// after the header, and the encoding of a data page's values.
struct PageHeader {
    kind: i32,
    size: i32,
    encoding: Option<i32>,
}

/// Walks the page headers of every column chunk whose root column is in
/// `roots` (all chunks for `None`), and refuses a header that is not
/// well-formed, a page that runs past its chunk, and a dictionary-encoded
/// data page before the chunk's dictionary page. The chunks are known to
/// lie inside the file (checked first, by the caller).
pub(super) fn check_pages(path: &Path, meta: &ParquetMetaData, roots: Option<&[usize]>) -> Result<(), CliError> {
    let mut file = BufReader::new(File::open(path).map_err(|e| CliError::file(path, format!("cannot open: {e}")))?);
    let descr = meta.file_metadata().schema_descr();
    for (g, group) in meta.row_groups().iter().enumerate() {
        for (i, chunk) in group.columns().iter().enumerate() {
            if roots.is_some_and(|r| !r.contains(&descr.get_column_root_idx(i))) {
                continue;
            }
            let refuse = |what: String| {
                CliError::file(
                    path,
                    format!(
                        "not a readable Parquet file: row group {g}, column {:?}: {what}",
                        chunk.column_path().string()
                    ),
                )
            };
            let mut at = chunk.dictionary_page_offset().unwrap_or(chunk.data_page_offset()) as u64;
            let end = at + chunk.compressed_size() as u64;
            let mut dictionary = false;
            while at < end {
                file.seek(SeekFrom::Start(at)).map_err(|e| CliError::file(path, format!("cannot read: {e}")))?;
                let mut counted = Counted { inner: (&mut file).take(end - at), read: 0 };
                let header = read_page_header(&mut counted)
                    .map_err(|e| refuse(format!("the page header at byte {at} is malformed: {e}")))?;
                let body = u64::try_from(header.size)
                    .map_err(|_| refuse(format!("the page at byte {at} claims a negative size {}", header.size)))?;
                let next = at + counted.read + body;
                if next > end {
                    return Err(refuse(format!("the page at byte {at} runs past the end of its column chunk")));
                }
                if header.kind == DICTIONARY_PAGE {
                    dictionary = true;
                } else if matches!(header.encoding, Some(PLAIN_DICTIONARY | RLE_DICTIONARY)) && !dictionary {
                    return Err(refuse(format!(
                        "the data page at byte {at} is dictionary-encoded, but the column chunk has no dictionary page before it"
                    )));
                }
                at = next;
            }
        }
    }
    Ok(())
}

/// A reader that counts the bytes read through it (a page header's length).
struct Counted<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// Reads one `PageHeader` struct (parquet.thrift): field 1 the page type,
/// 3 the compressed page size, and the encoding from field 5 (a v1 data
/// page header, its field 2) or field 8 (a v2 one, its field 4). Every
/// other field is skipped, as Thrift's compatibility rules say.
fn read_page_header(r: &mut impl Read) -> thrift::Result<PageHeader> {
    let mut p = TCompactInputProtocol::new(r);
    let mut header = PageHeader { kind: -1, size: -1, encoding: None };
    p.read_struct_begin()?;
    loop {
        let field = p.read_field_begin()?;
        match (field.id, field.field_type) {
            (_, TType::Stop) => break,
            (Some(1), TType::I32) => header.kind = p.read_i32()?,
            (Some(3), TType::I32) => header.size = p.read_i32()?,
            (Some(5), TType::Struct) => header.encoding = read_encoding(&mut p, 2)?.or(header.encoding),
            (Some(8), TType::Struct) => header.encoding = read_encoding(&mut p, 4)?.or(header.encoding),
            (_, t) => p.skip(t)?,
        }
        p.read_field_end()?;
    }
    p.read_struct_end()?;
    Ok(header)
}

/// Reads a data page header struct, returning its field `id` (the values'
/// encoding) and skipping the rest.
fn read_encoding(p: &mut impl TInputProtocol, id: i16) -> thrift::Result<Option<i32>> {
    let mut encoding = None;
    p.read_struct_begin()?;
    loop {
        let field = p.read_field_begin()?;
        match field.field_type {
            TType::Stop => break,
            TType::I32 if field.id == Some(id) => encoding = Some(p.read_i32()?),
            t => p.skip(t)?,
        }
        p.read_field_end()?;
    }
    p.read_struct_end()?;
    Ok(encoding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::{WriterProperties, WriterVersion};
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use std::sync::Arc;

    fn corpus(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/parquet").join(name)
    }

    /// A file of many small pages: dictionary-encoded text and plain
    /// numbers, in data pages v1 or v2.
    fn write(path: &Path, version: WriterVersion) {
        let n = 5_000;
        let score: ArrayRef = Arc::new(Float64Array::from_iter_values((0..n).map(|i| f64::from(i) / f64::from(n))));
        let class: ArrayRef = Arc::new(StringArray::from_iter_values((0..n).map(|i| ["web", "app"][i as usize % 2])));
        let batch = RecordBatch::try_from_iter([("score", score), ("class", class)]).unwrap();
        let props = WriterProperties::builder().set_writer_version(version).set_data_page_row_count_limit(100).build();
        let mut w = ArrowWriter::try_new(File::create(path).unwrap(), batch.schema(), Some(props)).unwrap();
        for _ in 0..3 {
            w.write(&batch).unwrap();
            w.flush().unwrap();
        }
        w.close().unwrap();
    }

    #[test]
    fn files_of_both_page_versions_pass_both_walks() {
        let dir = tempfile::tempdir().unwrap();
        for version in [WriterVersion::PARQUET_1_0, WriterVersion::PARQUET_2_0] {
            let path = dir.path().join("t.parquet");
            write(&path, version);
            check_footer(&path, &mut File::open(&path).unwrap()).unwrap();
            let meta = SerializedFileReader::new(File::open(&path).unwrap()).unwrap().metadata().clone();
            assert_eq!(meta.num_row_groups(), 3);
            assert!(meta.row_group(0).column(1).dictionary_page_offset().is_some(), "class has a dictionary");
            check_pages(&path, &meta, None).unwrap();
            check_pages(&path, &meta, Some(&[1])).unwrap();
        }
    }

    #[test]
    fn a_page_that_runs_past_its_chunk_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        write(&path, WriterVersion::PARQUET_1_0);
        let meta = SerializedFileReader::new(File::open(&path).unwrap()).unwrap().metadata().clone();
        // Cut the chunk short: the same pages, claimed to fill 10 bytes less.
        let chunk = meta.row_group(0).column(0);
        let start = chunk.dictionary_page_offset().unwrap_or(chunk.data_page_offset()) as usize;
        let short = parquet::file::metadata::ColumnChunkMetaData::builder(chunk.column_descr_ptr())
            .set_compression(chunk.compression())
            .set_data_page_offset(chunk.data_page_offset())
            .set_dictionary_page_offset(chunk.dictionary_page_offset())
            .set_total_compressed_size(chunk.compressed_size() - 10)
            .build()
            .unwrap();
        let group = parquet::file::metadata::RowGroupMetaData::builder(meta.file_metadata().schema_descr_ptr())
            .set_num_rows(meta.row_group(0).num_rows())
            .set_column_metadata(vec![short, meta.row_group(0).column(1).clone()])
            .build()
            .unwrap();
        let cut = ParquetMetaData::new(meta.file_metadata().clone(), vec![group]);
        let err = check_pages(&path, &cut, None).unwrap_err().to_string();
        assert!(err.contains("runs past the end of its column chunk"), "{err} (chunk at {start})");
        assert!(err.contains("row group 0, column \"score\""), "{err}");
    }

    #[test]
    fn the_fuzzers_cases_are_refused_by_name() {
        let path = corpus("slow-bool-list");
        let err = check_footer(&path, &mut File::open(&path).unwrap()).unwrap_err().to_string();
        assert!(err.contains("its footer is malformed"), "{err}");

        let path = corpus("crash-dict-without-dictionary");
        check_footer(&path, &mut File::open(&path).unwrap()).unwrap();
        let meta = SerializedFileReader::new(File::open(&path).unwrap()).unwrap().metadata().clone();
        let err = check_pages(&path, &meta, None).unwrap_err().to_string();
        assert!(err.contains("is dictionary-encoded, but the column chunk has no dictionary page"), "{err}");
    }

    #[test]
    fn a_file_without_a_footer_is_left_to_the_parquet_crate() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("short.parquet");
        std::fs::write(&path, b"PAR1PAR1").unwrap();
        check_footer(&path, &mut File::open(&path).unwrap()).unwrap();
        std::fs::write(&path, b"PAR1 not a footer at all, no magic").unwrap();
        check_footer(&path, &mut File::open(&path).unwrap()).unwrap();
    }
}
