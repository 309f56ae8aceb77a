//! Reading export data back into the store model, as `UploadItems` does: every property,
//! recipient row and attachment (embedded messages to any reasonable depth), from streams the
//! simulator wrote and streams recorded from Exchange alike. Properties the store assigns itself
//! (ids, sizes, times, display caches) are dropped; the store sets its own.

use bytes::Bytes;
use uuid::Uuid;

use super::{marker, ptype, unframe};
use crate::model::message::{Attachment, Message, PropertyBag, Recipient};
use crate::model::tags::{assigned_by_store, tag};
use crate::model::value::Blob;
use crate::model::{PropValue, PropertyKey};

/// How deep embedded messages may nest.
const MAX_DEPTH: usize = 16;
/// The longest named-property name, in UTF-16 units.
const MAX_NAME_UNITS: usize = 1024;
/// `MSGFLAG_HASATTACH`, which the store computes.
const MSGFLAG_HASATTACH: i64 = 0x10;

/// Why export data could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("export data is corrupt: {0}")]
pub struct CorruptStream(pub String);

/// An item read from export data.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The message, without the properties the store assigns.
    pub message: Message,
    /// `PidTagCreationTime`, which a full-fidelity import keeps (seconds since the Unix epoch).
    pub created: Option<i64>,
    /// `PidTagLastModificationTime`, kept likewise.
    pub modified: Option<i64>,
}

/// Reads export data into a message.
pub fn decode(data: &Bytes) -> Result<Imported, CorruptStream> {
    let stream = unframe(data)?;
    let mut reader = Reader {
        data: &stream,
        offset: 0,
    };
    let (mut message, end) = reader.message(0)?;
    if let Some(tag) = end {
        return Err(reader.corrupt(format!("unexpected marker 0x{tag:08X} at the top level")));
    }
    let time = |id: u16| message.tagged(id).and_then(PropValue::as_unix_time);
    let (created, modified) = (time(tag::CREATION_TIME), time(tag::LAST_MODIFICATION_TIME));
    strip_store_properties(&mut message.props);
    Ok(Imported {
        message,
        created,
        modified,
    })
}

fn strip_store_properties(props: &mut PropertyBag) {
    props.retain(|key, _| !assigned_by_store(key));
    if let Some(PropValue::Long(flags)) = props.get_mut(&PropertyKey::Tag(tag::MESSAGE_FLAGS)) {
        *flags &= !(MSGFLAG_HASATTACH as i32);
    }
}

/// What follows a property list.
enum Next {
    Property(PropertyKey, PropValue),
    Marker(u32),
    /// `MetaTagFXDelProp` and the subobject list it names (recipients or attachments).
    DelProp,
    End,
}

struct Reader<'a> {
    data: &'a Bytes,
    offset: usize,
}

impl Reader<'_> {
    fn corrupt(&self, problem: String) -> CorruptStream {
        CorruptStream(format!("{problem} (byte {})", self.offset))
    }

    /// A `messageContent`; returns the message and the marker that ended it (`None` at the end
    /// of the stream).
    fn message(&mut self, depth: usize) -> Result<(Message, Option<u32>), CorruptStream> {
        if depth > MAX_DEPTH {
            return Err(self.corrupt("embedded messages nest too deeply".into()));
        }
        let mut message = Message::default();
        loop {
            match self.next()? {
                Next::Property(key, value) => {
                    message.props.insert(key, value);
                }
                Next::DelProp => {}
                Next::End => return Ok((message, None)),
                Next::Marker(marker::START_RECIP) => {
                    let props = self.until(marker::END_TO_RECIP)?;
                    message.recipients.push(Recipient { props });
                }
                Next::Marker(marker::NEW_ATTACH) => {
                    message.attachments.push(self.attachment(depth)?);
                }
                Next::Marker(other) => return Ok((message, Some(other))),
            }
        }
    }

    /// A property list ended by `end`.
    fn until(&mut self, end: u32) -> Result<PropertyBag, CorruptStream> {
        let mut props = PropertyBag::new();
        loop {
            match self.next()? {
                Next::Property(key, value) => {
                    props.insert(key, value);
                }
                Next::Marker(found) if found == end => return Ok(props),
                Next::Marker(found) => {
                    return Err(self.corrupt(format!(
                        "marker 0x{found:08X} where 0x{end:08X} was expected"
                    )))
                }
                Next::DelProp => {
                    return Err(self.corrupt("MetaTagFXDelProp inside a recipient".into()))
                }
                Next::End => {
                    return Err(self.corrupt(format!("the stream ends before 0x{end:08X}")))
                }
            }
        }
    }

    fn attachment(&mut self, depth: usize) -> Result<Attachment, CorruptStream> {
        let mut attachment = Attachment::default();
        loop {
            match self.next()? {
                Next::Property(key, value) => {
                    attachment.props.insert(key, value);
                }
                Next::Marker(marker::END_ATTACH) => return Ok(attachment),
                Next::Marker(marker::START_EMBED) => {
                    let (mut embedded, end) = self.message(depth + 1)?;
                    if end != Some(marker::END_EMBED) {
                        return Err(self.corrupt("an embedded message is not closed".into()));
                    }
                    embedded.props.retain(|key, _| !assigned_by_store(key));
                    attachment.embedded = Some(Box::new(embedded));
                }
                Next::Marker(found) => {
                    return Err(self.corrupt(format!("marker 0x{found:08X} inside an attachment")))
                }
                Next::DelProp => {
                    return Err(self.corrupt("MetaTagFXDelProp inside an attachment".into()))
                }
                Next::End => {
                    return Err(self.corrupt("the stream ends inside an attachment".into()))
                }
            }
        }
    }

    fn next(&mut self) -> Result<Next, CorruptStream> {
        if self.offset >= self.data.len() {
            return Ok(Next::End);
        }
        let tag = self.u32()?;
        if marker::ALL.contains(&tag) {
            return Ok(Next::Marker(tag));
        }
        if tag == marker::FX_DEL_PROP {
            self.u32()?;
            return Ok(Next::DelProp);
        }
        let property_type = (tag & 0xFFFF) as u16;
        let id = (tag >> 16) as u16;
        let key = if id >= 0x8000 {
            self.name()?
        } else {
            PropertyKey::Tag(id)
        };
        Ok(Next::Property(key, self.value(property_type)?))
    }

    fn name(&mut self) -> Result<PropertyKey, CorruptStream> {
        let set = Uuid::from_bytes_le(self.array::<16>()?);
        match self.array::<1>()?[0] {
            0 => Ok(PropertyKey::NamedId {
                set,
                id: self.u32()?,
            }),
            1 => {
                let mut units = Vec::new();
                loop {
                    let unit = u16::from_le_bytes(self.array::<2>()?);
                    if unit == 0 {
                        break;
                    }
                    if units.len() == MAX_NAME_UNITS {
                        return Err(self.corrupt("a property name is too long".into()));
                    }
                    units.push(unit);
                }
                Ok(PropertyKey::NamedString {
                    set,
                    name: String::from_utf16_lossy(&units),
                })
            }
            kind => Err(self.corrupt(format!("unknown property name kind {kind}"))),
        }
    }

    fn value(&mut self, property_type: u16) -> Result<PropValue, CorruptStream> {
        if property_type & ptype::CODE_PAGE != 0 {
            let bytes = self.counted()?;
            let code_page = property_type & !ptype::CODE_PAGE;
            return Ok(if code_page == ptype::UTF16 {
                PropValue::Unicode(utf16(&bytes))
            } else {
                PropValue::String8 {
                    code_page,
                    bytes: strip_nul(bytes),
                }
            });
        }
        if property_type & ptype::MV != 0 {
            return self.multi(property_type & !ptype::MV);
        }
        Ok(match property_type {
            ptype::SHORT => PropValue::Short(i16::from_le_bytes(self.array()?)),
            ptype::LONG => PropValue::Long(i32::from_le_bytes(self.array()?)),
            ptype::FLOAT => PropValue::Float(f32::from_le_bytes(self.array()?)),
            ptype::DOUBLE => PropValue::Double(f64::from_le_bytes(self.array()?)),
            ptype::APPTIME => PropValue::AppTime(f64::from_le_bytes(self.array()?)),
            ptype::CURRENCY => PropValue::Currency(i64::from_le_bytes(self.array()?)),
            ptype::I8 => PropValue::I8(i64::from_le_bytes(self.array()?)),
            ptype::ERROR => PropValue::Error(self.u32()?),
            ptype::BOOLEAN => PropValue::Boolean(u16::from_le_bytes(self.array()?) != 0),
            ptype::SYSTIME => PropValue::Time(u64::from_le_bytes(self.array()?)),
            ptype::CLSID => PropValue::Clsid(Uuid::from_bytes_le(self.array()?)),
            ptype::UNICODE => PropValue::Unicode(utf16(&self.counted()?)),
            ptype::STRING8 => PropValue::String8 {
                code_page: 0,
                bytes: strip_nul(self.counted()?),
            },
            ptype::BINARY => PropValue::Binary(Blob::from(self.counted()?)),
            ptype::SVREID | ptype::SRESTRICT | ptype::ACTIONS | ptype::OBJECT => {
                PropValue::Opaque {
                    property_type,
                    bytes: self.counted()?,
                }
            }
            other => return Err(self.corrupt(format!("unknown property type 0x{other:04X}"))),
        })
    }

    fn multi(&mut self, base: u16) -> Result<PropValue, CorruptStream> {
        let count = self.u32()? as usize;
        // Every value takes at least two bytes, so a count beyond that is corrupt, whatever it
        // claims; nothing is allocated for it.
        if count > (self.data.len() - self.offset) / 2 {
            return Err(self.corrupt("a multi-valued property claims more values than fit".into()));
        }
        macro_rules! each {
            ($read:expr) => {{
                let mut values = Vec::with_capacity(count);
                for _ in 0..count {
                    values.push($read);
                }
                values
            }};
        }
        Ok(match base {
            ptype::SHORT => PropValue::MvShort(each!(i16::from_le_bytes(self.array()?))),
            ptype::LONG => PropValue::MvLong(each!(i32::from_le_bytes(self.array()?))),
            ptype::FLOAT => PropValue::MvFloat(each!(f32::from_le_bytes(self.array()?))),
            ptype::DOUBLE => PropValue::MvDouble(each!(f64::from_le_bytes(self.array()?))),
            ptype::APPTIME => PropValue::MvAppTime(each!(f64::from_le_bytes(self.array()?))),
            ptype::CURRENCY => PropValue::MvCurrency(each!(i64::from_le_bytes(self.array()?))),
            ptype::I8 => PropValue::MvI8(each!(i64::from_le_bytes(self.array()?))),
            ptype::SYSTIME => PropValue::MvTime(each!(u64::from_le_bytes(self.array()?))),
            ptype::CLSID => PropValue::MvClsid(each!(Uuid::from_bytes_le(self.array()?))),
            ptype::UNICODE => PropValue::MvUnicode(each!(utf16(&self.counted()?))),
            ptype::STRING8 => PropValue::MvString8(each!(strip_nul(self.counted()?))),
            ptype::BINARY => PropValue::MvBinary(each!(self.counted()?)),
            other => {
                return Err(self.corrupt(format!(
                    "unknown multi-valued property type 0x{:04X}",
                    other | ptype::MV
                )))
            }
        })
    }

    fn u32(&mut self) -> Result<u32, CorruptStream> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CorruptStream> {
        let bytes = self.take(N)?;
        let mut array = [0u8; N];
        array.copy_from_slice(&bytes);
        Ok(array)
    }

    fn counted(&mut self) -> Result<Bytes, CorruptStream> {
        let length = self.u32()? as usize;
        self.take(length)
    }

    fn take(&mut self, length: usize) -> Result<Bytes, CorruptStream> {
        let end = self
            .offset
            .checked_add(length)
            .filter(|end| *end <= self.data.len())
            .ok_or_else(|| self.corrupt("a value runs past the end of the item".into()))?;
        let bytes = self.data.slice(self.offset..end);
        self.offset = end;
        Ok(bytes)
    }
}

/// UTF-16LE text without its terminating NUL.
fn utf16(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    let units = units.strip_suffix(&[0]).unwrap_or(&units);
    String::from_utf16_lossy(units)
}

fn strip_nul(bytes: Bytes) -> Bytes {
    match bytes.last() {
        Some(0) => bytes.slice(..bytes.len() - 1),
        _ => bytes,
    }
}
