//! Conversion between a property's raw value bytes (as in the stream, counts and lengths
//! included) and a [`PropValue`].

use uuid::Uuid;

use crate::chunks::{Chunks, ChunksBuilder};
use crate::cursor::Cursor;
use crate::error::FxError;
use crate::tag::{meta, prop_type, PropTag};
use crate::value::PropValue;

/// Decodes the raw value of a property with `tag`.
pub(crate) fn decode(tag: PropTag, raw: &Chunks) -> Result<PropValue, FxError> {
    let mut reader = ValueReader {
        tag,
        cursor: Cursor::new(raw),
    };
    let value = reader.value()?;
    if !reader.cursor.is_at_end() {
        return Err(malformed(tag, "bytes left after the value"));
    }
    Ok(value)
}

/// Encodes `value` as the raw value of a property with `tag`, refusing a value that does not fit.
pub(crate) fn encode(tag: PropTag, value: &PropValue) -> Result<Chunks, FxError> {
    let fits = if tag == meta::IDSET_GIVEN {
        matches!(value, PropValue::Binary(_))
    } else {
        value.prop_type() == Some(tag.prop_type())
    };
    if !fits {
        return Err(FxError::TypeMismatch {
            tag,
            value: value.kind_name(),
        });
    }
    let mut writer = ValueWriter {
        tag,
        out: ChunksBuilder::new(),
    };
    writer.value(value)?;
    Ok(writer.out.finish())
}

fn malformed(tag: PropTag, reason: &'static str) -> FxError {
    FxError::MalformedValue { tag, reason }
}

struct ValueReader<'a> {
    tag: PropTag,
    cursor: Cursor<'a>,
}

impl ValueReader<'_> {
    fn value(&mut self) -> Result<PropValue, FxError> {
        use prop_type::*;
        let tag = self.tag;
        if tag == meta::IDSET_GIVEN {
            return Ok(PropValue::Binary(self.counted()?));
        }
        let prop_type = tag.prop_type();
        if prop_type & CODE_PAGE_FLAG != 0 {
            return Ok(PropValue::CodePageString {
                code_page: prop_type & !CODE_PAGE_FLAG,
                bytes: self.counted()?.into_vec(),
            });
        }
        if prop_type & MULTIPLE_FLAG == 0 {
            return self.single(prop_type);
        }
        let count = self.u32()?;
        Ok(match prop_type & !MULTIPLE_FLAG {
            INTEGER16 => PropValue::MultipleInteger16(self.many(count, Self::i16)?),
            INTEGER32 => PropValue::MultipleInteger32(self.many(count, Self::i32)?),
            FLOATING32 => PropValue::MultipleFloating32(self.many(count, Self::f32)?),
            FLOATING64 => PropValue::MultipleFloating64(self.many(count, Self::f64)?),
            CURRENCY => PropValue::MultipleCurrency(self.many(count, Self::i64)?),
            FLOATING_TIME => PropValue::MultipleFloatingTime(self.many(count, Self::f64)?),
            INTEGER64 => PropValue::MultipleInteger64(self.many(count, Self::i64)?),
            TIME => PropValue::MultipleTime(self.many(count, Self::u64)?),
            GUID => PropValue::MultipleGuid(self.many(count, Self::guid)?),
            STRING => PropValue::MultipleUnicode(self.many(count, Self::unicode)?),
            STRING8 => PropValue::MultipleString8(self.many(count, Self::string8)?),
            BINARY => PropValue::MultipleBinary(self.many(count, Self::counted)?),
            _ => return Err(FxError::UndecodableMultiValue { tag }),
        })
    }

    fn single(&mut self, base: u16) -> Result<PropValue, FxError> {
        use prop_type::*;
        Ok(match base {
            INTEGER16 => PropValue::Integer16(self.i16()?),
            INTEGER32 => PropValue::Integer32(self.i32()?),
            FLOATING32 => PropValue::Floating32(self.f32()?),
            FLOATING64 => PropValue::Floating64(self.f64()?),
            CURRENCY => PropValue::Currency(self.i64()?),
            FLOATING_TIME => PropValue::FloatingTime(self.f64()?),
            ERROR_CODE => PropValue::ErrorCode(self.u32()?),
            BOOLEAN => PropValue::Boolean(self.array::<2>()? != [0, 0]),
            INTEGER64 => PropValue::Integer64(self.i64()?),
            TIME => PropValue::Time(self.u64()?),
            GUID => PropValue::Guid(self.guid()?),
            STRING => PropValue::Unicode(self.unicode()?),
            STRING8 => PropValue::String8(self.string8()?),
            BINARY => PropValue::Binary(self.counted()?),
            SERVER_ID => PropValue::ServerId(self.counted()?),
            OBJECT => PropValue::Object(self.counted()?),
            RESTRICTION => PropValue::Restriction(self.counted()?),
            RULE_ACTION => PropValue::RuleAction(self.counted()?),
            _ => return Err(FxError::UnsizableType { tag: self.tag }),
        })
    }

    /// Reads `count` elements; the count is checked against what is left before allocating.
    fn many<T>(
        &mut self,
        count: u32,
        mut element: impl FnMut(&mut Self) -> Result<T, FxError>,
    ) -> Result<Vec<T>, FxError> {
        // Every element takes at least two bytes, so this bounds the allocation by the input.
        let count = usize::try_from(count)
            .ok()
            .filter(|count| *count <= self.cursor.remaining() / 2)
            .ok_or(malformed(self.tag, "count exceeds the value"))?;
        let mut values = Vec::with_capacity(count);
        for _ in 0..count {
            values.push(element(self)?);
        }
        Ok(values)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], FxError> {
        self.cursor
            .read_array()
            .ok_or(malformed(self.tag, "value shorter than its type"))
    }

    fn i16(&mut self) -> Result<i16, FxError> {
        self.array().map(i16::from_le_bytes)
    }

    fn i32(&mut self) -> Result<i32, FxError> {
        self.array().map(i32::from_le_bytes)
    }

    fn u32(&mut self) -> Result<u32, FxError> {
        self.array().map(u32::from_le_bytes)
    }

    fn i64(&mut self) -> Result<i64, FxError> {
        self.array().map(i64::from_le_bytes)
    }

    fn u64(&mut self) -> Result<u64, FxError> {
        self.array().map(u64::from_le_bytes)
    }

    fn f32(&mut self) -> Result<f32, FxError> {
        self.array().map(f32::from_le_bytes)
    }

    fn f64(&mut self) -> Result<f64, FxError> {
        self.array().map(f64::from_le_bytes)
    }

    fn guid(&mut self) -> Result<Uuid, FxError> {
        self.array().map(Uuid::from_bytes_le)
    }

    /// A `u32` length and that many bytes, shared with the raw value.
    fn counted(&mut self) -> Result<Chunks, FxError> {
        let length = self.u32()?;
        usize::try_from(length)
            .ok()
            .and_then(|length| self.cursor.take(length))
            .ok_or(malformed(self.tag, "length exceeds the value"))
    }

    fn unicode(&mut self) -> Result<String, FxError> {
        let bytes = self.counted()?.into_vec();
        if bytes.len() % 2 != 0 {
            return Err(malformed(self.tag, "odd utf-16 byte length"));
        }
        String::from_utf16(&crate::value::utf16_units(&bytes))
            .map_err(|_| malformed(self.tag, "invalid utf-16"))
    }

    fn string8(&mut self) -> Result<Vec<u8>, FxError> {
        let mut bytes = self.counted()?.into_vec();
        if bytes.last() == Some(&0) {
            bytes.pop();
        }
        Ok(bytes)
    }
}

struct ValueWriter {
    tag: PropTag,
    out: ChunksBuilder,
}

impl ValueWriter {
    fn value(&mut self, value: &PropValue) -> Result<(), FxError> {
        match value {
            PropValue::Integer16(v) => self.out.put_slice(&v.to_le_bytes()),
            PropValue::Integer32(v) => self.out.put_slice(&v.to_le_bytes()),
            PropValue::Floating32(v) => self.out.put_slice(&v.to_le_bytes()),
            PropValue::Floating64(v) | PropValue::FloatingTime(v) => {
                self.out.put_slice(&v.to_le_bytes())
            }
            PropValue::Currency(v) | PropValue::Integer64(v) => {
                self.out.put_slice(&v.to_le_bytes())
            }
            PropValue::ErrorCode(v) => self.out.put_u32_le(*v),
            PropValue::Boolean(v) => self.out.put_u16_le(u16::from(*v)),
            PropValue::Time(v) => self.out.put_slice(&v.to_le_bytes()),
            PropValue::Guid(v) => self.out.put_slice(&v.to_bytes_le()),
            PropValue::Unicode(text) => self.unicode(text)?,
            PropValue::String8(bytes) => self.string8(bytes)?,
            PropValue::CodePageString { bytes, .. } => {
                self.length(bytes.len())?;
                self.out.put_slice(bytes);
            }
            PropValue::Binary(bytes)
            | PropValue::ServerId(bytes)
            | PropValue::Object(bytes)
            | PropValue::Restriction(bytes)
            | PropValue::RuleAction(bytes) => self.counted(bytes)?,
            PropValue::MultipleInteger16(values) => {
                self.many(values, |out, v| out.out.put_slice(&v.to_le_bytes()))?
            }
            PropValue::MultipleInteger32(values) => {
                self.many(values, |out, v| out.out.put_slice(&v.to_le_bytes()))?
            }
            PropValue::MultipleFloating32(values) => {
                self.many(values, |out, v| out.out.put_slice(&v.to_le_bytes()))?
            }
            PropValue::MultipleFloating64(values) | PropValue::MultipleFloatingTime(values) => {
                self.many(values, |out, v| out.out.put_slice(&v.to_le_bytes()))?
            }
            PropValue::MultipleCurrency(values) | PropValue::MultipleInteger64(values) => {
                self.many(values, |out, v| out.out.put_slice(&v.to_le_bytes()))?
            }
            PropValue::MultipleTime(values) => {
                self.many(values, |out, v| out.out.put_slice(&v.to_le_bytes()))?
            }
            PropValue::MultipleGuid(values) => {
                self.many(values, |out, v| out.out.put_slice(&v.to_bytes_le()))?
            }
            PropValue::MultipleUnicode(values) => {
                self.try_many(values, |out, text| out.unicode(text))?
            }
            PropValue::MultipleString8(values) => {
                self.try_many(values, |out, bytes| out.string8(bytes))?
            }
            PropValue::MultipleBinary(values) => {
                self.try_many(values, |out, bytes| out.counted(bytes))?
            }
        }
        Ok(())
    }

    fn length(&mut self, length: usize) -> Result<(), FxError> {
        let length = u32::try_from(length).map_err(|_| FxError::ValueTooLarge {
            tag: self.tag,
            length: length as u64,
        })?;
        self.out.put_u32_le(length);
        Ok(())
    }

    fn counted(&mut self, bytes: &Chunks) -> Result<(), FxError> {
        self.length(bytes.len())?;
        // Shared, not copied, when large: attachment bodies pass through untouched.
        self.out.put_chunks(bytes);
        Ok(())
    }

    fn unicode(&mut self, text: &str) -> Result<(), FxError> {
        let units: Vec<u16> = text.encode_utf16().chain([0]).collect();
        self.length(units.len() * 2)?;
        for unit in units {
            self.out.put_u16_le(unit);
        }
        Ok(())
    }

    fn string8(&mut self, bytes: &[u8]) -> Result<(), FxError> {
        self.length(bytes.len() + 1)?;
        self.out.put_slice(bytes);
        self.out.put_u8(0);
        Ok(())
    }

    fn many<T>(
        &mut self,
        values: &[T],
        mut each: impl FnMut(&mut Self, &T),
    ) -> Result<(), FxError> {
        self.length(values.len())?;
        for value in values {
            each(self, value);
        }
        Ok(())
    }

    fn try_many<T>(
        &mut self,
        values: &[T],
        mut each: impl FnMut(&mut Self, &T) -> Result<(), FxError>,
    ) -> Result<(), FxError> {
        self.length(values.len())?;
        for value in values {
            each(self, value)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicode_drops_and_appends_one_nul() {
        let tag = PropTag(0x0037_001F);
        let raw = encode(tag, &PropValue::Unicode("ab\0".into())).unwrap_or_default();
        assert_eq!(raw, &[8, 0, 0, 0, b'a', 0, b'b', 0, 0, 0, 0, 0][..]);
        assert_eq!(decode(tag, &raw), Ok(PropValue::Unicode("ab\0".into())));
    }

    #[test]
    fn idset_given_is_binary() {
        let raw = Chunks::from(vec![2u8, 0, 0, 0, 9, 9]);
        let value = decode(meta::IDSET_GIVEN, &raw);
        assert_eq!(value, Ok(PropValue::Binary(Chunks::from(vec![9u8, 9]))));
        assert!(encode(meta::IDSET_GIVEN, &PropValue::Integer32(1)).is_err());
        assert_eq!(
            encode(
                meta::IDSET_GIVEN,
                &PropValue::Binary(Chunks::from(vec![9u8, 9]))
            )
            .ok(),
            Some(raw)
        );
    }

    #[test]
    fn mismatches_and_malformed_values_are_errors() {
        assert_eq!(
            encode(PropTag(0x0037_001F), &PropValue::Integer32(1)),
            Err(FxError::TypeMismatch {
                tag: PropTag(0x0037_001F),
                value: "integer32"
            })
        );
        let odd = Chunks::from(vec![1u8, 0, 0, 0, b'a']);
        assert!(matches!(
            decode(PropTag(0x0037_001F), &odd),
            Err(FxError::MalformedValue { .. })
        ));
        let lone_surrogate = Chunks::from(vec![2u8, 0, 0, 0, 0x00, 0xD8]);
        assert!(decode(PropTag(0x0037_001F), &lone_surrogate).is_err());
        let hostile_count = Chunks::from(vec![0xFF, 0xFF, 0xFF, 0xFF, 0, 0]);
        assert!(decode(PropTag(0x0001_1003), &hostile_count).is_err());
        assert_eq!(
            decode(PropTag(0x0001_100B), &Chunks::from(vec![0u8; 4])),
            Err(FxError::UndecodableMultiValue {
                tag: PropTag(0x0001_100B)
            })
        );
        assert!(decode(PropTag(0x0001_0003), &Chunks::from(vec![0u8; 5])).is_err());
    }
}
