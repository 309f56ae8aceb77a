//! Decoded property values: what [`crate::Property::decode`] returns and
//! [`crate::Property::new`] encodes.

use uuid::Uuid;

use crate::chunks::Chunks;
use crate::tag::prop_type;

/// A decoded property value, one variant per wire type.
///
/// Strings: [`PropValue::Unicode`] and [`PropValue::String8`] leave out the one terminating NUL
/// the wire carries (encoding appends it); [`PropValue::CodePageString`] keeps its bytes exactly,
/// terminator included, since its width depends on the code page. Byte strings are
/// [`Chunks`], so a large attachment is never copied. Floats compare with `==`, so NaN
/// values are unequal; compare their bits when that matters.
#[derive(Clone, Debug, PartialEq)]
pub enum PropValue {
    /// PtypInteger16.
    Integer16(i16),
    /// PtypInteger32.
    Integer32(i32),
    /// PtypFloating32.
    Floating32(f32),
    /// PtypFloating64.
    Floating64(f64),
    /// PtypCurrency: the raw fixed-point integer (units of 1/10,000).
    Currency(i64),
    /// PtypFloatingTime: an OLE automation date.
    FloatingTime(f64),
    /// PtypErrorCode.
    ErrorCode(u32),
    /// PtypBoolean (any nonzero value reads as `true`).
    Boolean(bool),
    /// PtypInteger64.
    Integer64(i64),
    /// PtypTime: the raw FILETIME (100 ns ticks since 1601).
    Time(u64),
    /// PtypGuid.
    Guid(Uuid),
    /// PtypString, without its terminating NUL.
    Unicode(String),
    /// PtypString8, in an unknown 8-bit code page, without its terminating NUL.
    String8(Vec<u8>),
    /// A string in the code page the type names (type 0x8000 | code page), bytes exactly as
    /// written.
    CodePageString {
        /// The code page (below 0x8000).
        code_page: u16,
        /// The encoded bytes, terminator included.
        bytes: Vec<u8>,
    },
    /// PtypBinary.
    Binary(Chunks),
    /// PtypServerId.
    ServerId(Chunks),
    /// PtypObject (a subobject's bytes, or a placeholder as in MetaTagFXDelProp lists).
    Object(Chunks),
    /// PtypRestriction, undecoded.
    Restriction(Chunks),
    /// PtypRuleAction, undecoded.
    RuleAction(Chunks),
    /// PtypMultipleInteger16.
    MultipleInteger16(Vec<i16>),
    /// PtypMultipleInteger32.
    MultipleInteger32(Vec<i32>),
    /// PtypMultipleFloating32.
    MultipleFloating32(Vec<f32>),
    /// PtypMultipleFloating64.
    MultipleFloating64(Vec<f64>),
    /// PtypMultipleCurrency.
    MultipleCurrency(Vec<i64>),
    /// PtypMultipleFloatingTime.
    MultipleFloatingTime(Vec<f64>),
    /// PtypMultipleInteger64.
    MultipleInteger64(Vec<i64>),
    /// PtypMultipleTime.
    MultipleTime(Vec<u64>),
    /// PtypMultipleGuid.
    MultipleGuid(Vec<Uuid>),
    /// PtypMultipleString, each without its terminating NUL.
    MultipleUnicode(Vec<String>),
    /// PtypMultipleString8, each without its terminating NUL.
    MultipleString8(Vec<Vec<u8>>),
    /// PtypMultipleBinary.
    MultipleBinary(Vec<Chunks>),
}

impl PropValue {
    /// A code-page 1200 (UTF-16LE) string as Exchange writes them, NUL terminator appended.
    pub fn utf16_code_page(text: &str) -> PropValue {
        let mut bytes = Vec::with_capacity(2 * text.len() + 2);
        for unit in text.encode_utf16().chain([0]) {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        PropValue::CodePageString {
            code_page: prop_type::CODE_PAGE_UTF16,
            bytes,
        }
    }

    /// The text of a [`PropValue::Unicode`], or of a code-page 1200 string without its
    /// terminating NUL (unpaired surrogates replaced); `None` for anything else.
    pub fn to_text_lossy(&self) -> Option<String> {
        match self {
            PropValue::Unicode(text) => Some(text.clone()),
            PropValue::CodePageString {
                code_page: prop_type::CODE_PAGE_UTF16,
                bytes,
            } => Some(String::from_utf16_lossy(&utf16_units(bytes))),
            _ => None,
        }
    }

    /// The value's bytes, for the byte-string kinds (binary, server id, object, restriction,
    /// rule action).
    pub fn as_chunks(&self) -> Option<&Chunks> {
        match self {
            PropValue::Binary(bytes)
            | PropValue::ServerId(bytes)
            | PropValue::Object(bytes)
            | PropValue::Restriction(bytes)
            | PropValue::RuleAction(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// The property type a tag must have to hold this value, or `None` for a code-page string
    /// whose code page does not fit the type's 15 bits.
    pub fn prop_type(&self) -> Option<u16> {
        use prop_type::*;
        let single = |base: u16| Some(base);
        let multiple = |base: u16| Some(MULTIPLE_FLAG | base);
        match self {
            PropValue::Integer16(_) => single(INTEGER16),
            PropValue::Integer32(_) => single(INTEGER32),
            PropValue::Floating32(_) => single(FLOATING32),
            PropValue::Floating64(_) => single(FLOATING64),
            PropValue::Currency(_) => single(CURRENCY),
            PropValue::FloatingTime(_) => single(FLOATING_TIME),
            PropValue::ErrorCode(_) => single(ERROR_CODE),
            PropValue::Boolean(_) => single(BOOLEAN),
            PropValue::Integer64(_) => single(INTEGER64),
            PropValue::Time(_) => single(TIME),
            PropValue::Guid(_) => single(GUID),
            PropValue::Unicode(_) => single(STRING),
            PropValue::String8(_) => single(STRING8),
            PropValue::CodePageString { code_page, .. } => {
                (*code_page & CODE_PAGE_FLAG == 0).then_some(CODE_PAGE_FLAG | *code_page)
            }
            PropValue::Binary(_) => single(BINARY),
            PropValue::ServerId(_) => single(SERVER_ID),
            PropValue::Object(_) => single(OBJECT),
            PropValue::Restriction(_) => single(RESTRICTION),
            PropValue::RuleAction(_) => single(RULE_ACTION),
            PropValue::MultipleInteger16(_) => multiple(INTEGER16),
            PropValue::MultipleInteger32(_) => multiple(INTEGER32),
            PropValue::MultipleFloating32(_) => multiple(FLOATING32),
            PropValue::MultipleFloating64(_) => multiple(FLOATING64),
            PropValue::MultipleCurrency(_) => multiple(CURRENCY),
            PropValue::MultipleFloatingTime(_) => multiple(FLOATING_TIME),
            PropValue::MultipleInteger64(_) => multiple(INTEGER64),
            PropValue::MultipleTime(_) => multiple(TIME),
            PropValue::MultipleGuid(_) => multiple(GUID),
            PropValue::MultipleUnicode(_) => multiple(STRING),
            PropValue::MultipleString8(_) => multiple(STRING8),
            PropValue::MultipleBinary(_) => multiple(BINARY),
        }
    }

    /// A short name of the value's kind, for error messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            PropValue::Integer16(_) => "integer16",
            PropValue::Integer32(_) => "integer32",
            PropValue::Floating32(_) => "floating32",
            PropValue::Floating64(_) => "floating64",
            PropValue::Currency(_) => "currency",
            PropValue::FloatingTime(_) => "floating time",
            PropValue::ErrorCode(_) => "error code",
            PropValue::Boolean(_) => "boolean",
            PropValue::Integer64(_) => "integer64",
            PropValue::Time(_) => "time",
            PropValue::Guid(_) => "guid",
            PropValue::Unicode(_) => "unicode string",
            PropValue::String8(_) => "string8",
            PropValue::CodePageString { .. } => "code page string",
            PropValue::Binary(_) => "binary",
            PropValue::ServerId(_) => "server id",
            PropValue::Object(_) => "object",
            PropValue::Restriction(_) => "restriction",
            PropValue::RuleAction(_) => "rule action",
            PropValue::MultipleInteger16(_) => "multiple integer16",
            PropValue::MultipleInteger32(_) => "multiple integer32",
            PropValue::MultipleFloating32(_) => "multiple floating32",
            PropValue::MultipleFloating64(_) => "multiple floating64",
            PropValue::MultipleCurrency(_) => "multiple currency",
            PropValue::MultipleFloatingTime(_) => "multiple floating time",
            PropValue::MultipleInteger64(_) => "multiple integer64",
            PropValue::MultipleTime(_) => "multiple time",
            PropValue::MultipleGuid(_) => "multiple guid",
            PropValue::MultipleUnicode(_) => "multiple unicode string",
            PropValue::MultipleString8(_) => "multiple string8",
            PropValue::MultipleBinary(_) => "multiple binary",
        }
    }
}

/// The UTF-16 code units of little-endian bytes, without a terminating NUL (an odd last byte is
/// ignored).
pub(crate) fn utf16_units(bytes: &[u8]) -> Vec<u16> {
    let mut units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    if units.last() == Some(&0) {
        units.pop();
    }
    units
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_code_page_strings_read_back_as_text() {
        let value = PropValue::utf16_code_page("4");
        assert_eq!(
            value,
            PropValue::CodePageString {
                code_page: 1200,
                bytes: vec![b'4', 0, 0, 0]
            }
        );
        assert_eq!(value.to_text_lossy().as_deref(), Some("4"));
        assert_eq!(value.prop_type(), Some(0x84B0));
        let other = PropValue::CodePageString {
            code_page: 1252,
            bytes: b"x\0".to_vec(),
        };
        assert_eq!(other.to_text_lossy(), None);
        let too_wide = PropValue::CodePageString {
            code_page: 0x8001,
            bytes: Vec::new(),
        };
        assert_eq!(too_wide.prop_type(), None);
    }
}
