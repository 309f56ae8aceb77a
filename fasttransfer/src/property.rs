//! A property as it sits in the stream: tag, name, and the value's exact encoded bytes, decoded
//! only on demand.

use crate::chunks::Chunks;
use crate::codec;
use crate::cursor::Cursor;
use crate::error::FxError;
use crate::layout;
use crate::name::PropName;
use crate::tag::{prop_type, PropTag};
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

    /// The text of a string property (`PtypString`, `PtypString8`, a code-page string) without
    /// its terminator, invalid sequences replaced; `None` for any other type or a value too
    /// short to hold a length. Read straight from the encoded bytes, without the copies of a
    /// full decode: a caller looking for addresses reads every string of an item.
    pub fn text_lossy(&self) -> Option<String> {
        let prop_type = self.tag.prop_type();
        let utf16 = matches!(
            prop_type,
            prop_type::STRING | prop_type::STRING_CODE_PAGE_UTF16
        );
        if !utf16 && prop_type != prop_type::STRING8 {
            return match self.decode().ok()? {
                PropValue::CodePageString { bytes, .. } => Some(
                    String::from_utf8_lossy(bytes.strip_suffix(&[0]).unwrap_or(&bytes))
                        .into_owned(),
                ),
                _ => None,
            };
        }
        let chunks = &self.value.0;
        let joined;
        let raw: &[u8] = match chunks.chunks() {
            [single] => single,
            _ => {
                joined = chunks.to_bytes();
                &joined
            }
        };
        let value = raw.get(4..)?;
        if !utf16 {
            return Some(
                String::from_utf8_lossy(value.strip_suffix(&[0]).unwrap_or(value)).into_owned(),
            );
        }
        let body = value.strip_suffix(&[0, 0]).unwrap_or(value);
        // Addresses are ASCII: take the low bytes at once when every unit is ASCII.
        if body
            .chunks_exact(2)
            .all(|pair| pair[1] == 0 && pair[0] < 0x80)
        {
            let ascii: Vec<u8> = body.iter().step_by(2).copied().collect();
            return String::from_utf8(ascii).ok();
        }
        Some(String::from_utf16_lossy(&crate::value::utf16_units(body)))
    }

    /// The same property with new text, in the property's own string type (a code page other
    /// than UTF-16 only for ASCII text); `None` if it is no string property.
    pub fn with_text(&self, text: &str) -> Option<Property> {
        let value = match self.tag.prop_type() {
            prop_type::STRING => PropValue::Unicode(text.to_string()),
            prop_type::STRING_CODE_PAGE_UTF16 => PropValue::utf16_code_page(text),
            prop_type::STRING8 => PropValue::String8(text.as_bytes().to_vec()),
            code_page if code_page & prop_type::CODE_PAGE_FLAG != 0 && text.is_ascii() => {
                let mut bytes = text.as_bytes().to_vec();
                bytes.push(0);
                PropValue::CodePageString {
                    code_page: code_page & !prop_type::CODE_PAGE_FLAG,
                    bytes,
                }
            }
            _ => return None,
        };
        Property::new(self.tag, self.name.clone(), &value).ok()
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
    fn text_reads_and_rewrites_every_string_type() {
        let windows_1252 = PropValue::CodePageString {
            code_page: 1252,
            bytes: vec![0],
        };
        for (blank, text) in [
            (PropValue::Unicode(String::new()), "ann@contoso.com"),
            (PropValue::Unicode(String::new()), "Zoë Ångström"),
            (PropValue::String8(Vec::new()), "ann@contoso.com"),
            (PropValue::utf16_code_page(""), "Zoë"),
            (windows_1252, "ann@contoso.com"),
        ] {
            let tag = PropTag::new(0x0037, blank.prop_type().expect("a type"));
            let blank = Property::new(tag, None, &blank).expect("an empty string");
            let written = blank.with_text(text).expect("a string type");
            assert_eq!(written.tag(), tag, "the type is kept");
            assert_eq!(written.text_lossy().as_deref(), Some(text), "{tag:?}");
            // Read the same from a value split across chunks, as a socket delivers it.
            let raw = written.raw().as_chunks();
            let split = Chunks::from(vec![raw.slice(..3).to_bytes(), raw.slice(3..).to_bytes()]);
            let split = Property::from_raw(tag, None, split).expect("same bytes");
            assert_eq!(split.text_lossy().as_deref(), Some(text));
        }
        let flag = Property::new(
            PropTag::new(0x0057, 0x000B),
            None,
            &PropValue::Boolean(true),
        )
        .expect("boolean");
        assert_eq!(flag.text_lossy(), None);
        assert_eq!(flag.with_text("x"), None);
    }

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
