//! Items: a stored [`Message`] in a folder, with what EWS reads off it (class, subject, dates,
//! flags, the class-specific views) and the digests tests compare.

use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use super::address::{contact_emails, is_address_property, Address, SENDER, SENT_REPRESENTING};
use super::message::{Message, RecipientType};
use super::props::{ExtendedProperty, PropertyKey};
use super::tags::{appointment_key, keywords, lid, meeting_key, tag, task_key};
use super::value::PropValue;

/// `MSGFLAG_READ`.
const MSGFLAG_READ: i64 = 0x0001;

/// A person as seeding and rules name them: a display name and an SMTP address.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Person {
    /// Display name.
    pub name: String,
    /// SMTP address.
    pub address: String,
}

/// What a calendar item shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentView {
    /// Start, seconds since the Unix epoch.
    pub start: i64,
    /// End.
    pub end: i64,
    /// Location.
    pub location: String,
    /// Whether it is a recurring series.
    pub is_recurring: bool,
    /// Whether it is an all-day event.
    pub is_all_day: bool,
    /// The UID: the global object id, as hex.
    pub uid: String,
}

/// What a contact shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactView {
    /// Given name.
    pub given_name: String,
    /// Surname.
    pub surname: String,
    /// Company.
    pub company: String,
    /// Display name.
    pub display_name: String,
    /// Its e-mail addresses (`EmailAddress1..3`).
    pub emails: [Option<Address>; 3],
}

/// What a task shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskView {
    /// Due date.
    pub due: Option<i64>,
    /// `NotStarted`, `InProgress`, `Completed`, `WaitingOnOthers` or `Deferred`.
    pub status: &'static str,
    /// 0 to 100.
    pub percent_complete: u8,
    /// `PidLidTaskOwner`.
    pub owner: Option<String>,
    /// `PidLidTaskLastDelegate`.
    pub delegator: Option<String>,
}

/// An item and its place in the mailbox.
#[derive(Debug, Clone)]
pub struct Item {
    /// The item's number inside its mailbox.
    pub seq: u64,
    /// The folder holding it.
    pub folder: u64,
    /// Creation time in this mailbox, seconds since the Unix epoch.
    pub created: i64,
    /// Last modification time in this mailbox.
    pub modified: i64,
    /// The stored message.
    pub message: Message,
    /// The change number at which the item entered its folder.
    pub created_change: u64,
    /// The change number of the item's last change.
    pub last_change: u64,
    /// Lazily computed digest; reset whenever the item changes.
    pub digest: OnceLock<[u8; 32]>,
}

impl Item {
    /// A new item of the message, created at `now` in `folder`.
    pub fn new(folder: u64, message: Message, now: i64) -> Item {
        Item {
            seq: 0,
            folder,
            created: now,
            modified: now,
            message,
            created_change: 0,
            last_change: 0,
            digest: OnceLock::new(),
        }
    }

    /// `PidTagMessageClass` (`IPM.Note`, `IPM.Appointment`...).
    pub fn item_class(&self) -> &str {
        self.message.text(tag::MESSAGE_CLASS).unwrap_or("IPM")
    }

    /// `PidTagSubject`.
    pub fn subject(&self) -> &str {
        self.message.text(tag::SUBJECT).unwrap_or("")
    }

    /// `PidTagMessageDeliveryTime` (the creation time if unset).
    pub fn received(&self) -> i64 {
        self.time(tag::MESSAGE_DELIVERY_TIME)
            .unwrap_or(self.created)
    }

    /// `PidTagClientSubmitTime` (the received time if unset).
    pub fn sent(&self) -> i64 {
        self.time(tag::CLIENT_SUBMIT_TIME)
            .unwrap_or_else(|| self.received())
    }

    fn time(&self, id: u16) -> Option<i64> {
        self.message.tagged(id).and_then(PropValue::as_unix_time)
    }

    /// `Low`, `Normal` or `High`.
    pub fn importance(&self) -> &'static str {
        match self.integer(tag::IMPORTANCE) {
            Some(0) => "Low",
            Some(2) => "High",
            _ => "Normal",
        }
    }

    /// `Normal`, `Personal`, `Private` or `Confidential`.
    pub fn sensitivity(&self) -> &'static str {
        match self.integer(tag::SENSITIVITY) {
            Some(1) => "Personal",
            Some(2) => "Private",
            Some(3) => "Confidential",
            _ => "Normal",
        }
    }

    fn integer(&self, id: u16) -> Option<i64> {
        self.message.tagged(id).and_then(PropValue::as_i64)
    }

    /// The read flag.
    pub fn is_read(&self) -> bool {
        self.integer(tag::MESSAGE_FLAGS).unwrap_or(0) & MSGFLAG_READ != 0
    }

    /// Sets or clears the read flag.
    pub fn set_read(&mut self, read: bool) {
        let flags = self.integer(tag::MESSAGE_FLAGS).unwrap_or(0);
        let flags = if read {
            flags | MSGFLAG_READ
        } else {
            flags & !MSGFLAG_READ
        };
        self.message
            .set_tagged(tag::MESSAGE_FLAGS, PropValue::Long(flags as i32));
    }

    /// `Keywords`.
    pub fn categories(&self) -> Vec<String> {
        match self.message.get(&keywords()) {
            Some(PropValue::MvUnicode(values)) => values.clone(),
            _ => Vec::new(),
        }
    }

    /// `PidTagInternetMessageId`.
    pub fn internet_message_id(&self) -> Option<&str> {
        self.message.text(tag::INTERNET_MESSAGE_ID)
    }

    /// Who it is from: the sent-representing address, else the sender.
    pub fn from(&self) -> Option<Address> {
        SENT_REPRESENTING
            .read(&self.message.props)
            .or_else(|| SENDER.read(&self.message.props))
    }

    /// Who sent it (differs from `from` when sent on behalf of someone).
    pub fn sender(&self) -> Option<Address> {
        SENDER.read(&self.message.props)
    }

    /// The recipients of one type, as addresses.
    pub fn recipients(&self, recipient_type: RecipientType) -> Vec<Address> {
        self.message
            .recipients
            .iter()
            .filter(|recipient| recipient.recipient_type() == recipient_type)
            .map(|recipient| recipient.address())
            .collect()
    }

    /// `PidTagDisplayTo` as the store computes it: the To recipients' display names.
    pub fn display_to(&self) -> String {
        self.display_of(RecipientType::To)
    }

    /// `PidTagDisplayCc`.
    pub fn display_cc(&self) -> String {
        self.display_of(RecipientType::Cc)
    }

    fn display_of(&self, recipient_type: RecipientType) -> String {
        self.message
            .recipients
            .iter()
            .filter(|recipient| recipient.recipient_type() == recipient_type)
            .map(|recipient| recipient.display_name().to_string())
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Whether it has attachments a user sees.
    pub fn has_attachments(&self) -> bool {
        self.message
            .attachments
            .iter()
            .any(|attachment| !attachment.is_hidden())
    }

    /// The calendar view, for calendar items and meeting messages.
    pub fn appointment(&self) -> Option<AppointmentView> {
        let named = |id: u32| self.message.get(&appointment_key(id));
        let start = named(lid::APPOINTMENT_START_WHOLE)?.as_unix_time()?;
        let uid = self
            .message
            .get(&meeting_key(lid::GLOBAL_OBJECT_ID))
            .and_then(PropValue::as_blob)
            .map(|blob| hex::encode_upper(blob.to_bytes()))
            .unwrap_or_default();
        Some(AppointmentView {
            start,
            end: named(lid::APPOINTMENT_END_WHOLE)
                .and_then(PropValue::as_unix_time)
                .unwrap_or(start),
            location: named(lid::LOCATION)
                .and_then(PropValue::as_text)
                .unwrap_or("")
                .to_string(),
            is_recurring: named(lid::RECURRING)
                .and_then(PropValue::as_bool)
                .unwrap_or(false),
            is_all_day: named(lid::APPOINTMENT_SUB_TYPE)
                .and_then(PropValue::as_bool)
                .unwrap_or(false),
            uid,
        })
    }

    /// The contact view.
    pub fn contact(&self) -> ContactView {
        let text = |id: u16| self.message.text(id).unwrap_or("").to_string();
        ContactView {
            given_name: text(tag::GIVEN_NAME),
            surname: text(tag::SURNAME),
            company: text(tag::COMPANY_NAME),
            display_name: text(tag::DISPLAY_NAME),
            emails: contact_emails(&self.message),
        }
    }

    /// The task view.
    pub fn task(&self) -> TaskView {
        let named = |id: u32| self.message.get(&task_key(id));
        let status = match named(lid::TASK_STATUS).and_then(PropValue::as_i64) {
            Some(1) => "InProgress",
            Some(2) => "Completed",
            Some(3) => "WaitingOnOthers",
            Some(4) => "Deferred",
            _ => "NotStarted",
        };
        let percent = match named(lid::PERCENT_COMPLETE) {
            Some(PropValue::Double(fraction)) => (fraction * 100.0).round().clamp(0.0, 100.0) as u8,
            _ => 0,
        };
        let text = |id: u32| named(id).and_then(PropValue::as_text).map(str::to_string);
        TaskView {
            due: named(lid::TASK_DUE_DATE).and_then(PropValue::as_unix_time),
            status,
            percent_complete: percent,
            owner: text(lid::TASK_OWNER),
            delegator: text(lid::TASK_LAST_DELEGATE),
        }
    }

    /// An extended property in EWS form, if set.
    pub fn extended(&self, key: &PropertyKey) -> Option<ExtendedProperty> {
        let value = self.message.get(key)?;
        Some(ExtendedProperty {
            key: key.clone(),
            property_type: value.ews_type().to_string(),
            values: value.ews_values(),
        })
    }

    /// The item's size as EWS reports it.
    pub fn size(&self) -> u64 {
        self.message.size()
    }

    /// The element name EWS uses for this item in replies.
    pub fn element_name(&self) -> &'static str {
        element_for_class(self.item_class())
    }

    /// The SHA-256 digest of every property a faithful migration must carry over: the message's
    /// properties, its recipient table and its attachments, embedded messages included. Not
    /// covered: what the store assigns itself (ids, change keys, sizes, creation and modification
    /// times, display caches) and Ferry's migration stamp.
    pub fn digest(&self) -> [u8; 32] {
        *self.digest.get_or_init(|| {
            let mut hasher = Sha256::new();
            self.message.hash_into(&mut hasher, &|_| false);
            hasher.finalize().into()
        })
    }

    /// The digest of everything but the address properties (senders, recipients, contact and
    /// task addresses): what a migration that maps addresses must leave unchanged.
    pub fn digest_without_addresses(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        self.message.hash_into(&mut hasher, &is_address_property);
        hasher.finalize().into()
    }

    /// Marks the item as changed at `change` and forgets the cached digest.
    pub fn touch(&mut self, change: u64, now: i64) {
        self.last_change = change;
        self.modified = now;
        self.digest = OnceLock::new();
    }
}

/// The reply element for an item class, as Exchange chooses it.
pub fn element_for_class(item_class: &str) -> &'static str {
    let class = item_class.to_ascii_lowercase();
    if class.starts_with("ipm.appointment") {
        "t:CalendarItem"
    } else if class.starts_with("ipm.contact") || class.starts_with("ipm.distlist") {
        "t:Contact"
    } else if class.starts_with("ipm.task") {
        "t:Task"
    } else if class.starts_with("ipm.schedule.meeting.resp") {
        "t:MeetingResponse"
    } else if class.starts_with("ipm.post") {
        "t:PostItem"
    } else if class.starts_with("ipm.note") || class.starts_with("ipm.schedule") || class == "ipm" {
        "t:Message"
    } else {
        "t:Item"
    }
}

/// The class an item gets when a client creates it through an element without `ItemClass`.
pub fn default_class_for_element(element: &str) -> Option<&'static str> {
    Some(match element {
        "Message" => "IPM.Note",
        "CalendarItem" => "IPM.Appointment",
        "Contact" => "IPM.Contact",
        "Task" => "IPM.Task",
        "PostItem" => "IPM.Post",
        "MeetingResponse" => "IPM.Schedule.Meeting.Resp.Pos",
        "Item" => "IPM",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::address::recipient;

    fn item() -> Item {
        let mut message = Message::default();
        message.set_tagged(tag::MESSAGE_CLASS, PropValue::text("IPM.Note"));
        message.set_tagged(tag::SUBJECT, PropValue::text("Hello"));
        message.set_tagged(
            tag::MESSAGE_DELIVERY_TIME,
            PropValue::unix_time(1_600_000_000),
        );
        message.set_tagged(tag::INTERNET_MESSAGE_ID, PropValue::text("<a@b>"));
        SENT_REPRESENTING.write(&mut message.props, &Address::smtp("Ann", "ann@contoso.com"));
        message.recipients.push(recipient(
            &Address::smtp("Bob", "bob@example.org"),
            RecipientType::To,
            0,
        ));
        Item::new(2, message, 1_600_000_100)
    }

    #[test]
    fn reads_its_properties() {
        let mut item = item();
        assert_eq!(item.item_class(), "IPM.Note");
        assert_eq!(item.received(), 1_600_000_000);
        assert_eq!(item.sent(), 1_600_000_000);
        assert_eq!(item.display_to(), "Bob");
        assert_eq!(
            item.from().map(|from| from.email),
            Some("ann@contoso.com".into())
        );
        assert!(!item.is_read());
        item.set_read(true);
        assert!(item.is_read());
        assert_eq!(item.element_name(), "t:Message");
    }

    #[test]
    fn digest_ignores_the_copy_but_not_content_and_can_ignore_addresses() {
        let original = item();
        let mut copy = item();
        copy.seq = 77;
        copy.created = 1_700_000_000;
        assert_eq!(original.digest(), copy.digest());
        let mut mapped = item();
        SENT_REPRESENTING.write(
            &mut mapped.message.props,
            &Address::smtp("Ann", "ann@fabrikam.com"),
        );
        assert_ne!(original.digest(), mapped.digest());
        assert_eq!(
            original.digest_without_addresses(),
            mapped.digest_without_addresses()
        );
        let mut changed = item();
        changed
            .message
            .set_tagged(tag::SUBJECT, PropValue::text("Hi"));
        assert_ne!(
            original.digest_without_addresses(),
            changed.digest_without_addresses()
        );
    }

    #[test]
    fn classes_map_to_elements() {
        assert_eq!(element_for_class("IPM.Note.SMIME"), "t:Message");
        assert_eq!(
            element_for_class("IPM.Schedule.Meeting.Resp.Neg"),
            "t:MeetingResponse"
        );
        assert_eq!(element_for_class("IPM.StickyNote"), "t:Item");
        assert_eq!(element_for_class("IPM.Activity"), "t:Item");
        assert_eq!(element_for_class("IPM.Post"), "t:PostItem");
    }
}
