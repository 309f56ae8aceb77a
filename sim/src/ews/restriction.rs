//! Search restrictions (`FindItem`, `FindFolder`): parsed once, evaluated per item or folder.

use std::cmp::Ordering;

use super::shape::ExtendedFieldPath;
use super::soap::EwsError;
use crate::model::{ExtendedProperty, Folder, Item, PropertyKey};
use crate::time::parse_ews;
use crate::xml::Element;

/// A value a restriction compares.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// A time, seconds since the Unix epoch.
    Time(i64),
    /// A number.
    Number(f64),
    /// Text.
    Text(String),
    /// A flag.
    Flag(bool),
    /// A list of strings (categories).
    Texts(Vec<String>),
}

/// Something a restriction can be evaluated against.
pub trait Searchable {
    /// The value of a `FieldURI`; `None` if the path is not searchable on this kind of object.
    fn field(&self, uri: &str) -> Option<FieldValue>;
    /// Whether the path is searchable on this kind of object at all.
    fn supports(uri: &str) -> bool;
    /// An extended property, if set.
    fn extended(&self, key: &PropertyKey) -> Option<ExtendedProperty>;
}

#[derive(Debug, Clone)]
enum Path {
    Field(String),
    Extended(ExtendedFieldPath),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Equal,
    NotEqual,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Containment {
    FullString,
    Prefixed,
    Substring,
}

/// A parsed restriction.
#[derive(Debug, Clone)]
pub enum Restriction {
    /// All must hold.
    And(Vec<Restriction>),
    /// One must hold.
    Or(Vec<Restriction>),
    /// Must not hold.
    Not(Box<Restriction>),
    /// The property is set.
    Exists(PathHolder),
    /// Compares the property with a constant.
    Compare(PathHolder, ComparisonHolder, String),
    /// Text containment.
    Contains(PathHolder, ContainmentHolder, bool, String),
}

/// A property path inside a restriction (opaque outside this module).
#[derive(Debug, Clone)]
pub struct PathHolder(Path);
/// A comparison operator (opaque outside this module).
#[derive(Debug, Clone, Copy)]
pub struct ComparisonHolder(Comparison);
/// A containment mode (opaque outside this module).
#[derive(Debug, Clone, Copy)]
pub struct ContainmentHolder(Containment);

impl Restriction {
    /// Parses the `Restriction` element's expression for objects of type `T`.
    pub fn parse<T: Searchable>(restriction: &Element) -> Result<Restriction, EwsError> {
        let expression = restriction
            .children
            .first()
            .ok_or_else(|| EwsError::new("ErrorInvalidRestriction", "The restriction is empty."))?;
        parse_expression::<T>(expression)
    }

    /// Whether an object satisfies the restriction.
    pub fn matches<T: Searchable>(&self, object: &T) -> bool {
        match self {
            Restriction::And(parts) => parts.iter().all(|part| part.matches(object)),
            Restriction::Or(parts) => parts.iter().any(|part| part.matches(object)),
            Restriction::Not(inner) => !inner.matches(object),
            Restriction::Exists(PathHolder(path)) => value_of(object, path).is_some(),
            Restriction::Compare(PathHolder(path), ComparisonHolder(comparison), constant) => {
                value_of(object, path).is_some_and(|value| compare(&value, *comparison, constant))
            }
            Restriction::Contains(
                PathHolder(path),
                ContainmentHolder(mode),
                ignore_case,
                needle,
            ) => {
                let texts = match value_of(object, path) {
                    Some(FieldValue::Text(text)) => vec![text],
                    Some(FieldValue::Texts(texts)) => texts,
                    _ => return false,
                };
                texts
                    .iter()
                    .any(|text| contains(text, needle, *mode, *ignore_case))
            }
        }
    }
}

fn parse_expression<T: Searchable>(element: &Element) -> Result<Restriction, EwsError> {
    let name = element.name.as_str();
    let comparison = match name {
        "IsEqualTo" => Some(Comparison::Equal),
        "IsNotEqualTo" => Some(Comparison::NotEqual),
        "IsGreaterThan" => Some(Comparison::Greater),
        "IsGreaterThanOrEqualTo" => Some(Comparison::GreaterOrEqual),
        "IsLessThan" => Some(Comparison::Less),
        "IsLessThanOrEqualTo" => Some(Comparison::LessOrEqual),
        _ => None,
    };
    if let Some(comparison) = comparison {
        let path = parse_path::<T>(element)?;
        let constant = element
            .path(&["FieldURIOrConstant", "Constant"])
            .and_then(|constant| constant.attr("Value"))
            .ok_or_else(|| {
                EwsError::new(
                    "ErrorUnsupportedQueryFilter",
                    "Only comparisons with a constant are supported.",
                )
            })?;
        return Ok(Restriction::Compare(
            PathHolder(path),
            ComparisonHolder(comparison),
            constant.to_string(),
        ));
    }
    match name {
        "And" | "Or" => {
            let parts = element
                .children
                .iter()
                .map(parse_expression::<T>)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if name == "And" {
                Restriction::And(parts)
            } else {
                Restriction::Or(parts)
            })
        }
        "Not" => {
            let inner = element.children.first().ok_or_else(|| {
                EwsError::new("ErrorInvalidRestriction", "Not has no expression.")
            })?;
            Ok(Restriction::Not(Box::new(parse_expression::<T>(inner)?)))
        }
        "Exists" => Ok(Restriction::Exists(PathHolder(parse_path::<T>(element)?))),
        "Contains" => {
            let path = parse_path::<T>(element)?;
            let mode = match element.attr("ContainmentMode").unwrap_or("FullString") {
                "FullString" => Containment::FullString,
                "Prefixed" | "PrefixOnWords" => Containment::Prefixed,
                "Substring" | "ExactPhrase" => Containment::Substring,
                other => {
                    return Err(EwsError::new(
                        "ErrorInvalidRestriction",
                        format!("ContainmentMode '{other}' is not valid."),
                    ))
                }
            };
            let ignore_case = element
                .attr("ContainmentComparison")
                .is_some_and(|comparison| {
                    comparison.contains("IgnoreCase") || comparison == "Loose"
                });
            let needle = element
                .child("Constant")
                .and_then(|constant| constant.attr("Value"))
                .ok_or_else(|| {
                    EwsError::new("ErrorInvalidRestriction", "Contains has no Constant.")
                })?;
            Ok(Restriction::Contains(
                PathHolder(path),
                ContainmentHolder(mode),
                ignore_case,
                needle.to_string(),
            ))
        }
        other => Err(EwsError::new(
            "ErrorUnsupportedQueryFilter",
            format!("The restriction '{other}' is not supported."),
        )),
    }
}

fn parse_path<T: Searchable>(element: &Element) -> Result<Path, EwsError> {
    let path = element
        .children
        .iter()
        .find(|child| {
            matches!(
                child.name.as_str(),
                "FieldURI" | "ExtendedFieldURI" | "IndexedFieldURI"
            )
        })
        .ok_or_else(|| {
            EwsError::new(
                "ErrorInvalidRestriction",
                "The expression has no property path.",
            )
        })?;
    match path.name.as_str() {
        "ExtendedFieldURI" => Ok(Path::Extended(ExtendedFieldPath::parse(path)?)),
        "FieldURI" => {
            let uri = path.attr("FieldURI").unwrap_or("");
            if T::supports(uri) {
                Ok(Path::Field(uri.to_string()))
            } else {
                Err(EwsError::new(
                    "ErrorUnsupportedPathForQuery",
                    format!("The property '{uri}' can't be used in a restriction."),
                ))
            }
        }
        _ => Err(EwsError::new(
            "ErrorUnsupportedPathForQuery",
            "Indexed properties can't be used in a restriction.",
        )),
    }
}

fn value_of<T: Searchable>(object: &T, path: &Path) -> Option<FieldValue> {
    match path {
        Path::Field(uri) => object.field(uri),
        Path::Extended(extended) => {
            let property = object.extended(&extended.key)?;
            let first = property.values.first()?.clone();
            Some(match property.property_type.as_str() {
                "SystemTime" => FieldValue::Time(parse_ews(&first)?),
                "Integer" | "Long" | "Short" | "Currency" | "Double" | "Float"
                | "ApplicationTime" => FieldValue::Number(first.parse().ok()?),
                "Boolean" => FieldValue::Flag(first == "true"),
                kind if kind.ends_with("Array") => FieldValue::Texts(property.values.clone()),
                _ => FieldValue::Text(first),
            })
        }
    }
}

fn compare(value: &FieldValue, comparison: Comparison, constant: &str) -> bool {
    let ordering = match value {
        FieldValue::Time(time) => parse_ews(constant).map(|other| time.cmp(&other)),
        FieldValue::Number(number) => constant
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(|other| number.partial_cmp(&other)),
        FieldValue::Flag(flag) => match constant.trim() {
            "true" | "1" => Some(flag.cmp(&true)),
            "false" | "0" => Some(flag.cmp(&false)),
            _ => None,
        },
        FieldValue::Text(text) => Some(text.to_lowercase().cmp(&constant.to_lowercase())),
        FieldValue::Texts(texts) => {
            let any_equal = texts.iter().any(|text| text.eq_ignore_ascii_case(constant));
            return match comparison {
                Comparison::Equal => any_equal,
                Comparison::NotEqual => !any_equal,
                _ => false,
            };
        }
    };
    let Some(ordering) = ordering else {
        return false;
    };
    match comparison {
        Comparison::Equal => ordering == Ordering::Equal,
        Comparison::NotEqual => ordering != Ordering::Equal,
        Comparison::Greater => ordering == Ordering::Greater,
        Comparison::GreaterOrEqual => ordering != Ordering::Less,
        Comparison::Less => ordering == Ordering::Less,
        Comparison::LessOrEqual => ordering != Ordering::Greater,
    }
}

fn contains(text: &str, needle: &str, mode: Containment, ignore_case: bool) -> bool {
    let (text, needle) = if ignore_case {
        (text.to_lowercase(), needle.to_lowercase())
    } else {
        (text.to_string(), needle.to_string())
    };
    match mode {
        Containment::FullString => text == needle,
        Containment::Prefixed => text.starts_with(&needle),
        Containment::Substring => text.contains(&needle),
    }
}

impl Searchable for Item {
    fn field(&self, uri: &str) -> Option<FieldValue> {
        Some(match uri {
            "item:DateTimeReceived" => FieldValue::Time(self.received()),
            "item:DateTimeSent" => FieldValue::Time(self.sent()),
            "item:DateTimeCreated" => FieldValue::Time(self.created),
            "item:LastModifiedTime" => FieldValue::Time(self.modified),
            "item:Subject" => FieldValue::Text(self.subject().to_string()),
            "item:ItemClass" => FieldValue::Text(self.item_class().to_string()),
            "item:Size" => FieldValue::Number(self.size() as f64),
            "item:Importance" => FieldValue::Text(self.importance().to_string()),
            "item:HasAttachments" => FieldValue::Flag(self.has_attachments()),
            "item:Categories" => FieldValue::Texts(self.categories()),
            "message:IsRead" => FieldValue::Flag(self.is_read()),
            "message:InternetMessageId" => {
                FieldValue::Text(self.internet_message_id()?.to_string())
            }
            _ => return None,
        })
    }

    fn supports(uri: &str) -> bool {
        matches!(
            uri,
            "item:DateTimeReceived"
                | "item:DateTimeSent"
                | "item:DateTimeCreated"
                | "item:LastModifiedTime"
                | "item:Subject"
                | "item:ItemClass"
                | "item:Size"
                | "item:Importance"
                | "item:HasAttachments"
                | "item:Categories"
                | "message:IsRead"
                | "message:InternetMessageId"
        )
    }

    fn extended(&self, key: &PropertyKey) -> Option<ExtendedProperty> {
        Item::extended(self, key)
    }
}

impl Searchable for Folder {
    fn field(&self, uri: &str) -> Option<FieldValue> {
        Some(match uri {
            "folder:DisplayName" => FieldValue::Text(self.display_name.clone()),
            "folder:FolderClass" => FieldValue::Text(self.folder_class.clone()),
            "folder:TotalCount" => FieldValue::Number(self.items.len() as f64),
            "folder:UnreadCount" => FieldValue::Number(self.unread as f64),
            _ => return None,
        })
    }

    fn supports(uri: &str) -> bool {
        matches!(
            uri,
            "folder:DisplayName"
                | "folder:FolderClass"
                | "folder:TotalCount"
                | "folder:UnreadCount"
        )
    }

    fn extended(&self, _key: &PropertyKey) -> Option<ExtendedProperty> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::props::distinguished_set;
    use crate::model::Message;
    use crate::xml::parse_document;

    fn item(received: i64, marker: Option<&str>) -> Item {
        let mut message = Message::of_class("IPM.Note");
        message.set_subject("Quarterly Report");
        message.set_times(received, received);
        message.set_categories(vec!["Blue".into()]);
        if let Some(value) = marker {
            message.set(
                PropertyKey::NamedString {
                    set: distinguished_set("PublicStrings").unwrap_or_default(),
                    name: "SourceId".into(),
                },
                crate::model::PropValue::text(value),
            );
        }
        Item::new(1, message, received)
    }

    fn restriction(xml: &str) -> Restriction {
        let root = parse_document(&format!("<Restriction>{xml}</Restriction>")).expect("xml");
        Restriction::parse::<Item>(&root).expect("parses")
    }

    #[test]
    fn date_ranges_and_boolean_operators() {
        let before = restriction(
            r#"<And><IsLessThan><FieldURI FieldURI="item:DateTimeReceived"/><FieldURIOrConstant><Constant Value="2021-01-01T00:00:00Z"/></FieldURIOrConstant></IsLessThan>
               <Not><IsEqualTo><FieldURI FieldURI="item:ItemClass"/><FieldURIOrConstant><Constant Value="IPM.Appointment"/></FieldURIOrConstant></IsEqualTo></Not></And>"#,
        );
        assert!(before.matches(&item(1_600_000_000, None)));
        assert!(!before.matches(&item(1_700_000_000, None)));
    }

    #[test]
    fn extended_property_exists_and_equals() {
        let path = r#"<ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="SourceId" PropertyType="String"/>"#;
        let exists = restriction(&format!("<Exists>{path}</Exists>"));
        assert!(exists.matches(&item(0, Some("abc"))));
        assert!(!exists.matches(&item(0, None)));
        let equals = restriction(&format!(
            r#"<IsEqualTo>{path}<FieldURIOrConstant><Constant Value="abc"/></FieldURIOrConstant></IsEqualTo>"#
        ));
        assert!(equals.matches(&item(0, Some("abc"))));
        assert!(!equals.matches(&item(0, Some("abd"))));
    }

    #[test]
    fn contains_and_unsupported_paths() {
        let contains = restriction(
            r#"<Contains ContainmentMode="Substring" ContainmentComparison="IgnoreCase"><FieldURI FieldURI="item:Subject"/><Constant Value="report"/></Contains>"#,
        );
        assert!(contains.matches(&item(0, None)));
        let root = parse_document(
            r#"<Restriction><Exists><FieldURI FieldURI="item:Body"/></Exists></Restriction>"#,
        )
        .expect("xml");
        assert_eq!(
            Restriction::parse::<Item>(&root)
                .expect_err("unsupported")
                .code,
            "ErrorUnsupportedPathForQuery"
        );
    }
}
