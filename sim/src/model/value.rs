//! MAPI property values as the simulated store keeps them, and their EWS text form.
//!
//! Times are kept as FILETIME ticks (100 ns since 1601), as Exchange keeps them, so a value read
//! from a real stream is written back to the tick. Binary values are shared segments, so a large
//! attachment is held once however many items or exports refer to it.

use base64::Engine;
use bytes::Bytes;
use uuid::Uuid;

/// Seconds between 1601-01-01 and 1970-01-01.
const EPOCH_DIFFERENCE_SECONDS: i64 = 11_644_473_600;
/// FILETIME ticks per second.
const TICKS_PER_SECOND: i64 = 10_000_000;

/// Seconds since the Unix epoch as FILETIME ticks.
pub fn filetime_from_unix(seconds: i64) -> u64 {
    (seconds.saturating_add(EPOCH_DIFFERENCE_SECONDS)).max(0) as u64 * TICKS_PER_SECOND as u64
}

/// FILETIME ticks as seconds since the Unix epoch (sub-second ticks dropped).
pub fn unix_from_filetime(ticks: u64) -> i64 {
    (ticks / TICKS_PER_SECOND as u64) as i64 - EPOCH_DIFFERENCE_SECONDS
}

/// Bytes held as shared segments that read as one byte string.
#[derive(Debug, Clone, Default)]
pub struct Blob {
    segments: Vec<Bytes>,
    len: u64,
}

impl Blob {
    /// A blob of the given segments.
    pub fn new(segments: Vec<Bytes>) -> Blob {
        let len = segments.iter().map(|segment| segment.len() as u64).sum();
        Blob { segments, len }
    }

    /// The total length.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The segments, in order.
    pub fn segments(&self) -> &[Bytes] {
        &self.segments
    }

    /// The bytes as one buffer (copies unless there is a single segment).
    pub fn to_bytes(&self) -> Bytes {
        match self.segments.as_slice() {
            [] => Bytes::new(),
            [single] => single.clone(),
            many => Bytes::from(many.concat()),
        }
    }
}

impl From<Bytes> for Blob {
    fn from(bytes: Bytes) -> Blob {
        Blob::new(vec![bytes])
    }
}

impl From<Vec<u8>> for Blob {
    fn from(bytes: Vec<u8>) -> Blob {
        Blob::from(Bytes::from(bytes))
    }
}

impl PartialEq for Blob {
    fn eq(&self, other: &Blob) -> bool {
        self.len == other.len
            && self
                .segments
                .iter()
                .flat_map(|segment| segment.iter())
                .eq(other.segments.iter().flat_map(|segment| segment.iter()))
    }
}

/// One property value.
#[derive(Debug, Clone, PartialEq)]
pub enum PropValue {
    /// `PtypInteger16`.
    Short(i16),
    /// `PtypInteger32`.
    Long(i32),
    /// `PtypFloating32`.
    Float(f32),
    /// `PtypFloating64`.
    Double(f64),
    /// `PtypCurrency` (ten-thousandths).
    Currency(i64),
    /// `PtypFloatingTime` (OLE automation date).
    AppTime(f64),
    /// `PtypErrorCode`.
    Error(u32),
    /// `PtypBoolean`.
    Boolean(bool),
    /// `PtypInteger64`.
    I8(i64),
    /// `PtypTime`, FILETIME ticks.
    Time(u64),
    /// `PtypGuid`.
    Clsid(Uuid),
    /// `PtypString` (and strings in code page 1200).
    Unicode(String),
    /// `PtypString8`, or a string in another code page: the bytes without the terminating NUL.
    String8 {
        /// The code page (0 for plain `PtypString8`).
        code_page: u16,
        /// The bytes.
        bytes: Bytes,
    },
    /// `PtypBinary`.
    Binary(Blob),
    /// `PtypServerId`, `PtypRestriction`, `PtypRuleAction` or `PtypObject` data, by type code.
    Opaque {
        /// The property type.
        property_type: u16,
        /// The encoded value.
        bytes: Bytes,
    },
    /// `PtypMultipleInteger16`.
    MvShort(Vec<i16>),
    /// `PtypMultipleInteger32`.
    MvLong(Vec<i32>),
    /// `PtypMultipleFloating32`.
    MvFloat(Vec<f32>),
    /// `PtypMultipleFloating64`.
    MvDouble(Vec<f64>),
    /// `PtypMultipleCurrency`.
    MvCurrency(Vec<i64>),
    /// `PtypMultipleFloatingTime`.
    MvAppTime(Vec<f64>),
    /// `PtypMultipleInteger64`.
    MvI8(Vec<i64>),
    /// `PtypMultipleTime`.
    MvTime(Vec<u64>),
    /// `PtypMultipleGuid`.
    MvClsid(Vec<Uuid>),
    /// `PtypMultipleString`.
    MvUnicode(Vec<String>),
    /// `PtypMultipleString8`.
    MvString8(Vec<Bytes>),
    /// `PtypMultipleBinary`.
    MvBinary(Vec<Bytes>),
}

impl PropValue {
    /// A text value.
    pub fn text(text: impl Into<String>) -> PropValue {
        PropValue::Unicode(text.into())
    }

    /// A time value from seconds since the Unix epoch.
    pub fn unix_time(seconds: i64) -> PropValue {
        PropValue::Time(filetime_from_unix(seconds))
    }

    /// A binary value.
    pub fn binary(bytes: impl Into<Bytes>) -> PropValue {
        PropValue::Binary(Blob::from(bytes.into()))
    }

    /// The value as text, if it is a string.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            PropValue::Unicode(text) => Some(text),
            PropValue::String8 { bytes, .. } => std::str::from_utf8(bytes).ok(),
            _ => None,
        }
    }

    /// The value as an integer, if it is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            PropValue::Short(value) => Some(i64::from(*value)),
            PropValue::Long(value) => Some(i64::from(*value)),
            PropValue::I8(value) | PropValue::Currency(value) => Some(*value),
            PropValue::Error(value) => Some(i64::from(*value)),
            _ => None,
        }
    }

    /// The value as a flag, if it is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            PropValue::Boolean(flag) => Some(*flag),
            _ => None,
        }
    }

    /// The value as seconds since the Unix epoch, if it is a time.
    pub fn as_unix_time(&self) -> Option<i64> {
        match self {
            PropValue::Time(ticks) => Some(unix_from_filetime(*ticks)),
            _ => None,
        }
    }

    /// The value's bytes, if it is binary.
    pub fn as_blob(&self) -> Option<&Blob> {
        match self {
            PropValue::Binary(blob) => Some(blob),
            _ => None,
        }
    }

    /// The EWS `MapiPropertyTypeType` name of the value's type.
    pub fn ews_type(&self) -> &'static str {
        match self {
            PropValue::Short(_) => "Short",
            PropValue::Long(_) => "Integer",
            PropValue::Float(_) => "Float",
            PropValue::Double(_) => "Double",
            PropValue::Currency(_) => "Currency",
            PropValue::AppTime(_) => "ApplicationTime",
            PropValue::Error(_) => "Error",
            PropValue::Boolean(_) => "Boolean",
            PropValue::I8(_) => "Long",
            PropValue::Time(_) => "SystemTime",
            PropValue::Clsid(_) => "CLSID",
            PropValue::Unicode(_) | PropValue::String8 { .. } => "String",
            PropValue::Binary(_) | PropValue::Opaque { .. } => "Binary",
            PropValue::MvShort(_) => "ShortArray",
            PropValue::MvLong(_) => "IntegerArray",
            PropValue::MvFloat(_) => "FloatArray",
            PropValue::MvDouble(_) => "DoubleArray",
            PropValue::MvCurrency(_) => "CurrencyArray",
            PropValue::MvAppTime(_) => "ApplicationTimeArray",
            PropValue::MvI8(_) => "LongArray",
            PropValue::MvTime(_) => "SystemTimeArray",
            PropValue::MvClsid(_) => "CLSIDArray",
            PropValue::MvUnicode(_) | PropValue::MvString8(_) => "StringArray",
            PropValue::MvBinary(_) => "BinaryArray",
        }
    }

    /// The value(s) in EWS text form (one entry unless multi-valued).
    pub fn ews_values(&self) -> Vec<String> {
        let time = |ticks: u64| crate::time::format_ews(unix_from_filetime(ticks));
        let base64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        match self {
            PropValue::Short(value) => vec![value.to_string()],
            PropValue::Long(value) => vec![value.to_string()],
            PropValue::Float(value) => vec![value.to_string()],
            PropValue::Double(value) | PropValue::AppTime(value) => vec![value.to_string()],
            PropValue::Currency(value) | PropValue::I8(value) => vec![value.to_string()],
            PropValue::Error(value) => vec![value.to_string()],
            PropValue::Boolean(flag) => vec![flag.to_string()],
            PropValue::Time(ticks) => vec![time(*ticks)],
            PropValue::Clsid(guid) => vec![guid.to_string()],
            PropValue::Unicode(text) => vec![text.clone()],
            PropValue::String8 { bytes, .. } => vec![String::from_utf8_lossy(bytes).into_owned()],
            PropValue::Binary(blob) => vec![base64(&blob.to_bytes())],
            PropValue::Opaque { bytes, .. } => vec![base64(bytes)],
            PropValue::MvShort(values) => values.iter().map(ToString::to_string).collect(),
            PropValue::MvLong(values) => values.iter().map(ToString::to_string).collect(),
            PropValue::MvFloat(values) => values.iter().map(ToString::to_string).collect(),
            PropValue::MvDouble(values) | PropValue::MvAppTime(values) => {
                values.iter().map(ToString::to_string).collect()
            }
            PropValue::MvCurrency(values) | PropValue::MvI8(values) => {
                values.iter().map(ToString::to_string).collect()
            }
            PropValue::MvTime(values) => values.iter().map(|ticks| time(*ticks)).collect(),
            PropValue::MvClsid(values) => values.iter().map(ToString::to_string).collect(),
            PropValue::MvUnicode(values) => values.clone(),
            PropValue::MvString8(values) => values
                .iter()
                .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
                .collect(),
            PropValue::MvBinary(values) => values.iter().map(|bytes| base64(bytes)).collect(),
        }
    }

    /// A value from its EWS type name and text value(s), as `SetItemField` and `CreateItem` give
    /// them. `None` for types that cannot be stored (`Error`, `Null`, `Object`) or bad text.
    pub fn from_ews(property_type: &str, values: &[String]) -> Option<PropValue> {
        let first = values.first().map(|value| value.trim()).unwrap_or("");
        let all = || values.iter().map(|value| value.trim());
        let time = |text: &str| crate::time::parse_ews(text).map(filetime_from_unix);
        let binary = |text: &str| {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .ok()
                .map(Bytes::from)
        };
        let flag = |text: &str| match text {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        };
        Some(match property_type {
            "Short" => PropValue::Short(first.parse().ok()?),
            "Integer" => PropValue::Long(first.parse().ok()?),
            "Float" => PropValue::Float(first.parse().ok()?),
            "Double" => PropValue::Double(first.parse().ok()?),
            "ApplicationTime" => PropValue::AppTime(first.parse().ok()?),
            "Currency" => PropValue::Currency(first.parse().ok()?),
            "Long" => PropValue::I8(first.parse().ok()?),
            "Boolean" => PropValue::Boolean(flag(first)?),
            "SystemTime" => PropValue::Time(time(first)?),
            "CLSID" => PropValue::Clsid(Uuid::parse_str(first).ok()?),
            "String" => PropValue::Unicode(values.first().cloned().unwrap_or_default()),
            "Binary" => PropValue::Binary(Blob::from(binary(first)?)),
            "ShortArray" => {
                PropValue::MvShort(all().map(str::parse).collect::<Result<_, _>>().ok()?)
            }
            "IntegerArray" => {
                PropValue::MvLong(all().map(str::parse).collect::<Result<_, _>>().ok()?)
            }
            "FloatArray" => {
                PropValue::MvFloat(all().map(str::parse).collect::<Result<_, _>>().ok()?)
            }
            "DoubleArray" => {
                PropValue::MvDouble(all().map(str::parse).collect::<Result<_, _>>().ok()?)
            }
            "ApplicationTimeArray" => {
                PropValue::MvAppTime(all().map(str::parse).collect::<Result<_, _>>().ok()?)
            }
            "CurrencyArray" => {
                PropValue::MvCurrency(all().map(str::parse).collect::<Result<_, _>>().ok()?)
            }
            "LongArray" => PropValue::MvI8(all().map(str::parse).collect::<Result<_, _>>().ok()?),
            "SystemTimeArray" => PropValue::MvTime(all().map(time).collect::<Option<_>>()?),
            "CLSIDArray" => {
                PropValue::MvClsid(all().map(Uuid::parse_str).collect::<Result<_, _>>().ok()?)
            }
            "StringArray" => PropValue::MvUnicode(values.to_vec()),
            "BinaryArray" => PropValue::MvBinary(all().map(binary).collect::<Option<_>>()?),
            _ => return None,
        })
    }

    /// About how many bytes the value takes in the store (for item sizes).
    pub fn stored_len(&self) -> u64 {
        match self {
            PropValue::Short(_) | PropValue::Boolean(_) => 2,
            PropValue::Long(_) | PropValue::Float(_) | PropValue::Error(_) => 4,
            PropValue::Double(_)
            | PropValue::Currency(_)
            | PropValue::AppTime(_)
            | PropValue::I8(_)
            | PropValue::Time(_) => 8,
            PropValue::Clsid(_) => 16,
            PropValue::Unicode(text) => 2 * text.len() as u64 + 2,
            PropValue::String8 { bytes, .. } | PropValue::Opaque { bytes, .. } => {
                bytes.len() as u64 + 1
            }
            PropValue::Binary(blob) => blob.len(),
            PropValue::MvShort(values) => 2 * values.len() as u64,
            PropValue::MvLong(values) => 4 * values.len() as u64,
            PropValue::MvFloat(values) => 4 * values.len() as u64,
            PropValue::MvDouble(values) | PropValue::MvAppTime(values) => 8 * values.len() as u64,
            PropValue::MvCurrency(values) | PropValue::MvI8(values) => 8 * values.len() as u64,
            PropValue::MvTime(values) => 8 * values.len() as u64,
            PropValue::MvClsid(values) => 16 * values.len() as u64,
            PropValue::MvUnicode(values) => {
                values.iter().map(|text| 2 * text.len() as u64 + 2).sum()
            }
            PropValue::MvString8(values) | PropValue::MvBinary(values) => {
                values.iter().map(|bytes| bytes.len() as u64 + 1).sum()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_keep_their_ticks_and_convert_to_unix_seconds() {
        let ticks = 0x01D4_CE8A_6336_7C84u64;
        assert_eq!(PropValue::Time(ticks).as_unix_time(), Some(1_551_264_686));
        assert_eq!(
            unix_from_filetime(filetime_from_unix(1_700_000_000)),
            1_700_000_000
        );
    }

    #[test]
    fn ews_text_round_trips_by_type() {
        for (kind, values) in [
            ("Integer", vec!["-42"]),
            ("Boolean", vec!["true"]),
            ("SystemTime", vec!["2024-01-02T03:04:05Z"]),
            ("String", vec!["Zoë"]),
            ("StringArray", vec!["a", "b"]),
            ("Binary", vec!["AAEC"]),
            ("IntegerArray", vec!["1", "2"]),
        ] {
            let values: Vec<String> = values.into_iter().map(String::from).collect();
            let value = PropValue::from_ews(kind, &values).expect(kind);
            assert_eq!(value.ews_type(), kind);
            assert_eq!(value.ews_values(), values, "{kind}");
        }
        assert_eq!(PropValue::from_ews("Integer", &["x".into()]), None);
        assert_eq!(PropValue::from_ews("Null", &[]), None);
    }

    #[test]
    fn blobs_compare_by_content() {
        let whole = Blob::from(b"hello world".to_vec());
        let split = Blob::new(vec![
            Bytes::from_static(b"hello "),
            Bytes::from_static(b"world"),
        ]);
        assert_eq!(whole, split);
        assert_eq!(split.to_bytes(), Bytes::from_static(b"hello world"));
    }
}
