//! `when:` conditions: parsed once with `sqlparser` into a small tree of our own ([`When`]),
//! which is then emitted to a polars expression (`rfmseg run`, `check`) or to SQL text for
//! a dialect (`rfmseg sql`). The text of a condition is never pasted anywhere: only the
//! constructs below are accepted, everything else is an error naming it.
//!
//! Accepted: the allowed columns (r, f, m, recency_days, frequency, monetary, rfm_score and
//! the group_by columns, unquoted or double-quoted); integer, decimal, 'string', TRUE, FALSE
//! and NULL literals; `=`, `<>`/`!=`, `<`, `<=`, `>`, `>=`; `AND`, `OR`, `NOT`; `+`, `-`, `*`,
//! `/` (true division) and unary minus; `[NOT] IN (literal, ...)`; `[NOT] BETWEEN a AND b`;
//! `IS [NOT] NULL`; parentheses; and the functions [`FUNCTIONS`].

use polars::prelude::*;
use sqlparser::ast::{
    self, BinaryOperator, Expr as SqlExpr, FunctionArg, FunctionArgExpr, FunctionArguments,
    ObjectNamePart, UnaryOperator, Value,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

use super::Rule;
use crate::columns::*;

/// The functions a condition may call: (name, what it does).
pub const FUNCTIONS: [(&str, &str); 4] = [
    ("abs", "abs(x): the absolute value"),
    ("least", "least(a, b, ...): the smallest non-null argument"),
    (
        "greatest",
        "greatest(a, b, ...): the largest non-null argument",
    ),
    (
        "coalesce",
        "coalesce(a, b, ...): the first non-null argument",
    ),
];

/// A parsed `when` condition.
#[derive(Debug, Clone, PartialEq)]
pub enum When {
    /// An allowed column.
    Column(String),
    /// An integer literal.
    Int(i64),
    /// A decimal literal, as a double.
    Float(f64),
    /// A string literal.
    Str(String),
    /// TRUE or FALSE.
    Bool(bool),
    /// NULL.
    Null,
    /// NOT e.
    Not(Box<When>),
    /// -e.
    Neg(Box<When>),
    /// a op b.
    Binary(Box<When>, Op, Box<When>),
    /// e IS NULL (false) / IS NOT NULL (true).
    IsNull(Box<When>, bool),
    /// e [NOT] IN (literals).
    In(Box<When>, Vec<When>, bool),
    /// e [NOT] BETWEEN low AND high.
    Between(Box<When>, Box<When>, Box<When>, bool),
    /// One of [`FUNCTIONS`].
    Call(Func, Vec<When>),
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// AND
    And,
    /// OR
    Or,
    /// =
    Eq,
    /// <>
    NotEq,
    /// <
    Lt,
    /// <=
    LtEq,
    /// >
    Gt,
    /// >=
    GtEq,
    /// +
    Plus,
    /// -
    Minus,
    /// *
    Times,
    /// / (true division)
    Divide,
}

impl Op {
    fn sql(self) -> &'static str {
        match self {
            Op::And => "AND",
            Op::Or => "OR",
            Op::Eq => "=",
            Op::NotEq => "<>",
            Op::Lt => "<",
            Op::LtEq => "<=",
            Op::Gt => ">",
            Op::GtEq => ">=",
            Op::Plus => "+",
            Op::Minus => "-",
            Op::Times => "*",
            Op::Divide => "/",
        }
    }
}

/// A function of [`FUNCTIONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    /// abs(x)
    Abs,
    /// least(...)
    Least,
    /// greatest(...)
    Greatest,
    /// coalesce(...)
    Coalesce,
}

impl Func {
    fn name(self) -> &'static str {
        match self {
            Func::Abs => "abs",
            Func::Least => "least",
            Func::Greatest => "greatest",
            Func::Coalesce => "coalesce",
        }
    }
}

/// How a dialect writes identifiers and string literals.
pub trait Quoting {
    /// A column name, quoted.
    fn ident(&self, name: &str) -> String;
    /// A string literal, quoted and escaped.
    fn string(&self, value: &str) -> String;
}

const EXAMPLE: &str = "write e.g. \"r <= 2 AND frequency >= 3\"";

/// The longest `when:` condition accepted, in characters: far above any real rule, and far
/// below what overflows the stack (a chain of thousands of `+ r` makes an expression tree so
/// deep that walking it crashed the process).
pub const MAX_WHEN_CHARS: usize = 1000;

/// A `when:` condition as written and as parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The text as written in the config.
    pub text: String,
    /// Its tree.
    pub tree: When,
}

impl Condition {
    /// Parse `text`, checking the columns it names against `allowed`.
    pub fn parse(text: &str, allowed: &[String]) -> Result<Condition, String> {
        Ok(Condition {
            text: text.to_string(),
            tree: parse(text, allowed)?,
        })
    }
}

/// The columns a `when` may name.
pub fn allowed_columns(group_by: &[String]) -> Vec<String> {
    let mut allowed: Vec<String> = WHEN_COLUMNS.iter().map(|s| s.to_string()).collect();
    allowed.extend(group_by.iter().cloned());
    allowed
}

/// Evaluate each rule's `when` on one row of the given column types; a rule whose condition
/// does not give true/false (or does not fit the types) is returned with what is wrong.
pub fn type_problems(rules: &[Rule], group_types: &[(String, DataType)]) -> Vec<(usize, String)> {
    let mut columns = vec![
        Column::new(R.into(), [1i32]),
        Column::new(F.into(), [1i32]),
        Column::new(M.into(), [1i32]),
        Column::new(RFM_SCORE.into(), [3i32]),
        Column::new(RECENCY_DAYS.into(), [0i64]),
        Column::new(FREQUENCY.into(), [1i64]),
        Column::new(MONETARY.into(), [1.0f64]),
    ];
    for (g, dtype) in group_types {
        // A column listed twice in group_by is a config problem of its own; here it is one
        // column.
        if columns.iter().any(|c| c.name().as_str() == g.as_str()) {
            continue;
        }
        let value = Column::new(g.as_str().into(), ["0"]);
        columns.push(
            value
                .cast(dtype)
                .unwrap_or_else(|_| Column::new(g.as_str().into(), ["0"])),
        );
    }
    let frame = DataFrame::new(1, columns).expect("one row each");
    let mut problems = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let Some(condition) = &rule.when else {
            continue;
        };
        let (w, expr) = (&condition.text, condition.tree.to_polars());
        let out = frame.clone().lazy().select([expr.alias("c")]).collect();
        match out {
            Ok(df) => {
                let dtype = df
                    .column("c")
                    .map(|c| c.dtype().clone())
                    .unwrap_or(DataType::Null);
                if dtype != DataType::Boolean && dtype != DataType::Null {
                    problems.push((
                        i,
                        format!("{w:?} is not a condition: it gives {dtype} values, not true or false; compare it, e.g. \"r + f >= 8\""),
                    ));
                }
            }
            Err(e) => {
                let why = first_line(&e.to_string()).to_string();
                let text_groups: Vec<&str> = group_types
                    .iter()
                    .filter(|(_, t)| t == &DataType::String)
                    .map(|(g, _)| g.as_str())
                    .collect();
                let hint = if text_groups.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; {} {} text, so compare with quoted values, e.g. {} = '2'",
                        text_groups.join(", "),
                        if text_groups.len() == 1 { "is" } else { "are" },
                        text_groups[0]
                    )
                };
                problems.push((
                    i,
                    format!("{w:?} does not fit the columns' types ({why}){hint}"),
                ));
            }
        }
    }
    problems
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// Parse `text` and check the columns it names against `allowed`.
pub fn parse(text: &str, allowed: &[String]) -> Result<When, String> {
    if text.trim().is_empty() {
        return Err("is empty; write a condition such as \"r <= 2 AND frequency >= 3\"".into());
    }
    let length = text.chars().count();
    if length > MAX_WHEN_CHARS {
        return Err(format!(
            "{:?} is {length} characters long; a condition may have at most {MAX_WHEN_CHARS}: split it over several rules",
            crate::error::shorten(text)
        ));
    }
    if let Some(name) = qualified_name(text) {
        return Err(format!(
            "{:?} uses the qualified name {}, which a condition may not; name the column alone (e.g. \"frequency\")",
            crate::error::shorten(text),
            crate::error::shorten(&name)
        ));
    }
    let dialect = GenericDialect {};
    let syntax = |e: &dyn std::fmt::Display| {
        let why = e.to_string();
        let why = why.strip_prefix("sql parser error: ").unwrap_or(&why);
        format!("{text:?} does not parse as a SQL condition ({why}); {EXAMPLE}")
    };
    let mut parser = Parser::new(&dialect)
        .try_with_sql(text)
        .map_err(|e| syntax(&e))?;
    let expr = parser.parse_expr().map_err(|e| syntax(&e))?;
    let next = parser.peek_token();
    if next.token != Token::EOF {
        return Err(format!(
            "{text:?} does not parse as a SQL condition: unexpected {} after the condition; {EXAMPLE}",
            next.token
        ));
    }
    Converter { text, allowed }.expr(&expr)
}

/// The first dotted name (`a.b`) outside string literals and quoted names, if any.
///
/// A condition never needs one (the tree refuses qualified names), and sqlparser's parse of a
/// long chain of them backtracks without end (cargo-fuzz found a 150-character `n.rn.a.…`
/// that ran for minutes), so they are refused before the parser sees them. A dot that
/// belongs to a number (`2.5`, `.5`, `5.`) is kept.
fn qualified_name(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut quote: Option<char> = None;
    for (i, &c) in chars.iter().enumerate() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' || c == '`' => quote = Some(c),
            None if c == '.' => {
                let start = (0..i).rev().take_while(|&j| word(chars[j])).last();
                let before: String = start.map_or(String::new(), |s| chars[s..i].iter().collect());
                let number = if before.is_empty() {
                    chars.get(i + 1).is_some_and(char::is_ascii_digit)
                } else {
                    before.chars().all(|c| c.is_ascii_digit())
                };
                if !number {
                    let end = (i + 1..chars.len())
                        .take_while(|&j| word(chars[j]) || chars[j] == '.')
                        .last()
                        .map_or(i + 1, |e| e + 1);
                    let from = start.unwrap_or(i);
                    return Some(chars[from..end].iter().collect());
                }
            }
            None => {}
        }
    }
    None
}

struct Converter<'a> {
    text: &'a str,
    allowed: &'a [String],
}

impl Converter<'_> {
    fn unsupported(&self, what: impl std::fmt::Display) -> String {
        let functions: Vec<&str> = FUNCTIONS.iter().map(|(n, _)| *n).collect();
        format!(
            "{:?} uses {what}, which a condition may not; use columns, literals, comparisons, AND/OR/NOT, + - * /, IN (...), BETWEEN, IS [NOT] NULL and the functions {}",
            self.text,
            functions.join(", ")
        )
    }

    fn column(&self, name: &str) -> Result<When, String> {
        if self.allowed.iter().any(|a| a == name) {
            return Ok(When::Column(name.to_string()));
        }
        let names: Vec<&str> = self.allowed.iter().map(String::as_str).collect();
        let hint = match crate::error::suggest(name, &names) {
            Some(s) => format!(" (did you mean {s:?}?)"),
            None => String::new(),
        };
        Err(format!(
            "{:?} names unknown column {name:?}{hint}; a condition may use {}",
            self.text,
            self.allowed.join(", ")
        ))
    }

    fn expr(&self, e: &SqlExpr) -> Result<When, String> {
        let boxed = |e: &SqlExpr| self.expr(e).map(Box::new);
        Ok(match e {
            SqlExpr::Identifier(ident) => match ident.quote_style {
                None | Some('"') => self.column(&ident.value)?,
                Some(q) => return Err(self.unsupported(format!("the quote {q} around a name"))),
            },
            SqlExpr::CompoundIdentifier(parts) => {
                let name: Vec<&str> = parts.iter().map(|p| p.value.as_str()).collect();
                return Err(self.unsupported(format!("the qualified name {}", name.join("."))));
            }
            SqlExpr::Nested(inner) => self.expr(inner)?,
            SqlExpr::Value(v) => self.value(&v.value)?,
            SqlExpr::UnaryOp { op, expr } => match op {
                UnaryOperator::Not => When::Not(boxed(expr)?),
                UnaryOperator::Minus => match self.expr(expr)? {
                    When::Int(i) => When::Int(-i),
                    When::Float(f) => When::Float(-f),
                    other => When::Neg(Box::new(other)),
                },
                UnaryOperator::Plus => self.expr(expr)?,
                other => return Err(self.unsupported(format!("the operator {other}"))),
            },
            SqlExpr::BinaryOp { left, op, right } => {
                let op = match op {
                    BinaryOperator::And => Op::And,
                    BinaryOperator::Or => Op::Or,
                    BinaryOperator::Eq => Op::Eq,
                    BinaryOperator::NotEq => Op::NotEq,
                    BinaryOperator::Lt => Op::Lt,
                    BinaryOperator::LtEq => Op::LtEq,
                    BinaryOperator::Gt => Op::Gt,
                    BinaryOperator::GtEq => Op::GtEq,
                    BinaryOperator::Plus => Op::Plus,
                    BinaryOperator::Minus => Op::Minus,
                    BinaryOperator::Multiply => Op::Times,
                    BinaryOperator::Divide => Op::Divide,
                    other => return Err(self.unsupported(format!("the operator {other}"))),
                };
                When::Binary(boxed(left)?, op, boxed(right)?)
            }
            SqlExpr::IsNull(e) => When::IsNull(boxed(e)?, false),
            SqlExpr::IsNotNull(e) => When::IsNull(boxed(e)?, true),
            SqlExpr::InList {
                expr,
                list,
                negated,
            } => {
                let items = list
                    .iter()
                    .map(|item| match self.expr(item)? {
                        When::Null => Err(self.unsupported("NULL in an IN list")),
                        v @ (When::Int(_) | When::Float(_) | When::Str(_) | When::Bool(_)) => Ok(v),
                        _ => Err(self.unsupported("an IN list of non-literal values")),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                When::In(boxed(expr)?, items, *negated)
            }
            SqlExpr::Between {
                expr,
                negated,
                low,
                high,
            } => When::Between(boxed(expr)?, boxed(low)?, boxed(high)?, *negated),
            SqlExpr::Function(f) => self.function(f)?,
            other => {
                let what = match other {
                    SqlExpr::Like { .. } | SqlExpr::ILike { .. } => "LIKE".to_string(),
                    SqlExpr::Case { .. } => "CASE".to_string(),
                    SqlExpr::Cast { .. } => "CAST".to_string(),
                    SqlExpr::Subquery(_) | SqlExpr::InSubquery { .. } | SqlExpr::Exists { .. } => {
                        "a subquery".to_string()
                    }
                    _ => format!("\"{other}\""),
                };
                return Err(self.unsupported(what));
            }
        })
    }

    fn value(&self, v: &Value) -> Result<When, String> {
        Ok(match v {
            Value::Number(s, _) => {
                let s = s.to_string();
                if s.contains(['.', 'e', 'E']) {
                    match s.parse::<f64>() {
                        Ok(f) if f.is_finite() => When::Float(f),
                        _ => return Err(self.unsupported(format!("the number {s}"))),
                    }
                } else {
                    match s.parse::<i64>() {
                        Ok(i) => When::Int(i),
                        Err(_) => return Err(self.unsupported(format!("the number {s}"))),
                    }
                }
            }
            Value::SingleQuotedString(s) => When::Str(s.clone()),
            Value::Boolean(b) => When::Bool(*b),
            Value::Null => When::Null,
            other => return Err(self.unsupported(format!("the literal {other}"))),
        })
    }

    fn function(&self, f: &ast::Function) -> Result<When, String> {
        let name = match f.name.0.as_slice() {
            [ObjectNamePart::Identifier(i)] if i.quote_style.is_none() => {
                i.value.to_ascii_lowercase()
            }
            _ => return Err(self.unsupported(format!("the function {}", f.name))),
        };
        let func = match name.as_str() {
            "abs" => Func::Abs,
            "least" => Func::Least,
            "greatest" => Func::Greatest,
            "coalesce" => Func::Coalesce,
            _ => return Err(self.unsupported(format!("the function {}", f.name))),
        };
        let plain = f.filter.is_none()
            && f.over.is_none()
            && f.null_treatment.is_none()
            && f.within_group.is_empty()
            && matches!(f.parameters, FunctionArguments::None)
            && !f.uses_odbc_syntax;
        let list = match &f.args {
            FunctionArguments::List(list)
                if plain && list.duplicate_treatment.is_none() && list.clauses.is_empty() =>
            {
                list
            }
            _ => return Err(self.unsupported(format!("the call {f}"))),
        };
        let args = list
            .args
            .iter()
            .map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => self.expr(e),
                _ => Err(self.unsupported(format!("the argument {a}"))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let arity_ok = match func {
            Func::Abs => args.len() == 1,
            _ => !args.is_empty(),
        };
        if !arity_ok {
            return Err(format!(
                "{:?}: {} takes {}",
                self.text,
                func.name(),
                if func == Func::Abs {
                    "one argument"
                } else {
                    "one or more arguments"
                }
            ));
        }
        Ok(When::Call(func, args))
    }
}

impl When {
    /// The columns the condition names, in order of first use.
    pub fn columns(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.visit(&mut |w| {
            if let When::Column(c) = w {
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
        });
        out
    }

    /// Call `f` on this node and every node below it, depth first.
    pub fn visit(&self, f: &mut dyn FnMut(&When)) {
        f(self);
        match self {
            When::Not(e) | When::Neg(e) | When::IsNull(e, _) => e.visit(f),
            When::Binary(a, _, b) => {
                a.visit(f);
                b.visit(f);
            }
            When::In(e, items, _) => {
                e.visit(f);
                items.iter().for_each(|i| i.visit(f));
            }
            When::Between(e, lo, hi, _) => {
                e.visit(f);
                lo.visit(f);
                hi.visit(f);
            }
            When::Call(_, args) => args.iter().for_each(|a| a.visit(f)),
            _ => {}
        }
    }

    /// The condition as a polars expression (as polars' own SQL front end builds it).
    pub fn to_polars(&self) -> Expr {
        match self {
            When::Column(c) => col(c.as_str()),
            When::Int(i) => lit(*i),
            When::Float(f) => lit(*f),
            When::Str(s) => lit(s.as_str()),
            When::Bool(b) => lit(*b),
            When::Null => Expr::Literal(LiteralValue::untyped_null()),
            When::Not(e) => e.to_polars().not(),
            When::Neg(e) => lit(0i32) - e.to_polars(),
            When::Binary(a, op, b) => {
                let (a, b) = (a.to_polars(), b.to_polars());
                match op {
                    Op::And => a.and(b),
                    Op::Or => a.or(b),
                    Op::Eq => a.eq(b),
                    Op::NotEq => a.neq(b),
                    Op::Lt => a.lt(b),
                    Op::LtEq => a.lt_eq(b),
                    Op::Gt => a.gt(b),
                    Op::GtEq => a.gt_eq(b),
                    Op::Plus => a + b,
                    Op::Minus => a - b,
                    Op::Times => a * b,
                    Op::Divide => a.true_div(b),
                }
            }
            When::IsNull(e, false) => e.to_polars().is_null(),
            When::IsNull(e, true) => e.to_polars().is_not_null(),
            When::In(e, items, negated) => {
                let member = items
                    .iter()
                    .map(|i| e.to_polars().eq(i.to_polars()))
                    .reduce(|a, b| a.or(b))
                    .expect("the parser gives IN lists at least one item");
                if *negated {
                    member.not()
                } else {
                    member
                }
            }
            When::Between(e, lo, hi, negated) => {
                let inside = e
                    .to_polars()
                    .gt_eq(lo.to_polars())
                    .and(e.to_polars().lt_eq(hi.to_polars()));
                if *negated {
                    inside.not()
                } else {
                    inside
                }
            }
            When::Call(func, args) => {
                let args: Vec<Expr> = args.iter().map(When::to_polars).collect();
                match func {
                    Func::Abs => args[0].clone().abs(),
                    Func::Least => {
                        polars::lazy::dsl::min_horizontal(args).expect("at least one argument")
                    }
                    Func::Greatest => {
                        polars::lazy::dsl::max_horizontal(args).expect("at least one argument")
                    }
                    Func::Coalesce => coalesce(&args),
                }
            }
        }
    }

    /// The condition as SQL text for a dialect: every node parenthesised, identifiers and
    /// strings quoted by `q`, decimals as DOUBLE.
    pub fn to_sql(&self, q: &dyn Quoting) -> String {
        match self {
            When::Column(c) => q.ident(c),
            When::Int(i) if *i < 0 => format!("({i})"),
            When::Int(i) => i.to_string(),
            When::Float(f) => format!("CAST({} AS DOUBLE)", float_text(*f)),
            When::Str(s) => q.string(s),
            When::Bool(true) => "TRUE".into(),
            When::Bool(false) => "FALSE".into(),
            When::Null => "NULL".into(),
            When::Not(e) => format!("(NOT {})", e.to_sql(q)),
            When::Neg(e) => format!("(- {})", e.to_sql(q)),
            When::Binary(a, op, b) => match op {
                // Both dialects divide integers exactly (as doubles), like polars' SQL.
                Op::Divide => format!(
                    "(CAST({} AS DOUBLE) / CAST({} AS DOUBLE))",
                    a.to_sql(q),
                    b.to_sql(q)
                ),
                _ => format!("({} {} {})", a.to_sql(q), op.sql(), b.to_sql(q)),
            },
            When::IsNull(e, negated) => format!(
                "({} IS {}NULL)",
                e.to_sql(q),
                if *negated { "NOT " } else { "" }
            ),
            When::In(e, items, negated) => format!(
                "({} {}IN ({}))",
                e.to_sql(q),
                if *negated { "NOT " } else { "" },
                items
                    .iter()
                    .map(|i| i.to_sql(q))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            When::Between(e, lo, hi, negated) => format!(
                "({} {}BETWEEN {} AND {})",
                e.to_sql(q),
                if *negated { "NOT " } else { "" },
                lo.to_sql(q),
                hi.to_sql(q)
            ),
            When::Call(func, args) => format!(
                "{}({})",
                func.name().to_ascii_uppercase(),
                args.iter()
                    .map(|a| a.to_sql(q))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// A double as SQL number text that reads back as the same double.
pub fn float_text(f: f64) -> String {
    let s = format!("{f:?}");
    if s.starts_with('-') {
        format!("({s})")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Ansi;
    impl Quoting for Ansi {
        fn ident(&self, name: &str) -> String {
            format!("\"{}\"", name.replace('"', "\"\""))
        }
        fn string(&self, value: &str) -> String {
            format!("'{}'", value.replace('\'', "''"))
        }
    }

    mod random {
        //! Random input for the parser: token soups must be refused or accepted, never panic;
        //! conditions built from the safe set must be accepted, name exactly their columns,
        //! and emit to polars and SQL without panicking.
        use super::*;
        use proptest::prelude::*;

        const TOKENS: &[&str] = &[
            "r",
            "f",
            "m",
            "monetary",
            "frequency",
            "region",
            "\"r\"",
            "`r`",
            "[r]",
            "x",
            "1",
            "0",
            "-3",
            "2.5",
            "1e3",
            "'a'",
            "'O''B'",
            "''",
            "NULL",
            "TRUE",
            "false",
            "AND",
            "OR",
            "NOT",
            "IN",
            "BETWEEN",
            "IS",
            "(",
            ")",
            ",",
            "+",
            "-",
            "*",
            "/",
            "%",
            "<",
            "<=",
            "=",
            "==",
            "<>",
            "!=",
            ">=",
            ">",
            "abs",
            "least",
            "greatest",
            "coalesce",
            "LIKE",
            "CASE",
            "WHEN",
            "THEN",
            "END",
            "CAST",
            "AS",
            "SELECT",
            ";",
            "--",
            "/*",
            "*/",
            "'",
            "\"",
            "\\",
            "r.f",
            "é",
            "\u{0}",
        ];

        fn soup() -> impl Strategy<Value = String> {
            prop::collection::vec((0..TOKENS.len(), prop::bool::ANY), 0..24).prop_map(|v| {
                v.into_iter()
                    .map(|(i, space)| format!("{}{}", TOKENS[i], if space { " " } else { "" }))
                    .collect()
            })
        }

        /// A condition from the safe set, as text, with the columns it names.
        fn condition() -> impl Strategy<Value = (String, Vec<String>)> {
            let column = prop::sample::select(vec!["r", "f", "m", "monetary", "frequency"])
                .prop_map(|c| (c.to_string(), vec![c.to_string()]));
            let number = prop_oneof![
                (-50i64..50).prop_map(|i| (i.to_string(), vec![])),
                (0.0f64..1000.0).prop_map(|x| (format!("{x:.2}"), vec![])),
            ];
            let value = prop_oneof![column, number].prop_recursive(3, 12, 3, |inner| {
                prop_oneof![
                    (
                        inner.clone(),
                        prop::sample::select(vec!["+", "-", "*", "/"]),
                        inner.clone()
                    )
                        .prop_map(|((a, ca), op, (b, cb))| {
                            (format!("({a} {op} {b})"), [ca, cb].concat())
                        }),
                    (
                        prop::sample::select(vec!["least", "greatest", "coalesce"]),
                        inner.clone(),
                        inner.clone()
                    )
                        .prop_map(|(func, (a, ca), (b, cb))| {
                            (format!("{func}({a}, {b})"), [ca, cb].concat())
                        }),
                    inner.clone().prop_map(|(a, ca)| (format!("abs({a})"), ca)),
                    inner.prop_map(|(a, ca)| (format!("-({a})"), ca)),
                ]
            });
            let compare = prop_oneof![
                (
                    value.clone(),
                    prop::sample::select(vec!["<", "<=", "=", "<>", ">=", ">"]),
                    value.clone()
                )
                    .prop_map(|((a, ca), op, (b, cb))| (
                        format!("{a} {op} {b}"),
                        [ca, cb].concat()
                    )),
                (value.clone(), value.clone(), value.clone()).prop_map(
                    |((a, ca), (b, cb), (c, cc))| {
                        (format!("{a} BETWEEN {b} AND {c}"), [ca, cb, cc].concat())
                    }
                ),
                value
                    .clone()
                    .prop_map(|(a, ca)| (format!("{a} IN (1, 2, 3)"), ca)),
                value.prop_map(|(a, ca)| (format!("{a} IS NOT NULL"), ca)),
            ];
            compare.prop_recursive(3, 16, 2, |inner| {
                prop_oneof![
                    (
                        inner.clone(),
                        prop::sample::select(vec!["AND", "OR"]),
                        inner.clone()
                    )
                        .prop_map(|((a, ca), op, (b, cb))| {
                            (format!("({a}) {op} ({b})"), [ca, cb].concat())
                        }),
                    inner.prop_map(|(a, ca)| (format!("NOT ({a})"), ca)),
                ]
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            #[test]
            fn token_soups_are_refused_or_accepted_never_a_panic(text in soup()) {
                if let Ok(w) = parse(&text, &allowed()) {
                    let _ = w.to_polars();
                    let _ = w.to_sql(&Ansi);
                }
            }

            #[test]
            fn conditions_of_the_safe_set_are_accepted((text, columns) in condition()) {
                let w = parse(&text, &allowed()).map_err(TestCaseError::fail)?;
                let mut expected: Vec<String> = Vec::new();
                for c in columns {
                    if !expected.contains(&c) {
                        expected.push(c);
                    }
                }
                prop_assert_eq!(w.columns(), expected);
                let _ = w.to_polars();
                let _ = w.to_sql(&Ansi);
            }
        }
    }

    #[test]
    fn a_long_chain_of_dotted_names_is_refused_before_the_parser_sees_it() {
        // Found by cargo-fuzz: sqlparser backtracked on this for minutes.
        let found = "n.rn.a.n.rn.a.dnc.rn.dncen.aceErn.rn.dncen.aceErn.rn.n.aNRErn.rn.dncen.adnc.rn.dncen.aceErn.rn.dncen.aceErn.rn.n.aNRErn.rn.dncen.aceErn..dncen.ac.a";
        assert!(
            refused(found).contains("qualified name"),
            "{}",
            refused(found)
        );
        assert!(refused("r.f > 1").contains("qualified name r.f,"));
        assert!(refused("(.r) > 1").contains("qualified name"));
        // Dots of numbers, strings and quoted names are not names.
        assert_eq!(qualified_name("monetary > 2.5 AND f < .5 OR m >= 5."), None);
        assert_eq!(
            qualified_name("region IN ('a.b', 'c') OR \"r\" > 1e3"),
            None
        );
        assert!(parse("monetary > 2.5 AND region = 'St. Ives'", &allowed()).is_ok());
    }

    fn allowed() -> Vec<String> {
        ["r", "f", "m", "monetary", "frequency", "region"]
            .map(String::from)
            .to_vec()
    }

    fn sql(text: &str) -> String {
        parse(text, &allowed()).unwrap().to_sql(&Ansi)
    }

    fn refused(text: &str) -> String {
        parse(text, &allowed()).unwrap_err()
    }

    #[test]
    fn conditions_are_re_emitted_from_the_tree() {
        assert_eq!(
            sql("r <= 2 AND frequency >= 3"),
            "((\"r\" <= 2) AND (\"frequency\" >= 3))"
        );
        assert_eq!(
            sql("monetary / frequency > 50.5 OR region IN ('North', 'O''Hara')"),
            "(((CAST(\"monetary\" AS DOUBLE) / CAST(\"frequency\" AS DOUBLE)) > CAST(50.5 AS DOUBLE)) OR (\"region\" IN ('North', 'O''Hara')))"
        );
        assert_eq!(
            sql("NOT r BETWEEN 1 AND -2 AND region IS NOT NULL"),
            "((NOT (\"r\" BETWEEN 1 AND (-2))) AND (\"region\" IS NOT NULL))"
        );
        assert_eq!(sql("greatest(r, f) >= 4"), "(GREATEST(\"r\", \"f\") >= 4)");
        assert_eq!(sql("\"r\" = 5"), "(\"r\" = 5)");
    }

    #[test]
    fn anything_else_is_refused_by_name() {
        assert!(refused("r = 1; DROP TABLE orders").contains("unexpected ;"));
        assert!(refused("region LIKE 'N%'").contains("uses LIKE"));
        assert!(refused("upper(region) = 'N'").contains("the function upper"));
        assert!(refused("r IN (SELECT 1)").contains("subquery"));
        assert!(refused("r = (SELECT max(r) FROM orders)").contains("subquery"));
        assert!(refused("CASE WHEN r > 1 THEN TRUE END").contains("CASE"));
        assert!(refused("t.r = 1").contains("qualified name t.r"));
        assert!(refused("`r` = 1").contains("quote"));
        assert!(refused("frequncy > 2").contains("did you mean \"frequency\""));
        assert!(refused("r IN (1, NULL)").contains("NULL in an IN list"));
        assert!(refused("r <= (2").contains("does not parse"));
        assert!(refused("abs(r, f) > 1").contains("abs takes one argument"));
        assert!(refused("r % 2 = 0").contains("operator %"));
    }

    #[test]
    fn columns_are_listed_once() {
        let w = parse("r + r > f OR abs(monetary) > 1", &allowed()).unwrap();
        assert_eq!(w.columns(), ["r", "f", "monetary"]);
    }

    #[test]
    fn polars_form_evaluates_like_sql() {
        let df = df!("r" => [1i32, 2, 5], "f" => [1i32, 4, 5], "monetary" => [10.0, 60.0, 5.0], "frequency" => [1i64, 1, 2])
            .unwrap();
        let eval = |text: &str| -> Vec<Option<bool>> {
            let e = parse(text, &allowed()).unwrap().to_polars();
            df.clone()
                .lazy()
                .select([e.alias("c")])
                .collect()
                .unwrap()
                .column("c")
                .unwrap()
                .bool()
                .unwrap()
                .iter()
                .collect()
        };
        assert_eq!(
            eval("monetary / frequency > 50"),
            [Some(false), Some(true), Some(false)]
        );
        assert_eq!(
            eval("r NOT IN (1, 5)"),
            [Some(false), Some(true), Some(false)]
        );
        assert_eq!(
            eval("least(r, f) BETWEEN 2 AND 5"),
            [Some(false), Some(true), Some(true)]
        );
        assert_eq!(eval("-r < -1"), [Some(false), Some(true), Some(true)]);
    }
}
