//! Items: the properties EWS exposes, their MIME content, and the content digest tests compare.

use std::sync::OnceLock;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::props::ExtendedProperty;

/// A person as an item names them (sender, organizer...).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Person {
    /// Display name.
    pub name: String,
    /// SMTP address.
    pub address: String,
}

/// Properties only some item classes have.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ItemDetails {
    /// Nothing beyond the common properties.
    #[default]
    Plain,
    /// A calendar item (`IPM.Appointment`), single or recurring.
    Appointment {
        /// Start, seconds since the Unix epoch.
        start: i64,
        /// End, seconds since the Unix epoch.
        end: i64,
        /// Location text.
        location: String,
        /// Whether the item carries a recurrence pattern.
        is_recurring: bool,
        /// Whether it is an all-day event.
        is_all_day: bool,
        /// The iCalendar UID.
        uid: String,
    },
    /// A contact (`IPM.Contact`).
    Contact {
        /// Given name.
        given_name: String,
        /// Surname.
        surname: String,
        /// Company.
        company: String,
        /// Primary e-mail address.
        email: String,
    },
    /// A task (`IPM.Task`).
    Task {
        /// Due date, seconds since the Unix epoch.
        due: Option<i64>,
        /// `NotStarted`, `InProgress`, `Completed`, `WaitingOnOthers` or `Deferred`.
        status: String,
        /// 0 to 100.
        percent_complete: u8,
    },
}

/// An item and everything the simulator knows about it.
#[derive(Debug, Clone)]
pub struct Item {
    /// The item's number inside its mailbox.
    pub seq: u64,
    /// The folder holding it.
    pub folder: u64,
    /// `ItemClass` (`IPM.Note`, `IPM.Appointment`, `IPM.Schedule.Meeting.Resp.Pos`...).
    pub item_class: String,
    /// Subject.
    pub subject: String,
    /// Received time, seconds since the Unix epoch.
    pub received: i64,
    /// Sent time.
    pub sent: i64,
    /// Creation time in this mailbox.
    pub created: i64,
    /// Last modification time in this mailbox.
    pub modified: i64,
    /// `Low`, `Normal` or `High`.
    pub importance: String,
    /// `Normal`, `Personal`, `Private` or `Confidential`.
    pub sensitivity: String,
    /// Read flag.
    pub is_read: bool,
    /// Categories (colour labels).
    pub categories: Vec<String>,
    /// The `Message-ID` header, for messages and posts.
    pub internet_message_id: Option<String>,
    /// The sender.
    pub from: Option<Person>,
    /// The `To` line as a display string.
    pub display_to: String,
    /// Whether the MIME content has attachments.
    pub has_attachments: bool,
    /// Class-specific properties.
    pub details: ItemDetails,
    /// The item's MIME content (RFC 5322, or vCard for contacts), as shared segments.
    pub content: Vec<Bytes>,
    /// Extended MAPI properties set on the item.
    pub extended: Vec<ExtendedProperty>,
    /// The change number at which the item entered its folder.
    pub created_change: u64,
    /// The change number of the item's last change.
    pub last_change: u64,
    /// Lazily computed content digest; reset whenever the item changes.
    pub digest: OnceLock<[u8; 32]>,
}

impl Item {
    /// The item's size as EWS reports it: its content plus a fixed property overhead.
    pub fn size(&self) -> u64 {
        self.content_len() + 512
    }

    /// The length of the MIME content.
    pub fn content_len(&self) -> u64 {
        self.content.iter().map(|part| part.len() as u64).sum()
    }

    /// The element name EWS uses for this item in replies.
    pub fn element_name(&self) -> &'static str {
        element_for_class(&self.item_class)
    }

    /// The SHA-256 digest of everything a faithful migration must carry over.
    ///
    /// Covers the class, subject, dates received and sent, flags, categories, Message-ID, class
    /// details and the content. Not covered: ids, creation and modification times (a copy is new
    /// in its mailbox) and extended properties, which the admin API lists separately because a
    /// migration adds its own.
    pub fn digest(&self) -> [u8; 32] {
        *self.digest.get_or_init(|| {
            let mut hasher = Sha256::new();
            let mut field = |bytes: &[u8]| {
                hasher.update((bytes.len() as u64).to_le_bytes());
                hasher.update(bytes);
            };
            field(self.item_class.as_bytes());
            field(self.subject.as_bytes());
            field(&self.received.to_le_bytes());
            field(&self.sent.to_le_bytes());
            field(self.importance.as_bytes());
            field(self.sensitivity.as_bytes());
            field(&[u8::from(self.is_read)]);
            field(self.categories.join("\u{1f}").as_bytes());
            field(self.internet_message_id.as_deref().unwrap_or("").as_bytes());
            field(format!("{:?}", self.details).as_bytes());
            let mut content = Sha256::new();
            for part in &self.content {
                content.update(part);
            }
            field(&content.finalize());
            hasher.finalize().into()
        })
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

    fn item() -> Item {
        Item {
            seq: 1,
            folder: 2,
            item_class: "IPM.Note".into(),
            subject: "Hello".into(),
            received: 1_600_000_000,
            sent: 1_600_000_000,
            created: 1_600_000_000,
            modified: 1_600_000_000,
            importance: "Normal".into(),
            sensitivity: "Normal".into(),
            is_read: false,
            categories: vec![],
            internet_message_id: Some("<a@b>".into()),
            from: None,
            display_to: String::new(),
            has_attachments: false,
            details: ItemDetails::Plain,
            content: vec![Bytes::from_static(b"Subject: Hello\r\n\r\nhi")],
            extended: vec![],
            created_change: 1,
            last_change: 1,
            digest: OnceLock::new(),
        }
    }

    #[test]
    fn digest_ignores_ids_and_times_of_the_copy_but_not_content() {
        let original = item();
        let mut copy = item();
        copy.seq = 77;
        copy.created = 1_700_000_000;
        assert_eq!(original.digest(), copy.digest());
        let mut changed = item();
        changed.content = vec![Bytes::from_static(b"Subject: Hello\r\n\r\nho")];
        assert_ne!(original.digest(), changed.digest());
        let mut split = item();
        split.content = vec![
            Bytes::from_static(b"Subject: Hello\r\n"),
            Bytes::from_static(b"\r\nhi"),
        ];
        assert_eq!(
            original.digest(),
            split.digest(),
            "segmentation is not content"
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
