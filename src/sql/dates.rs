//! Text dates in the query, read exactly as `rfmseg run` reads them.
//!
//! `rfmseg run` reads text dates with chrono's strptime (through polars): a number is one digit
//! up to its field's width (`%m` reads `1` and `01`, and `%Y%m%d` splits `19970101` as 4, 2, 2
//! digits), whitespace before a number is skipped, `%Y` may carry a sign, month names are read
//! in any case, and whitespace in the format stands for any whitespace or none. The dialects'
//! own patterns read other sets (Spark's `M` and `d` take one or two digits, so `yyyyMd` cannot
//! split `19970101`, and `MM` refuses `1`), so the query does not use them. The format becomes
//! one anchored regular expression, the same for Spark (Java) and DuckDB (RE2), whose groups
//! are the written fields, and the checks chrono makes on them: each field's range, a field
//! written twice agreeing with itself, the day within its month, `%j` agreeing with the date,
//! and numbers that follow each other without a separator read greedily (chrono never gives a
//! digit back, where a regular expression would). The date is the calendar date as written:
//! times and offsets are checked and dropped, no time zone is applied.
//!
//! A format with a specifier outside that set is refused, naming the specifier.
//!
//! With `input.calendar: persian` the fields are a Solar Hijri year, month and day (the config
//! admits only numeric fields then), and the day is computed by [`persian`]'s exact
//! arithmetic; without `input.date_format`, `YYYY/MM/DD` is read as `YYYY-MM-DD` is. The text
//! is read after [`Dialect::ascii_digits`], as `rfmseg run` reads it.

mod persian;

use super::dialect::{Dialect, WHITESPACE as WS};
use crate::settings::Calendar;

/// The specifiers `rfmseg sql` reads, for messages.
const READ: &str =
    "%Y %m %d %e %j %H %M %S (flags - _ 0 allowed) %b %h %B %z %:z %F %T %R %X %n %t %%";

/// The month names chrono reads: three letters, then the rest of the full name (`%B` only).
const MONTHS: [(&str, &str); 12] = [
    ("JAN", "UARY"),
    ("FEB", "RUARY"),
    ("MAR", "CH"),
    ("APR", "IL"),
    ("MAY", ""),
    ("JUN", "E"),
    ("JUL", "Y"),
    ("AUG", "UST"),
    ("SEP", "TEMBER"),
    ("OCT", "OBER"),
    ("NOV", "EMBER"),
    ("DEC", "EMBER"),
];

/// A number in a date format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Ordinal,
}

impl Field {
    /// The most digits chrono reads without a sign.
    fn width(self) -> usize {
        match self {
            Field::Year => 4,
            Field::Ordinal => 3,
            _ => 2,
        }
    }

    /// The values chrono accepts (years: those of its `NaiveDate`; seconds: a leap second).
    fn range(self) -> (i32, i32) {
        match self {
            Field::Year => (-262_143, 262_142),
            Field::Month => (1, 12),
            Field::Day => (1, 31),
            Field::Hour => (0, 23),
            Field::Minute => (0, 59),
            Field::Second => (0, 60),
            Field::Ordinal => (1, 366),
        }
    }
}

/// One item of a format, as chrono's `StrftimeItems` splits it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// Optional whitespace, then digits (`%Y`: or a sign and any number of digits).
    Number(Field),
    /// `%b` and `%h` (three letters) or `%B` (the full name or three letters), in any case.
    MonthName { long: bool },
    /// `%z`: optional whitespace, a sign, two digits, any colons and whitespace, two digits.
    Offset,
    /// Whitespace in the format: any whitespace in the text, or none.
    Space,
    /// Other text, as written.
    Literal(String),
}

/// Where the value of a field comes from: a group of the expression (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Number(usize),
    MonthName(usize),
}

/// A number followed by something that may start with a digit: chrono reads the longest run
/// of digits up to the width, so a shorter one is right only where a non-digit follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Greedy {
    /// The number's group.
    group: usize,
    width: usize,
    /// `%Y`, whose group may hold a sign (then it reads every digit).
    signed: bool,
    /// The group of the whitespace after it, where the format allows some.
    gap: Option<usize>,
    /// The next number's group when that is `%Y`, which may start with a sign.
    next_year: Option<usize>,
}

/// A text date format translated for SQL.
#[derive(Debug, Clone)]
pub struct TextDate {
    /// The anchored regular expression, in the syntax Java, RE2 and Rust share.
    regex: String,
    /// How many groups it has.
    groups: usize,
    /// Every field as written, in order (a field may be written twice).
    values: Vec<(Field, Source)>,
    greedy: Vec<Greedy>,
    /// No `input.date_format`: the first 10 characters when a time follows (`T` or space).
    iso: bool,
    /// The calendar of the fields.
    calendar: Calendar,
}

impl TextDate {
    /// The reading of `input.date_format` (None: ISO `YYYY-MM-DD`, optionally followed by a
    /// time), or why `dialect` cannot read it exactly.
    pub fn new(
        format: Option<&str>,
        dialect: Dialect,
        calendar: Calendar,
    ) -> Result<TextDate, String> {
        let Some(format) = format else {
            let items = items("%Y-%m-%d").expect("the ISO format is read");
            return Ok(TextDate::from_items(&items, true, calendar));
        };
        // polars checks the format as written, then rewrites these before chrono reads it.
        let read = format
            .replace("%D", "%m/%d/%y")
            .replace("%R", "%H:%M")
            .replace("%T", "%H:%M:%S")
            .replace("%X", "%H:%M:%S")
            .replace("%F", "%Y-%m-%d");
        let shown = if read == format {
            format!("input.date_format {format:?}")
        } else {
            format!("input.date_format {format:?} (read as {read:?})")
        };
        if let Some(why) = polars_refuses(format) {
            return Err(format!(
                "{shown}: rfmseg run refuses this format too (polars: {why}); give both %H and %M, or neither, and %S only with them"
            ));
        }
        let items = items(&read).map_err(|spec| {
            let what = describe(&spec).map(|w| format!(" ({w})")).unwrap_or_default();
            format!(
                "{shown}: {spec}{what} has no exact translation to {} SQL; rfmseg sql reads {READ} as rfmseg run does. Write the dates as ISO (YYYY-MM-DD, optionally followed by a time) and remove input.date_format, or give the table a DATE or TIMESTAMP column",
                dialect.title()
            )
        })?;
        for (i, item) in items.iter().enumerate() {
            if *item != (Item::MonthName { long: true }) {
                continue;
            }
            let letter = match next_item(&items, i) {
                Some(Item::Literal(l)) => l.starts_with(|c: char| c.is_ascii_alphabetic()),
                Some(Item::MonthName { .. }) => true,
                _ => false,
            };
            if letter {
                return Err(format!(
                    "{shown}: %B followed by letters has no exact translation to {} SQL (rfmseg run reads the full month name or its first three letters, whichever the text allows, and a pattern could stop short); use %b for three-letter names, or put a separator after the month",
                    dialect.title()
                ));
            }
        }
        let has = |f: Field| items.contains(&Item::Number(f));
        let month = has(Field::Month) || items.iter().any(|i| matches!(i, Item::MonthName { .. }));
        if !(has(Field::Year) && month && has(Field::Day)) {
            return Err(format!(
                "{shown}: rfmseg sql needs a year (%Y), a month (%m, %b or %B) and a day (%d) in the format"
            ));
        }
        let gregorian = items
            .iter()
            .any(|i| matches!(i, Item::MonthName { .. } | Item::Number(Field::Ordinal)));
        if calendar == Calendar::Persian && gregorian {
            // The config refuses these first; kept so that the query is never wrong.
            return Err(format!(
                "{shown}: month names and %j are Gregorian, and input.calendar is persian"
            ));
        }
        Ok(TextDate::from_items(&items, false, calendar))
    }

    fn from_items(items: &[Item], iso: bool, calendar: Calendar) -> TextDate {
        let mut b = Builder {
            regex: String::from(r"\A"),
            ..Builder::default()
        };
        for (i, item) in items.iter().enumerate() {
            match item {
                Item::Space => b.pending = true,
                Item::Number(f) => {
                    b.pending = true;
                    let pattern = match f {
                        Field::Year => r"([+\x{2D}][0-9]+|[0-9]{1,4})".to_string(),
                        _ => format!("([0-9]{{1,{}}})", f.width()),
                    };
                    let group = b.token(&pattern, 1, *f == Field::Year);
                    b.values.push((*f, Source::Number(group)));
                    let digit_next = match next_item(items, i) {
                        Some(Item::Number(_)) => true,
                        Some(Item::Literal(l)) => l.starts_with(|c: char| c.is_ascii_digit()),
                        _ => false,
                    };
                    if digit_next {
                        b.open = Some(b.greedy.len());
                        b.greedy.push(Greedy {
                            group,
                            width: f.width(),
                            signed: *f == Field::Year,
                            gap: None,
                            next_year: None,
                        });
                    }
                }
                Item::MonthName { long } => {
                    let names: Vec<String> = MONTHS
                        .iter()
                        .map(|(short, rest)| {
                            let (short, rest) = (any_case(short), any_case(rest));
                            if *long && !rest.is_empty() {
                                format!("{short}(?:{rest})?")
                            } else {
                                short
                            }
                        })
                        .collect();
                    let group = b.token(&format!("({})", names.join("|")), 1, false);
                    b.values.push((Field::Month, Source::MonthName(group)));
                }
                Item::Offset => {
                    b.pending = true;
                    b.token(
                        &format!(r"[+\x{{2D}}\x{{2212}}][0-9]{{2}}[:{WS}]*[0-5][0-9]"),
                        0,
                        false,
                    );
                }
                Item::Literal(text) => {
                    b.token(&escape(text), 0, false);
                }
            }
        }
        if b.pending {
            b.regex.push_str(&format!("[{WS}]*"));
        }
        b.regex.push_str(r"\z");
        TextDate {
            regex: b.regex,
            groups: b.groups,
            values: b.values,
            greedy: b.greedy,
            iso,
            calendar,
        }
    }

    /// The groups of the text `e` (read with ASCII digits), as one value for
    /// [`TextDate::date`] (computed once per line: the pattern runs once or twice, not once
    /// per field).
    pub fn parts(&self, d: Dialect, e: &str) -> String {
        let mut text = if self.iso {
            format!(
                "CASE WHEN substr({e}, 11, 1) IN ('T', ' ') THEN substr({e}, 1, 10) ELSE {e} END"
            )
        } else {
            e.to_string()
        };
        if self.iso && self.calendar == Calendar::Persian {
            // `rfmseg run` reads `%Y-%m-%d`, then `%Y/%m/%d`: text with a `-` can only be
            // the first (in the second, `-` could only be a year's sign, and Solar Hijri
            // years are 1 to 9999), text without one the second.
            text = format!(
                "CASE WHEN instr({text}, '-') > 0 THEN {text} ELSE translate({text}, '/', '-') END"
            );
        }
        d.regex_groups(&text, &self.regex, self.groups)
    }

    /// The date in the groups `parts` (a column holding [`TextDate::parts`]); NULL where
    /// `rfmseg run` reads no date.
    pub fn date(&self, d: Dialect, parts: &str) -> String {
        let group = |g: usize| d.regex_group(parts, g);
        let value = |s: Source| match s {
            Source::Number(g) => format!("TRY_CAST({} AS INT)", group(g)),
            Source::MonthName(g) => {
                let cases: String = MONTHS
                    .iter()
                    .enumerate()
                    .map(|(i, (short, _))| format!(" WHEN '{short}' THEN {}", i + 1))
                    .collect();
                format!("CASE upper(substr({}, 1, 3)){cases} END", group(g))
            }
        };
        let first = |f: Field| {
            let (_, s) = self
                .values
                .iter()
                .find(|(v, _)| *v == f)
                .expect("a year, a month and a day are in every format read");
            value(*s)
        };
        let mut checks = Vec::new();
        for (i, (f, s)) in self.values.iter().enumerate() {
            let (lo, hi) = f.range();
            let v = value(*s);
            checks.push(format!("{v} BETWEEN {lo} AND {hi}"));
            // A field written twice is one value (chrono's `set_if_consistent`).
            if self.values[..i].iter().any(|(earlier, _)| earlier == f) {
                checks.push(format!("{v} = {}", first(*f)));
            }
        }
        for g in &self.greedy {
            let number = group(g.group);
            let mut ok = vec![if g.signed {
                format!(
                    "(length({number}) = {} AND substr({number}, 1, 1) NOT IN ('+', '-'))",
                    g.width
                )
            } else {
                format!("length({number}) = {}", g.width)
            }];
            if let Some(gap) = g.gap {
                ok.push(format!("{} <> ''", group(gap)));
            }
            if let Some(next) = g.next_year {
                ok.push(format!("substr({}, 1, 1) IN ('+', '-')", group(next)));
            }
            checks.push(format!("({})", ok.join(" OR ")));
        }
        if self.calendar == Calendar::Persian {
            let (lo, hi) = persian::YEARS;
            checks.push(format!("{} BETWEEN {lo} AND {hi}", first(Field::Year)));
            let clamped =
                |f: Field, lo: i32, hi: i32| format!("LEAST(GREATEST({}, {lo}), {hi})", first(f));
            // Numbers clamped to where the arithmetic holds, so no engine raises on a line
            // the checks refuse.
            let (y, m, day) = (
                clamped(Field::Year, lo, hi),
                clamped(Field::Month, 1, 12),
                clamped(Field::Day, 1, 31),
            );
            checks.push(format!(
                "{} <= {}",
                first(Field::Day),
                persian::month_length(d, &y, &m)
            ));
            let date = d.epoch_day(&persian::days(d, &y, &m, &day));
            return format!("CASE WHEN {} THEN {date} END", checks.join("\n      AND "));
        }
        let clamped = |f: Field| {
            let (lo, hi) = f.range();
            format!("LEAST(GREATEST({}, {lo}), {hi})", first(f))
        };
        // The first of the month plus (day - 1) days: valid for any numbers in range, so no
        // engine raises on a line the checks refuse; the month then tells the day fits.
        let date = d.month_day(
            &clamped(Field::Year),
            &clamped(Field::Month),
            &format!("{} - 1", clamped(Field::Day)),
        );
        checks.push(format!("month({date}) = {}", first(Field::Month)));
        for (f, s) in &self.values {
            if *f == Field::Ordinal {
                checks.push(format!("dayofyear({date}) = {}", value(*s)));
            }
        }
        format!("CASE WHEN {} THEN {date} END", checks.join("\n      AND "))
    }
}

/// The regular expression being written.
#[derive(Default)]
struct Builder {
    regex: String,
    groups: usize,
    values: Vec<(Field, Source)>,
    greedy: Vec<Greedy>,
    /// Whitespace may come before the next token.
    pending: bool,
    /// The number (index in `greedy`) whose next token is still to be written.
    open: Option<usize>,
}

impl Builder {
    /// Append `pattern` (with `groups` groups), after the whitespace that may precede it;
    /// returns the number of its first group.
    fn token(&mut self, pattern: &str, groups: usize, year: bool) -> usize {
        let open = self.open.take();
        if self.pending {
            match open {
                Some(o) => {
                    self.groups += 1;
                    self.greedy[o].gap = Some(self.groups);
                    self.regex.push_str(&format!("([{WS}]*)"));
                }
                None => self.regex.push_str(&format!("[{WS}]*")),
            }
            self.pending = false;
        }
        let first = self.groups + 1;
        if let (Some(o), true) = (open, year) {
            self.greedy[o].next_year = Some(first);
        }
        self.regex.push_str(pattern);
        self.groups += groups;
        first
    }
}

/// The item after `items[i]`, past whitespace (which may match nothing).
fn next_item(items: &[Item], i: usize) -> Option<&Item> {
    items[i + 1..].iter().find(|item| **item != Item::Space)
}

/// A format's items; Err: the first specifier not read, as written (`%a`, `%#z`).
fn items(format: &str) -> Result<Vec<Item>, String> {
    use Field::*;
    let number = |f| Item::Number(f);
    let lit = |s: &str| Item::Literal(s.into());
    let mut out = Vec::new();
    let mut rest = format;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            out.push(Item::Space);
            rest = rest.trim_start();
            continue;
        }
        if c != '%' {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '%')
                .unwrap_or(rest.len());
            out.push(lit(&rest[..end]));
            rest = &rest[end..];
            continue;
        }
        let mut after = &rest[1..];
        let mut used = 1;
        // A padding flag (`%-d`, `%_H`, `%0m`) changes how a number is written, not how
        // chrono reads it.
        if after.starts_with(['-', '_', '0']) {
            after = &after[1..];
            used += 1;
            if !after.starts_with(['Y', 'm', 'd', 'e', 'j', 'H', 'M', 'S']) {
                return Err(unread(rest));
            }
        }
        let spec = after.chars().next();
        used += spec.map_or(0, char::len_utf8);
        let expanded = match spec {
            Some('Y') => vec![number(Year)],
            Some('m') => vec![number(Month)],
            Some('d' | 'e') => vec![number(Day)],
            Some('j') => vec![number(Ordinal)],
            Some('H') => vec![number(Hour)],
            Some('M') => vec![number(Minute)],
            Some('S') => vec![number(Second)],
            Some('b' | 'h') => vec![Item::MonthName { long: false }],
            Some('B') => vec![Item::MonthName { long: true }],
            Some('z') => vec![Item::Offset],
            // %:z, %::z and %:::z read as %z does.
            Some(':') if after[1..].trim_start_matches(':').starts_with('z') => {
                let colons = after.len() - after.trim_start_matches(':').len();
                if colons > 3 {
                    return Err(unread(rest));
                }
                used += colons;
                vec![Item::Offset]
            }
            Some('n' | 't') => vec![Item::Space],
            Some('%') => vec![lit("%")],
            Some('F') => vec![number(Year), lit("-"), number(Month), lit("-"), number(Day)],
            Some('T' | 'X') => vec![
                number(Hour),
                lit(":"),
                number(Minute),
                lit(":"),
                number(Second),
            ],
            Some('R') => vec![number(Hour), lit(":"), number(Minute)],
            _ => return Err(unread(rest)),
        };
        out.extend(expanded);
        rest = &rest[used..];
    }
    Ok(out)
}

/// The specifier at the start of `rest` as written: `%`, its flags, its letter.
fn unread(rest: &str) -> String {
    let mut spec = String::from("%");
    for c in rest[1..].chars().take(4) {
        spec.push(c);
        if c.is_alphabetic() {
            break;
        }
    }
    spec
}

/// What a specifier that is not read stands for, where that helps.
fn describe(spec: &str) -> Option<&'static str> {
    Some(match spec.chars().last()? {
        'f' => "fractional seconds",
        _ if spec.len() > 2 => "a flag on a specifier",
        'y' => "a two-digit year",
        'C' => "the century",
        'a' | 'A' => "a weekday name",
        'u' | 'w' => "a weekday number",
        'U' | 'W' | 'V' | 'G' | 'g' => "a week-based date",
        'I' | 'l' | 'p' | 'P' => "a 12-hour clock",
        'Z' => "a time zone name",
        's' => "seconds since 1970",
        _ => return None,
    })
}

/// polars' own refusals of a format (its `compile_fmt`, on the text as written, before `%T`
/// and the like are expanded: `%R:%S` is refused): rfmseg run stops on these, so the query is
/// not written either.
fn polars_refuses(format: &str) -> Option<&'static str> {
    // `%[_-]?[letters]` anywhere in the text, as polars' regex finds it.
    let has = |letters: &[char]| {
        let c: Vec<char> = format.chars().collect();
        (0..c.len()).any(|i| {
            let j = if matches!(c.get(i + 1), Some('_' | '-')) {
                i + 2
            } else {
                i + 1
            };
            c[i] == '%' && c.get(j).is_some_and(|l| letters.contains(l))
        })
    };
    let hour = has(&['H', 'k', 'I', 'l']);
    if hour != has(&['M']) {
        return Some("Please either specify both hour and minute, or neither.");
    }
    if has(&['S']) && !hour {
        return Some("Found seconds directive, but no hours directive.");
    }
    if has(&['I', 'l']) != has(&['p', 'P']) {
        return Some(
            "Please either specify both 12-hour directive and meridiem directive, or neither.",
        );
    }
    None
}

/// `text` matched as written: letters and digits as themselves, anything else by code point.
fn escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_string()
            } else {
                format!(r"\x{{{:X}}}", c as u32)
            }
        })
        .collect()
}

/// Upper-case ASCII `letters` in either case (`[Jj][Aa][Nn]`): chrono compares ASCII letters
/// without case, and `(?i)` in RE2 also folds other letters (`ſ` is an `s`).
fn any_case(letters: &str) -> String {
    letters
        .chars()
        .map(|c| format!("[{c}{}]", c.to_ascii_lowercase()))
        .collect()
}

#[cfg(test)]
mod tests;
