//! Item generators, one per item class, each producing a complete `Item` with MIME content.

use std::sync::OnceLock;

use bytes::Bytes;
use rand::seq::IndexedRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};

use super::content::{self, envelope_headers, Appointment, AttachmentBlob};
use super::corpus::Corpus;
use super::names;
use crate::model::props::distinguished_set;
use crate::model::{ExtendedProperty, Item, ItemDetails, Person, PropertyKey};

/// What every generator needs besides its random source.
pub struct ItemFactory<'a> {
    /// Corpus for mail and posts.
    pub corpus: &'a Corpus,
    /// Shared attachment content.
    pub blob: &'a AttachmentBlob,
    /// The mailbox owner.
    pub owner: &'a Person,
    /// Other people in the tenant.
    pub colleagues: &'a [Person],
}

/// The properties every generated item shares before its class-specific ones.
pub struct Common {
    /// Folder number.
    pub folder: u64,
    /// Received time.
    pub received: i64,
    /// Message-ID to use.
    pub message_id: String,
}

impl ItemFactory<'_> {
    /// Someone to correspond with: usually a colleague, sometimes an outsider.
    pub fn correspondent(&self, rng: &mut ChaCha8Rng) -> Person {
        if !self.colleagues.is_empty() && rng.random_bool(0.7) {
            return self.colleagues.choose(rng).cloned().unwrap_or_default();
        }
        let given = names::GIVEN_NAMES.choose(rng).copied().unwrap_or("Alex");
        let surname = names::SURNAMES.choose(rng).copied().unwrap_or("Doe");
        let domain = names::EXTERNAL_DOMAINS
            .choose(rng)
            .copied()
            .unwrap_or("example.org");
        Person {
            name: format!("{given} {surname}"),
            address: format!(
                "{}@{domain}",
                super::ascii_local_part(given, surname, rng.random_range(0..1000))
            ),
        }
    }

    /// Mail (`IPM.Note`) from the corpus, sent or received, optionally with an attachment.
    pub fn mail(
        &self,
        rng: &mut ChaCha8Rng,
        common: Common,
        sent_by_owner: bool,
        attachment_bytes: Option<u64>,
    ) -> Item {
        let message = self
            .corpus
            .messages
            .choose(rng)
            .expect("the corpus always has messages");
        let other = self.correspondent(rng);
        let (from, to) = if sent_by_owner {
            (self.owner.clone(), other)
        } else {
            (other, self.owner.clone())
        };
        let sent = common.received - rng.random_range(5..600);
        let envelope = envelope_headers(&common.message_id, sent, &from, &to);
        let attachment =
            attachment_bytes.map(|bytes| (attachment_name(rng), self.blob.encoded(bytes)));
        let has_attachment = attachment.is_some();
        let boundary = format!("ferry-{:016x}", rng.random::<u64>());
        let content = content::mail(
            &envelope,
            message,
            attachment
                .as_ref()
                .map(|(name, parts)| (name.as_str(), parts.clone())),
            &boundary,
        );
        let mut item = base_item(common, "IPM.Note", message.subject.clone(), sent, content);
        item.from = Some(from);
        item.display_to = to.name;
        item.has_attachments = message.has_attachments || has_attachment;
        decorate(rng, &mut item);
        item
    }

    /// A post (`IPM.Post`) in a discussion folder.
    pub fn post(&self, rng: &mut ChaCha8Rng, common: Common) -> Item {
        let mut item = self.mail(rng, common, false, None);
        item.item_class = "IPM.Post".into();
        item
    }

    /// An appointment (`IPM.Appointment`), sometimes recurring or all-day.
    pub fn appointment(&self, rng: &mut ChaCha8Rng, common: Common) -> Item {
        let subject = names::MEETINGS.choose(rng).copied().unwrap_or("Meeting");
        let location = names::PLACES.choose(rng).copied().unwrap_or("");
        let is_all_day = rng.random_bool(0.05);
        let start = if is_all_day {
            common.received - common.received.rem_euclid(86_400) + 86_400
        } else {
            common.received - common.received.rem_euclid(1800) + 86_400 * rng.random_range(1..14)
        };
        let end = if is_all_day {
            start + 86_400
        } else {
            start + 1800 * rng.random_range(1..=4)
        };
        let recurrence = rng
            .random_bool(0.2)
            .then(|| format!("FREQ=WEEKLY;COUNT={}", rng.random_range(4..52)));
        let uid = format!(
            "040000008200E00074C5B7101A82E008{:032X}",
            rng.random::<u128>()
        );
        let organizer = if rng.random_bool(0.6) {
            self.owner.clone()
        } else {
            self.correspondent(rng)
        };
        let envelope =
            envelope_headers(&common.message_id, common.received, &organizer, self.owner);
        let content = content::calendar(
            &envelope,
            &Appointment {
                uid: &uid,
                subject,
                start,
                end,
                location,
                recurrence: recurrence.as_deref(),
                organizer: &organizer,
            },
            None,
        );
        let mut item = base_item(common, "IPM.Appointment", subject.to_string(), 0, content);
        item.sent = item.received;
        item.from = Some(organizer);
        item.details = ItemDetails::Appointment {
            start,
            end,
            location: location.to_string(),
            is_recurring: recurrence.is_some(),
            is_all_day,
            uid,
        };
        item.is_read = true;
        item
    }

    /// A reply to a meeting request (`IPM.Schedule.Meeting.Resp.Pos`/`Neg`/`Tent`).
    pub fn meeting_response(&self, rng: &mut ChaCha8Rng, common: Common) -> Item {
        let (class, prefix, status) = *[
            ("IPM.Schedule.Meeting.Resp.Pos", "Accepted", "ACCEPTED"),
            ("IPM.Schedule.Meeting.Resp.Neg", "Declined", "DECLINED"),
            ("IPM.Schedule.Meeting.Resp.Tent", "Tentative", "TENTATIVE"),
        ]
        .choose(rng)
        .expect("non-empty");
        let meeting = names::MEETINGS.choose(rng).copied().unwrap_or("Meeting");
        let subject = format!("{prefix}: {meeting}");
        let attendee = self.correspondent(rng);
        let start = common.received + 86_400;
        let envelope = envelope_headers(&common.message_id, common.received, &attendee, self.owner);
        let uid = format!(
            "040000008200E00074C5B7101A82E008{:032X}",
            rng.random::<u128>()
        );
        let content = content::calendar(
            &envelope,
            &Appointment {
                uid: &uid,
                subject: &subject,
                start,
                end: start + 3600,
                location: "",
                recurrence: None,
                organizer: &attendee,
            },
            Some(status),
        );
        let mut item = base_item(common, class, subject, 0, content);
        item.sent = item.received;
        item.from = Some(attendee);
        item.display_to = self.owner.name.clone();
        item
    }

    /// A contact (`IPM.Contact`) as a vCard.
    pub fn contact(&self, rng: &mut ChaCha8Rng, common: Common) -> Item {
        let given = names::GIVEN_NAMES.choose(rng).copied().unwrap_or("Alex");
        let surname = names::SURNAMES.choose(rng).copied().unwrap_or("Doe");
        let company = names::COMPANIES.choose(rng).copied().unwrap_or("");
        let email = format!(
            "{}@{}.example",
            super::ascii_local_part(given, surname, rng.random_range(0..1000)),
            company.to_lowercase().replace(' ', "")
        );
        let phone = format!(
            "+41 44 {:03} {:02} {:02}",
            rng.random_range(100..999),
            rng.random_range(10..99),
            rng.random_range(10..99)
        );
        let content = content::vcard(given, surname, company, &email, &phone);
        let mut item = base_item(
            common,
            "IPM.Contact",
            format!("{given} {surname}"),
            0,
            content,
        );
        item.sent = item.received;
        item.internet_message_id = None;
        item.is_read = true;
        item.details = ItemDetails::Contact {
            given_name: given.into(),
            surname: surname.into(),
            company: company.into(),
            email,
        };
        item
    }

    /// A task (`IPM.Task`).
    pub fn task(&self, rng: &mut ChaCha8Rng, common: Common) -> Item {
        let subject = names::TASKS.choose(rng).copied().unwrap_or("Task");
        let (status, percent) = *[
            ("NotStarted", 0u8),
            ("InProgress", 50),
            ("Completed", 100),
            ("WaitingOnOthers", 25),
            ("Deferred", 0),
        ]
        .choose(rng)
        .expect("non-empty");
        let due = rng
            .random_bool(0.8)
            .then(|| common.received + 86_400 * rng.random_range(1..30));
        let envelope =
            envelope_headers(&common.message_id, common.received, self.owner, self.owner);
        let content = content::plain(&envelope, subject, "Task notes.");
        let mut item = base_item(common, "IPM.Task", subject.to_string(), 0, content);
        item.sent = item.received;
        item.is_read = true;
        item.details = ItemDetails::Task {
            due,
            status: status.into(),
            percent_complete: percent,
        };
        item
    }

    /// A sticky note (`IPM.StickyNote`) or a journal entry (`IPM.Activity`).
    pub fn note_or_journal(&self, rng: &mut ChaCha8Rng, common: Common, journal: bool) -> Item {
        let (class, subject, text) = if journal {
            let other = self.correspondent(rng);
            (
                "IPM.Activity",
                format!("Phone call with {}", other.name),
                format!("Called {} about the renewal.", other.name),
            )
        } else {
            let note = names::NOTES.choose(rng).copied().unwrap_or("Note");
            ("IPM.StickyNote", note.to_string(), note.to_string())
        };
        let envelope =
            envelope_headers(&common.message_id, common.received, self.owner, self.owner);
        let content = content::plain(&envelope, &subject, &text);
        let mut item = base_item(common, class, subject, 0, content);
        item.sent = item.received;
        item.is_read = true;
        item
    }
}

/// An item with the common properties set and the content given.
fn base_item(
    common: Common,
    item_class: &str,
    subject: String,
    sent: i64,
    content: Vec<Bytes>,
) -> Item {
    Item {
        seq: 0,
        folder: common.folder,
        item_class: item_class.to_string(),
        subject,
        received: common.received,
        sent,
        created: common.received,
        modified: common.received,
        importance: "Normal".into(),
        sensitivity: "Normal".into(),
        is_read: false,
        categories: Vec::new(),
        internet_message_id: Some(common.message_id),
        from: None,
        display_to: String::new(),
        has_attachments: false,
        details: ItemDetails::Plain,
        content,
        extended: Vec::new(),
        created_change: 0,
        last_change: 0,
        digest: OnceLock::new(),
    }
}

/// Read flags, importance, categories and (rarely) custom extended properties, as real mail has.
fn decorate(rng: &mut ChaCha8Rng, item: &mut Item) {
    item.is_read = rng.random_bool(0.8);
    item.importance = match rng.random_range(0..100) {
        0..=6 => "High",
        7..=9 => "Low",
        _ => "Normal",
    }
    .into();
    if rng.random_bool(0.08) {
        let category = ["Red category", "Blue category", "Projects", "Follow up"]
            .choose(rng)
            .copied()
            .unwrap_or("Projects");
        item.categories.push(category.into());
    }
    if rng.random_bool(0.03) {
        item.extended.push(ExtendedProperty {
            key: PropertyKey::NamedString {
                set: distinguished_set("PublicStrings").unwrap_or_default(),
                name: "X-Contoso-Ticket".into(),
            },
            property_type: "String".into(),
            values: vec![format!("TCK-{}", rng.random_range(1000..99999))],
        });
    }
}

/// A plausible attachment file name.
fn attachment_name(rng: &mut ChaCha8Rng) -> String {
    let stem = [
        "report",
        "scan",
        "invoice",
        "photo",
        "Präsentation",
        "contrat",
    ]
    .choose(rng)
    .copied()
    .unwrap_or("file");
    let extension = ["pdf", "docx", "xlsx", "jpg", "zip"]
        .choose(rng)
        .copied()
        .unwrap_or("bin");
    format!("{stem}-{}.{extension}", rng.random_range(1..999))
}

/// The size of an ordinary attachment: log-normal around 60 KB, at most 3.5 MB.
pub fn ordinary_attachment_bytes(rng: &mut ChaCha8Rng) -> u64 {
    let distribution = LogNormal::new((60.0f64 * 1024.0).ln(), 1.3).expect("valid parameters");
    (distribution.sample(rng) as u64).clamp(1024, 3_500_000)
}
