//! After the engine refused a value: the first bad value named with its file, row (and CSV
//! line), column and the setting that would read it.

use polars::prelude::*;

use super::*;

/// After the engine refused a value: rescan the files without strict parsing and name the
/// first bad value (file order, then row). None when no value is bad (the failure was
/// something else).
pub fn diagnose(files: &[SourceFile], spec: &Spec) -> Result<Option<Error>> {
    let separator = spec.input.csv.separator;
    for file in files.iter().filter(|f| f.format == Format::Csv) {
        if let Some(problem) = csv_rows::first_problem(file.read_path(), separator) {
            let message = match problem {
                csv_rows::Problem::Fields { at, found, header } => format!(
                    "row {} (line {}) has {found} fields but the header has {header}; quote fields that contain {}, or fix the row",
                    at.row,
                    at.line,
                    match separator {
                        b',' => "commas".to_string(),
                        b';' => "semicolons".to_string(),
                        b'\t' => "tabs".to_string(),
                        b => format!("{:?}", char::from(b)),
                    }
                ),
                csv_rows::Problem::OpenQuote { at } => format!(
                    "row {} (line {}) opens a quoted field that is never closed; close the quote (a quote inside a field is written \"\")",
                    at.row, at.line
                ),
            };
            return Ok(Some(Error::InputRead {
                path: file.path.clone(),
                message,
            }));
        }
    }
    let Frames { frames, roles, .. } = canonical_frames(files, spec, false)?;
    for (file, mut lf) in files.iter().zip(frames) {
        let schema = lf
            .collect_schema()
            .map_err(|e| read_error(&file.path, &e))?;
        let checked: Vec<&Role> = roles
            .iter()
            .filter(|r| schema.contains(&bad_flag(r)))
            .collect();
        let Some(any_bad) = checked
            .iter()
            .map(|r| col(bad_flag(r).as_str()))
            .reduce(|a, b| a.or(b))
        else {
            continue;
        };
        let first = lf
            .filter(any_bad)
            .limit(1)
            .collect()
            .map_err(|e| read_error(&file.path, &e))?;
        if first.height() == 0 {
            continue;
        }
        let cell = |name: &str| {
            first
                .column(name)
                .ok()
                .and_then(|c| c.get(0).ok().map(|v| v.into_static()))
        };
        let row = cell(SOURCE_ROW)
            .and_then(|v| v.extract::<u64>())
            .unwrap_or(0)
            + 1;
        for role in checked {
            if cell(&bad_flag(role)) != Some(AnyValue::Boolean(true)) {
                continue;
            }
            let value = match cell(&raw_text(role)) {
                Some(AnyValue::StringOwned(s)) => shorten(&s),
                Some(AnyValue::String(s)) => shorten(s),
                Some(other) => shorten(&other.to_string()),
                None => String::new(),
            };
            let place = match file.format {
                Format::Csv => {
                    let line =
                        csv_rows::line_of_row(file.read_path(), separator, row).unwrap_or(row + 1);
                    format!("row {row} (line {line})")
                }
                Format::Parquet => format!("row {row}"),
            };
            let numbers = numbers_of(file, &spec.input.csv);
            let finite = dialect::number_text_of(
                &crate::settings::calendar::ascii_digits(value.trim()),
                numbers,
            )
            .trim()
            .parse::<f64>()
            .is_ok_and(f64::is_finite);
            // Bytes that are not UTF-8, read as U+FFFD: the file's encoding is another.
            let not_utf8 =
                file.format == Format::Csv && file.decoded.is_none() && value.contains('\u{FFFD}');
            let (expected, fix) = match role.kind {
                Kind::Amount if finite => (
                    format!("an amount {}", too_large(spec.monetary_decimals)),
                    "Check the value; if such amounts are real, lower analysis.monetary_decimals (0 takes whole currency units).".to_string(),
                ),
                Kind::Amount => (
                    "a finite number".to_string(),
                    match dialect::amount_hint(&value, numbers).filter(|_| file.format == Format::Csv) {
                        Some(hint) => format!("{} {hint}", dialect::amount_form(numbers)),
                        None => dialect::amount_form(numbers),
                    },
                ),
                _ => (
                    spec.input
                        .calendar
                        .expected_text_date(spec.input.date_format.as_deref()),
                    match (spec.input.calendar, &spec.input.date_format) {
                        (Calendar::Gregorian, Some(_)) => "Fix the value, or set input.date_format to the format the file uses.".to_string(),
                        (Calendar::Gregorian, None) => "Fix the value, or set input.date_format to the format the file uses, e.g. \"%d/%m/%Y\".".to_string(),
                        (Calendar::Persian, _) => PERSIAN_FIX.to_string(),
                    },
                ),
            };
            let fix = if not_utf8 {
                format!(
                    "{fix} The value holds bytes that are not UTF-8 (read as U+FFFD): set input.csv.encoding to the file's encoding: {}.",
                    decode::ENCODINGS
                )
            } else {
                fix
            };
            return Ok(Some(Error::InputValue(Box::new(BadValue {
                path: file.path.clone(),
                place,
                column: role.column.clone(),
                role: role.label.clone(),
                value,
                expected,
                fix,
            }))));
        }
    }
    Ok(None)
}
