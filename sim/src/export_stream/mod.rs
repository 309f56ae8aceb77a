//! The full-fidelity export format of `ExportItems` and `UploadItems`.
//!
//! Exchange's export data (see `shared/ews/fixtures/export-upload/ExportItemsResponse.xml`) is a
//! sequence of blocks, each a little-endian `u32` marker, a `u32` length and that many bytes. A
//! real stream has four: marker 1 (8 bytes, a version header), marker 3 (24 bytes), marker 4
//! (6 bytes) and marker 2, the item itself as an MS-OXCFXICS FastTransfer `messageContent`: its
//! property list, then `MetaTagFXDelProp` and the recipient rows (`StartRecip`...`EndToRecip`),
//! then `MetaTagFXDelProp` and the attachments (`NewAttach`...`EndAttach`, an embedded message
//! between `StartEmbed` and `EndEmbed`). The simulator writes exactly that ([`write`]) from the
//! item's store model and reads any such stream back into the model ([`read`]), including the
//! streams recorded from Exchange.
//!
//! This code is the simulator's own: the client side (`ferry-fasttransfer`) was written
//! separately, so the two check each other.

pub mod read;
pub mod write;

use bytes::{Bytes, BytesMut};

pub use read::{decode, CorruptStream, Imported};
pub use write::encode;

/// Header block payloads exactly as Exchange writes them.
const VERSION_BLOCK: [u8; 8] = [0, 0, 0, 0, 1, 0, 0, 0];
const MARKER3_BLOCK: [u8; 24] = [
    0x01, 0x00, 0x00, 0x00, 0x07, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x46, 0x00, 0x24, 0x00, 0x80,
];
const MARKER4_BLOCK: [u8; 6] = [0x01, 0x0f, 0x37, 0x86, 0x78, 0x17];

/// The block holding the item.
const MESSAGE_BLOCK: u32 = 2;

/// FastTransfer markers (MS-OXCFXICS 2.2.4.1.4) the item stream uses.
mod marker {
    pub const START_RECIP: u32 = 0x4003_0003;
    pub const END_TO_RECIP: u32 = 0x4004_0003;
    pub const NEW_ATTACH: u32 = 0x4000_0003;
    pub const END_ATTACH: u32 = 0x400E_0003;
    pub const START_EMBED: u32 = 0x4001_0003;
    pub const END_EMBED: u32 = 0x4002_0003;
    /// `MetaTagFXDelProp`: its value is the tag of the subobject list that follows.
    pub const FX_DEL_PROP: u32 = 0x4016_0003;
    /// `PidTagMessageRecipients`.
    pub const MESSAGE_RECIPIENTS: u32 = 0x0E12_000D;
    /// `PidTagMessageAttachments`.
    pub const MESSAGE_ATTACHMENTS: u32 = 0x0E13_000D;
    /// Every marker, which carries no value.
    pub const ALL: [u32; 24] = [
        0x4009_0003,
        0x400A_0003,
        0x400B_0003,
        0x400C_0003,
        0x400D_0003,
        0x4010_0003,
        START_EMBED,
        END_EMBED,
        START_RECIP,
        END_TO_RECIP,
        NEW_ATTACH,
        END_ATTACH,
        0x4012_0003,
        0x407D_0003,
        0x4013_0003,
        0x4014_0003,
        0x402F_0003,
        0x403A_0003,
        0x403B_0003,
        0x4074_000B,
        0x4075_000B,
        0x4015_0003,
        0x407B_0102,
        0x4018_0003,
    ];
}

/// Property type codes.
mod ptype {
    pub const SHORT: u16 = 0x0002;
    pub const LONG: u16 = 0x0003;
    pub const FLOAT: u16 = 0x0004;
    pub const DOUBLE: u16 = 0x0005;
    pub const CURRENCY: u16 = 0x0006;
    pub const APPTIME: u16 = 0x0007;
    pub const ERROR: u16 = 0x000A;
    pub const BOOLEAN: u16 = 0x000B;
    pub const OBJECT: u16 = 0x000D;
    pub const I8: u16 = 0x0014;
    pub const STRING8: u16 = 0x001E;
    pub const UNICODE: u16 = 0x001F;
    pub const SYSTIME: u16 = 0x0040;
    pub const CLSID: u16 = 0x0048;
    pub const SVREID: u16 = 0x00FB;
    pub const SRESTRICT: u16 = 0x00FD;
    pub const ACTIONS: u16 = 0x00FE;
    pub const BINARY: u16 = 0x0102;
    pub const MV: u16 = 0x1000;
    /// A string in a code page: `CODE_PAGE | code page`.
    pub const CODE_PAGE: u16 = 0x8000;
    /// UTF-16LE, the code page Exchange writes strings in.
    pub const UTF16: u16 = 1200;
}

/// Wraps an item stream in Exchange's framing.
fn frame(item_stream: Vec<Bytes>) -> Vec<Bytes> {
    let item_len: usize = item_stream.iter().map(Bytes::len).sum();
    let mut head = BytesMut::with_capacity(70);
    for (marker, payload) in [
        (1u32, &VERSION_BLOCK[..]),
        (3, &MARKER3_BLOCK[..]),
        (4, &MARKER4_BLOCK[..]),
    ] {
        head.extend_from_slice(&marker.to_le_bytes());
        head.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        head.extend_from_slice(payload);
    }
    head.extend_from_slice(&MESSAGE_BLOCK.to_le_bytes());
    head.extend_from_slice(&(item_len as u32).to_le_bytes());
    let mut segments = Vec::with_capacity(item_stream.len() + 1);
    segments.push(head.freeze());
    segments.extend(item_stream);
    segments
}

/// The item stream inside framed export data.
fn unframe(data: &Bytes) -> Result<Bytes, CorruptStream> {
    let mut offset = 0usize;
    let mut item: Option<Bytes> = None;
    let mut saw_version = false;
    while offset < data.len() {
        let header = data
            .get(offset..offset + 8)
            .ok_or_else(|| CorruptStream(format!("truncated block header at byte {offset}")))?;
        let marker = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
        let length = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let start = offset + 8;
        let end = start
            .checked_add(length)
            .filter(|end| *end <= data.len())
            .ok_or_else(|| {
                CorruptStream(format!("block {marker} runs past the end of the data"))
            })?;
        match marker {
            1 => saw_version = true,
            MESSAGE_BLOCK if item.is_some() => {
                return Err(CorruptStream("the data holds two items".into()))
            }
            MESSAGE_BLOCK => item = Some(data.slice(start..end)),
            3 | 4 => {}
            other => return Err(CorruptStream(format!("unknown block marker {other}"))),
        }
        offset = end;
    }
    if !saw_version {
        return Err(CorruptStream("the version block is missing".into()));
    }
    item.ok_or_else(|| CorruptStream("the item block is missing".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::address::Address;
    use crate::model::tags::{tag, PS_PUBLIC_STRINGS};
    use crate::model::value::Blob;
    use crate::model::{Item, Message, PropValue, PropertyKey, RecipientType};

    fn rich_item() -> Item {
        let mut message = Message::of_class("IPM.Note");
        message.set_subject("Quarterly review — Ünïcode");
        message.set_times(1_650_000_000, 1_649_999_000);
        message.set_from(&Address::exchange(
            "Ann Lee",
            "/o=ExchangeLabs/cn=ann",
            Some("ann@contoso.com"),
        ));
        message.add_recipient(&Address::smtp("Bob", "bob@example.org"), RecipientType::To);
        message.add_recipient(
            &Address::exchange("Cy", "/o=ExchangeLabs/cn=cy", None),
            RecipientType::Cc,
        );
        message.set_categories(vec!["Red category".into(), "Projects".into()]);
        message.set_body_text("hello");
        message.set(
            PropertyKey::NamedString {
                set: PS_PUBLIC_STRINGS,
                name: "FerryTest".into(),
            },
            PropValue::MvLong(vec![1, -2]),
        );
        let big: Vec<u8> = (0..3000u32).map(|value| value as u8).collect();
        message.add_file_attachment(
            "a.bin",
            "application/octet-stream",
            Blob::new(vec![
                Bytes::from(big[..1500].to_vec()),
                Bytes::from(big[1500..].to_vec()),
            ]),
        );
        let mut inner = Message::of_class("IPM.Note");
        inner.set_subject("inner");
        inner.add_recipient(&Address::smtp("Dee", "dee@example.org"), RecipientType::To);
        inner.add_file_attachment("tiny.txt", "text/plain", Blob::from(b"tiny".to_vec()));
        message.add_embedded("inner", inner);
        Item::new(3, message, 1_650_000_100)
    }

    fn joined(segments: Vec<Bytes>) -> Bytes {
        Bytes::from(segments.concat())
    }

    #[test]
    fn round_trips_properties_recipients_and_nested_attachments() {
        let item = rich_item();
        let data = joined(encode(&item));
        let decoded = decode(&data).expect("decodes");
        assert_eq!(decoded.created, Some(item.created));
        let copy = Item::new(9, decoded.message, 1_700_000_000);
        assert_eq!(copy.digest(), item.digest(), "every property survives");
        assert_eq!(copy.message.recipients.len(), 2);
        assert_eq!(copy.message.attachments.len(), 2);
        let inner = copy.message.attachments[1]
            .embedded
            .as_ref()
            .expect("embedded");
        assert_eq!(inner.recipients.len(), 1);
        assert_eq!(inner.attachments.len(), 1);
        assert!(
            copy.message.tagged(tag::CREATION_TIME).is_none(),
            "store properties are dropped"
        );
    }

    #[test]
    fn uses_the_framing_exchange_uses_and_shares_large_values() {
        let item = rich_item();
        let segments = encode(&item);
        let attachment = item.message.attachments[0]
            .props
            .get(&PropertyKey::Tag(tag::ATTACH_DATA))
            .and_then(PropValue::as_blob)
            .expect("data")
            .segments()[0]
            .as_ptr();
        assert!(
            segments
                .iter()
                .any(|segment| segment.as_ptr() == attachment),
            "attachment data is passed on, not copied"
        );
        let data = joined(segments);
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
        let item = Item::new(
            1,
            decode(&data).expect("the real stream decodes").message,
            0,
        );
        assert_eq!(item.item_class(), "IPM.Appointment");
        assert_eq!(item.subject(), "4");
        assert_eq!(item.message.recipients.len(), 2);
        let smtp: Vec<String> = item
            .message
            .recipients
            .iter()
            .filter_map(|recipient| recipient.address().smtp)
            .collect();
        assert_eq!(
            smtp,
            vec!["testuser1@bregawn.sure.vine", "testuser2@bregawn.sure.vine"]
        );
        assert_eq!(item.message.attachments.len(), 1);
        assert_eq!(item.message.attachments[0].file_name(), "mario_hammer.gif");
        assert!(item.from().is_some_and(|from| from.is_exchange()));
        let again = Item::new(
            2,
            decode(&joined(encode(&item))).expect("re-encodes").message,
            5,
        );
        assert_eq!(again.digest(), item.digest());
    }

    #[test]
    fn rejects_truncated_and_unframed_data() {
        let data = joined(encode(&rich_item()));
        for cut in [3, 10, 100, data.len() / 2] {
            assert!(
                decode(&data.slice(..data.len() - cut)).is_err(),
                "cut {cut}"
            );
        }
        assert!(decode(&Bytes::from_static(b"DATA")).is_err());
        assert!(decode(&Bytes::new()).is_err());
    }
}
