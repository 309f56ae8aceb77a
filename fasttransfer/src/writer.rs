//! Writes elements back into a FastTransfer stream, exactly as they are held: tags, names and
//! raw values, large values shared rather than copied.

use crate::chunks::{Chunks, ChunksBuilder};
use crate::name::NameKind;
use crate::reader::Element;

/// Writes a stream element by element.
///
/// The writer trusts its input: an [`Element::Marker`] should hold a marker tag and an
/// [`Element::Unparsed`] should come last, or the stream will read back differently.
/// Properties are consistent by construction.
#[derive(Debug, Default)]
pub struct Writer {
    out: ChunksBuilder,
}

impl Writer {
    /// An empty stream.
    pub fn new() -> Writer {
        Writer::default()
    }

    /// Appends one element.
    pub fn write(&mut self, element: &Element) {
        match element {
            Element::Marker(tag) => self.out.put_u32_le(*tag),
            Element::Property(property) => {
                self.out.put_u32_le(property.tag().0);
                if let Some(name) = property.name() {
                    self.out.put_slice(&name.set.to_bytes_le());
                    match &name.kind {
                        NameKind::Lid(lid) => {
                            self.out.put_u8(0);
                            self.out.put_u32_le(*lid);
                        }
                        NameKind::Name(units) => {
                            self.out.put_u8(1);
                            for unit in units {
                                self.out.put_u16_le(*unit);
                            }
                            self.out.put_u16_le(0);
                        }
                    }
                }
                self.out.put_chunks(property.raw().as_chunks());
            }
            Element::Unparsed(rest) => self.out.put_chunks(rest),
        }
    }

    /// The number of bytes written so far.
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// The stream written.
    pub fn finish(self) -> Chunks {
        self.out.finish()
    }
}

/// Writes `elements` as a stream.
pub fn encode(elements: &[Element]) -> Chunks {
    let mut writer = Writer::new();
    for element in elements {
        writer.write(element);
    }
    writer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name::{property_set, PropName};
    use crate::property::Property;
    use crate::reader::Reader;
    use crate::tag::{marker, PropTag};
    use crate::value::PropValue;

    #[test]
    fn written_elements_read_back() {
        let named = Property::new(
            PropTag(0x8001_001F),
            Some(PropName::string(
                property_set::PS_PUBLIC_STRINGS,
                "Keywords",
            )),
            &PropValue::Unicode("x".into()),
        );
        let by_lid = Property::new(
            PropTag(0x8002_0003),
            Some(PropName::lid(property_set::PSETID_COMMON, 0x8501)),
            &PropValue::Integer32(15),
        );
        let (Ok(named), Ok(by_lid)) = (named, by_lid) else {
            panic!("properties build");
        };
        let elements = vec![
            Element::Marker(marker::START_RECIP),
            Element::Property(named),
            Element::Property(by_lid),
            Element::Marker(marker::END_TO_RECIP),
        ];
        let stream = encode(&elements);
        let read: Result<Vec<_>, _> = Reader::new(&stream).collect();
        assert_eq!(read, Ok(elements));
    }
}
