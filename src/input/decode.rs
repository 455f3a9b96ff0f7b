//! The encodings of CSV files (`input.csv.encoding`). A file in another encoding than UTF-8
//! is decoded, a chunk at a time (never whole in memory), into a UTF-8 copy in the system's
//! temporary folder (`TMPDIR`), which the run reads instead and removes when it is done, also
//! when it fails; a killed run's copy is removed by the next run (the discipline of
//! [`crate::temp`]). Line breaks are kept, so a row's line in the copy is its line in
//! the file, and messages name the file as given. UTF-8 files (the default) are read as they
//! are: no copy, no extra pass.
//!
//! Also here: telling, after the fact, that a file read as UTF-8 is not ([`check_keys`]), and
//! the hints for a header that shows it.

use std::io::{BufWriter, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use polars::prelude::*;

use super::{csv_rows, scan_file, Format, Kind, SourceFile, Spec};
use crate::columns::*;
use crate::error::{shorten, BadValue, Error, Result};
use crate::settings::{CsvDialect, Encoding};
use crate::temp::{self, Guard};

/// The UTF-8 copy of a file in another encoding, removed when the last holder drops it.
pub struct Decoded {
    guard: Guard,
}

impl Decoded {
    /// The copy's path.
    pub fn path(&self) -> &Path {
        self.guard.path()
    }
}

impl std::fmt::Debug for Decoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Decoded({})", self.path().display())
    }
}

/// Bytes read (and decoded) at a time.
const CHUNK: usize = 1 << 16;

/// The fix for a file that is not in the encoding it is read with.
pub(super) const ENCODINGS: &str =
    "windows-1256 for Arabic and Persian, windows-1252 or latin-1 for Western European, or utf-16";

/// The CSV files of `files` decoded to UTF-8 copies when `dialect` names another encoding;
/// the files unchanged otherwise.
pub fn decode(files: Vec<SourceFile>, dialect: &CsvDialect) -> Result<Vec<SourceFile>> {
    if dialect.encoding == Encoding::Utf8 {
        return Ok(files);
    }
    files
        .into_iter()
        .map(|mut file| {
            if file.format == Format::Csv {
                file.decoded = Some(Arc::new(decode_file(&file.path, dialect.encoding)?));
            }
            Ok(file)
        })
        .collect()
}

/// How one file's bytes become text.
enum Decoder {
    /// encoding_rs, without replacement: a malformed sequence stops the copy.
    Whatwg(encoding_rs::Decoder),
    /// ISO-8859-1: each byte is the code point of its value.
    Latin1,
}

/// The copies of this process, numbered (each name is also this process's and its start).
static COPIES: AtomicU64 = AtomicU64::new(0);

fn decode_file(path: &Path, encoding: Encoding) -> Result<Decoded> {
    let read_error = |e: std::io::Error| Error::InputRead {
        path: path.to_path_buf(),
        message: format!("cannot read: {e}"),
    };
    let mut source = std::fs::File::open(path).map_err(read_error)?;
    let mut src = vec![0u8; CHUNK];
    let mut filled = fill(&mut source, &mut src).map_err(read_error)?;
    let mut decoder = decoder_for(path, encoding, &src[..filled])?;
    let target = std::env::temp_dir().join(format!(
        "rfmseg-input-{}.csv",
        COPIES.fetch_add(1, Ordering::Relaxed)
    ));
    temp::clean_stale(&target);
    let guard = Guard::new(temp::path_for(&target));
    let write_error = |e: std::io::Error| Error::InputRead {
        path: path.to_path_buf(),
        message: format!(
            "cannot write its UTF-8 copy {}: {e}; set TMPDIR to a folder with room for it",
            guard.path().display()
        ),
    };
    let mut out = BufWriter::with_capacity(
        CHUNK,
        std::fs::File::create(guard.path()).map_err(write_error)?,
    );
    let mut dst = vec![0u8; 4 * CHUNK + 16];
    let mut line = 1u64;
    loop {
        let last = filled == 0;
        let mut input = &src[..filled];
        loop {
            let (done, read, written) = match &mut decoder {
                Decoder::Whatwg(d) => {
                    let (result, read, written) =
                        d.decode_to_utf8_without_replacement(input, &mut dst, last);
                    let done = match result {
                        encoding_rs::DecoderResult::InputEmpty => true,
                        encoding_rs::DecoderResult::OutputFull => false,
                        encoding_rs::DecoderResult::Malformed(..) => {
                            out.write_all(&dst[..written]).map_err(write_error)?;
                            line += newlines(&dst[..written]);
                            return Err(malformed(path, encoding, line));
                        }
                    };
                    (done, read, written)
                }
                Decoder::Latin1 => {
                    let n = input.len().min(dst.len() / 2);
                    let written = encoding_rs::mem::convert_latin1_to_utf8(&input[..n], &mut dst);
                    (n == input.len(), n, written)
                }
            };
            out.write_all(&dst[..written]).map_err(write_error)?;
            line += newlines(&dst[..written]);
            input = &input[read..];
            if done {
                break;
            }
        }
        if last {
            break;
        }
        filled = fill(&mut source, &mut src).map_err(read_error)?;
    }
    out.into_inner()
        .map_err(|e| write_error(e.into_error()))?
        .sync_all()
        .map_err(write_error)?;
    Ok(Decoded { guard })
}

/// Read until `buf` is full or the file ends: the bytes read.
fn fill(source: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match source.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// The byte order mark `start` begins with, if any.
fn bom(start: &[u8]) -> Option<&'static str> {
    if start.starts_with(&[0xEF, 0xBB, 0xBF]) {
        Some("UTF-8")
    } else if start.starts_with(&[0xFF, 0xFE]) {
        Some("UTF-16 little endian")
    } else if start.starts_with(&[0xFE, 0xFF]) {
        Some("UTF-16 big endian")
    } else {
        None
    }
}

/// The decoder for a file in `encoding` that starts with `start`; a byte order mark that
/// contradicts the encoding, or a UTF-16 file without one, is refused.
fn decoder_for(path: &Path, encoding: Encoding, start: &[u8]) -> Result<Decoder> {
    let refuse = |message: String| Error::InputRead {
        path: path.to_path_buf(),
        message,
    };
    let name = encoding.name();
    match (encoding, bom(start)) {
        (Encoding::Utf16, Some("UTF-16 little endian")) => Ok(Decoder::Whatwg(
            encoding_rs::UTF_16LE.new_decoder_with_bom_removal(),
        )),
        (Encoding::Utf16, Some("UTF-16 big endian")) => Ok(Decoder::Whatwg(
            encoding_rs::UTF_16BE.new_decoder_with_bom_removal(),
        )),
        // An empty file has no mark to read: its (empty) copy is refused as empty.
        (_, _) if start.is_empty() => Ok(Decoder::Latin1),
        (Encoding::Utf16, Some(_)) => Err(refuse(
            "starts with a UTF-8 byte order mark, but input.csv.encoding is utf-16; the file is UTF-8: remove input.csv.encoding (utf-8 is the default)".to_string(),
        )),
        (Encoding::Utf16, None) => Err(refuse(
            "input.csv.encoding is utf-16, but the file does not start with a byte order mark (FF FE or FE FF), so its byte order is unknown; save it again as UTF-16 with a byte order mark (Excel's \"Unicode Text\"), or as UTF-8 and remove input.csv.encoding".to_string(),
        )),
        (_, Some(mark)) => Err(refuse(format!(
            "starts with a {mark} byte order mark, but input.csv.encoding is {name}; set input.csv.encoding: {}",
            if mark == "UTF-8" {
                "utf-8 (the default: remove the key)"
            } else {
                "utf-16"
            }
        ))),
        (Encoding::Windows1256, None) => Ok(Decoder::Whatwg(
            encoding_rs::WINDOWS_1256.new_decoder_without_bom_handling(),
        )),
        (Encoding::Windows1252, None) => Ok(Decoder::Whatwg(
            encoding_rs::WINDOWS_1252.new_decoder_without_bom_handling(),
        )),
        (Encoding::Latin1, None) => Ok(Decoder::Latin1),
        (Encoding::Utf8, _) => unreachable!("UTF-8 files are not decoded"),
    }
}

fn malformed(path: &Path, encoding: Encoding, line: u64) -> Error {
    Error::InputRead {
        path: path.to_path_buf(),
        message: format!(
            "line {line} holds bytes that are not {} text (input.csv.encoding: {}); the file is in another encoding, or damaged: set input.csv.encoding to the file's encoding, or fix the line",
            match encoding {
                Encoding::Utf16 => "UTF-16",
                other => other.name(),
            },
            encoding.name()
        ),
    }
}

/// For each of `lines` (1-based, ascending), whether that line of `path` holds bytes that
/// are not UTF-8; one pass up to the last of them, a line at a time.
fn lines_not_utf8(path: &Path, lines: &[u64]) -> std::io::Result<Vec<bool>> {
    use std::io::BufRead;
    let mut reader = std::io::BufReader::with_capacity(CHUNK, std::fs::File::open(path)?);
    let mut found = vec![false; lines.len()];
    let (mut line, mut next) = (1u64, 0usize);
    let mut buf = Vec::new();
    while next < lines.len() {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        if lines[next] == line {
            let bad = std::str::from_utf8(&buf).is_err();
            while next < lines.len() && lines[next] == line {
                found[next] = bad;
                next += 1;
            }
        }
        line += 1;
    }
    Ok(found)
}

/// What a header read as UTF-8 shows about the file's encoding: a UTF-16 byte order mark, or
/// bytes that are not UTF-8 (read as U+FFFD). The hint that names the key, or None.
pub fn header_hint(file: &SourceFile, names: &[&str], dialect: &CsvDialect) -> Option<String> {
    if dialect.encoding != Encoding::Utf8 {
        return None;
    }
    let mut start = [0u8; 2];
    let utf16 = std::fs::File::open(&file.path)
        .and_then(|mut f| f.read_exact(&mut start))
        .is_ok()
        && bom(&start).is_some_and(|m| m.starts_with("UTF-16"));
    if utf16 {
        Some("the file starts with a UTF-16 byte order mark: set input.csv.encoding: utf-16".into())
    } else if names.iter().any(|n| n.contains('\u{FFFD}')) {
        Some(format!(
            "the header holds bytes that are not UTF-8: set input.csv.encoding to the file's encoding: {ENCODINGS}"
        ))
    } else {
        None
    }
}

/// With the default encoding (UTF-8), bytes that are not UTF-8 are read as U+FFFD, so two
/// customers whose ids differ only there would become one. After the aggregation: when a
/// customer id or group value of `customers` holds U+FFFD and a CSV file read as UTF-8 is not
/// UTF-8, the first such value of that file is an error that names the key to set. A file
/// that is valid UTF-8 and writes U+FFFD itself is read as written. The check costs a look at
/// each customer's keys, not at each line.
pub fn check_keys(customers: &DataFrame, files: &[SourceFile], spec: &Spec) -> Result<()> {
    if spec.input.csv.encoding != Encoding::Utf8 || !files.iter().any(|f| f.format == Format::Csv) {
        return Ok(());
    }
    let keys: Vec<&str> = spec
        .group_by
        .iter()
        .map(String::as_str)
        .chain([CUSTOMER_ID])
        .filter(|k| {
            customers
                .column(k)
                .is_ok_and(|c| c.dtype() == &DataType::String)
        })
        .collect();
    let Some(any) = keys
        .iter()
        .map(|k| replaced(col(*k)))
        .reduce(|a, b| a.or(b))
    else {
        return Ok(());
    };
    let found = customers
        .clone()
        .lazy()
        .select([any.any(true)])
        .collect()
        .map_err(Error::engine("checking the customer ids"))?;
    let hit = found
        .columns()
        .first()
        .and_then(|c| c.get(0).ok())
        .is_some_and(|v| v == AnyValue::Boolean(true));
    if !hit {
        return Ok(());
    }
    for file in files.iter().filter(|f| f.format == Format::Csv) {
        if let Some(bad) = first_replaced_key(file, spec)? {
            return Err(bad);
        }
    }
    Ok(())
}

/// Rows of one file whose keys hold U+FFFD that are looked at for bytes that are not UTF-8.
const LOOKED_AT: u32 = 1000;

fn replaced(text: Expr) -> Expr {
    text.str()
        .contains_literal(lit("\u{FFFD}"))
        .fill_null(lit(false))
}

/// The first value of `file`'s key columns (group_by, customer_id) that holds U+FFFD on a line
/// with bytes that are not UTF-8 (among the first [`LOOKED_AT`] such rows), as the error that
/// names it.
fn first_replaced_key(file: &SourceFile, spec: &Spec) -> Result<Option<Error>> {
    let roles: Vec<_> = spec
        .roles()
        .into_iter()
        .filter(|r| r.kind == Kind::Key && r.canonical != ORDER_ID)
        .collect();
    let lf = scan_file(file, &spec.input.csv)?;
    let any = roles
        .iter()
        .map(|r| replaced(col(r.column.as_str())))
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false));
    let mut select: Vec<Expr> = roles.iter().map(|r| col(r.column.as_str())).collect();
    select.push((col(SOURCE_ROW).cast(DataType::UInt64) + lit(1u64)).alias(SOURCE_ROW));
    let found = lf
        .with_row_index(SOURCE_ROW, None)
        .filter(any)
        .select(select)
        .limit(LOOKED_AT)
        .collect()
        .map_err(Error::engine("finding the bytes that are not UTF-8"))?;
    if found.height() == 0 {
        return Ok(None);
    }
    let rows: Vec<u64> = found
        .column(SOURCE_ROW)
        .and_then(|c| c.u64().map(|c| c.into_no_null_iter().collect()))
        .map_err(Error::engine("finding the bytes that are not UTF-8"))?;
    let separator = spec.input.csv.separator;
    // Rows ascend, so their lines do.
    let lines: Vec<(usize, u64)> = csv_rows::lines_of_rows(file.read_path(), separator, &rows)
        .into_iter()
        .enumerate()
        .filter_map(|(i, line)| Some((i, line?)))
        .collect();
    let numbers: Vec<u64> = lines.iter().map(|(_, line)| *line).collect();
    let not_utf8 = lines_not_utf8(file.read_path(), &numbers).unwrap_or_default();
    let Some(&(at, line)) = lines
        .iter()
        .zip(&not_utf8)
        .find(|(_, bad)| **bad)
        .map(|(place, _)| place)
    else {
        return Ok(None);
    };
    let row = rows[at];
    for role in &roles {
        let value = match found.column(&role.column).ok().and_then(|c| c.get(at).ok()) {
            Some(AnyValue::String(s)) => s.to_string(),
            Some(AnyValue::StringOwned(s)) => s.to_string(),
            _ => continue,
        };
        if !value.contains('\u{FFFD}') {
            continue;
        }
        return Ok(Some(Error::InputValue(Box::new(BadValue {
            path: file.path.clone(),
            place: format!("row {row} (line {line})"),
            column: role.column.clone(),
            role: role.label.clone(),
            value: shorten(&value),
            expected: "UTF-8 text".to_string(),
            fix: format!(
                "The file is not UTF-8, the default encoding: its bytes that are not UTF-8 were read as U+FFFD (\u{FFFD}), which would make different ids one. Set input.csv.encoding to the file's encoding: {ENCODINGS}."
            ),
        }))));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// The paths of the copies in `dir`.
    fn copies_in(dir: &Path) -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(".rfmseg-input-"))
            })
            .collect();
        found.sort();
        found
    }

    fn decoded_text(bytes: &[u8], encoding: Encoding) -> Result<String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv");
        std::fs::write(&path, bytes).unwrap();
        let d = decode_file(&path, encoding)?;
        let text = std::fs::read_to_string(d.path()).unwrap();
        let copy = d.path().to_path_buf();
        drop(d);
        assert!(!copy.exists(), "the copy outlived its holder");
        Ok(text)
    }

    fn message(e: Error) -> String {
        e.to_string()
    }

    #[test]
    fn single_byte_encodings_decode_every_byte() {
        // Windows-1256: Arabic and Persian letters; 0x81 is پ, 0x98 is ک, 0xC7 is ا.
        assert_eq!(
            decoded_text(b"id\n\x81\x98\xc7\r\n", Encoding::Windows1256).unwrap(),
            "id\nپکا\r\n"
        );
        // Windows-1252 maps 0x80 to the euro sign; ISO-8859-1 keeps it as U+0080.
        assert_eq!(
            decoded_text(b"\x80\xe9", Encoding::Windows1252).unwrap(),
            "€é"
        );
        assert_eq!(
            decoded_text(b"\x80\xe9", Encoding::Latin1).unwrap(),
            "\u{80}é"
        );
        let all: Vec<u8> = (0..=255u8).collect();
        let latin1: String = (0..=255u8).map(char::from).collect();
        assert_eq!(decoded_text(&all, Encoding::Latin1).unwrap(), latin1);
    }

    #[test]
    fn a_file_longer_than_a_chunk_decodes_whole() {
        let line = "دانشگاه,12\n";
        let text = line.repeat(3 * CHUNK / line.len() + 7);
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1256.encode(&text);
        assert!(!unmappable);
        assert_eq!(decoded_text(&bytes, Encoding::Windows1256).unwrap(), text);
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert_eq!(decoded_text(&utf16, Encoding::Utf16).unwrap(), text);
    }

    #[test]
    fn utf16_needs_its_byte_order_mark_and_whole_units() {
        let text = "a,b\nمحمد,2\n";
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(|u| u.to_be_bytes()));
        assert_eq!(decoded_text(&le, Encoding::Utf16).unwrap(), text);
        assert_eq!(decoded_text(&be, Encoding::Utf16).unwrap(), text);
        let e = message(decoded_text(&le[2..], Encoding::Utf16).unwrap_err());
        assert!(e.contains("does not start with a byte order mark"), "{e}");
        // An unpaired surrogate on line 2.
        let mut bad = le.clone();
        bad.extend([0x00, 0xD8, b'x', 0]);
        let e = message(decoded_text(&bad, Encoding::Utf16).unwrap_err());
        assert!(
            e.contains("line 3 holds bytes that are not UTF-16 text (input.csv.encoding: utf-16)"),
            "{e}"
        );
        // An odd byte at the end.
        let mut odd = le.clone();
        odd.push(b'x');
        let e = message(decoded_text(&odd, Encoding::Utf16).unwrap_err());
        assert!(e.contains("line 3 holds bytes that are not UTF-16"), "{e}");
    }

    #[test]
    fn a_byte_order_mark_that_contradicts_the_encoding_is_refused() {
        let e = message(decoded_text(b"\xef\xbb\xbfa,b\n", Encoding::Windows1256).unwrap_err());
        assert!(e.contains("starts with a UTF-8 byte order mark, but input.csv.encoding is windows-1256; set input.csv.encoding: utf-8"), "{e}");
        let e = message(decoded_text(b"\xff\xfea\x00", Encoding::Latin1).unwrap_err());
        assert!(e.contains("set input.csv.encoding: utf-16"), "{e}");
        let e = message(decoded_text(b"\xef\xbb\xbfa,b\n", Encoding::Utf16).unwrap_err());
        assert!(e.contains("the file is UTF-8"), "{e}");
    }

    #[test]
    fn the_copy_is_removed_when_decoding_fails() {
        let dir = tempfile::tempdir().unwrap();
        let before = copies_in(&std::env::temp_dir());
        let path = dir.path().join("in.csv");
        std::fs::write(&path, [0xFF, 0xFE, b'a', 0, 0x00, 0xD8, b'b', 0]).unwrap();
        assert!(decode_file(&path, Encoding::Utf16).is_err());
        let after = copies_in(&std::env::temp_dir());
        let mine = format!("-{}-", std::process::id());
        let new: Vec<_> = after
            .iter()
            .filter(|p| !before.contains(p) && p.display().to_string().contains(&mine))
            .collect();
        assert!(new.is_empty(), "{new:?}");
    }

    #[test]
    fn lines_that_are_not_utf8_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv");
        let mut bytes = "a\n\u{fffd}\né\n".as_bytes().to_vec();
        bytes.extend(b"\xe9t\xe9\nok\n\xc3");
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(
            lines_not_utf8(&path, &[1, 2, 3, 4, 4, 5, 6, 9]).unwrap(),
            [false, false, false, true, true, false, true, false]
        );
    }
}
