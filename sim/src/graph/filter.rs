//! `$filter` expressions: comparisons (`eq ne gt ge lt le`) of a property with a literal,
//! combined with `and`, `or`, `not` and parentheses, as OData writes them
//! (`createdDateTime ge 2021-08-21 and createdDateTime lt 2021-09-16`, `type eq 'IPF.Note'`).
//!
//! Properties are checked against the type's schema when the filter is parsed, so a misspelt
//! property or a literal of the wrong type is a 400 naming it, as Graph answers. Functions
//! (`startswith`, lambdas) are not modelled and are refused by name.

use super::error::GraphError;

/// The OData type of a filterable property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `Edm.String`.
    Text,
    /// `Edm.Int32`/`Edm.Int64`.
    Number,
    /// `Edm.DateTimeOffset`, as seconds since the Unix epoch.
    Time,
}

impl Kind {
    fn edm(self) -> &'static str {
        match self {
            Kind::Text => "Edm.String",
            Kind::Number => "Edm.Int64",
            Kind::Time => "Edm.DateTimeOffset",
        }
    }
}

/// A value to compare: a property's or a literal's.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string.
    Text(String),
    /// A number.
    Number(i64),
    /// A time, seconds since the Unix epoch.
    Time(i64),
    /// `null`, or a property the object does not have.
    Null,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `eq`.
    Eq,
    /// `ne`.
    Ne,
    /// `gt`.
    Gt,
    /// `ge`.
    Ge,
    /// `lt`.
    Lt,
    /// `le`.
    Le,
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `property op literal`.
    Compare {
        /// The property, as the schema spells it.
        property: &'static str,
        /// The operator.
        op: Op,
        /// The literal.
        value: Value,
    },
    /// Both hold.
    And(Box<Filter>, Box<Filter>),
    /// Either holds.
    Or(Box<Filter>, Box<Filter>),
    /// It does not hold.
    Not(Box<Filter>),
}

/// The filterable properties of a type: its name (for messages) and (property, kind) pairs.
pub struct Schema {
    /// `microsoft.graph.mailboxItem`...
    pub type_name: &'static str,
    /// The properties.
    pub properties: &'static [(&'static str, Kind)],
}

impl Filter {
    /// Parses `text` against `schema`.
    pub fn parse(text: &str, schema: &Schema) -> Result<Filter, GraphError> {
        let tokens = tokenize(text)?;
        let mut parser = Parser {
            tokens,
            position: 0,
            schema,
        };
        let filter = parser.or()?;
        match parser.tokens.get(parser.position) {
            None => Ok(filter),
            Some(token) => Err(syntax(&format!("unexpected '{token}'"))),
        }
    }

    /// Whether an object whose properties `lookup` gives matches.
    pub fn matches(&self, lookup: &dyn Fn(&str) -> Value) -> bool {
        match self {
            Filter::Compare {
                property,
                op,
                value,
            } => compare(&lookup(property), *op, value),
            Filter::And(left, right) => left.matches(lookup) && right.matches(lookup),
            Filter::Or(left, right) => left.matches(lookup) || right.matches(lookup),
            Filter::Not(inner) => !inner.matches(lookup),
        }
    }
}

fn compare(actual: &Value, op: Op, wanted: &Value) -> bool {
    use std::cmp::Ordering;
    let ordering = match (actual, wanted) {
        (Value::Null, Value::Null) => Some(Ordering::Equal),
        (Value::Null, _) | (_, Value::Null) => None,
        // Exchange compares strings without regard to case.
        (Value::Text(a), Value::Text(b)) => Some(a.to_lowercase().cmp(&b.to_lowercase())),
        (Value::Number(a), Value::Number(b)) | (Value::Time(a), Value::Time(b)) => Some(a.cmp(b)),
        _ => None,
    };
    match (op, ordering) {
        (Op::Eq, Some(Ordering::Equal)) => true,
        (Op::Ne, ordering) => ordering != Some(Ordering::Equal),
        (Op::Gt, Some(Ordering::Greater)) => true,
        (Op::Ge, Some(Ordering::Greater | Ordering::Equal)) => true,
        (Op::Lt, Some(Ordering::Less)) => true,
        (Op::Le, Some(Ordering::Less | Ordering::Equal)) => true,
        _ => false,
    }
}

fn syntax(problem: &str) -> GraphError {
    GraphError::bad_request(format!("Invalid filter clause: {problem}."))
}

fn tokenize(text: &str) -> Result<Vec<String>, GraphError> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&ch) = chars.peek() {
        if ch.is_whitespace() {
            chars.next();
        } else if ch == '(' || ch == ')' || ch == ',' {
            tokens.push(ch.to_string());
            chars.next();
        } else if ch == '\'' {
            // A string literal; '' inside is one quote. Kept with its quotes to tell it apart.
            chars.next();
            let mut literal = String::from("'");
            loop {
                match chars.next() {
                    Some('\'') if chars.peek() == Some(&'\'') => {
                        chars.next();
                        literal.push('\'');
                    }
                    Some('\'') => break,
                    Some(other) => literal.push(other),
                    None => return Err(syntax("a string literal is not closed")),
                }
            }
            literal.push('\'');
            tokens.push(literal);
        } else {
            let mut word = String::new();
            while let Some(&ch) = chars.peek() {
                if ch.is_whitespace() || matches!(ch, '(' | ')' | ',' | '\'') {
                    break;
                }
                word.push(ch);
                chars.next();
            }
            tokens.push(word);
        }
    }
    Ok(tokens)
}

struct Parser<'a> {
    tokens: Vec<String>,
    position: usize,
    schema: &'a Schema,
}

impl Parser<'_> {
    fn peek_keyword(&self, keyword: &str) -> bool {
        self.tokens
            .get(self.position)
            .is_some_and(|token| token.eq_ignore_ascii_case(keyword))
    }

    fn next(&mut self) -> Result<String, GraphError> {
        let token = self
            .tokens
            .get(self.position)
            .cloned()
            .ok_or_else(|| syntax("the expression ends too early"))?;
        self.position += 1;
        Ok(token)
    }

    fn or(&mut self) -> Result<Filter, GraphError> {
        let mut left = self.and()?;
        while self.peek_keyword("or") {
            self.position += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, GraphError> {
        let mut left = self.unary()?;
        while self.peek_keyword("and") {
            self.position += 1;
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, GraphError> {
        if self.peek_keyword("not") {
            self.position += 1;
            return Ok(Filter::Not(Box::new(self.unary()?)));
        }
        if self.peek_keyword("(") {
            self.position += 1;
            let inner = self.or()?;
            return match self.next()?.as_str() {
                ")" => Ok(inner),
                other => Err(syntax(&format!("expected ')' but found '{other}'"))),
            };
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Filter, GraphError> {
        let name = self.next()?;
        if self.peek_keyword("(") {
            return Err(GraphError::bad_request(format!(
                "The function '{name}' is not supported in $filter by this service; filter with comparisons (eq, ne, gt, ge, lt, le) combined with and, or, not."
            )));
        }
        let (property, kind) = self
            .schema
            .properties
            .iter()
            .find(|(property, _)| property.eq_ignore_ascii_case(&name))
            .copied()
            .ok_or_else(|| {
                GraphError::bad_request(format!(
                    "Could not find a property named '{name}' on type '{}'.",
                    self.schema.type_name
                ))
            })?;
        let op = match self.next()?.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            other => {
                return Err(syntax(&format!(
                    "'{other}' is not a comparison operator (eq, ne, gt, ge, lt, le)"
                )))
            }
        };
        let literal = self.next()?;
        let value = literal_value(&literal, kind).ok_or_else(|| {
            GraphError::bad_request(format!(
                "A binary operator with incompatible types was detected: '{property}' is {} and '{literal}' is not a literal of that type.",
                kind.edm()
            ))
        })?;
        Ok(Filter::Compare {
            property,
            op,
            value,
        })
    }
}

fn literal_value(literal: &str, kind: Kind) -> Option<Value> {
    if literal.eq_ignore_ascii_case("null") {
        return Some(Value::Null);
    }
    match kind {
        Kind::Text => literal
            .strip_prefix('\'')
            .and_then(|rest| rest.strip_suffix('\''))
            .map(|text| Value::Text(text.to_string())),
        Kind::Number => literal.parse().ok().map(Value::Number),
        Kind::Time => parse_time(literal).map(Value::Time),
    }
}

/// An OData date (`2021-08-21`, midnight UTC) or date-time with offset or `Z`.
pub fn parse_time(text: &str) -> Option<i64> {
    if let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return date
            .and_hms_opt(0, 0, 0)
            .map(|time| time.and_utc().timestamp());
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|time| time.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ITEM: Schema = Schema {
        type_name: "microsoft.graph.mailboxItem",
        properties: &[
            ("createdDateTime", Kind::Time),
            ("type", Kind::Text),
            ("size", Kind::Number),
        ],
    };

    fn lookup(property: &str) -> Value {
        match property {
            "createdDateTime" => Value::Time(parse_time("2021-09-01T10:00:00Z").expect("time")),
            "type" => Value::Text("IPM.Note".into()),
            "size" => Value::Number(500),
            _ => Value::Null,
        }
    }

    #[test]
    fn evaluates_the_docs_example_and_combinations() {
        let filter = Filter::parse(
            "createdDateTime ge 2021-08-21 and createdDateTime lt 2021-09-16",
            &ITEM,
        )
        .expect("parses");
        assert!(filter.matches(&lookup));
        let filter = Filter::parse(
            "(type eq 'ipm.note' or size gt 1000) and not (size le 100)",
            &ITEM,
        )
        .expect("parses");
        assert!(filter.matches(&lookup));
        let filter = Filter::parse("createdDateTime gt 2021-09-01T11:00:00+02:00", &ITEM)
            .expect("offsets are honoured");
        assert!(filter.matches(&lookup));
        assert!(!Filter::parse("type eq 'It''s'", &ITEM)
            .expect("escaped quote")
            .matches(&lookup));
    }

    #[test]
    fn names_what_is_wrong() {
        let error = Filter::parse("subject eq 'x'", &ITEM).expect_err("unknown property");
        assert!(error.message.contains("'subject'"), "{}", error.message);
        let error = Filter::parse("size eq 'big'", &ITEM).expect_err("wrong type");
        assert!(error.message.contains("Edm.Int64"), "{}", error.message);
        let error = Filter::parse("startswith(type,'IPM')", &ITEM).expect_err("function");
        assert!(error.message.contains("startswith"), "{}", error.message);
        assert!(Filter::parse("type eq", &ITEM).is_err());
        assert!(Filter::parse("type eq 'a' junk", &ITEM).is_err());
        assert!(Filter::parse("type eq 'open", &ITEM).is_err());
    }
}
