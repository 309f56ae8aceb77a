//! Writing an item's store model as export data.

use std::collections::HashMap;

use bytes::{Bytes, BytesMut};

use super::{frame, marker, ptype};
use crate::model::message::{Message, PropertyBag};
use crate::model::tags::tag;
use crate::model::{Item, PropValue, PropertyKey};

/// Values at least this long are passed on as shared segments instead of copied.
const SHARE_AT: usize = 1024;

/// `MSGFLAG_HASATTACH`, which the store computes.
const MSGFLAG_HASATTACH: i32 = 0x10;

/// Encodes an item as export data: shared segments, so large values are not copied.
pub fn encode(item: &Item) -> Vec<Bytes> {
    let mut writer = StreamWriter::default();
    let mut props = item.message.props.clone();
    add_store_properties(item, &mut props);
    writer.message(&item.message, &props);
    frame(writer.finish())
}

/// What the store adds to an exported message: its own times, computed flags and caches.
fn add_store_properties(item: &Item, props: &mut PropertyBag) {
    let mut set = |id: u16, value: PropValue| {
        props.insert(PropertyKey::Tag(id), value);
    };
    set(tag::CREATION_TIME, PropValue::unix_time(item.created));
    set(
        tag::LAST_MODIFICATION_TIME,
        PropValue::unix_time(item.modified),
    );
    set(tag::DISPLAY_TO, PropValue::text(item.display_to()));
    set(tag::DISPLAY_CC, PropValue::text(item.display_cc()));
    set(
        tag::MESSAGE_SIZE,
        PropValue::Long(item.size().min(i32::MAX as u64) as i32),
    );
    let flags = item
        .message
        .tagged(tag::MESSAGE_FLAGS)
        .and_then(PropValue::as_i64)
        .unwrap_or(0) as i32;
    let flags = if item.has_attachments() {
        flags | MSGFLAG_HASATTACH
    } else {
        flags & !MSGFLAG_HASATTACH
    };
    set(tag::MESSAGE_FLAGS, PropValue::Long(flags));
}

/// Builds the item stream as segments.
#[derive(Default)]
struct StreamWriter {
    head: BytesMut,
    segments: Vec<Bytes>,
    /// Named properties get ids from 0x8001 in the order first written, as a store maps them.
    named_ids: HashMap<PropertyKey, u16>,
}

impl StreamWriter {
    fn finish(mut self) -> Vec<Bytes> {
        self.flush();
        self.segments
    }

    fn flush(&mut self) {
        if !self.head.is_empty() {
            self.segments.push(self.head.split().freeze());
        }
    }

    fn u32(&mut self, value: u32) {
        self.head.extend_from_slice(&value.to_le_bytes());
    }

    fn shared(&mut self, bytes: &Bytes) {
        if bytes.len() >= SHARE_AT {
            self.flush();
            self.segments.push(bytes.clone());
        } else {
            self.head.extend_from_slice(bytes);
        }
    }

    fn message(&mut self, message: &Message, props: &PropertyBag) {
        self.properties(props);
        self.u32(marker::FX_DEL_PROP);
        self.u32(marker::MESSAGE_RECIPIENTS);
        for recipient in &message.recipients {
            self.u32(marker::START_RECIP);
            self.properties(&recipient.props);
            self.u32(marker::END_TO_RECIP);
        }
        self.u32(marker::FX_DEL_PROP);
        self.u32(marker::MESSAGE_ATTACHMENTS);
        for (index, attachment) in message.attachments.iter().enumerate() {
            self.u32(marker::NEW_ATTACH);
            let number = attachment
                .props
                .get(&PropertyKey::Tag(tag::ATTACH_NUMBER))
                .and_then(PropValue::as_i64)
                .unwrap_or(index as i64) as i32;
            self.property(
                &PropertyKey::Tag(tag::ATTACH_NUMBER),
                &PropValue::Long(number),
            );
            for (key, value) in &attachment.props {
                if *key != PropertyKey::Tag(tag::ATTACH_NUMBER) {
                    self.property(key, value);
                }
            }
            if let Some(embedded) = &attachment.embedded {
                self.u32(marker::START_EMBED);
                self.message(embedded, &embedded.props);
                self.u32(marker::END_EMBED);
            }
            self.u32(marker::END_ATTACH);
        }
    }

    fn properties(&mut self, props: &PropertyBag) {
        for (key, value) in props {
            self.property(key, value);
        }
    }

    fn property(&mut self, key: &PropertyKey, value: &PropValue) {
        let property_type = type_code(value);
        match key {
            PropertyKey::Tag(id) => self.u32((u32::from(*id) << 16) | u32::from(property_type)),
            named => {
                let next = 0x8001 + self.named_ids.len() as u16;
                let id = *self.named_ids.entry(named.clone()).or_insert(next);
                self.u32((u32::from(id) << 16) | u32::from(property_type));
                self.name(named);
            }
        }
        self.value(value);
    }

    fn name(&mut self, key: &PropertyKey) {
        match key {
            PropertyKey::NamedId { set, id } => {
                self.head.extend_from_slice(&set.to_bytes_le());
                self.head.extend_from_slice(&[0]);
                self.u32(*id);
            }
            PropertyKey::NamedString { set, name } => {
                self.head.extend_from_slice(&set.to_bytes_le());
                self.head.extend_from_slice(&[1]);
                for unit in name.encode_utf16().chain(std::iter::once(0)) {
                    self.head.extend_from_slice(&unit.to_le_bytes());
                }
            }
            PropertyKey::Tag(_) => {}
        }
    }

    fn counted(&mut self, bytes: &[u8]) {
        self.u32(bytes.len() as u32);
        self.head.extend_from_slice(bytes);
    }

    fn unicode(&mut self, text: &str) {
        let units: Vec<u8> = text
            .encode_utf16()
            .chain(std::iter::once(0))
            .flat_map(u16::to_le_bytes)
            .collect();
        self.counted(&units);
    }

    fn value(&mut self, value: &PropValue) {
        match value {
            PropValue::Short(value) => self.head.extend_from_slice(&value.to_le_bytes()),
            PropValue::Long(value) => self.head.extend_from_slice(&value.to_le_bytes()),
            PropValue::Float(value) => self.head.extend_from_slice(&value.to_le_bytes()),
            PropValue::Double(value) | PropValue::AppTime(value) => {
                self.head.extend_from_slice(&value.to_le_bytes())
            }
            PropValue::Currency(value) | PropValue::I8(value) => {
                self.head.extend_from_slice(&value.to_le_bytes())
            }
            PropValue::Error(value) => self.u32(*value),
            PropValue::Boolean(flag) => {
                self.head.extend_from_slice(&u16::from(*flag).to_le_bytes())
            }
            PropValue::Time(ticks) => self.head.extend_from_slice(&ticks.to_le_bytes()),
            PropValue::Clsid(guid) => self.head.extend_from_slice(&guid.to_bytes_le()),
            PropValue::Unicode(text) => self.unicode(text),
            PropValue::String8 { bytes, .. } => {
                let mut terminated = bytes.to_vec();
                terminated.push(0);
                self.counted(&terminated);
            }
            PropValue::Binary(blob) => {
                self.u32(blob.len() as u32);
                for segment in blob.segments() {
                    self.shared(segment);
                }
            }
            PropValue::Opaque { bytes, .. } => {
                self.u32(bytes.len() as u32);
                self.shared(bytes);
            }
            PropValue::MvShort(values) => self.multi(values, |writer, value| {
                writer.head.extend_from_slice(&value.to_le_bytes())
            }),
            PropValue::MvLong(values) => self.multi(values, |writer, value| {
                writer.head.extend_from_slice(&value.to_le_bytes())
            }),
            PropValue::MvFloat(values) => self.multi(values, |writer, value| {
                writer.head.extend_from_slice(&value.to_le_bytes())
            }),
            PropValue::MvDouble(values) | PropValue::MvAppTime(values) => self
                .multi(values, |writer, value| {
                    writer.head.extend_from_slice(&value.to_le_bytes())
                }),
            PropValue::MvCurrency(values) | PropValue::MvI8(values) => self
                .multi(values, |writer, value| {
                    writer.head.extend_from_slice(&value.to_le_bytes())
                }),
            PropValue::MvTime(values) => self.multi(values, |writer, value| {
                writer.head.extend_from_slice(&value.to_le_bytes())
            }),
            PropValue::MvClsid(values) => self.multi(values, |writer, value| {
                writer.head.extend_from_slice(&value.to_bytes_le())
            }),
            PropValue::MvUnicode(values) => {
                self.multi(values, |writer, value| writer.unicode(value))
            }
            PropValue::MvString8(values) => self.multi(values, |writer, value| {
                let mut terminated = value.to_vec();
                terminated.push(0);
                writer.counted(&terminated);
            }),
            PropValue::MvBinary(values) => {
                self.multi(values, |writer, value| writer.counted(value))
            }
        }
    }

    fn multi<T>(&mut self, values: &[T], mut each: impl FnMut(&mut StreamWriter, &T)) {
        self.u32(values.len() as u32);
        for value in values {
            each(self, value);
        }
    }
}

/// The FastTransfer type code of a value; strings are written in code page 1200, as Exchange
/// writes them.
fn type_code(value: &PropValue) -> u16 {
    match value {
        PropValue::Short(_) => ptype::SHORT,
        PropValue::Long(_) => ptype::LONG,
        PropValue::Float(_) => ptype::FLOAT,
        PropValue::Double(_) => ptype::DOUBLE,
        PropValue::Currency(_) => ptype::CURRENCY,
        PropValue::AppTime(_) => ptype::APPTIME,
        PropValue::Error(_) => ptype::ERROR,
        PropValue::Boolean(_) => ptype::BOOLEAN,
        PropValue::I8(_) => ptype::I8,
        PropValue::Time(_) => ptype::SYSTIME,
        PropValue::Clsid(_) => ptype::CLSID,
        PropValue::Unicode(_) => ptype::CODE_PAGE | ptype::UTF16,
        PropValue::String8 { code_page: 0, .. } => ptype::STRING8,
        PropValue::String8 { code_page, .. } => ptype::CODE_PAGE | code_page,
        PropValue::Binary(_) => ptype::BINARY,
        PropValue::Opaque { property_type, .. } => *property_type,
        PropValue::MvShort(_) => ptype::MV | ptype::SHORT,
        PropValue::MvLong(_) => ptype::MV | ptype::LONG,
        PropValue::MvFloat(_) => ptype::MV | ptype::FLOAT,
        PropValue::MvDouble(_) => ptype::MV | ptype::DOUBLE,
        PropValue::MvCurrency(_) => ptype::MV | ptype::CURRENCY,
        PropValue::MvAppTime(_) => ptype::MV | ptype::APPTIME,
        PropValue::MvI8(_) => ptype::MV | ptype::I8,
        PropValue::MvTime(_) => ptype::MV | ptype::SYSTIME,
        PropValue::MvClsid(_) => ptype::MV | ptype::CLSID,
        PropValue::MvUnicode(_) => ptype::MV | ptype::UNICODE,
        PropValue::MvString8(_) => ptype::MV | ptype::STRING8,
        PropValue::MvBinary(_) => ptype::MV | ptype::BINARY,
    }
}
