//! A property as it sits in the stream: tag, name, and the value's exact encoded bytes, decoded
//! only on demand.

use crate::chunks::Chunks;
use crate::codec;
use crate::cursor::Cursor;
use crate::error::FxError;
use crate::layout;
use crate::name::PropName;
use crate::tag::PropTag;
use crate::value::PropValue;

/// A value's exact encoded bytes as they follow the tag (and name) in the stream, length
/// prefixes and counts included. Read values are zero-copy slices of the input.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawValue(Chunks);

impl RawValue {
    /// The encoded bytes.
    pub fn as_chunks(&self) -> &Chunks {
        &self.0
    }

    /// The encoded bytes, by value.
    pub fn into_chunks(self) -> Chunks {
        self.0
    }

    /// The encoded length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the encoding is empty (never, for a valid property value).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One property of the stream. Its parts are consistent by construction: read from a stream,
/// built from a [`PropValue`] with [`Property::new`], or checked by [`Property::from_raw`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Property {
    tag: PropTag,
    name: Option<PropName>,
    value: RawValue,
}

impl Property {
    /// Encodes `value` as a property with `tag` (and `name`, which a named id needs and any
    /// other id must not have). Refuses a value whose kind does not fit the tag's type.
    pub fn new(
        tag: PropTag,
        name: Option<PropName>,
        value: &PropValue,
    ) -> Result<Property, FxError> {
        check_tag_and_name(tag, name.as_ref())?;
        let raw = codec::encode(tag, value)?;
        Ok(Property {
            tag,
            name,
            value: RawValue(raw),
        })
    }

    /// A property from its value's encoded bytes, checked to be exactly one value of the tag's
    /// type (use it to carry a value this crate cannot decode, such as an undefined multi-valued
    /// type).
    pub fn from_raw(
        tag: PropTag,
        name: Option<PropName>,
        raw: Chunks,
    ) -> Result<Property, FxError> {
        check_tag_and_name(tag, name.as_ref())?;
        let layout = layout::layout(tag).ok_or(FxError::UnsizableType { tag })?;
        let mut cursor = Cursor::new(&raw);
        let exact = layout::measure(layout, tag, &mut cursor).is_ok() && cursor.is_at_end();
        if !exact {
            return Err(FxError::MalformedValue {
                tag,
                reason: "raw bytes are not exactly one value of the type",
            });
        }
        Ok(Property {
            tag,
            name,
            value: RawValue(raw),
        })
    }

    /// Built by the reader, which has measured the value and read the name itself.
    pub(crate) fn from_stream(tag: PropTag, name: Option<PropName>, raw: Chunks) -> Property {
        Property {
            tag,
            name,
            value: RawValue(raw),
        }
    }

    /// The tag, as written (for a named property the id is the writer's own mapping).
    pub fn tag(&self) -> PropTag {
        self.tag
    }

    /// The name, for a named property.
    pub fn name(&self) -> Option<&PropName> {
        self.name.as_ref()
    }

    /// The value's encoded bytes.
    pub fn raw(&self) -> &RawValue {
        &self.value
    }

    /// Decodes the value. Byte strings are shared with the raw value, not copied.
    pub fn decode(&self) -> Result<PropValue, FxError> {
        codec::decode(self.tag, &self.value.0)
    }
}

fn check_tag_and_name(tag: PropTag, name: Option<&PropName>) -> Result<(), FxError> {
    if tag.is_marker() {
        return Err(FxError::MarkerTag { tag });
    }
    match (tag.is_named(), name) {
        (false, Some(_)) => Err(FxError::UnexpectedName { tag }),
        (true, None) => Err(FxError::MissingName { tag }),
        (true, Some(name)) => match name.unwritable_reason() {
            Some(reason) => Err(FxError::InvalidName { tag, reason }),
            None => Ok(()),
        },
        (false, None) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name::property_set;
    use crate::tag::{marker, pid};

    #[test]
    fn names_must_match_the_id() {
        let name = PropName::lid(property_set::PSETID_COMMON, 0x8514);
        let value = PropValue::Boolean(true);
        assert_eq!(
            Property::new(PropTag(0x0063_000B), Some(name.clone()), &value),
            Err(FxError::UnexpectedName {
                tag: PropTag(0x0063_000B)
            })
        );
        assert_eq!(
            Property::new(PropTag(0x80C8_000B), None, &value),
            Err(FxError::MissingName {
                tag: PropTag(0x80C8_000B)
            })
        );
        let property = Property::new(PropTag(0x80C8_000B), Some(name.clone()), &value);
        assert_eq!(property.as_ref().map(Property::name), Ok(Some(&name)));
        let bad_name = PropName::string(property_set::PS_PUBLIC_STRINGS, "a\0");
        assert!(matches!(
            Property::new(PropTag(0x80C8_000B), Some(bad_name), &value),
            Err(FxError::InvalidName { .. })
        ));
    }

    #[test]
    fn markers_and_unsizable_types_are_refused() {
        assert_eq!(
            Property::new(PropTag(marker::START_RECIP), None, &PropValue::Integer32(0)),
            Err(FxError::MarkerTag {
                tag: PropTag(marker::START_RECIP)
            })
        );
        assert_eq!(
            Property::from_raw(PropTag(0x0001_0001), None, Chunks::new()),
            Err(FxError::UnsizableType {
                tag: PropTag(0x0001_0001)
            })
        );
    }

    #[test]
    fn from_raw_checks_the_layout() {
        let tag = pid::ATTACH_NUMBER;
        assert!(Property::from_raw(tag, None, Chunks::from(vec![1u8, 0, 0, 0])).is_ok());
        assert!(Property::from_raw(tag, None, Chunks::from(vec![1u8, 0, 0])).is_err());
        assert!(Property::from_raw(tag, None, Chunks::from(vec![1u8, 0, 0, 0, 0])).is_err());
        // An undefined multi-valued type is carried raw but not decoded.
        let booleans = Property::from_raw(
            PropTag(0x0001_100B),
            None,
            Chunks::from(vec![1u8, 0, 0, 0, 1, 0]),
        );
        assert!(matches!(
            booleans.map(|property| property.decode()),
            Ok(Err(FxError::UndecodableMultiValue { .. }))
        ));
    }
}
