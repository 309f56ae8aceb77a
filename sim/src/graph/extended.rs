//! Extended (MAPI) properties of items (and of folders, [`super::folders`]) through `$expand`:
//! `$expand=singleValueExtendedProperties($filter=id eq 'String {00020329-0000-0000-C000-000000000046} Name FerrySourceItem' or id eq 'SystemTime 0x0E06')`,
//! and the same for `multiValueExtendedProperties`.
//!
//! A property id is Graph's `{type} {proptag}`, `{type} {guid} Name {name}` or
//! `{type} {guid} Id {id}`. It names the same [`PropertyKey`] an EWS `ExtendedFieldURI` does,
//! and the value comes from the item's property bag through [`Item::extended`], as EWS's
//! `GetItem` reads it. As in MAPI, where a property tag includes its type, a property stored
//! with another type does not match. Replies echo ids the way Graph writes them back: the GUID
//! in lower case, a tag in lower-case hexadecimal without leading zeros (`SystemTime 0xe06`);
//! clients should compare ids without regard to that spelling. An expanded property the item
//! does not have is left out, and an item without any leaves the navigation property out.

use serde_json::Value;
use uuid::Uuid;

use super::error::GraphError;
use super::filter::{Filter, Kind, Op, Schema, Value as FilterValue};
use crate::model::props::{parse_number, MAPI_PROPERTY_TYPES};
use crate::model::{Item, PropertyKey};

/// The extended properties a request expands.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expand {
    /// `singleValueExtendedProperties($filter=...)`.
    pub single: Vec<PropertyId>,
    /// `multiValueExtendedProperties($filter=...)`.
    pub multi: Vec<PropertyId>,
}

/// An extended property named by a Graph property id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyId {
    /// The property.
    pub key: PropertyKey,
    /// Its MAPI type, as EWS and Graph name it (`String`, `SystemTime`, `StringArray`...).
    pub property_type: &'static str,
}

impl PropertyId {
    /// Parses a Graph property id.
    pub fn parse(text: &str) -> Result<PropertyId, GraphError> {
        let invalid = |problem: &str| {
            GraphError::bad_request(format!(
                "The extended property id '{text}' is not valid: {problem}. Write '{{type}} {{proptag}}', '{{type}} {{guid}} Name {{name}}' or '{{type}} {{guid}} Id {{id}}'."
            ))
        };
        let mut words = text.trim().splitn(4, ' ');
        let type_name = words.next().unwrap_or_default();
        let property_type = MAPI_PROPERTY_TYPES
            .iter()
            .copied()
            .find(|known| known.eq_ignore_ascii_case(type_name))
            .ok_or_else(|| invalid("the type is not a MAPI property type"))?;
        let second = words
            .next()
            .ok_or_else(|| invalid("it names no property"))?;
        let key = if second.starts_with('{') {
            let set = Uuid::parse_str(second.trim_start_matches('{').trim_end_matches('}'))
                .map_err(|_| invalid("the property set is not a GUID"))?;
            let kind = words.next().unwrap_or_default();
            let name = words.next().unwrap_or_default();
            if name.is_empty() {
                return Err(invalid("a property set must be followed by Name or Id"));
            }
            if kind.eq_ignore_ascii_case("name") {
                PropertyKey::NamedString {
                    set,
                    name: name.to_string(),
                }
            } else if kind.eq_ignore_ascii_case("id") {
                let id = parse_number(name).ok_or_else(|| invalid("the Id is not a number"))?;
                PropertyKey::NamedId { set, id }
            } else {
                return Err(invalid("a property set must be followed by Name or Id"));
            }
        } else {
            if words.next().is_some() {
                return Err(invalid("a tagged property id has two parts"));
            }
            let tag = parse_number(second)
                .filter(|tag| *tag > 0 && *tag <= 0xFFFF)
                .ok_or_else(|| invalid("the property tag is not a 16-bit number such as 0x0E06"))?;
            PropertyKey::Tag(tag as u16)
        };
        Ok(PropertyId { key, property_type })
    }

    /// The id as Graph writes it back.
    pub fn canonical(&self) -> String {
        match &self.key {
            PropertyKey::Tag(tag) => format!("{} 0x{tag:x}", self.property_type),
            PropertyKey::NamedString { set, name } => {
                format!(
                    "{} {{{}}} Name {name}",
                    self.property_type,
                    set.hyphenated()
                )
            }
            PropertyKey::NamedId { set, id } => {
                format!(
                    "{} {{{}}} Id 0x{id:x}",
                    self.property_type,
                    set.hyphenated()
                )
            }
        }
    }

    /// The item's value(s) of this property, if it has it with this type.
    fn values(&self, item: &Item) -> Option<Vec<String>> {
        item.extended(&self.key)
            .filter(|property| {
                property
                    .property_type
                    .eq_ignore_ascii_case(self.property_type)
            })
            .map(|property| property.values)
    }
}

const EXTENDED_PROPERTY: Schema = Schema {
    type_name: "microsoft.graph.singleValueLegacyExtendedProperty",
    properties: &[("id", Kind::Text)],
};

impl Expand {
    /// Parses a `$expand` value for items.
    pub fn parse(text: &str) -> Result<Expand, GraphError> {
        Expand::parse_for(text, "microsoft.graph.mailboxItem")
    }

    /// Parses a `$expand` value for objects of a type (named in errors).
    pub fn parse_for(text: &str, type_name: &str) -> Result<Expand, GraphError> {
        let mut expand = Expand::default();
        for part in split_top_level(text)? {
            let (name, options) = match part.find('(') {
                Some(open) if part.ends_with(')') => {
                    (part[..open].trim(), Some(&part[open + 1..part.len() - 1]))
                }
                Some(_) => {
                    return Err(GraphError::bad_request(format!(
                        "$expand '{part}' is not closed."
                    )))
                }
                None => (part.trim(), None),
            };
            let single = if name.eq_ignore_ascii_case("singleValueExtendedProperties") {
                true
            } else if name.eq_ignore_ascii_case("multiValueExtendedProperties") {
                false
            } else {
                return Err(GraphError::bad_request(format!(
                    "Could not find a navigation property named '{name}' on type '{type_name}' that $expand can follow (singleValueExtendedProperties, multiValueExtendedProperties)."
                )));
            };
            let filter = options
                .and_then(|options| options.trim().strip_prefix("$filter="))
                .ok_or_else(|| {
                    GraphError::bad_request(format!(
                        "$expand of {name} needs a $filter naming the properties: {name}($filter=id eq '...')."
                    ))
                })?;
            let ids = property_ids(&Filter::parse(filter, &EXTENDED_PROPERTY)?)?;
            if single {
                expand.single.extend(ids);
            } else {
                expand.multi.extend(ids);
            }
        }
        Ok(expand)
    }

    /// The navigation properties to write for an item: `(name, JSON array)` for each that the
    /// item has values of.
    pub fn members(&self, item: &Item) -> Vec<(&'static str, Value)> {
        self.members_with(|id| id.values(item))
    }

    /// The navigation properties to write for an object whose values `values` reads.
    pub fn members_with(
        &self,
        values: impl Fn(&PropertyId) -> Option<Vec<String>>,
    ) -> Vec<(&'static str, Value)> {
        let mut members = Vec::new();
        let collect = |ids: &[PropertyId], multi: bool| -> Vec<Value> {
            ids.iter()
                .filter(|id| id.property_type.ends_with("Array") == multi)
                .filter_map(|id| {
                    let values = values(id)?;
                    let value = if multi {
                        Value::from(values)
                    } else {
                        Value::from(values.into_iter().next().unwrap_or_default())
                    };
                    Some(serde_json::json!({"id": id.canonical(), "value": value}))
                })
                .collect()
        };
        let single = collect(&self.single, false);
        if !single.is_empty() {
            members.push(("singleValueExtendedProperties", Value::from(single)));
        }
        let multi = collect(&self.multi, true);
        if !multi.is_empty() {
            members.push(("multiValueExtendedProperties", Value::from(multi)));
        }
        members
    }
}

/// The ids of `id eq '...' or id eq '...'`; any other shape is refused.
fn property_ids(filter: &Filter) -> Result<Vec<PropertyId>, GraphError> {
    match filter {
        Filter::Or(left, right) => {
            let mut ids = property_ids(left)?;
            ids.extend(property_ids(right)?);
            Ok(ids)
        }
        Filter::Compare {
            op: Op::Eq,
            value: FilterValue::Text(id),
            ..
        } => Ok(vec![PropertyId::parse(id)?]),
        _ => Err(GraphError::bad_request(
            "An extended property $filter names properties as id eq '...', joined with or.",
        )),
    }
}

/// Splits on commas outside parentheses and quotes.
fn split_top_level(text: &str) -> Result<Vec<&str>, GraphError> {
    let mut parts = Vec::new();
    let (mut depth, mut quoted, mut start) = (0i32, false, 0);
    for (index, ch) in text.char_indices() {
        match ch {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                parts.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    if depth != 0 || quoted {
        return Err(GraphError::bad_request(format!(
            "$expand '{text}' has unbalanced parentheses or quotes."
        )));
    }
    parts.push(&text[start..]);
    Ok(parts
        .into_iter()
        .filter(|part| !part.trim().is_empty())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tags::tag;
    use crate::model::{Message, PropValue};

    const STAMP: &str = "String {00020329-0000-0000-C000-000000000046} Name FerrySourceItem";

    fn item() -> Item {
        let mut message = Message::of_class("IPM.Note");
        message.set_times(1_600_000_000, 1_600_000_000);
        message.props.insert(
            PropertyKey::NamedString {
                set: Uuid::from_u128(0x00020329_0000_0000_C000_000000000046),
                name: "FerrySourceItem".into(),
            },
            PropValue::text("source-key-1"),
        );
        Item::new(1, message, 1_600_000_100)
    }

    #[test]
    fn expands_the_stamp_and_the_received_time() {
        let expand = Expand::parse(&format!(
            "singleValueExtendedProperties($filter=id eq '{STAMP}' or id eq 'SystemTime 0x0E06' or id eq 'Integer 0x0E06')"
        ))
        .expect("parses");
        assert_eq!(expand.single.len(), 3);
        let members = expand.members(&item());
        assert_eq!(members.len(), 1);
        let values = members[0].1.as_array().expect("array");
        assert_eq!(
            values.len(),
            2,
            "the Integer spelling of 0x0E06 does not match"
        );
        assert_eq!(
            values[0]["id"],
            "String {00020329-0000-0000-c000-000000000046} Name FerrySourceItem"
        );
        assert_eq!(values[0]["value"], "source-key-1");
        assert_eq!(values[1]["id"], "SystemTime 0xe06");
        assert_eq!(
            Some(values[1]["value"].as_str().expect("text")),
            Some(crate::time::format_ews(1_600_000_000).as_str())
        );
        assert!(item().message.tagged(tag::MESSAGE_DELIVERY_TIME).is_some());
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        assert!(Expand::parse("attachments").is_err());
        assert!(Expand::parse("singleValueExtendedProperties").is_err());
        assert!(
            Expand::parse("singleValueExtendedProperties($filter=id ne 'String 0x1')").is_err()
        );
        assert!(PropertyId::parse("Text 0x1").is_err());
        assert!(PropertyId::parse("String {nope} Name x").is_err());
        assert!(PropertyId::parse("String 0x10000").is_err());
        assert_eq!(
            PropertyId::parse("Integer {00062008-0000-0000-C000-000000000046} Id 0x8503")
                .expect("named by id")
                .canonical(),
            "Integer {00062008-0000-0000-c000-000000000046} Id 0x8503"
        );
    }
}
