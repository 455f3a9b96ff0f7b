//! `input.csv`: CSV files with another separator, decimal commas, thousands separators and
//! other encodings give the rows their plain (comma-separated UTF-8, '.' decimal point) form
//! gives; their UTF-8 copies are removed; and every dialect left unset, or set wrong, is
//! refused with a message that names the key to set.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::util::*;

/// How a CSV file is written: the `input.csv` that reads it and how its text becomes bytes.
#[derive(Debug, Clone, Copy)]
pub struct Form {
    pub separator: char,
    pub decimal_comma: bool,
    pub thousands: Option<&'static str>,
    /// `input.csv.encoding`.
    pub encoding: &'static str,
    /// For utf-16: big endian (little endian otherwise).
    pub big_endian: bool,
}

/// Comma-separated UTF-8 with a '.' decimal point.
pub const PLAIN: Form = Form {
    separator: ',',
    decimal_comma: false,
    thousands: None,
    encoding: "utf-8",
    big_endian: false,
};

impl Form {
    /// The `input.csv` line of a config (indented for `input:`).
    pub fn yaml(&self) -> String {
        let separator = if self.separator == '\t' {
            "\"\\t\"".to_string()
        } else {
            format!("\"{}\"", self.separator)
        };
        // The character itself, quoted: YAML reads no Rust escapes.
        let thousands = match self.thousands {
            Some(t) => format!("\"{t}\""),
            None => "null".into(),
        };
        format!(
            "  csv: {{separator: {separator}, decimal_comma: {}, thousands: {thousands}, encoding: {}}}\n",
            self.decimal_comma, self.encoding
        )
    }

    /// A plain amount (`-1234567.5`) as this form writes it, thousands grouped when `group`.
    pub fn amount(&self, plain: &str, group: bool) -> String {
        let (sign, digits) = match plain.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", plain),
        };
        let (whole, fraction) = match digits.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (digits, None),
        };
        let whole = match self.thousands {
            Some(t) if group && whole.chars().all(|c| c.is_ascii_digit()) => {
                let mut out = String::new();
                for (i, c) in whole.chars().enumerate() {
                    if i > 0 && (whole.len() - i) % 3 == 0 {
                        out.push_str(t);
                    }
                    out.push(c);
                }
                out
            }
            _ => whole.to_string(),
        };
        let decimal = if self.decimal_comma { "," } else { "." };
        match fraction {
            Some(f) => format!("{sign}{whole}{decimal}{f}"),
            None => format!("{sign}{whole}"),
        }
    }

    /// One field, quoted when it holds the separator, a quote or a line break.
    fn field(&self, text: &str) -> String {
        if text.contains([self.separator, '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_string()
        }
    }

    /// The CSV text of `header` and `rows`; the column named `amount` is written in this form
    /// (every other row with its thousands grouped), except a value written `=TEXT`: TEXT.
    pub fn text(&self, header: &[&str], rows: &[Vec<String>]) -> String {
        self.text_with_amounts_in(header, rows, "amount")
    }

    /// [`Form::text`] with the amounts in the column named `amount`.
    pub fn text_with_amounts_in(
        &self,
        header: &[&str],
        rows: &[Vec<String>],
        amount: &str,
    ) -> String {
        let amount = header.iter().position(|h| *h == amount);
        let sep = self.separator.to_string();
        let mut out = header.join(&sep) + "\n";
        for (r, row) in rows.iter().enumerate() {
            let fields: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    if let Some(verbatim) = v.strip_prefix('=') {
                        self.field(verbatim)
                    } else if Some(i) == amount && !v.is_empty() {
                        self.field(&self.amount(v, r % 2 == 0))
                    } else {
                        self.field(v)
                    }
                })
                .collect();
            out += &fields.join(&sep);
            out.push('\n');
        }
        out
    }

    /// `text` in this form's encoding.
    pub fn bytes(&self, text: &str) -> Vec<u8> {
        match self.encoding {
            "utf-8" => text.as_bytes().to_vec(),
            "windows-1256" | "windows-1252" => {
                let encoding = if self.encoding == "windows-1256" {
                    encoding_rs::WINDOWS_1256
                } else {
                    encoding_rs::WINDOWS_1252
                };
                let (bytes, _, unmappable) = encoding.encode(text);
                assert!(!unmappable, "{text:?} is not all {}", self.encoding);
                bytes.into_owned()
            }
            "latin-1" => text
                .chars()
                .map(|c| u8::try_from(u32::from(c)).expect("a latin-1 character"))
                .collect(),
            "utf-16" => {
                let units = text.encode_utf16();
                if self.big_endian {
                    [0xFE, 0xFF]
                        .into_iter()
                        .chain(units.flat_map(|u| u.to_be_bytes()))
                        .collect()
                } else {
                    [0xFF, 0xFE]
                        .into_iter()
                        .chain(units.flat_map(|u| u.to_le_bytes()))
                        .collect()
                }
            }
            other => panic!("no such test encoding {other}"),
        }
    }
}

const HEADER: [&str; 5] = ["order_id", "customer_id", "order_date", "amount", "region"];

/// Order lines with Arabic and Persian ids and groups (all in Windows-1256), ids that hold a
/// separator or a quote, a quoted line break (rows and lines differ after it), amounts of
/// every size and sign, and a blank amount.
fn lines() -> Vec<Vec<String>> {
    [
        ["1", "علي", "2024-06-01", "1234567.5", "شمال"],
        ["2", "علي", "2024-06-02", "-3.5", "شمال"],
        ["3", "پرويز گلستان", "2024-05-03", "12", "جنوب"],
        ["4", "چمن;ژاله", "2024-06-03", "0.125", "جنوب"],
        ["5", "کوثر, \"ب\"", "2024-04-03", "1000", "شمال"],
        ["6", "محمد", "2024-06-10", "99.99", "مرکز\nجديد"],
        ["7", "محمد", "2024-06-11", "", "مرکز\nجديد"],
        ["8", "رضا", "2024-06-12", "-1234.56", "جنوب"],
        ["9", "رضا", "2024-06-13", "25000", "جنوب"],
        ["10", "پرويز گلستان", "2024-06-20", "7.25", "جنوب"],
    ]
    .iter()
    .map(|r| r.iter().map(|v| v.to_string()).collect())
    .collect()
}

/// A config reading `form` (group_by region, order ids mapped).
fn config_for(form: Option<&Form>) -> String {
    format!(
        "input:\n{}  columns: {{order_id: order_id}}\nanalysis: {{group_by: [region]}}\nscoring: {{method: quantile, bins: 3}}\nsegments:\n  rules:\n    - {{name: Top, r: 3}}\n    - {{name: Big, m: [2, 3]}}\n",
        form.map(Form::yaml).unwrap_or_default()
    )
}

/// Write `rows` in `form` to `name` in `s`.
fn write(s: &Scratch, name: &str, form: &Form, rows: &[Vec<String>]) -> PathBuf {
    let path = s.path(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, form.bytes(&form.text(&HEADER, rows))).unwrap();
    path
}

/// `rfmseg run` of `config` on `input` with TMPDIR in the scratch folder: the exit code and
/// stderr; the UTF-8 copies must be gone afterwards, whatever the outcome.
fn run_in(s: &Scratch, config: &str, input: &Path, name: &str) -> (i32, String) {
    let tmp = s.path(&format!("tmp-{name}"));
    std::fs::create_dir_all(&tmp).unwrap();
    let cfg = s.write(&format!("{name}.yaml"), config);
    let out = rfmseg()
        .args(["run", "--quiet", "--config"])
        .arg(&cfg)
        .arg("--input")
        .arg(input)
        .arg("--output")
        .arg(s.path(&format!("{name}.parquet")))
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "{name}: copies left in TMPDIR: {left:?}");
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `rfmseg check --input`: the exit code and stdout + stderr.
fn check_in(s: &Scratch, config: &str, input: &Path) -> (i32, String) {
    let cfg = s.write("check.yaml", config);
    let out = rfmseg()
        .args(["check", "--config"])
        .arg(&cfg)
        .arg("--input")
        .arg(input)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The dialects of the issue and their neighbours, each able to write Arabic script.
pub fn forms() -> Vec<(&'static str, Form)> {
    let german = Form {
        separator: ';',
        decimal_comma: true,
        thousands: Some("."),
        encoding: "utf-8",
        big_endian: false,
    };
    vec![
        ("semicolon-decimal-comma", german),
        (
            "semicolon-decimal-comma-windows-1256",
            Form {
                encoding: "windows-1256",
                ..german
            },
        ),
        (
            "tab-space-thousands-utf-16-le",
            Form {
                separator: '\t',
                thousands: Some(" "),
                encoding: "utf-16",
                ..german
            },
        ),
        (
            "pipe-narrow-no-break-space-utf-16-be",
            Form {
                separator: '|',
                thousands: Some("\u{202f}"),
                encoding: "utf-16",
                big_endian: true,
                ..german
            },
        ),
        (
            "comma-thousands-windows-1256",
            Form {
                thousands: Some(","),
                encoding: "windows-1256",
                ..PLAIN
            },
        ),
        (
            "semicolon-no-break-space-thousands-decimal-comma",
            Form {
                thousands: Some("\u{a0}"),
                separator: ';',
                ..german
            },
        ),
        (
            "semicolon-apostrophe-thousands",
            Form {
                separator: ';',
                thousands: Some("'"),
                ..PLAIN
            },
        ),
    ]
}

#[test]
fn every_dialect_gives_the_rows_of_the_plain_file() {
    let s = Scratch::new();
    let rows = lines();
    let plain = write(&s, "plain.csv", &PLAIN, &rows);
    let (code, err) = run_in(&s, &config_for(None), &plain, "plain");
    assert_eq!(code, 0, "{err}");
    let want = read_parquet(&s.path("plain.parquet"));
    assert_eq!(want.height(), 6, "{want}");
    assert!(strings(&want, "customer_id").contains(&"کوثر, \"ب\"".to_string()));
    assert!(strings(&want, "region").contains(&"مرکز\nجديد".to_string()));
    for (name, form) in forms() {
        let input = write(&s, &format!("{name}.csv"), &form, &rows);
        let (code, err) = run_in(&s, &config_for(Some(&form)), &input, name);
        assert_eq!(code, 0, "{name}: {err}");
        let got = read_parquet(&s.path(&format!("{name}.parquet")));
        assert!(
            got.equals_missing(&want),
            "{name} reads differently:\n{got}\n{want}"
        );
    }
}

#[test]
fn the_dialect_fixtures_write_the_rows_of_the_plain_one() {
    let s = Scratch::new();
    let outputs: Vec<DataFrame> = ["plain", "persian-pos", "excel-unicode"]
        .iter()
        .map(|name| {
            let out = s.path(&format!("{name}.parquet"));
            rfmseg()
                .args(["run", "--quiet", "--config"])
                .arg(repo(&format!("tests/fixtures/dialects/{name}.yaml")))
                .arg("--output")
                .arg(&out)
                .assert()
                .success();
            read_parquet(&out)
        })
        .collect();
    assert_eq!(
        strings(&outputs[0], "customer_id"),
        ["علي رضايي", "پرويز گلستان", "ژاله چمني", "مريم کاظمي"]
    );
    assert_eq!(
        floats(&outputs[0], "monetary"),
        [3700.25, 1000000.0, 450.0, 102.15]
    );
    for (name, got) in ["persian-pos", "excel-unicode"].iter().zip(&outputs[1..]) {
        assert!(got.equals_missing(&outputs[0]), "{name}:\n{got}");
    }
}

#[test]
fn latin_1_is_iso_8859_1_and_windows_1252_is_not() {
    let s = Scratch::new();
    // 0x80 is the euro sign in Windows-1252 and U+0080 (a control) in ISO-8859-1.
    let text = b"order_id,customer_id,order_date,amount\n1,Ren\xe9e \x80,2024-06-01,10\n2,J\xfcrgen,2024-06-02,5\n";
    let input = s.path("western.csv");
    std::fs::write(&input, text).unwrap();
    let ids = |encoding: &'static str| {
        let form = Form { encoding, ..PLAIN };
        let (code, err) = run_in(
            &s,
            &config_for(Some(&form)).replace("analysis: {group_by: [region]}\n", ""),
            &input,
            encoding,
        );
        assert_eq!(code, 0, "{encoding}: {err}");
        strings(
            &read_parquet(&s.path(&format!("{encoding}.parquet"))),
            "customer_id",
        )
    };
    assert_eq!(ids("windows-1252"), ["Jürgen", "Renée €"]);
    assert_eq!(ids("latin-1"), ["Jürgen", "Renée \u{80}"]);
}

#[test]
fn parquet_inputs_ignore_input_csv() {
    let s = Scratch::new();
    let path = s.path("lines.parquet");
    write_parquet(
        &path,
        df!(
            "order_id" => ["1", "2"],
            "customer_id" => ["a", "b"],
            "order_date" => ["2024-06-01", "2024-06-02"],
            "amount" => ["1234.5", "12.25"],
            "region" => ["x", "x"],
        )
        .unwrap(),
    );
    let form = Form {
        separator: ';',
        decimal_comma: true,
        thousands: Some(" "),
        encoding: "windows-1256",
        big_endian: false,
    };
    let (code, err) = run_in(&s, &config_for(Some(&form)), &path, "parquet");
    assert_eq!(code, 0, "{err}");
    let out = read_parquet(&s.path("parquet.parquet"));
    assert_eq!(floats(&out, "monetary"), [1234.5, 12.25]);
}

#[test]
fn a_bad_value_in_a_decoded_file_names_the_file_its_row_and_line() {
    let s = Scratch::new();
    let form = Form {
        separator: ';',
        decimal_comma: true,
        thousands: Some("."),
        encoding: "windows-1256",
        big_endian: false,
    };
    let mut rows = lines();
    rows[7][2] = "2024-13-12".into();
    rows[7][1] = "رضا;".into();
    let input = write(&s, "bad-date.csv", &form, &rows);
    let (code, err) = run_in(&s, &config_for(Some(&form)), &input, "bad-date");
    assert_eq!(code, 1, "{err}");
    let place = format!(
        "input {}, row 8 (line 11), column \"order_date\" (order_date): cannot read \"2024-13-12\"",
        input.display()
    );
    assert!(err.contains(&place), "{err}");
    // A record with a field too many, counted at the dialect's separator.
    let text = form.text(&HEADER, &lines()) + "11;x;2024-06-01;1;a;b\n";
    let input = s.path("extra-field.csv");
    std::fs::write(&input, form.bytes(&text)).unwrap();
    let (code, err) = run_in(&s, &config_for(Some(&form)), &input, "extra-field");
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("row 11 (line 14) has 6 fields but the header has 5; quote fields that contain semicolons"),
        "{err}"
    );
}

#[test]
fn rejects_of_a_dialect_file_name_the_file_row_line_and_form() {
    let s = Scratch::new();
    let form = Form {
        separator: ';',
        decimal_comma: true,
        thousands: Some("."),
        encoding: "windows-1256",
        big_endian: false,
    };
    let mut rows = lines();
    rows[6][3] = "=12.50".into(); // a decimal point: not an amount in this form
    rows[8][3] = "=25 €".into();
    let input = write(&s, "rejects.csv", &form, &rows);
    let rejects = s.path("rejects-out.csv");
    let config = config_for(Some(&form)).replace(
        "  columns:",
        &format!(
            "  rejects_path: {:?}\n  columns:",
            rejects.display().to_string()
        ),
    );
    let (code, err) = run_in(&s, &config, &input, "rejects");
    assert_eq!(code, 0, "{err}");
    let reason = "\"not a number with a decimal comma and \"\".\"\" between thousands (e.g. 1.234,50, -20; no currency sign)\"";
    assert_eq!(
        std::fs::read_to_string(&rejects).unwrap(),
        format!(
            "file,row,line,column,value,reason\n{f},7,9,amount,12.50,{reason}\n{f},9,12,amount,25 €,{reason}\n",
            f = input.display()
        )
    );
}

/// A config with the sample columns and `csv` (an `input.csv` line, or "").
fn sample_config(csv: &str) -> String {
    format!(
        "input:\n{csv}  columns: {{order_id: order_id}}\nsegments:\n  rules:\n    - {{name: A, r: [1, 5]}}\n"
    )
}

const SAMPLE_HEADER: &str = "order_id,customer_id,order_date,amount\n";

#[test]
fn bad_input_csv_keys_are_config_errors_all_at_once() {
    let config = "input:\n  csv:\n    separator: \";;\"\n    decimal_comma: false\n    thousands: \".\"\n    encoding: ebcdic\n  columns: {order_id: order_id}\nsegments: {rules: [{name: A, r: 5}]}\n";
    fails(
        config,
        &["tests/fixtures/small/orders.csv"],
        &[],
        2,
        &[
            "3 problems in config",
            "config.yaml:3:5: input.csv.separator: \";;\" is 2 characters; the separator is one character",
            "config.yaml:5:5: input.csv.thousands: \".\" is also the decimal separator (input.csv.decimal_comma is false), so an amount such as 1.234 could be read two ways; set input.csv.decimal_comma: true, or another thousands separator",
            "config.yaml:6:5: input.csv.encoding: \"ebcdic\" is not one of: utf-8, windows-1256, windows-1252, latin-1, utf-16",
        ],
    );
    let config = sample_config(
        "  csv: {separator: \"\", decimal_comma: true, thousands: \",\", colour: red}\n",
    );
    fails(
        &config,
        &["tests/fixtures/small/orders.csv"],
        &[],
        2,
        &[
            "input.csv.separator: is empty",
            "input.csv.thousands: \",\" is also the decimal separator (input.csv.decimal_comma is true)",
            "input.csv.colour: unknown key `colour`; allowed here: separator, decimal_comma, thousands, encoding",
        ],
    );
    fails(
        &sample_config("  csv: {separator: \"\\\"\"}\n"),
        &["tests/fixtures/small/orders.csv"],
        &[],
        2,
        &["input.csv.separator: '\"' quotes fields and cannot separate them"],
    );
}

#[test]
fn utf_16_without_a_byte_order_mark_or_with_broken_units_is_refused() {
    let s = Scratch::new();
    let utf16 = sample_config("  csv: {encoding: utf-16}\n");
    let text = format!("{SAMPLE_HEADER}1,a,2024-06-01,10\n");
    let no_bom: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    let input = s.path("no-bom.csv");
    std::fs::write(&input, &no_bom).unwrap();
    let (code, err) = run_in(&s, &utf16, &input, "no-bom");
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!(
            "input {}: input.csv.encoding is utf-16, but the file does not start with a byte order mark (FF FE or FE FF)",
            input.display()
        )),
        "{err}"
    );
    // An unpaired surrogate on line 3.
    let mut broken = vec![0xFF, 0xFE];
    broken.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    broken.extend([b'2', 0, b',', 0, 0x00, 0xDC, b'\n', 0]);
    let input = s.path("broken.csv");
    std::fs::write(&input, &broken).unwrap();
    let (code, err) = run_in(&s, &utf16, &input, "broken");
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("line 3 holds bytes that are not UTF-16 text (input.csv.encoding: utf-16)"),
        "{err}"
    );
    // A UTF-8 file read as Windows-1256.
    let input = s.write("bom.csv", &format!("\u{feff}{text}"));
    let (code, err) = run_in(
        &s,
        &sample_config("  csv: {encoding: windows-1256}\n"),
        &input,
        "bom",
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("starts with a UTF-8 byte order mark, but input.csv.encoding is windows-1256; set input.csv.encoding: utf-8"),
        "{err}"
    );
}

/// `rfmseg run` and `rfmseg check --input` on `input` with `config`: both exit 1 naming every
/// `needle`.
fn both_refuse(s: &Scratch, config: &str, input: &Path, needles: &[&str]) {
    let name = input.file_stem().unwrap().to_string_lossy().into_owned();
    let (code, run) = run_in(s, config, input, &name);
    let (check_code, check) = check_in(s, config, input);
    for (what, code, text) in [("run", code, run), ("check", check_code, check)] {
        assert_eq!(code, 1, "{what}: {text}");
        for needle in needles {
            assert!(
                text.contains(needle),
                "{what}: missing {needle:?} in:\n{text}"
            );
        }
        assert!(!text.contains("panicked"), "{text}");
    }
}

#[test]
fn an_unset_dialect_is_named_by_run_and_check() {
    let s = Scratch::new();
    let german = Form {
        separator: ';',
        decimal_comma: true,
        thousands: Some("."),
        encoding: "windows-1256",
        big_endian: false,
    };
    let rows = lines();
    let input = write(&s, "german.csv", &german, &rows);
    // Nothing set: the header is one column holding ';'.
    both_refuse(
        &s,
        &config_for(None),
        &input,
        &["(one column: the file seems separated by ';'; set input.csv.separator: \";\")"],
    );
    // The separator set: the first amount has a decimal comma and thousands.
    let partial =
        |csv: &str| config_for(None).replace("input:\n", &format!("input:\n  csv: {csv}\n"));
    both_refuse(
        &s,
        &partial("{separator: \";\", encoding: windows-1256}"),
        &input,
        &[
            "row 1 (line 2), column \"amount\" (amount): cannot read \"1.234.567,5\" as a finite number",
            "To read it as 1234567.5, set input.csv.decimal_comma: true and input.csv.thousands: \".\" in the config.",
        ],
    );
    both_refuse(
        &s,
        &partial("{separator: \";\", decimal_comma: true, encoding: windows-1256}"),
        &input,
        &["To read it as 1234567.5, set input.csv.thousands: \".\" in the config."],
    );
    // Amounts without thousands: the decimal comma alone.
    let no_groups: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r[3] = r[3].replace('.', ",");
            r
        })
        .collect();
    let text = Form {
        decimal_comma: false,
        thousands: None,
        ..german
    }
    .text(&HEADER, &no_groups);
    let input = s.path("comma.csv");
    std::fs::write(&input, german.bytes(&text)).unwrap();
    both_refuse(
        &s,
        &partial("{separator: \";\", encoding: windows-1256}"),
        &input,
        &[
            "cannot read \"1234567,5\" as a finite number",
            "set input.csv.decimal_comma: true in the config",
        ],
    );
    // Everything but the encoding: the first id read with U+FFFD is named.
    let input = write(&s, "german-again.csv", &german, &rows);
    both_refuse(
        &s,
        &partial("{separator: \";\", decimal_comma: true, thousands: \".\"}"),
        &input,
        &[
            "row 1 (line 2), column \"region\" (group_by): cannot read \"\u{FFFD}",
            "\" as UTF-8 text. The file is not UTF-8",
            "Set input.csv.encoding to the file's encoding: windows-1256 for Arabic and Persian",
        ],
    );
    // A decimal point where the config says decimal comma.
    let input = write(&s, "plain.csv", &PLAIN, &rows);
    both_refuse(
        &s,
        &partial("{decimal_comma: true}"),
        &input,
        &[
            "cannot read \"1234567.5\"",
            "set input.csv.decimal_comma: false in the config",
        ],
    );
    // UTF-16 read as UTF-8.
    let utf16 = Form {
        encoding: "utf-16",
        ..PLAIN
    };
    let input = write(&s, "utf16.csv", &utf16, &rows);
    both_refuse(
        &s,
        &config_for(None),
        &input,
        &["(the file starts with a UTF-16 byte order mark: set input.csv.encoding: utf-16)"],
    );
}

#[test]
fn a_file_that_is_valid_utf_8_keeps_its_own_replacement_characters() {
    let s = Scratch::new();
    // U+FFFD written in UTF-8 in an id, and Latin-1 bytes in a column the run does not use on
    // another line: the id is read as written.
    let mut text = SAMPLE_HEADER
        .replace("amount\n", "amount,note\n")
        .into_bytes();
    text.extend("1,a\u{FFFD}b,2024-06-01,10,ok\n2,c,2024-06-02,5,caf".as_bytes());
    text.extend(b"\xe9\n");
    let input = s.path("own.csv");
    std::fs::write(&input, &text).unwrap();
    let (code, err) = run_in(&s, &sample_config(""), &input, "own");
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        strings(&read_parquet(&s.path("own.parquet")), "customer_id"),
        ["a\u{FFFD}b", "c"]
    );
}

#[test]
fn an_unreadable_value_with_bytes_that_are_not_utf_8_names_the_encoding() {
    let s = Scratch::new();
    // "12,50 €" from Windows-1252, read as UTF-8: the euro sign (0x80) becomes U+FFFD.
    let mut bytes = SAMPLE_HEADER.as_bytes().to_vec();
    bytes.extend(b"1,a,2024-06-01,12.50 \x80\n");
    let input = s.path("euro.csv");
    std::fs::write(&input, &bytes).unwrap();
    let (code, err) = run_in(&s, &sample_config(""), &input, "euro");
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("cannot read \"12.50 \u{FFFD}\" as a finite number"),
        "{err}"
    );
    assert!(
        err.contains("The value holds bytes that are not UTF-8 (read as U+FFFD): set input.csv.encoding to the file's encoding: windows-1256 for Arabic and Persian, windows-1252 or latin-1 for Western European, or utf-16."),
        "{err}"
    );
}
