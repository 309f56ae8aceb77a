//! The full-fidelity export format of `ExportItems` and `UploadItems`.
//!
//! Exchange's export data (see `shared/ews/fixtures/export-upload/ExportItemsResponse.xml`) is a
//! sequence of blocks, each a little-endian `u32` marker, a `u32` length and that many bytes. A
//! real stream has four: marker 1 (8 bytes, a version header), marker 3 (24 bytes), marker 4
//! (6 bytes) and marker 2, the item itself as an MS-OXCFXICS FastTransfer property list. The
//! simulator writes the same framing with the same header blocks, and the item's properties as a
//! genuine FastTransfer property list: standard tags for class, subject, dates and flags, named
//! properties for calendar, contact and task details and for the MIME content, then every extended
//! property. `UploadItems` accepts this and any other stream with that framing; a stream it did not
//! write (one recorded from Exchange) is kept whole as the item's content.

use bytes::{Bytes, BytesMut};
use uuid::Uuid;

use crate::model::props::{distinguished_set, ExtendedProperty, PropertyKey};
use crate::model::{Item, ItemDetails, Person};

/// Header block payloads exactly as Exchange writes them.
const VERSION_BLOCK: [u8; 8] = [0, 0, 0, 0, 1, 0, 0, 0];
const MARKER3_BLOCK: [u8; 24] = [
    0x01, 0x00, 0x00, 0x00, 0x07, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x46, 0x00, 0x24, 0x00, 0x80,
];
const MARKER4_BLOCK: [u8; 6] = [0x01, 0x0f, 0x37, 0x86, 0x78, 0x17];

const PT_SHORT: u16 = 0x0002;
const PT_LONG: u16 = 0x0003;
const PT_FLOAT: u16 = 0x0004;
const PT_DOUBLE: u16 = 0x0005;
const PT_CURRENCY: u16 = 0x0006;
const PT_APPTIME: u16 = 0x0007;
const PT_ERROR: u16 = 0x000A;
const PT_BOOLEAN: u16 = 0x000B;
const PT_I8: u16 = 0x0014;
const PT_STRING8: u16 = 0x001E;
const PT_UNICODE: u16 = 0x001F;
const PT_SYSTIME: u16 = 0x0040;
const PT_CLSID: u16 = 0x0048;
const PT_SVREID: u16 = 0x00FB;
const PT_SRESTRICT: u16 = 0x00FD;
const PT_ACTIONS: u16 = 0x00FE;
const PT_BINARY: u16 = 0x0102;
const MV_FLAG: u16 = 0x1000;

const TAG_IMPORTANCE: u16 = 0x0017;
const TAG_MESSAGE_CLASS: u16 = 0x001A;
const TAG_SENSITIVITY: u16 = 0x0036;
const TAG_SUBJECT: u16 = 0x0037;
const TAG_CLIENT_SUBMIT_TIME: u16 = 0x0039;
const TAG_SENDER_NAME: u16 = 0x0C1A;
const TAG_DISPLAY_TO: u16 = 0x0E04;
const TAG_DELIVERY_TIME: u16 = 0x0E06;
const TAG_MESSAGE_FLAGS: u16 = 0x0E07;
const TAG_INTERNET_MESSAGE_ID: u16 = 0x1035;
const TAG_GIVEN_NAME: u16 = 0x3A06;
const TAG_SURNAME: u16 = 0x3A11;
const TAG_COMPANY: u16 = 0x3A16;
const TAG_SENDER_SMTP: u16 = 0x5D01;

const MSGFLAG_READ: u32 = 0x0001;
const MSGFLAG_HASATTACH: u32 = 0x0010;

/// The property set of the simulator's own named properties (the MIME content).
const SIM_PROPERTY_SET: Uuid = Uuid::from_u128(0x6a5f0c1e_77f2_4f0b_9a53_5f1e2d3c4b5a);
const MIME_PROPERTY_NAME: &str = "MimeContent";

/// Why export data could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("export data is corrupt: {0}")]
pub struct CorruptStream(pub String);

/// An item as read back from export data, before it is placed in a folder.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportedItem {
    /// `PidTagMessageClass`.
    pub item_class: Option<String>,
    /// `PidTagSubject`.
    pub subject: Option<String>,
    /// `PidTagMessageDeliveryTime`, seconds since the Unix epoch.
    pub received: Option<i64>,
    /// `PidTagClientSubmitTime`.
    pub sent: Option<i64>,
    /// `Low`, `Normal` or `High`.
    pub importance: Option<String>,
    /// `Normal`, `Personal`, `Private` or `Confidential`.
    pub sensitivity: Option<String>,
    /// The read flag.
    pub is_read: bool,
    /// The has-attachments flag.
    pub has_attachments: bool,
    /// `Keywords`.
    pub categories: Vec<String>,
    /// `PidTagInternetMessageId`.
    pub internet_message_id: Option<String>,
    /// Sender.
    pub from: Option<Person>,
    /// `PidTagDisplayTo`.
    pub display_to: Option<String>,
    /// Class-specific details.
    pub details: ItemDetails,
    /// The MIME content; `None` when the stream was not written by the simulator.
    pub mime: Option<Bytes>,
    /// Extended properties that are not among the standard ones above.
    pub extended: Vec<ExtendedProperty>,
}

/// Encodes an item as export data. The result is a list of segments so the item's content is
/// shared, not copied.
pub fn encode(item: &Item) -> Vec<Bytes> {
    let mut props = BytesMut::with_capacity(1024);
    put_unicode(&mut props, TAG_MESSAGE_CLASS, &item.item_class);
    put_unicode(&mut props, TAG_SUBJECT, &item.subject);
    put_tag(&mut props, TAG_IMPORTANCE, PT_LONG);
    props.extend_from_slice(&importance_code(&item.importance).to_le_bytes());
    put_tag(&mut props, TAG_SENSITIVITY, PT_LONG);
    props.extend_from_slice(&sensitivity_code(&item.sensitivity).to_le_bytes());
    put_tag(&mut props, TAG_CLIENT_SUBMIT_TIME, PT_SYSTIME);
    props.extend_from_slice(&filetime(item.sent).to_le_bytes());
    if let Some(from) = &item.from {
        put_unicode(&mut props, TAG_SENDER_NAME, &from.name);
    }
    put_unicode(&mut props, TAG_DISPLAY_TO, &item.display_to);
    put_tag(&mut props, TAG_DELIVERY_TIME, PT_SYSTIME);
    props.extend_from_slice(&filetime(item.received).to_le_bytes());
    let flags = if item.is_read { MSGFLAG_READ } else { 0 }
        | if item.has_attachments {
            MSGFLAG_HASATTACH
        } else {
            0
        };
    put_tag(&mut props, TAG_MESSAGE_FLAGS, PT_LONG);
    props.extend_from_slice(&flags.to_le_bytes());
    if let Some(message_id) = &item.internet_message_id {
        put_unicode(&mut props, TAG_INTERNET_MESSAGE_ID, message_id);
    }
    if let Some(from) = &item.from {
        put_unicode(&mut props, TAG_SENDER_SMTP, &from.address);
    }
    encode_details(&mut props, &item.details);
    if !item.categories.is_empty() {
        let key = keywords_key();
        put_named_tag(&mut props, &key, PT_UNICODE | MV_FLAG);
        props.extend_from_slice(&(item.categories.len() as u32).to_le_bytes());
        for category in &item.categories {
            put_counted_unicode(&mut props, category);
        }
    }
    for property in &item.extended {
        encode_extended(&mut props, property);
    }
    let mime_key = PropertyKey::NamedString {
        set: SIM_PROPERTY_SET,
        name: MIME_PROPERTY_NAME.into(),
    };
    put_named_tag(&mut props, &mime_key, PT_BINARY);
    props.extend_from_slice(&(item.content_len() as u32).to_le_bytes());

    let item_block_len = props.len() + item.content_len() as usize;
    let mut head = BytesMut::with_capacity(64 + props.len());
    put_block_header(&mut head, 1, VERSION_BLOCK.len());
    head.extend_from_slice(&VERSION_BLOCK);
    put_block_header(&mut head, 3, MARKER3_BLOCK.len());
    head.extend_from_slice(&MARKER3_BLOCK);
    put_block_header(&mut head, 4, MARKER4_BLOCK.len());
    head.extend_from_slice(&MARKER4_BLOCK);
    put_block_header(&mut head, 2, item_block_len);
    head.extend_from_slice(&props);

    let mut segments = Vec::with_capacity(item.content.len() + 1);
    segments.push(head.freeze());
    segments.extend(item.content.iter().cloned());
    segments
}

/// Reads export data back into an item description.
pub fn decode(data: &Bytes) -> Result<ImportedItem, CorruptStream> {
    let mut offset = 0usize;
    let mut item_block: Option<(usize, usize)> = None;
    let mut saw_version = false;
    while offset < data.len() {
        let marker = read_u32(data, &mut offset)?;
        let length = read_u32(data, &mut offset)? as usize;
        let end = offset
            .checked_add(length)
            .filter(|end| *end <= data.len())
            .ok_or_else(|| {
                CorruptStream(format!("block {marker} runs past the end of the data"))
            })?;
        match marker {
            1 => saw_version = true,
            2 => item_block = Some((offset, end)),
            3 | 4 => {}
            other => return Err(CorruptStream(format!("unknown block marker {other}"))),
        }
        offset = end;
    }
    if !saw_version {
        return Err(CorruptStream("the version block is missing".into()));
    }
    let (start, end) =
        item_block.ok_or_else(|| CorruptStream("the item block is missing".into()))?;
    let mut reader = PropertyReader {
        data,
        offset: start,
        end,
    };
    let mut imported = ImportedItem::default();
    let mut details = DetailsBuilder::default();
    while reader.offset < reader.end {
        let Some(property) = reader.next()? else {
            continue;
        };
        apply_property(&mut imported, &mut details, property);
    }
    if let (Some(name), Some(address)) = (details.sender_name.take(), details.sender_address.take())
    {
        imported.from = Some(Person { name, address });
    }
    imported.details = details.finish(imported.item_class.as_deref().unwrap_or(""));
    Ok(imported)
}

/// One decoded property.
struct DecodedProperty {
    key: PropertyKey,
    property_type: u16,
    value: Value,
}

enum Value {
    Short(i16),
    Long(i32),
    I8(i64),
    Float(f32),
    Double(f64),
    Boolean(bool),
    Time(i64),
    Clsid(Uuid),
    Text(String),
    Binary(Bytes),
    Multi(Vec<Value>),
}

struct PropertyReader<'a> {
    data: &'a Bytes,
    offset: usize,
    end: usize,
}

impl PropertyReader<'_> {
    /// The next property, or `None` for a FastTransfer marker (recipient and attachment
    /// boundaries in streams from Exchange), which carries no value.
    fn next(&mut self) -> Result<Option<DecodedProperty>, CorruptStream> {
        let tag = self.u32()?;
        let property_type = (tag & 0xFFFF) as u16;
        let property_id = (tag >> 16) as u16;
        if is_marker(tag) {
            return Ok(None);
        }
        let key = if property_id >= 0x8000 {
            let set = Uuid::from_bytes_le(
                self.take(16)?
                    .as_ref()
                    .try_into()
                    .map_err(|_| CorruptStream("truncated property set guid".into()))?,
            );
            match self.take(1)?[0] {
                0 => PropertyKey::NamedId {
                    set,
                    id: self.u32()?,
                },
                1 => PropertyKey::NamedString {
                    set,
                    name: self.nul_terminated_unicode()?,
                },
                kind => return Err(CorruptStream(format!("unknown named property kind {kind}"))),
            }
        } else {
            PropertyKey::Tag(property_id)
        };
        let value = if property_type & MV_FLAG != 0 {
            let count = self.u32()? as usize;
            if count > self.end - self.offset {
                return Err(CorruptStream("multi-value count exceeds the data".into()));
            }
            let mut values = Vec::with_capacity(count);
            for _ in 0..count {
                values.push(self.value(property_type & !MV_FLAG)?);
            }
            Value::Multi(values)
        } else {
            self.value(property_type)?
        };
        Ok(Some(DecodedProperty {
            key,
            property_type,
            value,
        }))
    }

    fn value(&mut self, property_type: u16) -> Result<Value, CorruptStream> {
        Ok(match property_type {
            PT_SHORT => Value::Short(i16::from_le_bytes(self.array::<2>()?)),
            PT_LONG | PT_ERROR => Value::Long(i32::from_le_bytes(self.array::<4>()?)),
            PT_FLOAT => Value::Float(f32::from_le_bytes(self.array::<4>()?)),
            PT_DOUBLE | PT_APPTIME => Value::Double(f64::from_le_bytes(self.array::<8>()?)),
            PT_CURRENCY | PT_I8 => Value::I8(i64::from_le_bytes(self.array::<8>()?)),
            PT_BOOLEAN => Value::Boolean(u16::from_le_bytes(self.array::<2>()?) != 0),
            PT_SYSTIME => Value::Time(unix_from_filetime(u64::from_le_bytes(self.array::<8>()?))),
            PT_CLSID => Value::Clsid(Uuid::from_bytes_le(self.array::<16>()?)),
            PT_UNICODE => {
                let length = self.u32()? as usize;
                Value::Text(utf16_text(&self.take(length)?))
            }
            PT_STRING8 => {
                let length = self.u32()? as usize;
                let bytes = self.take(length)?;
                Value::Text(
                    String::from_utf8_lossy(&bytes)
                        .trim_end_matches('\0')
                        .to_string(),
                )
            }
            code_page if code_page & 0x8000 != 0 => {
                // A string with an explicit code page; 1200 is UTF-16LE.
                let length = self.u32()? as usize;
                let bytes = self.take(length)?;
                if code_page & 0x7FFF == 1200 {
                    Value::Text(utf16_text(&bytes))
                } else {
                    Value::Text(
                        String::from_utf8_lossy(&bytes)
                            .trim_end_matches('\0')
                            .to_string(),
                    )
                }
            }
            PT_BINARY | PT_SVREID | PT_SRESTRICT | PT_ACTIONS | 0x000D => {
                let length = self.u32()? as usize;
                Value::Binary(self.take(length)?)
            }
            other => {
                return Err(CorruptStream(format!(
                    "unknown property type 0x{other:04X}"
                )))
            }
        })
    }

    fn u32(&mut self) -> Result<u32, CorruptStream> {
        Ok(u32::from_le_bytes(self.array::<4>()?))
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CorruptStream> {
        let bytes = self.take(N)?;
        let mut array = [0u8; N];
        array.copy_from_slice(&bytes);
        Ok(array)
    }

    fn take(&mut self, length: usize) -> Result<Bytes, CorruptStream> {
        let end = self
            .offset
            .checked_add(length)
            .filter(|end| *end <= self.end)
            .ok_or_else(|| {
                CorruptStream("a property runs past the end of the item block".into())
            })?;
        let bytes = self.data.slice(self.offset..end);
        self.offset = end;
        Ok(bytes)
    }

    fn nul_terminated_unicode(&mut self) -> Result<String, CorruptStream> {
        let mut units = Vec::new();
        loop {
            let unit = u16::from_le_bytes(self.array::<2>()?);
            if unit == 0 {
                break;
            }
            units.push(unit);
        }
        Ok(String::from_utf16_lossy(&units))
    }
}

fn is_marker(tag: u32) -> bool {
    matches!(
        tag,
        0x4000_0003
            | 0x4001_0003
            | 0x4002_0003
            | 0x4003_0003
            | 0x4004_0003
            | 0x4009_0003
            | 0x400A_0003
            | 0x400B_0003
            | 0x400C_0003
            | 0x400D_0003
            | 0x400E_0003
            | 0x4010_0003
            | 0x4012_0003
            | 0x4013_0003
            | 0x4014_0003
            | 0x4015_0003
            | 0x402F_0003
            | 0x403A_0003
            | 0x403B_0003
            | 0x407D_0003
    )
}

fn read_u32(data: &[u8], offset: &mut usize) -> Result<u32, CorruptStream> {
    let bytes = data
        .get(*offset..*offset + 4)
        .ok_or_else(|| CorruptStream("truncated block header".into()))?;
    *offset += 4;
    Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

fn utf16_text(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    String::from_utf16_lossy(&units)
        .trim_end_matches('\0')
        .to_string()
}

#[derive(Default)]
struct DetailsBuilder {
    start: Option<i64>,
    end: Option<i64>,
    location: Option<String>,
    is_recurring: Option<bool>,
    is_all_day: Option<bool>,
    uid: Option<String>,
    given_name: Option<String>,
    surname: Option<String>,
    company: Option<String>,
    email: Option<String>,
    due: Option<i64>,
    status: Option<i32>,
    percent_complete: Option<f64>,
    sender_name: Option<String>,
    sender_address: Option<String>,
}

impl DetailsBuilder {
    fn finish(self, item_class: &str) -> ItemDetails {
        let class = item_class.to_ascii_lowercase();
        if class.starts_with("ipm.appointment") {
            ItemDetails::Appointment {
                start: self.start.unwrap_or_default(),
                end: self.end.unwrap_or_default(),
                location: self.location.unwrap_or_default(),
                is_recurring: self.is_recurring.unwrap_or(false),
                is_all_day: self.is_all_day.unwrap_or(false),
                uid: self.uid.unwrap_or_default(),
            }
        } else if class.starts_with("ipm.contact") {
            ItemDetails::Contact {
                given_name: self.given_name.unwrap_or_default(),
                surname: self.surname.unwrap_or_default(),
                company: self.company.unwrap_or_default(),
                email: self.email.unwrap_or_default(),
            }
        } else if class.starts_with("ipm.task") {
            ItemDetails::Task {
                due: self.due,
                status: task_status_name(self.status.unwrap_or(0)).to_string(),
                percent_complete: self.percent_complete.unwrap_or(0.0).clamp(0.0, 100.0) as u8,
            }
        } else {
            ItemDetails::Plain
        }
    }
}

fn apply_property(
    imported: &mut ImportedItem,
    details: &mut DetailsBuilder,
    property: DecodedProperty,
) {
    let DecodedProperty {
        key,
        property_type,
        value,
    } = property;
    let appointment = distinguished_set("Appointment").unwrap_or_default();
    let address = distinguished_set("Address").unwrap_or_default();
    let task = distinguished_set("Task").unwrap_or_default();
    let public_strings = distinguished_set("PublicStrings").unwrap_or_default();
    match (&key, value) {
        (PropertyKey::Tag(TAG_MESSAGE_CLASS), Value::Text(text)) => {
            imported.item_class = Some(text)
        }
        (PropertyKey::Tag(TAG_SUBJECT), Value::Text(text)) => imported.subject = Some(text),
        (PropertyKey::Tag(TAG_DELIVERY_TIME), Value::Time(time)) => imported.received = Some(time),
        (PropertyKey::Tag(TAG_CLIENT_SUBMIT_TIME), Value::Time(time)) => imported.sent = Some(time),
        (PropertyKey::Tag(TAG_IMPORTANCE), Value::Long(code)) => {
            imported.importance = Some(importance_name(code).into())
        }
        (PropertyKey::Tag(TAG_SENSITIVITY), Value::Long(code)) => {
            imported.sensitivity = Some(sensitivity_name(code).into())
        }
        (PropertyKey::Tag(TAG_MESSAGE_FLAGS), Value::Long(flags)) => {
            imported.is_read = flags as u32 & MSGFLAG_READ != 0;
            imported.has_attachments = flags as u32 & MSGFLAG_HASATTACH != 0;
        }
        (PropertyKey::Tag(TAG_INTERNET_MESSAGE_ID), Value::Text(text)) => {
            imported.internet_message_id = Some(text)
        }
        (PropertyKey::Tag(TAG_SENDER_NAME), Value::Text(text)) => details.sender_name = Some(text),
        (PropertyKey::Tag(TAG_SENDER_SMTP), Value::Text(text)) => {
            details.sender_address = Some(text)
        }
        (PropertyKey::Tag(TAG_DISPLAY_TO), Value::Text(text)) => imported.display_to = Some(text),
        (PropertyKey::Tag(TAG_GIVEN_NAME), Value::Text(text)) => details.given_name = Some(text),
        (PropertyKey::Tag(TAG_SURNAME), Value::Text(text)) => details.surname = Some(text),
        (PropertyKey::Tag(TAG_COMPANY), Value::Text(text)) => details.company = Some(text),
        (PropertyKey::NamedId { set, id: 0x820D }, Value::Time(time)) if *set == appointment => {
            details.start = Some(time)
        }
        (PropertyKey::NamedId { set, id: 0x820E }, Value::Time(time)) if *set == appointment => {
            details.end = Some(time)
        }
        (PropertyKey::NamedId { set, id: 0x8208 }, Value::Text(text)) if *set == appointment => {
            details.location = Some(text)
        }
        (PropertyKey::NamedId { set, id: 0x8223 }, Value::Boolean(flag)) if *set == appointment => {
            details.is_recurring = Some(flag)
        }
        (PropertyKey::NamedId { set, id: 0x8215 }, Value::Boolean(flag)) if *set == appointment => {
            details.is_all_day = Some(flag)
        }
        (PropertyKey::NamedString { set, name }, Value::Text(text))
            if *set == public_strings && name == "urn:schemas:calendar:uid" =>
        {
            details.uid = Some(text)
        }
        (PropertyKey::NamedString { set, name }, Value::Multi(values))
            if *set == public_strings && name == "Keywords" =>
        {
            imported.categories = values
                .into_iter()
                .filter_map(|value| match value {
                    Value::Text(text) => Some(text),
                    _ => None,
                })
                .collect();
        }
        (PropertyKey::NamedId { set, id: 0x8083 }, Value::Text(text)) if *set == address => {
            details.email = Some(text)
        }
        (PropertyKey::NamedId { set, id: 0x8105 }, Value::Time(time)) if *set == task => {
            details.due = Some(time)
        }
        (PropertyKey::NamedId { set, id: 0x8101 }, Value::Long(code)) if *set == task => {
            details.status = Some(code)
        }
        (PropertyKey::NamedId { set, id: 0x8102 }, Value::Double(percent)) if *set == task => {
            details.percent_complete = Some(percent)
        }
        (PropertyKey::NamedString { set, name }, Value::Binary(bytes))
            if *set == SIM_PROPERTY_SET && name == MIME_PROPERTY_NAME =>
        {
            imported.mime = Some(bytes)
        }
        (PropertyKey::Tag(_), _) => {
            // Other tagged properties from Exchange streams (entry ids, recipient tables...) are
            // not modelled; they are dropped rather than misread as extended properties.
        }
        (_, value) => {
            if let Some(extended) = to_extended(key, property_type, value) {
                imported.extended.push(extended);
            }
        }
    }
}

fn to_extended(key: PropertyKey, property_type: u16, value: Value) -> Option<ExtendedProperty> {
    let base = property_type & !MV_FLAG;
    let type_name = match base {
        PT_SHORT => "Short",
        PT_LONG => "Integer",
        PT_FLOAT => "Float",
        PT_DOUBLE => "Double",
        PT_CURRENCY => "Currency",
        PT_APPTIME => "ApplicationTime",
        PT_BOOLEAN => "Boolean",
        PT_I8 => "Long",
        PT_SYSTIME => "SystemTime",
        PT_CLSID => "CLSID",
        PT_BINARY => "Binary",
        PT_UNICODE | PT_STRING8 => "String",
        code_page if code_page & 0x8000 != 0 => "String",
        _ => return None,
    };
    let (property_type, values) = match value {
        Value::Multi(values) => (
            format!("{type_name}Array"),
            values.into_iter().map(value_text).collect(),
        ),
        single => (type_name.to_string(), vec![value_text(single)]),
    };
    Some(ExtendedProperty {
        key,
        property_type,
        values,
    })
}

fn value_text(value: Value) -> String {
    use base64::Engine;
    match value {
        Value::Short(number) => number.to_string(),
        Value::Long(number) => number.to_string(),
        Value::I8(number) => number.to_string(),
        Value::Float(number) => number.to_string(),
        Value::Double(number) => number.to_string(),
        Value::Boolean(flag) => flag.to_string(),
        Value::Time(time) => crate::time::format_ews(time),
        Value::Clsid(guid) => guid.to_string(),
        Value::Text(text) => text,
        Value::Binary(bytes) => base64::engine::general_purpose::STANDARD.encode(bytes),
        Value::Multi(_) => String::new(),
    }
}

fn encode_details(props: &mut BytesMut, details: &ItemDetails) {
    let appointment = distinguished_set("Appointment").unwrap_or_default();
    let public_strings = distinguished_set("PublicStrings").unwrap_or_default();
    let address = distinguished_set("Address").unwrap_or_default();
    let task = distinguished_set("Task").unwrap_or_default();
    match details {
        ItemDetails::Plain => {}
        ItemDetails::Appointment {
            start,
            end,
            location,
            is_recurring,
            is_all_day,
            uid,
        } => {
            put_named_tag(
                props,
                &PropertyKey::NamedId {
                    set: appointment,
                    id: 0x820D,
                },
                PT_SYSTIME,
            );
            props.extend_from_slice(&filetime(*start).to_le_bytes());
            put_named_tag(
                props,
                &PropertyKey::NamedId {
                    set: appointment,
                    id: 0x820E,
                },
                PT_SYSTIME,
            );
            props.extend_from_slice(&filetime(*end).to_le_bytes());
            put_named_tag(
                props,
                &PropertyKey::NamedId {
                    set: appointment,
                    id: 0x8208,
                },
                PT_UNICODE,
            );
            put_counted_unicode(props, location);
            put_named_tag(
                props,
                &PropertyKey::NamedId {
                    set: appointment,
                    id: 0x8223,
                },
                PT_BOOLEAN,
            );
            props.extend_from_slice(&u16::from(*is_recurring).to_le_bytes());
            put_named_tag(
                props,
                &PropertyKey::NamedId {
                    set: appointment,
                    id: 0x8215,
                },
                PT_BOOLEAN,
            );
            props.extend_from_slice(&u16::from(*is_all_day).to_le_bytes());
            let uid_key = PropertyKey::NamedString {
                set: public_strings,
                name: "urn:schemas:calendar:uid".into(),
            };
            put_named_tag(props, &uid_key, PT_UNICODE);
            put_counted_unicode(props, uid);
        }
        ItemDetails::Contact {
            given_name,
            surname,
            company,
            email,
        } => {
            put_unicode(props, TAG_GIVEN_NAME, given_name);
            put_unicode(props, TAG_SURNAME, surname);
            put_unicode(props, TAG_COMPANY, company);
            put_named_tag(
                props,
                &PropertyKey::NamedId {
                    set: address,
                    id: 0x8083,
                },
                PT_UNICODE,
            );
            put_counted_unicode(props, email);
        }
        ItemDetails::Task {
            due,
            status,
            percent_complete,
        } => {
            if let Some(due) = due {
                put_named_tag(
                    props,
                    &PropertyKey::NamedId {
                        set: task,
                        id: 0x8105,
                    },
                    PT_SYSTIME,
                );
                props.extend_from_slice(&filetime(*due).to_le_bytes());
            }
            put_named_tag(
                props,
                &PropertyKey::NamedId {
                    set: task,
                    id: 0x8101,
                },
                PT_LONG,
            );
            props.extend_from_slice(&task_status_code(status).to_le_bytes());
            put_named_tag(
                props,
                &PropertyKey::NamedId {
                    set: task,
                    id: 0x8102,
                },
                PT_DOUBLE,
            );
            props.extend_from_slice(&f64::from(*percent_complete).to_le_bytes());
        }
    }
}

fn encode_extended(props: &mut BytesMut, property: &ExtendedProperty) {
    let base_name = property.property_type.trim_end_matches("Array");
    let base = match base_name {
        "Short" => PT_SHORT,
        "Integer" => PT_LONG,
        "Float" => PT_FLOAT,
        "Double" => PT_DOUBLE,
        "Currency" => PT_CURRENCY,
        "ApplicationTime" => PT_APPTIME,
        "Boolean" => PT_BOOLEAN,
        "Long" => PT_I8,
        "SystemTime" => PT_SYSTIME,
        "CLSID" => PT_CLSID,
        "Binary" => PT_BINARY,
        "String" => PT_UNICODE,
        // Error, Null and Object values cannot be exported; Exchange leaves them out too.
        _ => return,
    };
    let property_type = if property.is_array() {
        base | MV_FLAG
    } else {
        base
    };
    match &property.key {
        PropertyKey::Tag(tag) => put_tag(props, *tag, property_type),
        named => put_named_tag(props, named, property_type),
    }
    if property.is_array() {
        props.extend_from_slice(&(property.values.len() as u32).to_le_bytes());
    }
    for value in &property.values {
        put_value(props, base, value);
    }
}

fn put_value(props: &mut BytesMut, base: u16, text: &str) {
    use base64::Engine;
    let text = text.trim();
    match base {
        PT_SHORT => props.extend_from_slice(&text.parse::<i16>().unwrap_or(0).to_le_bytes()),
        PT_LONG => props.extend_from_slice(&text.parse::<i32>().unwrap_or(0).to_le_bytes()),
        PT_FLOAT => props.extend_from_slice(&text.parse::<f32>().unwrap_or(0.0).to_le_bytes()),
        PT_DOUBLE | PT_APPTIME => {
            props.extend_from_slice(&text.parse::<f64>().unwrap_or(0.0).to_le_bytes())
        }
        PT_CURRENCY | PT_I8 => {
            props.extend_from_slice(&text.parse::<i64>().unwrap_or(0).to_le_bytes())
        }
        PT_BOOLEAN => {
            props.extend_from_slice(&u16::from(matches!(text, "true" | "1")).to_le_bytes())
        }
        PT_SYSTIME => {
            let time = crate::time::parse_ews(text).unwrap_or(0);
            props.extend_from_slice(&filetime(time).to_le_bytes())
        }
        PT_CLSID => {
            props.extend_from_slice(&Uuid::parse_str(text).unwrap_or_default().to_bytes_le())
        }
        PT_BINARY => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text)
                .unwrap_or_default();
            props.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            props.extend_from_slice(&bytes);
        }
        _ => put_counted_unicode(props, text),
    }
}

fn keywords_key() -> PropertyKey {
    PropertyKey::NamedString {
        set: distinguished_set("PublicStrings").unwrap_or_default(),
        name: "Keywords".into(),
    }
}

fn put_block_header(out: &mut BytesMut, marker: u32, length: usize) {
    out.extend_from_slice(&marker.to_le_bytes());
    out.extend_from_slice(&(length as u32).to_le_bytes());
}

fn put_tag(out: &mut BytesMut, property_id: u16, property_type: u16) {
    let tag = (u32::from(property_id) << 16) | u32::from(property_type);
    out.extend_from_slice(&tag.to_le_bytes());
}

/// Named properties get a placeholder id at or above 0x8000 followed by their name, as in
/// FastTransfer streams; the receiving store maps the name to its own id.
fn put_named_tag(out: &mut BytesMut, key: &PropertyKey, property_type: u16) {
    put_tag(out, 0x8000, property_type);
    match key {
        PropertyKey::NamedId { set, id } => {
            out.extend_from_slice(&set.to_bytes_le());
            out.extend_from_slice(&[0]);
            out.extend_from_slice(&id.to_le_bytes());
        }
        PropertyKey::NamedString { set, name } => {
            out.extend_from_slice(&set.to_bytes_le());
            out.extend_from_slice(&[1]);
            for unit in name.encode_utf16() {
                out.extend_from_slice(&unit.to_le_bytes());
            }
            out.extend_from_slice(&[0, 0]);
        }
        PropertyKey::Tag(_) => {}
    }
}

fn put_unicode(out: &mut BytesMut, property_id: u16, text: &str) {
    put_tag(out, property_id, PT_UNICODE);
    put_counted_unicode(out, text);
}

fn put_counted_unicode(out: &mut BytesMut, text: &str) {
    let units: Vec<u16> = text.encode_utf16().chain(std::iter::once(0)).collect();
    out.extend_from_slice(&((units.len() * 2) as u32).to_le_bytes());
    for unit in units {
        out.extend_from_slice(&unit.to_le_bytes());
    }
}

/// Seconds since the Unix epoch to a Windows FILETIME (100 ns ticks since 1601).
fn filetime(unix_seconds: i64) -> u64 {
    ((unix_seconds + 11_644_473_600).max(0) as u64) * 10_000_000
}

fn unix_from_filetime(filetime: u64) -> i64 {
    (filetime / 10_000_000) as i64 - 11_644_473_600
}

fn importance_code(name: &str) -> i32 {
    match name {
        "Low" => 0,
        "High" => 2,
        _ => 1,
    }
}

fn importance_name(code: i32) -> &'static str {
    match code {
        0 => "Low",
        2 => "High",
        _ => "Normal",
    }
}

fn sensitivity_code(name: &str) -> i32 {
    match name {
        "Personal" => 1,
        "Private" => 2,
        "Confidential" => 3,
        _ => 0,
    }
}

fn sensitivity_name(code: i32) -> &'static str {
    match code {
        1 => "Personal",
        2 => "Private",
        3 => "Confidential",
        _ => "Normal",
    }
}

fn task_status_code(name: &str) -> i32 {
    match name {
        "InProgress" => 1,
        "Completed" => 2,
        "WaitingOnOthers" => 3,
        "Deferred" => 4,
        _ => 0,
    }
}

fn task_status_name(code: i32) -> &'static str {
    match code {
        1 => "InProgress",
        2 => "Completed",
        3 => "WaitingOnOthers",
        4 => "Deferred",
        _ => "NotStarted",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    fn appointment() -> Item {
        Item {
            seq: 5,
            folder: 3,
            item_class: "IPM.Appointment".into(),
            subject: "Quarterly review — Ünïcode".into(),
            received: 1_650_000_000,
            sent: 1_649_999_000,
            created: 1_650_000_000,
            modified: 1_650_000_000,
            importance: "High".into(),
            sensitivity: "Private".into(),
            is_read: true,
            categories: vec!["Red category".into(), "Projects".into()],
            internet_message_id: Some("<abc@example.com>".into()),
            from: Some(Person {
                name: "Ann Lee".into(),
                address: "ann@example.com".into(),
            }),
            display_to: "Bob".into(),
            has_attachments: false,
            details: ItemDetails::Appointment {
                start: 1_650_003_600,
                end: 1_650_007_200,
                location: "Room 4".into(),
                is_recurring: true,
                is_all_day: false,
                uid: "040000008200E00074C5B7101A82E008".into(),
            },
            content: vec![
                Bytes::from_static(b"BEGIN:VCALENDAR\r\n"),
                Bytes::from_static(b"END:VCALENDAR\r\n"),
            ],
            extended: vec![ExtendedProperty {
                key: PropertyKey::NamedString {
                    set: distinguished_set("PublicStrings").unwrap_or_default(),
                    name: "FerryTest".into(),
                },
                property_type: "IntegerArray".into(),
                values: vec!["1".into(), "-2".into()],
            }],
            created_change: 1,
            last_change: 1,
            digest: OnceLock::new(),
        }
    }

    fn join(segments: Vec<Bytes>) -> Bytes {
        let mut all = BytesMut::new();
        for segment in segments {
            all.extend_from_slice(&segment);
        }
        all.freeze()
    }

    #[test]
    fn round_trips_every_modelled_property() {
        let item = appointment();
        let data = join(encode(&item));
        let imported = decode(&data).expect("decodes");
        assert_eq!(imported.item_class.as_deref(), Some("IPM.Appointment"));
        assert_eq!(imported.subject.as_deref(), Some(item.subject.as_str()));
        assert_eq!(imported.received, Some(item.received));
        assert_eq!(imported.sent, Some(item.sent));
        assert_eq!(imported.importance.as_deref(), Some("High"));
        assert_eq!(imported.sensitivity.as_deref(), Some("Private"));
        assert!(imported.is_read);
        assert_eq!(imported.categories, item.categories);
        assert_eq!(imported.internet_message_id, item.internet_message_id);
        assert_eq!(imported.from, item.from);
        assert_eq!(imported.details, item.details);
        assert_eq!(imported.extended, item.extended);
        assert_eq!(
            imported.mime.as_deref(),
            Some(&b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"[..])
        );
    }

    #[test]
    fn uses_the_framing_exchange_uses() {
        let data = join(encode(&appointment()));
        assert_eq!(&data[..8], &[1, 0, 0, 0, 8, 0, 0, 0]);
        assert_eq!(&data[16..24], &[3, 0, 0, 0, 24, 0, 0, 0]);
        assert_eq!(&data[48..56], &[4, 0, 0, 0, 6, 0, 0, 0]);
        let item_block_len = u32::from_le_bytes([data[66], data[67], data[68], data[69]]) as usize;
        assert_eq!(data.len(), 70 + item_block_len, "marker 2 holds the rest");
    }

    #[test]
    fn reads_a_stream_recorded_from_exchange() {
        let shared = std::env::var_os("FERRY_SHARED_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared")
            });
        let path = shared.join("ews/fixtures/export-upload/ExportItemsResponse.xml");
        let xml = std::fs::read_to_string(&path).unwrap_or_else(|error| {
            panic!(
                "the recorded Exchange export {} is needed ({error}); set FERRY_SHARED_DIR",
                path.display()
            )
        });
        let start = xml.find("<m:Data>").expect("data") + "<m:Data>".len();
        let end = xml[start..].find("</m:Data>").expect("end") + start;
        let text: String = xml[start..end].split_whitespace().collect();
        use base64::Engine;
        let data = Bytes::from(
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .expect("base64"),
        );
        let imported = decode(&data).expect("real stream decodes");
        assert_eq!(imported.item_class.as_deref(), Some("IPM.Appointment"));
        assert_eq!(imported.subject.as_deref(), Some("4"));
        assert!(imported.mime.is_none());
    }

    #[test]
    fn rejects_truncated_and_unframed_data() {
        let data = join(encode(&appointment()));
        assert!(decode(&data.slice(..data.len() - 3)).is_err());
        assert!(decode(&Bytes::from_static(b"DATA")).is_err());
        assert!(decode(&Bytes::new()).is_err());
    }
}
