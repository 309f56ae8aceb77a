//! A message as an Exchange store holds it: a property bag, a recipient table and attachments,
//! an attachment holding file data or an embedded message of its own.
//!
//! Everything EWS shows of an item (MIME content, `From`, `ToRecipients`, attendees, contact
//! addresses, attachments) is generated from this model, and export data is this model written
//! as a FastTransfer stream.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::props::PropertyKey;
use super::tags::{assigned_by_store, is_migration_stamp, tag};
use super::value::PropValue;

/// Properties by key.
pub type PropertyBag = BTreeMap<PropertyKey, PropValue>;

/// `PidTagRecipientType` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipientType {
    /// `MAPI_TO` (required attendee).
    To,
    /// `MAPI_CC` (optional attendee).
    Cc,
    /// `MAPI_BCC` (resource).
    Bcc,
}

impl RecipientType {
    /// The stored code.
    pub fn code(self) -> i32 {
        match self {
            RecipientType::To => 1,
            RecipientType::Cc => 2,
            RecipientType::Bcc => 3,
        }
    }

    /// The type of a stored code (the "sent" flag 0x10000000 ignored).
    pub fn from_code(code: i64) -> RecipientType {
        match code & 0x0FFF_FFFF {
            2 => RecipientType::Cc,
            3 => RecipientType::Bcc,
            _ => RecipientType::To,
        }
    }
}

/// One row of the recipient table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recipient {
    /// Its properties (`PidTagDisplayName`, `PidTagAddressType`, `PidTagEmailAddress`...).
    pub props: PropertyBag,
}

impl Recipient {
    /// `PidTagRecipientType`.
    pub fn recipient_type(&self) -> RecipientType {
        RecipientType::from_code(
            self.props
                .get(&PropertyKey::Tag(tag::RECIPIENT_TYPE))
                .and_then(PropValue::as_i64)
                .unwrap_or(1),
        )
    }

    /// `PidTagDisplayName`.
    pub fn display_name(&self) -> &str {
        text(&self.props, tag::DISPLAY_NAME).unwrap_or("")
    }
}

/// An attachment: its properties, and an embedded message if it is one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attachment {
    /// Its properties (`PidTagAttachMethod`, `PidTagAttachLongFilename`, `PidTagAttachDataBinary`...).
    pub props: PropertyBag,
    /// The message it holds, for `afEmbeddedMessage` attachments.
    pub embedded: Option<Box<Message>>,
}

impl Attachment {
    /// Whether clients hide it (recurrence exceptions, inline images of some clients).
    pub fn is_hidden(&self) -> bool {
        self.props
            .get(&PropertyKey::Tag(tag::ATTACHMENT_HIDDEN))
            .and_then(PropValue::as_bool)
            .unwrap_or(false)
    }

    /// The file name shown for it.
    pub fn file_name(&self) -> &str {
        text(&self.props, tag::ATTACH_LONG_FILENAME)
            .or_else(|| text(&self.props, tag::ATTACH_FILENAME))
            .or_else(|| text(&self.props, tag::DISPLAY_NAME))
            .unwrap_or("")
    }

    /// Its size: data plus properties, and the embedded message's size.
    pub fn size(&self) -> u64 {
        bag_size(&self.props) + self.embedded.as_ref().map_or(0, |message| message.size())
    }
}

/// A message: properties, recipients and attachments.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message {
    /// The message's own properties.
    pub props: PropertyBag,
    /// The recipient table, in order.
    pub recipients: Vec<Recipient>,
    /// The attachments, in order.
    pub attachments: Vec<Attachment>,
}

impl Message {
    /// A property.
    pub fn get(&self, key: &PropertyKey) -> Option<&PropValue> {
        self.props.get(key)
    }

    /// A tagged property.
    pub fn tagged(&self, id: u16) -> Option<&PropValue> {
        self.props.get(&PropertyKey::Tag(id))
    }

    /// A tagged string property.
    pub fn text(&self, id: u16) -> Option<&str> {
        text(&self.props, id)
    }

    /// Sets a property.
    pub fn set(&mut self, key: PropertyKey, value: PropValue) {
        self.props.insert(key, value);
    }

    /// Sets a tagged property.
    pub fn set_tagged(&mut self, id: u16, value: PropValue) {
        self.props.insert(PropertyKey::Tag(id), value);
    }

    /// The size Exchange reports for the message: every stored value plus a per-property and
    /// per-object overhead, recipients and attachments included.
    pub fn size(&self) -> u64 {
        bag_size(&self.props)
            + self
                .recipients
                .iter()
                .map(|recipient| bag_size(&recipient.props) + 64)
                .sum::<u64>()
            + self
                .attachments
                .iter()
                .map(|attachment| attachment.size() + 128)
                .sum::<u64>()
            + 256
    }

    /// Feeds every property that a faithful copy must carry over into `hasher`: the store's own
    /// message properties and Ferry's migration stamp are left out (a recipient's entry id is
    /// content; a message's is the store's). `skip` leaves out more (the address
    /// properties, for a digest that ignores address mapping).
    pub fn hash_into(&self, hasher: &mut Sha256, skip: &dyn Fn(&PropertyKey) -> bool) {
        let message_skip = |key: &PropertyKey| assigned_by_store(key) || skip(key);
        hash_bag(hasher, b"message", &self.props, &message_skip);
        for recipient in &self.recipients {
            hash_bag(hasher, b"recipient", &recipient.props, skip);
        }
        for attachment in &self.attachments {
            hash_bag(hasher, b"attachment", &attachment.props, skip);
            if let Some(embedded) = &attachment.embedded {
                hasher.update(b"embedded{");
                embedded.hash_into(hasher, skip);
                hasher.update(b"}");
            }
        }
    }
}

/// A tagged string property of a bag.
pub fn text(bag: &PropertyBag, id: u16) -> Option<&str> {
    bag.get(&PropertyKey::Tag(id)).and_then(PropValue::as_text)
}

fn bag_size(bag: &PropertyBag) -> u64 {
    bag.values().map(|value| value.stored_len() + 8).sum()
}

fn hash_bag(
    hasher: &mut Sha256,
    kind: &[u8],
    bag: &PropertyBag,
    skip: &dyn Fn(&PropertyKey) -> bool,
) {
    hasher.update(kind);
    hasher.update(b"{");
    for (key, value) in bag {
        if is_migration_stamp(key) || skip(key) {
            continue;
        }
        field(hasher, format!("{key:?}").as_bytes());
        hash_value(hasher, value);
    }
    hasher.update(b"}");
}

fn field(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

fn hash_value(hasher: &mut Sha256, value: &PropValue) {
    match value {
        // Large values are hashed segment by segment, never joined.
        PropValue::Binary(blob) => {
            field(hasher, b"binary");
            hasher.update(blob.len().to_le_bytes());
            for segment in blob.segments() {
                hasher.update(segment);
            }
        }
        other => field(hasher, format!("{other:?}").as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::value::Blob;
    use bytes::Bytes;

    fn digest(message: &Message) -> [u8; 32] {
        let mut hasher = Sha256::new();
        message.hash_into(&mut hasher, &|_| false);
        hasher.finalize().into()
    }

    #[test]
    fn digest_covers_recipients_and_attachments_but_not_store_properties() {
        let mut message = Message::default();
        message.set_tagged(tag::SUBJECT, PropValue::text("Hello"));
        message.recipients.push(Recipient {
            props: [(PropertyKey::Tag(tag::DISPLAY_NAME), PropValue::text("Ann"))].into(),
        });
        let mut attachment = Attachment::default();
        attachment.props.insert(
            PropertyKey::Tag(tag::ATTACH_DATA),
            PropValue::Binary(Blob::new(vec![
                Bytes::from_static(b"ab"),
                Bytes::from_static(b"c"),
            ])),
        );
        message.attachments.push(attachment);
        let original = digest(&message);

        let mut copy = message.clone();
        copy.set_tagged(
            tag::ENTRY_ID,
            PropValue::binary(Bytes::from_static(b"new id")),
        );
        copy.attachments[0].props.insert(
            PropertyKey::Tag(tag::ATTACH_DATA),
            PropValue::binary(Bytes::from_static(b"abc")),
        );
        assert_eq!(
            digest(&copy),
            original,
            "store ids and segmentation are not content"
        );

        copy.recipients[0]
            .props
            .insert(PropertyKey::Tag(tag::DISPLAY_NAME), PropValue::text("Bob"));
        assert_ne!(digest(&copy), original);
    }
}
