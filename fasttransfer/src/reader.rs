//! Reads a FastTransfer stream into its lexical elements (MS-OXCFXICS 2.2.4): markers and
//! properties, values left encoded and shared with the input.

use crate::chunks::Chunks;
use crate::cursor::Cursor;
use crate::error::FxError;
use crate::layout;
use crate::name::{NameKind, PropName, MAX_NAME_UNITS};
use crate::property::Property;
use crate::tag::{marker, PropTag};

/// One lexical element of a FastTransfer stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Element {
    /// A marker tag ([`marker`] lists them), which has no value.
    Marker(u32),
    /// A property.
    Property(Property),
    /// The rest of the stream from a property whose type cannot be sized, carried as it is so
    /// that writing the elements back loses nothing. It is always the last element.
    Unparsed(Chunks),
}

impl Element {
    /// The property, if this is one.
    pub fn as_property(&self) -> Option<&Property> {
        match self {
            Element::Property(property) => Some(property),
            _ => None,
        }
    }
}

/// Reads elements from a stream held as [`Chunks`]. Tags and names that straddle chunk
/// boundaries are assembled in small buffers; values are slices of the input, never copies.
///
/// After an error or an [`Element::Unparsed`] the iterator ends.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    cursor: Cursor<'a>,
    done: bool,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `stream`.
    pub fn new(stream: &'a Chunks) -> Reader<'a> {
        Reader {
            cursor: Cursor::new(stream),
            done: false,
        }
    }

    /// The offset of the next element.
    pub fn offset(&self) -> usize {
        self.cursor.offset()
    }

    fn read_element(&mut self) -> Result<Element, FxError> {
        let start = self.cursor.clone();
        let tag = self.cursor.read_u32().ok_or(FxError::Truncated {
            what: "property tag",
            offset: start.offset(),
        })?;
        if marker::is_marker(tag) {
            return Ok(Element::Marker(tag));
        }
        let tag = PropTag(tag);
        let name = if tag.is_named() {
            Some(self.read_name()?)
        } else {
            None
        };
        let Some(layout) = layout::layout(tag) else {
            // Without a size nothing after this can be located; hand back the rest untouched.
            self.done = true;
            let mut rest = start;
            return Ok(Element::Unparsed(rest.take_rest()));
        };
        // Measure on a copy, then take the measured run in one zero-copy slice.
        let mut probe = self.cursor.clone();
        let length = layout::measure(layout, tag, &mut probe)?;
        let raw = self.cursor.take(length).unwrap_or_default();
        Ok(Element::Property(Property::from_stream(tag, name, raw)))
    }

    fn read_name(&mut self) -> Result<PropName, FxError> {
        let truncated = |offset| FxError::Truncated {
            what: "property name",
            offset,
        };
        let offset = self.cursor.offset();
        let set = self.cursor.read_array::<16>().ok_or(truncated(offset))?;
        let set = uuid::Uuid::from_bytes_le(set);
        let kind_offset = self.cursor.offset();
        let kind = match self.cursor.read_u8().ok_or(truncated(offset))? {
            0 => NameKind::Lid(self.cursor.read_u32().ok_or(truncated(offset))?),
            1 => {
                let name_offset = self.cursor.offset();
                let mut units = Vec::new();
                loop {
                    match self.cursor.read_u16().ok_or(truncated(offset))? {
                        0 => break,
                        unit if units.len() < MAX_NAME_UNITS => units.push(unit),
                        _ => {
                            return Err(FxError::NameTooLong {
                                offset: name_offset,
                                limit: MAX_NAME_UNITS,
                            })
                        }
                    }
                }
                NameKind::Name(units)
            }
            kind => {
                return Err(FxError::InvalidNameKind {
                    kind,
                    offset: kind_offset,
                })
            }
        };
        Ok(PropName { set, kind })
    }
}

impl Iterator for Reader<'_> {
    type Item = Result<Element, FxError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.cursor.is_at_end() {
            return None;
        }
        let element = self.read_element();
        if element.is_err() {
            self.done = true;
        }
        Some(element)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name::property_set;
    use crate::value::PropValue;

    fn read_all(bytes: Vec<u8>) -> Vec<Result<Element, FxError>> {
        let input = Chunks::from(bytes);
        Reader::new(&input).collect()
    }

    #[test]
    fn reads_markers_and_properties() {
        let mut bytes = marker::START_RECIP.to_le_bytes().to_vec();
        bytes.extend_from_slice(&0x3000_0003u32.to_le_bytes());
        bytes.extend_from_slice(&7u32.to_le_bytes());
        let elements = read_all(bytes);
        assert_eq!(elements.len(), 2);
        assert_eq!(elements[0], Ok(Element::Marker(marker::START_RECIP)));
        let property = elements[1].as_ref().ok().and_then(Element::as_property);
        assert_eq!(
            property.map(Property::decode),
            Some(Ok(PropValue::Integer32(7)))
        );
    }

    #[test]
    fn reads_string_names() {
        let mut bytes = 0x8123_0003u32.to_le_bytes().to_vec();
        bytes.extend_from_slice(&property_set::PS_PUBLIC_STRINGS.to_bytes_le());
        bytes.push(1);
        for unit in "ab".encode_utf16().chain([0]) {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        bytes.extend_from_slice(&5u32.to_le_bytes());
        let elements = read_all(bytes);
        let property = elements[0].as_ref().ok().and_then(Element::as_property);
        assert_eq!(
            property.and_then(Property::name),
            Some(&PropName::string(property_set::PS_PUBLIC_STRINGS, "ab"))
        );
    }

    #[test]
    fn invalid_names_are_errors_with_offsets() {
        let mut bytes = 0x8123_0003u32.to_le_bytes().to_vec();
        bytes.extend_from_slice(&[0; 16]);
        bytes.push(2);
        bytes.extend_from_slice(&[0; 8]);
        let elements = read_all(bytes.clone());
        assert_eq!(
            elements,
            vec![Err(FxError::InvalidNameKind {
                kind: 2,
                offset: 20
            })]
        );
        bytes[20] = 1;
        bytes.truncate(21);
        bytes.extend(std::iter::repeat_n(b'x', 2 * MAX_NAME_UNITS + 2));
        assert_eq!(
            read_all(bytes),
            vec![Err(FxError::NameTooLong {
                offset: 21,
                limit: MAX_NAME_UNITS
            })]
        );
    }

    #[test]
    fn unsizable_type_yields_the_rest_unparsed() {
        let mut bytes = marker::NEW_ATTACH.to_le_bytes().to_vec();
        bytes.extend_from_slice(&0x0E21_0049u32.to_le_bytes());
        bytes.extend_from_slice(b"whatever follows");
        let elements = read_all(bytes.clone());
        assert_eq!(
            elements,
            vec![
                Ok(Element::Marker(marker::NEW_ATTACH)),
                Ok(Element::Unparsed(Chunks::from(bytes[4..].to_vec())))
            ]
        );
    }

    #[test]
    fn truncation_ends_the_iterator() {
        let mut bytes = 0x0037_001Fu32.to_le_bytes().to_vec();
        bytes.extend_from_slice(&10u32.to_le_bytes());
        bytes.extend_from_slice(&[0; 4]);
        let elements = read_all(bytes);
        assert!(matches!(
            elements.as_slice(),
            [Err(FxError::DeclaredSizeTooLarge {
                what: "length",
                declared: 10,
                offset: 4,
                available: 4,
                ..
            })]
        ));
        assert_eq!(
            read_all(vec![3, 0, 0x17]),
            vec![Err(FxError::Truncated {
                what: "property tag",
                offset: 0
            })]
        );
    }
}
