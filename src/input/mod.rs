//! Input files -> one LazyFrame of order lines with the canonical columns
//! (group_by..., customer_id, order_date: Date, amount: Float64, order_id), schema checked up
//! front per file. Values are parsed strictly: when the engine reports a bad value, [`diagnose`]
//! rescans the files to name the file, row, column and value. CSV files are read in the
//! dialect of `input.csv`: its separator, its amounts ([`number_text`]) and its encoding
//! (files in another encoding than UTF-8 are read from a UTF-8 copy, [`decode`]).

mod csv_rows;
mod decode;
mod diagnose;
mod dialect;
mod estimate;
mod latest;
mod paths;

mod parquet_stats;
mod prefetch;
mod text;

use std::path::Path;

use polars::prelude::*;

pub use decode::{check_keys, decode, Decoded};
pub use diagnose::diagnose;
pub use dialect::{grouped_pattern, number_text};
pub use estimate::estimated_lines;
pub use latest::latest_date;
pub use parquet_stats::{integer_span, latest_date as latest_date_in_statistics};
pub use paths::{format_of, resolve, Format, SourceFile};
pub use prefetch::{polars_threads, set_parquet_prefetch};
pub use text::{ascii_digits, persian_day};
use text::{blank_to_null, iso_dates};

use crate::columns::*;
use crate::error::{shorten, BadValue, Error, Result};
use crate::settings::{Calendar, CsvDialect, InputSettings};

/// What to read and how: the mapped columns and the group_by columns.
#[derive(Debug, Clone)]
pub struct Spec<'a> {
    /// input: section.
    pub input: &'a InputSettings,
    /// analysis.group_by columns.
    pub group_by: &'a [String],
    /// analysis.monetary_decimals: an amount whose minor units do not fit in 64 bits is bad.
    pub monetary_decimals: u32,
}

/// One role: its canonical name, the file's column name, and what it accepts.
#[derive(Debug, Clone)]
struct Role {
    canonical: String,
    column: String,
    label: String,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// customer_id, order_id, group_by: kept as written.
    Key,
    /// A calendar date.
    Date,
    /// A number.
    Amount,
}

impl Spec<'_> {
    fn roles(&self) -> Vec<Role> {
        let c = &self.input.columns;
        let role = |canonical: &str, column: &str, label: &str, kind| Role {
            canonical: canonical.to_string(),
            column: column.to_string(),
            label: label.to_string(),
            kind,
        };
        let mut roles: Vec<Role> = self
            .group_by
            .iter()
            .map(|g| role(g, g, "group_by", Kind::Key))
            .collect();
        roles.push(role(CUSTOMER_ID, &c.customer_id, "customer_id", Kind::Key));
        roles.push(role(ORDER_DATE, &c.order_date, "order_date", Kind::Date));
        roles.push(role(AMOUNT, &c.amount, "amount", Kind::Amount));
        if let Some(o) = &c.order_id {
            roles.push(role(ORDER_ID, o, "order_id", Kind::Key));
        }
        roles
    }
}

/// The suffix polars gives the second column of a CSV header that repeats a name.
const DUPLICATED: &str = "_duplicated_0";

/// Open one file lazily, as written (CSV: every column as text, fields split at the
/// dialect's separator, read from the UTF-8 copy when the file has one).
fn scan_file(file: &SourceFile, csv: &CsvDialect) -> Result<LazyFrame> {
    let target = PlRefPath::new(file.read_path().to_string_lossy().as_ref());
    let scanned = match file.format {
        Format::Csv => LazyCsvReader::new(target)
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_separator(csv.separator)
            // Bytes that are not UTF-8 (a Latin-1 product name) must not stop a run; they
            // become U+FFFD ([`check_keys`] stops one where they would merge customers).
            .with_encoding(CsvEncoding::LossyUtf8)
            .with_glob(false)
            .finish(),
        Format::Parquet => LazyFrame::scan_parquet(
            target,
            ScanArgsParquet {
                glob: false,
                ..Default::default()
            },
        ),
    };
    scanned.map_err(|e| read_error(&file.path, &e))
}

fn read_error(path: &Path, e: &PolarsError) -> Error {
    let empty = std::fs::metadata(path).is_ok_and(|m| m.len() == 0);
    Error::InputRead {
        path: path.to_path_buf(),
        message: if empty {
            "the file is empty; a CSV needs a header row (and data rows), a Parquet file a footer; remove it from the input or re-export it".to_string()
        } else {
            first_line(&e.to_string())
        },
    }
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or(s);
    // An engine message may quote data; keep it to a readable length.
    if line.chars().nth(500).is_some() {
        format!("{}...", line.chars().take(480).collect::<String>())
    } else {
        line.to_string()
    }
}

/// A file's schema, read from its header or footer.
fn schema_of(file: &SourceFile, lf: &mut LazyFrame) -> Result<SchemaRef> {
    lf.collect_schema().map_err(|e| read_error(&file.path, &e))
}

/// The type a key column takes in the combined frame: its type where every file agrees,
/// text otherwise.
fn common_types(roles: &[Role], schemas: &[SchemaRef]) -> Vec<DataType> {
    roles
        .iter()
        .map(|role| {
            let mut types = schemas.iter().map(|s| {
                let dt = s
                    .get(role.column.as_str())
                    .cloned()
                    .unwrap_or(DataType::String);
                if matches!(dt, DataType::Categorical(..) | DataType::Enum(..)) {
                    DataType::String
                } else {
                    dt
                }
            });
            let first = types.next().unwrap_or(DataType::String);
            if types.all(|t| t == first) {
                first
            } else {
                DataType::String
            }
        })
        .collect()
}

/// The order lines of all `files` in canonical columns (see the module docs).
pub fn scan(files: &[SourceFile], spec: &Spec) -> Result<LazyFrame> {
    let frames = canonical_frames(files, spec, true)?.frames;
    concat(frames, UnionArgs::default()).map_err(Error::engine("combining the input files"))
}

/// The order lines of all `files` in canonical columns, without the rows that hold a value
/// that cannot be read: those are set aside ([`rejected`] lists them).
pub fn scan_lenient(files: &[SourceFile], spec: &Spec) -> Result<LazyFrame> {
    let Frames {
        frames,
        roles,
        flagged,
    } = canonical_frames(files, spec, false)?;
    let canonical: Vec<Expr> = roles.iter().map(|r| col(r.canonical.as_str())).collect();
    let frames = frames
        .into_iter()
        .zip(&flagged)
        .map(|(lf, flagged)| {
            let keep = flagged
                .iter()
                .map(|&i| col(bad_flag(&roles[i])).not())
                .reduce(|a, b| a.and(b))
                .unwrap_or(lit(true));
            lf.filter(keep).select(canonical.clone())
        })
        .collect::<Vec<_>>();
    concat(frames, UnionArgs::default()).map_err(Error::engine("combining the input files"))
}

/// The values of `files` that cannot be read as their role's type, set aside by
/// `input.rejects_path`.
#[derive(Debug, Clone)]
pub struct Rejected {
    /// One row per unreadable value, columns [`REJECT_COLUMNS`]: in file order, then row,
    /// then role order (group_by columns, customer_id, order_date, amount, order_id). A row
    /// with two unreadable values has two entries.
    pub values: DataFrame,
    /// Input rows with at least one unreadable value (each is left out of the run).
    pub rows: u64,
}

/// Every value of `files` that cannot be read (what [`scan_lenient`] leaves out), with the
/// file, row, CSV line, column, value as written and the reason. One scan of each file.
pub fn rejected(files: &[SourceFile], spec: &Spec) -> Result<Rejected> {
    let Frames {
        frames,
        roles,
        flagged,
    } = canonical_frames(files, spec, false)?;
    let date_reason = format!(
        "not {}",
        spec.input
            .calendar
            .expected_text_date(spec.input.date_format.as_deref())
    );
    let mut parts = Vec::new();
    for (i, ((file, lf), flagged)) in files.iter().zip(frames).zip(&flagged).enumerate() {
        let amount_reason = dialect::amount_reason(numbers_of(file, &spec.input.csv));
        let Some(any_bad) = flagged
            .iter()
            .map(|&r| col(bad_flag(&roles[r])))
            .reduce(|a, b| a.or(b))
        else {
            continue;
        };
        // One scan per file: its bad rows are few, each role's entries come from them.
        let bad_rows = lf.filter(any_bad).cache();
        for &r in flagged {
            let role = &roles[r];
            let reason = match role.kind {
                Kind::Amount => when(col(role.canonical.as_str()).is_null())
                    .then(lit(amount_reason.as_str()))
                    .when(col(role.canonical.as_str()).is_finite())
                    .then(lit(format!(
                        "too large: {}",
                        too_large(spec.monetary_decimals)
                    )))
                    .otherwise(lit("NaN or infinite")),
                _ => lit(date_reason.as_str()),
            };
            parts.push(bad_rows.clone().filter(col(bad_flag(role))).select([
                lit(i as u32).cast(DataType::UInt32).alias(FILE_INDEX),
                lit(file.path.display().to_string()).alias(REJECT_FILE),
                (col(SOURCE_ROW).cast(DataType::UInt64) + lit(1u64)).alias(REJECT_ROW),
                lit(r as u32).cast(DataType::UInt32).alias(ROLE_INDEX),
                lit(role.column.as_str()).alias(REJECT_COLUMN),
                col(raw_text(role).as_str()).alias(REJECT_VALUE),
                reason.alias(REJECT_REASON),
            ]));
        }
    }
    let fail = Error::engine("listing the values that cannot be read");
    let mut found = if parts.is_empty() {
        DataFrame::empty_with_schema(&Schema::from_iter([
            Field::new(FILE_INDEX.into(), DataType::UInt32),
            Field::new(REJECT_FILE.into(), DataType::String),
            Field::new(REJECT_ROW.into(), DataType::UInt64),
            Field::new(ROLE_INDEX.into(), DataType::UInt32),
            Field::new(REJECT_COLUMN.into(), DataType::String),
            Field::new(REJECT_VALUE.into(), DataType::String),
            Field::new(REJECT_REASON.into(), DataType::String),
        ]))
    } else {
        concat(parts, UnionArgs::default())
            .map_err(fail)?
            .sort(
                [FILE_INDEX, REJECT_ROW, ROLE_INDEX],
                SortMultipleOptions::default(),
            )
            .collect_with_engine(Engine::Streaming)
            .map_err(Error::engine("listing the values that cannot be read"))?
            .unwrap_single()
    };
    let rows = found
        .clone()
        .lazy()
        .group_by([col(FILE_INDEX), col(REJECT_ROW)])
        .agg([len()])
        .collect()
        .map_err(Error::engine("counting the rows set aside"))?
        .height() as u64;
    let lines = csv_lines(files, spec.input.csv.separator, &found)
        .map_err(Error::engine("numbering the rows set aside"))?;
    found
        .with_column(Column::new(REJECT_LINE.into(), lines))
        .map_err(Error::engine("numbering the rows set aside"))?;
    let values = found
        .select(REJECT_COLUMNS)
        .map_err(Error::engine("listing the values that cannot be read"))?;
    Ok(Rejected { values, rows })
}

/// The CSV line each rejected row starts on (null for Parquet), one pass over each CSV file
/// that has a rejected row: quoted fields may span lines.
fn csv_lines(
    files: &[SourceFile],
    separator: u8,
    found: &DataFrame,
) -> PolarsResult<Vec<Option<u64>>> {
    let index: Vec<u32> = found
        .column(FILE_INDEX)?
        .u32()?
        .into_no_null_iter()
        .collect();
    let rows: Vec<u64> = found
        .column(REJECT_ROW)?
        .u64()?
        .into_no_null_iter()
        .collect();
    let mut lines = Vec::with_capacity(rows.len());
    let mut start = 0;
    while start < rows.len() {
        let file = index[start];
        let end = start + index[start..].iter().take_while(|&&f| f == file).count();
        match files.get(file as usize) {
            Some(f) if f.format == Format::Csv => lines.extend(csv_rows::lines_of_rows(
                f.read_path(),
                separator,
                &rows[start..end],
            )),
            _ => lines.extend(std::iter::repeat_n(None, end - start)),
        }
        start = end;
    }
    Ok(lines)
}

/// The per-file canonical frames (see [`canonical_frames`]).
struct Frames {
    frames: Vec<LazyFrame>,
    roles: Vec<Role>,
    /// Per file, the roles (indices into `roles`) that carry a `__bad_<role>` flag.
    flagged: Vec<Vec<usize>>,
}

/// Per file: the canonical frame (`strict` parsing raises on a bad value; otherwise bad
/// values become null and `__bad_<role>` flags mark them) and the roles.
fn canonical_frames(files: &[SourceFile], spec: &Spec, strict: bool) -> Result<Frames> {
    let roles = spec.roles();
    let mut scans = Vec::with_capacity(files.len());
    let mut schemas = Vec::with_capacity(files.len());
    for file in files {
        let mut lf = scan_file(file, &spec.input.csv)?;
        let schema = schema_of(file, &mut lf)?;
        for role in &roles {
            let twice = format!("{}{DUPLICATED}", role.column);
            if file.format == Format::Csv && schema.contains(&twice) {
                return Err(Error::InputRead {
                    path: file.path.clone(),
                    message: format!(
                        "the header names column {:?} ({}) more than once, so which one to read is unclear; rename or remove the extra column",
                        shorten(&role.column),
                        role.label
                    ),
                });
            }
            if schema.get(role.column.as_str()).is_none() {
                let names: Vec<&str> = schema.iter_names().map(|n| n.as_str()).collect();
                const LISTED: usize = 30;
                let mut available = names
                    .iter()
                    .take(LISTED)
                    .map(|n| format!("{:?}", shorten(n)))
                    .collect::<Vec<_>>()
                    .join(", ");
                if names.len() > LISTED {
                    available += &format!(", ... ({} columns)", names.len());
                }
                let hint = match (file.format, names.as_slice()) {
                    (Format::Parquet, _) => None,
                    (Format::Csv, names) => decode::header_hint(file, names, &spec.input.csv)
                        .or_else(|| match names {
                            [one] => dialect::header_hint(one, &spec.input.csv),
                            _ => None,
                        }),
                };
                if let Some(hint) = hint {
                    available += &format!(" ({hint})");
                }
                return Err(Error::InputColumnMissing {
                    path: file.path.clone(),
                    column: role.column.clone(),
                    role: role.label.clone(),
                    available,
                    hint: if role.label == "group_by" {
                        " or analysis.group_by"
                    } else {
                        ""
                    },
                });
            }
        }
        scans.push(lf);
        schemas.push(schema);
    }
    let types = common_types(&roles, &schemas);
    let mut frames = Vec::with_capacity(files.len());
    let mut flagged = Vec::with_capacity(files.len());
    for ((file, lf), schema) in files.iter().zip(scans).zip(&schemas) {
        let mut exprs = Vec::new();
        let mut file_flagged = Vec::new();
        for (index, (role, common)) in roles.iter().zip(&types).enumerate() {
            let dtype = schema
                .get(role.column.as_str())
                .cloned()
                .expect("checked above");
            let (value, bad) = role_expr(file, role, &dtype, common, spec, strict)?;
            exprs.push(value.alias(role.canonical.as_str()));
            if let Some(bad) = bad {
                file_flagged.push(index);
                exprs.push(bad.alias(bad_flag(role)));
                exprs.push(
                    col(role.column.as_str())
                        .cast(DataType::String)
                        .alias(raw_text(role)),
                );
            }
        }
        if !strict {
            exprs.push(col(SOURCE_ROW));
        }
        let lf = if strict {
            lf
        } else {
            lf.with_row_index(SOURCE_ROW, None)
        };
        frames.push(lf.select(exprs));
        flagged.push(file_flagged);
    }
    Ok(Frames {
        frames,
        roles,
        flagged,
    })
}

/// How `file` writes text amounts: as `csv` says for a CSV file; a Parquet file's text
/// amounts are plain numbers (`input.csv` does not apply).
fn numbers_of<'a>(file: &SourceFile, csv: &'a CsvDialect) -> &'a CsvDialect {
    match file.format {
        Format::Csv => csv,
        Format::Parquet => &CsvDialect::PLAIN,
    }
}

/// The canonical expression of one role in one file and, when not strict, a flag that is
/// true where a written value could not be read. Text amounts are read as `numbers` writes
/// them.
#[allow(clippy::too_many_arguments)]
fn role_expr(
    file: &SourceFile,
    role: &Role,
    dtype: &DataType,
    common: &DataType,
    spec: &Spec,
    strict: bool,
) -> Result<(Expr, Option<Expr>)> {
    let date_format = spec.input.date_format.as_deref();
    let monetary_decimals = spec.monetary_decimals;
    let numbers = numbers_of(file, &spec.input.csv);
    let raw = || col(role.column.as_str());
    let type_error = |expected: &'static str| Error::InputColumnType {
        path: file.path.clone(),
        column: role.column.clone(),
        role: role.label.clone(),
        dtype: dtype.to_string(),
        expected,
    };
    let is_text = matches!(
        dtype,
        DataType::String | DataType::Categorical(..) | DataType::Enum(..)
    );
    Ok(match role.kind {
        Kind::Key => {
            let e = raw().cast(common.clone());
            if common == &DataType::String {
                // An empty or blank id is a missing one (a guest checkout).
                (blank_to_null(e), None)
            } else {
                (e, None)
            }
        }
        Kind::Amount => {
            if is_text {
                let text = ascii_digits(blank_to_null(raw().cast(DataType::String)));
                let number = number_text(text.clone(), numbers);
                if strict {
                    (number.strict_cast(DataType::Float64), None)
                } else {
                    let parsed = number.cast(DataType::Float64);
                    let bad = text.is_not_null().and(
                        parsed
                            .clone()
                            .is_null()
                            .or(not_minor_units(parsed.clone(), monetary_decimals)),
                    );
                    (parsed, Some(bad))
                }
            } else if dtype.is_primitive_numeric() || matches!(dtype, DataType::Decimal(..)) {
                let value = raw().cast(DataType::Float64);
                if strict {
                    (value, None)
                } else {
                    // NaN, infinities and amounts past 64-bit minor units are not amounts
                    // (the run counts them and stops).
                    let bad = value
                        .clone()
                        .is_not_null()
                        .and(not_minor_units(value.clone(), monetary_decimals));
                    (value, Some(bad))
                }
            } else {
                return Err(type_error(
                    "a number (integer, float or decimal), or text holding one",
                ));
            }
        }
        Kind::Date => match dtype {
            DataType::Date => (raw(), None),
            DataType::Datetime(..) => (raw().dt().date(), None),
            _ if is_text => {
                let text = blank_to_null(raw().cast(DataType::String));
                let parsed = |strict| match spec.input.calendar {
                    Calendar::Gregorian if date_format.is_none() => {
                        iso_dates(raw().cast(DataType::String), strict)
                    }
                    Calendar::Gregorian => {
                        parse_date(ascii_digits(text.clone()), date_format, strict)
                    }
                    Calendar::Persian => text::persian_dates(text.clone(), date_format, strict),
                };
                if strict {
                    (parsed(true), None)
                } else {
                    let value = parsed(false);
                    let bad = text.is_not_null().and(value.clone().is_null());
                    (value, Some(bad))
                }
            }
            _ => return Err(type_error("a date, a datetime, or text holding a date")),
        },
    })
}

/// Text -> Date. With a format: as that format says (time parts are read and dropped). Without:
/// ISO 8601, `YYYY-MM-DD` optionally followed by a time (`T` or space); the calendar date as
/// written is the date, whatever the time zone. `rfmseg sql` reads the same strings
/// (`sql::dates`, whose tests compare the two).
pub(crate) fn parse_date(text: Expr, format: Option<&str>, strict: bool) -> Expr {
    let options = |fmt: &str| StrptimeOptions {
        format: Some(fmt.into()),
        strict,
        exact: true,
        cache: true,
    };
    match format {
        Some(fmt) => text.str().to_date(options(fmt)),
        None => {
            let iso = when(text.clone().str().len_chars().eq(lit(10)).or(
                text.clone().str().slice(lit(10), lit(1)).is_in(
                    lit(Series::new("sep".into(), ["T", " "])).implode(false),
                    false,
                ),
            ))
            .then(text.clone().str().slice(lit(0), lit(10)))
            .otherwise(text);
            iso.str().to_date(options("%Y-%m-%d"))
        }
    }
}

/// What fixes a text date that is not a Solar Hijri date.
const PERSIAN_FIX: &str = "Dates written as text are read in the Solar Hijri calendar (input.calendar: persian): months 1-6 have 31 days, 7-11 have 30 and Esfand 29 (30 in a leap year such as 1403), years 1 to 9999. Fix the value, set input.date_format to the format the file uses, or remove input.calendar if the file's dates are Gregorian.";

/// Whether an amount cannot be taken in minor units: NaN, infinite, or so large that
/// `amount * 10^monetary_decimals` does not fit in 64 bits.
pub fn not_minor_units(amount: Expr, monetary_decimals: u32) -> Expr {
    let scale = 10f64.powi(monetary_decimals as i32);
    amount
        .clone()
        .is_finite()
        .not()
        .or((amount * lit(scale)).abs().gt_eq(lit(MINOR_UNITS_LIMIT)))
}

/// The amounts that can be taken in minor units at `monetary_decimals`.
fn too_large(monetary_decimals: u32) -> String {
    let limit = MINOR_UNITS_LIMIT / 10f64.powi(monetary_decimals as i32);
    format!(
        "below {limit:.2e} at monetary_decimals {monetary_decimals}, so that its minor units fit in 64 bits"
    )
}

fn bad_flag(role: &Role) -> PlSmallStr {
    format!("__bad_{}", role.label).into()
}

fn raw_text(role: &Role) -> String {
    format!("__raw_{}", role.label)
}
