//! Response shapes: which properties a client asked for (`BaseShape`, `AdditionalProperties`),
//! and extended property paths (`ExtendedFieldURI`).

use std::collections::HashSet;

use uuid::Uuid;

use super::soap::EwsError;
use crate::model::props::{distinguished_set, parse_number, ExtendedProperty, MAPI_PROPERTY_TYPES};
use crate::model::PropertyKey;
use crate::xml::Element;

/// `IdOnly`, `Default` or `AllProperties`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseShape {
    /// Ids only.
    IdOnly,
    /// The usual properties.
    Default,
    /// Everything the simulator models (except MIME content).
    AllProperties,
}

/// A requested extended property, and the path written back in replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtendedFieldPath {
    /// The property.
    pub key: PropertyKey,
    /// The declared MAPI type.
    pub property_type: String,
    /// The `ExtendedFieldURI` attributes as the client wrote them, echoed in replies.
    pub attrs: Vec<(String, String)>,
}

impl ExtendedFieldPath {
    /// Parses an `ExtendedFieldURI` element, naming what is wrong with it.
    pub fn parse(element: &Element) -> Result<ExtendedFieldPath, EwsError> {
        let invalid = |problem: &str| {
            EwsError::new(
                "ErrorInvalidExtendedProperty",
                format!("The extended property attribute combination is invalid: {problem}."),
            )
        };
        let property_type = element
            .attr("PropertyType")
            .ok_or_else(|| invalid("PropertyType is missing"))?
            .to_string();
        if !MAPI_PROPERTY_TYPES.contains(&property_type.as_str()) {
            return Err(invalid("PropertyType is not a MAPI property type"));
        }
        let set = match (
            element.attr("DistinguishedPropertySetId"),
            element.attr("PropertySetId"),
        ) {
            (Some(name), None) => Some(
                distinguished_set(name)
                    .ok_or_else(|| invalid("unknown DistinguishedPropertySetId"))?,
            ),
            (None, Some(guid)) => {
                Some(Uuid::parse_str(guid).map_err(|_| invalid("PropertySetId is not a GUID"))?)
            }
            (None, None) => None,
            (Some(_), Some(_)) => return Err(invalid("both property set attributes are given")),
        };
        let key = match (
            set,
            element.attr("PropertyTag"),
            element.attr("PropertyName"),
            element.attr("PropertyId"),
        ) {
            (None, Some(tag), None, None) => {
                let tag = parse_number(tag)
                    .filter(|tag| *tag <= 0x7FFF || (*tag >> 16) > 0 && (*tag >> 16) <= 0x7FFF)
                    .ok_or_else(|| invalid("PropertyTag is not a tagged property id"))?;
                // Accept both the 16-bit id and a full 32-bit tag.
                let id = if tag > 0xFFFF { tag >> 16 } else { tag };
                PropertyKey::Tag(id as u16)
            }
            (Some(set), None, Some(name), None) => PropertyKey::NamedString {
                set,
                name: name.to_string(),
            },
            (Some(set), None, None, Some(id)) => PropertyKey::NamedId {
                set,
                id: parse_number(id).ok_or_else(|| invalid("PropertyId is not a number"))?,
            },
            _ => {
                return Err(invalid(
                    "give PropertyTag alone, or a property set with PropertyName or PropertyId",
                ))
            }
        };
        Ok(ExtendedFieldPath {
            key,
            property_type,
            attrs: element
                .attrs
                .iter()
                .filter(|(name, _)| name != "xmlns")
                .cloned()
                .collect(),
        })
    }
}

/// Parses an `ExtendedProperty` element (path and value or values) into a stored property.
pub fn parse_extended_property(element: &Element) -> Result<ExtendedProperty, EwsError> {
    let path = ExtendedFieldPath::parse(element.child("ExtendedFieldURI").ok_or_else(|| {
        EwsError::new(
            "ErrorInvalidExtendedProperty",
            "ExtendedFieldURI is missing.",
        )
    })?)?;
    let is_array = path.property_type.ends_with("Array");
    let values: Vec<String> = match (element.child("Value"), element.child("Values")) {
        (Some(value), None) if !is_array => vec![value.text.clone()],
        (None, Some(values)) if is_array => values
            .children_named("Value")
            .map(|value| value.text.clone())
            .collect(),
        _ => {
            return Err(EwsError::new(
                "ErrorInvalidExtendedPropertyValue",
                "Array properties take Values, other properties take Value.",
            ))
        }
    };
    let mut canonical = Vec::with_capacity(values.len());
    for value in values {
        crate::model::props::validate_value(&path.property_type, &value)
            .map_err(|problem| EwsError::new("ErrorInvalidExtendedPropertyValue", problem))?;
        canonical.push(canonical_value(&path.property_type, &value));
    }
    Ok(ExtendedProperty {
        key: path.key,
        property_type: path.property_type,
        values: canonical,
    })
}

/// Normalises a value the way Exchange stores it, so it reads back (and exports) identically.
fn canonical_value(property_type: &str, value: &str) -> String {
    match property_type.trim_end_matches("Array") {
        "Boolean" => matches!(value.trim(), "true" | "1").to_string(),
        "Integer" | "Long" | "Short" | "Currency" => value
            .trim()
            .parse::<i64>()
            .map(|n| n.to_string())
            .unwrap_or_default(),
        "SystemTime" => crate::time::parse_ews(value)
            .map(crate::time::format_ews)
            .unwrap_or_default(),
        "CLSID" => Uuid::parse_str(value.trim())
            .map(|g| g.to_string())
            .unwrap_or_default(),
        "Binary" => value.trim().to_string(),
        "Double" | "ApplicationTime" => value
            .trim()
            .parse::<f64>()
            .map(|n| n.to_string())
            .unwrap_or_default(),
        "Float" => value
            .trim()
            .parse::<f32>()
            .map(|n| n.to_string())
            .unwrap_or_default(),
        _ => value.to_string(),
    }
}

/// What a client asked to see of items or folders.
#[derive(Debug, Clone)]
pub struct Shape {
    /// The base shape.
    pub base: BaseShape,
    /// `IncludeMimeContent`.
    pub include_mime: bool,
    /// `FieldURI` values from `AdditionalProperties` (`item:Subject`...).
    pub fields: HashSet<String>,
    /// `ExtendedFieldURI`s from `AdditionalProperties`.
    pub extended: Vec<ExtendedFieldPath>,
}

impl Shape {
    /// Parses an `ItemShape` or `FolderShape` element.
    pub fn parse(element: &Element) -> Result<Shape, EwsError> {
        let base = match element.child_text("BaseShape") {
            Some("IdOnly") => BaseShape::IdOnly,
            Some("Default") => BaseShape::Default,
            Some("AllProperties") => BaseShape::AllProperties,
            Some(other) => {
                return Err(EwsError::new(
                    "ErrorInvalidRequest",
                    format!("BaseShape '{other}' is not supported."),
                ))
            }
            None => {
                return Err(EwsError::new(
                    "ErrorInvalidRequest",
                    "The shape has no BaseShape.",
                ))
            }
        };
        let mut shape = Shape {
            base,
            include_mime: element.child_text("IncludeMimeContent") == Some("true"),
            fields: HashSet::new(),
            extended: Vec::new(),
        };
        if let Some(additional) = element.child("AdditionalProperties") {
            for path in &additional.children {
                match path.name.as_str() {
                    "FieldURI" => {
                        if let Some(uri) = path.attr("FieldURI") {
                            shape.fields.insert(uri.to_string());
                        }
                    }
                    "ExtendedFieldURI" => shape.extended.push(ExtendedFieldPath::parse(path)?),
                    // Indexed fields (a contact's second e-mail address...) are not modelled.
                    _ => {}
                }
            }
        }
        if shape.fields.contains("item:MimeContent") {
            shape.include_mime = true;
        }
        Ok(shape)
    }

    /// Whether a property is included: by the base shape at `level`, or asked for by name.
    pub fn wants(&self, field_uri: &str, level: BaseShape) -> bool {
        self.fields.contains(field_uri)
            || match (self.base, level) {
                (BaseShape::IdOnly, _) => false,
                (BaseShape::Default, BaseShape::Default) => true,
                (BaseShape::Default, _) => false,
                (BaseShape::AllProperties, _) => true,
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse_document;

    #[test]
    fn parses_shapes_and_extended_paths() {
        let root = parse_document(
            r#"<ItemShape><BaseShape>IdOnly</BaseShape><AdditionalProperties>
                <FieldURI FieldURI="item:Subject"/>
                <ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="x" PropertyType="String"/>
                <ExtendedFieldURI PropertyTag="0x0E07" PropertyType="Integer"/>
               </AdditionalProperties></ItemShape>"#,
        )
        .expect("xml");
        let shape = Shape::parse(&root).expect("shape");
        assert!(shape.wants("item:Subject", BaseShape::AllProperties));
        assert!(!shape.wants("item:Size", BaseShape::Default));
        assert_eq!(shape.extended.len(), 2);
        assert_eq!(shape.extended[1].key, PropertyKey::Tag(0x0E07));
    }

    #[test]
    fn rejects_contradictory_extended_paths() {
        let root = parse_document(
            r#"<ExtendedFieldURI PropertyTag="0x1" PropertyName="x" DistinguishedPropertySetId="Common" PropertyType="String"/>"#,
        )
        .expect("xml");
        assert_eq!(
            ExtendedFieldPath::parse(&root).expect_err("invalid").code,
            "ErrorInvalidExtendedProperty"
        );
    }

    #[test]
    fn extended_values_are_validated_and_normalised() {
        let root = parse_document(
            r#"<ExtendedProperty><ExtendedFieldURI PropertyTag="0x3007" PropertyType="SystemTime"/>
               <Value>2024-01-02T03:04:05.000+01:00</Value></ExtendedProperty>"#,
        )
        .expect("xml");
        let property = parse_extended_property(&root).expect("valid");
        assert_eq!(property.values, vec!["2024-01-02T02:04:05Z".to_string()]);
        let bad = parse_document(
            r#"<ExtendedProperty><ExtendedFieldURI PropertyTag="0x0E07" PropertyType="Integer"/>
               <Value>seven</Value></ExtendedProperty>"#,
        )
        .expect("xml");
        assert_eq!(
            parse_extended_property(&bad).expect_err("bad").code,
            "ErrorInvalidExtendedPropertyValue"
        );
    }
}
