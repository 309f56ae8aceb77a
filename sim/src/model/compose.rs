//! Building messages the way clients and transport fill them: class, subject, dates, the people,
//! bodies and attachments. Used by seeding and by `CreateItem`.

use bytes::Bytes;

use super::address::{flat_entry_list, recipient, Address, RECEIVED_BY, SENDER, SENT_REPRESENTING};
use super::message::{Attachment, Message, PropertyBag, RecipientType};
use super::props::PropertyKey;
use super::tags::{keywords, tag};
use super::value::{Blob, PropValue};

/// `PidTagAttachMethod` values.
pub const ATTACH_BY_VALUE: i32 = 1;
/// An embedded message.
pub const ATTACH_EMBEDDED_MESSAGE: i32 = 5;

/// `PidTagInternetCodepage` for UTF-8 HTML bodies.
pub const CODEPAGE_UTF8: i32 = 65001;

impl Message {
    /// An empty message of a class.
    pub fn of_class(item_class: &str) -> Message {
        let mut message = Message::default();
        message.set_tagged(tag::MESSAGE_CLASS, PropValue::text(item_class));
        message.set_tagged(tag::MESSAGE_FLAGS, PropValue::Long(0));
        message
    }

    /// Sets the subject (and the conversation topic, as Exchange derives it).
    pub fn set_subject(&mut self, subject: &str) {
        self.set_tagged(tag::SUBJECT, PropValue::text(subject));
        let topic = strip_prefixes(subject);
        self.set_tagged(tag::CONVERSATION_TOPIC, PropValue::text(topic));
    }

    /// Sets the delivery and submit times.
    pub fn set_times(&mut self, received: i64, sent: i64) {
        self.set_tagged(tag::MESSAGE_DELIVERY_TIME, PropValue::unix_time(received));
        self.set_tagged(tag::CLIENT_SUBMIT_TIME, PropValue::unix_time(sent));
    }

    /// Sets who the message is from: both the sender and sent-representing groups.
    pub fn set_from(&mut self, from: &Address) {
        SENDER.write(&mut self.props, from);
        SENT_REPRESENTING.write(&mut self.props, from);
    }

    /// Sets the mailbox that received it.
    pub fn set_received_by(&mut self, owner: &Address) {
        RECEIVED_BY.write(&mut self.props, owner);
    }

    /// Adds a recipient row.
    pub fn add_recipient(
        &mut self,
        address: &Address,
        recipient_type: RecipientType,
    ) -> &mut PropertyBag {
        let row = self.recipients.len();
        self.recipients
            .push(recipient(address, recipient_type, row));
        &mut self.recipients[row].props
    }

    /// Sets `Reply-To`.
    pub fn set_reply_to(&mut self, addresses: &[Address]) {
        let ids: Vec<Bytes> = addresses.iter().map(Address::entry_id).collect();
        self.set_tagged(
            tag::REPLY_RECIPIENT_ENTRIES,
            PropValue::binary(flat_entry_list(&ids)),
        );
        let names: Vec<&str> = addresses
            .iter()
            .map(|address| address.name.as_str())
            .collect();
        self.set_tagged(tag::REPLY_RECIPIENT_NAMES, PropValue::text(names.join(";")));
    }

    /// Sets the categories.
    pub fn set_categories(&mut self, categories: Vec<String>) {
        if categories.is_empty() {
            self.props.remove(&keywords());
        } else {
            self.set(keywords(), PropValue::MvUnicode(categories));
        }
    }

    /// Sets a plain-text body.
    pub fn set_body_text(&mut self, text: &str) {
        self.set_tagged(tag::BODY, PropValue::text(text));
    }

    /// Sets an HTML body (bytes in UTF-8).
    pub fn set_body_html(&mut self, html: Bytes) {
        self.set_tagged(tag::HTML, PropValue::binary(html));
        self.set_tagged(tag::INTERNET_CODEPAGE, PropValue::Long(CODEPAGE_UTF8));
    }

    /// Adds a file attachment.
    pub fn add_file_attachment(
        &mut self,
        file_name: &str,
        mime_type: &str,
        data: Blob,
    ) -> &mut Attachment {
        let number = self.attachments.len() as i32;
        let mut props = PropertyBag::new();
        let mut set = |id: u16, value: PropValue| {
            props.insert(PropertyKey::Tag(id), value);
        };
        set(tag::ATTACH_NUMBER, PropValue::Long(number));
        set(tag::ATTACH_METHOD, PropValue::Long(ATTACH_BY_VALUE));
        set(tag::ATTACH_LONG_FILENAME, PropValue::text(file_name));
        set(tag::DISPLAY_NAME, PropValue::text(file_name));
        if let Some(extension) = file_name.rsplit_once('.').map(|(_, extension)| extension) {
            set(
                tag::ATTACH_EXTENSION,
                PropValue::text(format!(".{extension}")),
            );
        }
        set(tag::ATTACH_MIME_TAG, PropValue::text(mime_type));
        set(
            tag::ATTACH_SIZE,
            PropValue::Long(data.len().min(i32::MAX as u64) as i32),
        );
        set(tag::RENDERING_POSITION, PropValue::Long(-1));
        set(tag::ATTACH_DATA, PropValue::Binary(data));
        self.attachments.push(Attachment {
            props,
            embedded: None,
        });
        let last = self.attachments.len() - 1;
        &mut self.attachments[last]
    }

    /// Adds an embedded-message attachment.
    pub fn add_embedded(&mut self, display_name: &str, embedded: Message) -> &mut Attachment {
        let number = self.attachments.len() as i32;
        let mut props = PropertyBag::new();
        props.insert(
            PropertyKey::Tag(tag::ATTACH_NUMBER),
            PropValue::Long(number),
        );
        props.insert(
            PropertyKey::Tag(tag::ATTACH_METHOD),
            PropValue::Long(ATTACH_EMBEDDED_MESSAGE),
        );
        props.insert(
            PropertyKey::Tag(tag::DISPLAY_NAME),
            PropValue::text(display_name),
        );
        props.insert(
            PropertyKey::Tag(tag::RENDERING_POSITION),
            PropValue::Long(-1),
        );
        self.attachments.push(Attachment {
            props,
            embedded: Some(Box::new(embedded)),
        });
        let last = self.attachments.len() - 1;
        &mut self.attachments[last]
    }

    /// Sets `PidTagImportance` from its EWS name.
    pub fn set_importance(&mut self, importance: &str) {
        let code = match importance {
            "Low" => 0,
            "High" => 2,
            _ => 1,
        };
        self.set_tagged(tag::IMPORTANCE, PropValue::Long(code));
    }

    /// Sets `PidTagSensitivity` from its EWS name.
    pub fn set_sensitivity(&mut self, sensitivity: &str) {
        let code = match sensitivity {
            "Personal" => 1,
            "Private" => 2,
            "Confidential" => 3,
            _ => 0,
        };
        self.set_tagged(tag::SENSITIVITY, PropValue::Long(code));
    }
}

/// The subject without reply and forward prefixes (`RE:`, `FW:`, `AW:`, `WG:`...).
fn strip_prefixes(subject: &str) -> &str {
    let mut rest = subject.trim_start();
    loop {
        let Some((prefix, tail)) = rest.split_once(':') else {
            return rest;
        };
        if prefix.len() <= 3 && !prefix.is_empty() && prefix.chars().all(char::is_alphabetic) {
            rest = tail.trim_start();
        } else {
            return rest;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_drop_reply_prefixes() {
        assert_eq!(strip_prefixes("RE: FW: Budget"), "Budget");
        assert_eq!(strip_prefixes("Budget: Q3"), "Budget: Q3");
        assert_eq!(strip_prefixes("AW: Re: Plan"), "Plan");
    }
}
