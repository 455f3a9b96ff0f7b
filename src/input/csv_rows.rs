//! Where CSV records start and whether each has the header's number of fields: used only after
//! a failure, to name the row and line of a broken record (quoted fields may span lines, so a
//! row's line is not its index plus one).

use std::io::{BufReader, Read};
use std::path::Path;

/// One record's place: 1-based data row (the header is row 0) and the line it starts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// Data row, 1-based.
    pub row: u64,
    /// Line the record starts on, 1-based.
    pub line: u64,
}

/// What is wrong with a file's structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A record with another number of fields than the header.
    Fields {
        /// Where.
        at: Place,
        /// Fields found.
        found: usize,
        /// Fields in the header.
        header: usize,
    },
    /// A quoted field that never closes.
    OpenQuote {
        /// Where the record starts.
        at: Place,
    },
}

/// Walk the records of a CSV file whose fields are separated by `separator`, calling
/// `visit(place, fields, header_fields)` for each data record; stops when `visit` returns
/// false. Returns where an unclosed quoted field starts.
fn walk(
    path: &Path,
    separator: u8,
    mut visit: impl FnMut(Place, usize, usize) -> bool,
) -> std::io::Result<Option<Place>> {
    let bytes = BufReader::new(std::fs::File::open(path)?).bytes();
    let (mut line, mut row) = (1u64, 0u64);
    let mut start = Place { row: 0, line: 1 };
    let (mut fields, mut quoted, mut empty_record) = (1usize, false, true);
    let mut header = 0usize;
    for b in bytes {
        let b = b?;
        if quoted {
            if b == b'"' {
                quoted = false;
            } else if b == b'\n' {
                line += 1;
            }
        } else {
            match b {
                b'"' => quoted = true,
                b if b == separator => fields += 1,
                b'\n' => {
                    if !empty_record {
                        if start.row == 0 {
                            header = fields;
                        } else if !visit(start, fields, header) {
                            return Ok(None);
                        }
                    }
                    line += 1;
                    row += u64::from(!empty_record);
                    start = Place { row, line };
                    fields = 1;
                    empty_record = true;
                    continue;
                }
                b'\r' => continue,
                _ => {}
            }
        }
        empty_record = false;
    }
    if quoted {
        return Ok(Some(start));
    }
    if !empty_record && start.row > 0 {
        visit(start, fields, header);
    }
    Ok(None)
}

/// The first record whose field count differs from the header's, or an unclosed quote.
pub fn first_problem(path: &Path, separator: u8) -> Option<Problem> {
    let mut found = None;
    let open = walk(path, separator, |at, fields, header| {
        if fields != header {
            found = Some(Problem::Fields {
                at,
                found: fields,
                header,
            });
        }
        found.is_none()
    })
    .ok()?;
    found.or(open.map(|at| Problem::OpenQuote { at }))
}

/// The line data row `row` (1-based) starts on.
pub fn line_of_row(path: &Path, separator: u8, row: u64) -> Option<u64> {
    let mut line = None;
    walk(path, separator, |at, _, _| {
        if at.row == row {
            line = Some(at.line);
            return false;
        }
        true
    })
    .ok()?;
    line
}

/// The lines data rows `rows` (1-based, ascending) start on, in one pass over the file.
pub fn lines_of_rows(path: &Path, separator: u8, rows: &[u64]) -> Vec<Option<u64>> {
    let mut lines = vec![None; rows.len()];
    let mut next = 0;
    let _ = walk(path, separator, |at, _, _| {
        while next < rows.len() && rows[next] <= at.row {
            if rows[next] == at.row {
                lines[next] = Some(at.line);
            }
            next += 1;
        }
        next < rows.len()
    });
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> tempfile::NamedTempFile {
        use std::io::Write;
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn rows_and_lines_with_quoted_newlines() {
        let f = file("a,b,c,d\n1,2,3,\"multi\nline\"\n4,5,x,ok\r\n");
        assert_eq!(line_of_row(f.path(), b',', 1), Some(2));
        assert_eq!(line_of_row(f.path(), b',', 2), Some(4));
        assert_eq!(first_problem(f.path(), b','), None);
        assert_eq!(
            lines_of_rows(f.path(), b',', &[1, 2, 2, 3]),
            vec![Some(2), Some(4), Some(4), None]
        );
    }

    #[test]
    fn extra_fields_and_open_quotes() {
        let f = file("a,b,c\n1,2,3\n4,5,6,7\n");
        assert_eq!(
            first_problem(f.path(), b','),
            Some(Problem::Fields {
                at: Place { row: 2, line: 3 },
                found: 4,
                header: 3
            })
        );
        // Fields separated by another byte: a comma is text.
        let f = file("a;b;c\n1;2,5;3\n4;5;6;7\n");
        assert_eq!(
            first_problem(f.path(), b';'),
            Some(Problem::Fields {
                at: Place { row: 2, line: 3 },
                found: 4,
                header: 3
            })
        );
        let f = file("a,b,c\n1,2,3\n4,\"5,6\n");
        assert_eq!(
            first_problem(f.path(), b','),
            Some(Problem::OpenQuote {
                at: Place { row: 2, line: 3 }
            })
        );
    }
}
