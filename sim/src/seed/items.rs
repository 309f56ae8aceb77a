//! Item generators, one per item class, each producing a complete store model: properties,
//! recipients with the address shapes real tenants hold, attachments and embedded messages.

use rand::seq::IndexedRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};

use super::content::{outsider, AttachmentBlob, Colleague};
use super::corpus::Corpus;
use super::names;
use crate::mime::calendar::global_object_id;
use crate::model::address::{set_contact_email, Address};
use crate::model::props::distinguished_set;
use crate::model::recurrence::{Exception, Pattern};
use crate::model::tags::{appointment_key, lid, meeting_key, tag, task_key};
use crate::model::{Item, Message, PropValue, PropertyKey, RecipientType};

/// `MSGFLAG_READ`, `MSGFLAG_UNSENT`, `MSGFLAG_FROMME`.
const READ: i32 = 0x1;
const UNSENT: i32 = 0x8;
const FROM_ME: i32 = 0x20;

/// What every generator needs besides its random source.
pub struct ItemFactory<'a> {
    /// Corpus for mail and posts.
    pub corpus: &'a Corpus,
    /// Shared attachment content.
    pub blob: &'a AttachmentBlob,
    /// The mailbox owner.
    pub owner: &'a Colleague,
    /// Other people in the tenant.
    pub colleagues: &'a [Colleague],
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
    pub fn correspondent(&self, rng: &mut ChaCha8Rng) -> Address {
        if !self.colleagues.is_empty() && rng.random_bool(0.7) {
            if let Some(colleague) = self.colleagues.choose(rng) {
                return colleague.address(rng);
            }
        }
        self.outsider(rng)
    }

    fn outsider(&self, rng: &mut ChaCha8Rng) -> Address {
        let given = names::GIVEN_NAMES.choose(rng).copied().unwrap_or("Alex");
        let surname = names::SURNAMES.choose(rng).copied().unwrap_or("Doe");
        outsider(rng, given, surname, names::EXTERNAL_DOMAINS)
    }

    /// The owner as their own store names them.
    fn me(&self) -> Address {
        self.owner.exchange_address()
    }

    /// Mail (`IPM.Note`) from the corpus, sent or received, optionally with an attachment.
    pub fn mail(
        &self,
        rng: &mut ChaCha8Rng,
        common: Common,
        sent_by_owner: bool,
        attachment_bytes: Option<u64>,
    ) -> Item {
        let corpus = self
            .corpus
            .messages
            .choose(rng)
            .expect("the corpus always has messages");
        let mut message = corpus.template.clone();
        let sent = common.received - rng.random_range(5..600);
        address_mail(self, rng, &mut message, sent_by_owner);
        message.set_times(common.received, sent);
        message.set_tagged(
            tag::INTERNET_MESSAGE_ID,
            PropValue::text(&common.message_id),
        );
        if let Some(bytes) = attachment_bytes {
            let name = attachment_name(rng);
            let mime_type = mime_type_of(&name);
            message.add_file_attachment(&name, mime_type, self.blob.data(bytes));
        }
        if rng.random_bool(0.03) {
            // A message forwarded as an attachment.
            let inner = self
                .corpus
                .messages
                .choose(rng)
                .map(|inner| inner.template.clone());
            if let Some(mut inner) = inner {
                address_mail(self, rng, &mut inner, false);
                inner.set_times(common.received - 86_400, common.received - 86_400);
                let name = inner.text(tag::SUBJECT).unwrap_or("").to_string();
                message.add_embedded(&name, inner);
            }
        }
        let flags = if sent_by_owner { FROM_ME | READ } else { 0 };
        message.set_tagged(tag::MESSAGE_FLAGS, PropValue::Long(flags));
        decorate(rng, &mut message, sent_by_owner);
        Item::new(common.folder, message, common.received)
    }

    /// A post (`IPM.Post`) in a discussion folder.
    pub fn post(&self, rng: &mut ChaCha8Rng, common: Common) -> Item {
        let mut item = self.mail(rng, common, false, None);
        item.message
            .set_tagged(tag::MESSAGE_CLASS, PropValue::text("IPM.Post"));
        item.message.recipients.clear();
        item
    }

    /// A calendar item (`IPM.Appointment`): a meeting with organiser and attendees, sometimes
    /// a recurring series with deleted and modified occurrences, sometimes all day.
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
        let organised_by_owner = rng.random_bool(0.6);
        let organizer = if organised_by_owner {
            self.me()
        } else {
            self.correspondent(rng)
        };
        let mut message = Message::of_class("IPM.Appointment");
        message.set_subject(subject);
        message.set_times(common.received, common.received);
        message.set_from(&organizer);
        message.set_tagged(tag::MESSAGE_FLAGS, PropValue::Long(READ));
        message.set_body_text(&format!("{subject}\r\n\r\nAgenda to follow."));
        message.set(
            appointment_key(lid::APPOINTMENT_START_WHOLE),
            PropValue::unix_time(start),
        );
        message.set(
            appointment_key(lid::APPOINTMENT_END_WHOLE),
            PropValue::unix_time(end),
        );
        message.set(appointment_key(lid::LOCATION), PropValue::text(location));
        message.set(
            appointment_key(lid::APPOINTMENT_SUB_TYPE),
            PropValue::Boolean(is_all_day),
        );
        message.set(appointment_key(lid::BUSY_STATUS), PropValue::Long(2));
        let uid = format!(
            "040000008200E00074C5B7101A82E008{:032X}",
            rng.random::<u128>()
        );
        let object_id = global_object_id(&uid);
        for id in [lid::GLOBAL_OBJECT_ID, lid::CLEAN_GLOBAL_OBJECT_ID] {
            message.set(meeting_key(id), PropValue::binary(object_id.clone()));
        }
        let is_meeting = rng.random_bool(0.7);
        if is_meeting {
            let organizer_row = message.add_recipient(&organizer, RecipientType::To);
            organizer_row.insert(PropertyKey::Tag(tag::RECIPIENT_FLAGS), PropValue::Long(0x3));
            organizer_row.insert(
                PropertyKey::Tag(tag::RECIPIENT_TRACK_STATUS),
                PropValue::Long(1),
            );
            for _ in 0..rng.random_range(1..=4) {
                self.add_attendee(rng, &mut message, RecipientType::To);
            }
            for _ in 0..rng.random_range(0..=2) {
                self.add_attendee(rng, &mut message, RecipientType::Cc);
            }
            if !organised_by_owner {
                // The owner is invited: they appear among the attendees.
                let me = self.me();
                let row = message.add_recipient(&me, RecipientType::To);
                row.insert(PropertyKey::Tag(tag::RECIPIENT_FLAGS), PropValue::Long(0x1));
            }
            let state = if organised_by_owner { 0x1 } else { 0x3 };
            message.set(
                appointment_key(lid::APPOINTMENT_STATE_FLAGS),
                PropValue::Long(state),
            );
            message.set(
                appointment_key(lid::RESPONSE_STATUS),
                PropValue::Long(if organised_by_owner { 1 } else { 3 }),
            );
        }
        let recurring = rng.random_bool(0.2);
        message.set(
            appointment_key(lid::RECURRING),
            PropValue::Boolean(recurring),
        );
        if recurring {
            self.make_series(rng, &mut message, start, end, subject);
        }
        Item::new(common.folder, message, common.received)
    }

    fn add_attendee(
        &self,
        rng: &mut ChaCha8Rng,
        message: &mut Message,
        recipient_type: RecipientType,
    ) {
        let attendee = self.correspondent(rng);
        let status = *[0, 2, 3, 3, 3, 4, 5].choose(rng).unwrap_or(&0);
        let row = message.add_recipient(&attendee, recipient_type);
        row.insert(PropertyKey::Tag(tag::RECIPIENT_FLAGS), PropValue::Long(0x1));
        row.insert(
            PropertyKey::Tag(tag::RECIPIENT_TRACK_STATUS),
            PropValue::Long(status),
        );
    }

    /// Turns a calendar item into a weekly series: its pattern, some deleted occurrences, and
    /// modified ones kept as hidden exception attachments holding embedded messages.
    fn make_series(
        &self,
        rng: &mut ChaCha8Rng,
        message: &mut Message,
        start: i64,
        end: i64,
        subject: &str,
    ) {
        let week = 7 * 86_400;
        let occurrences = rng.random_range(4..52u32);
        let weekday = (start.div_euclid(86_400) + 4).rem_euclid(7) as u32; // 1970-01-01 was a Thursday
        let mut pattern = Pattern {
            weekly: true,
            interval: 1,
            days_of_week: 1 << weekday,
            occurrences,
            first_start: start,
            duration: end - start,
            deleted: Vec::new(),
            exceptions: Vec::new(),
        };
        let mut used = std::collections::HashSet::new();
        for _ in 0..rng.random_range(0..=2) {
            let index = rng.random_range(1..occurrences);
            if used.insert(index) {
                pattern.deleted.push(start + week * i64::from(index));
            }
        }
        for _ in 0..rng.random_range(0..=2) {
            let index = rng.random_range(1..occurrences);
            if !used.insert(index) {
                continue;
            }
            let original_start = start + week * i64::from(index);
            let exception = Exception {
                start: original_start + 3600,
                end: original_start + 3600 + (end - start),
                original_start,
                subject: Some(format!("{subject} (moved)")),
                location: rng
                    .random_bool(0.5)
                    .then(|| names::PLACES.choose(rng).copied().unwrap_or("").to_string()),
            };
            self.add_exception(rng, message, &exception);
            pattern.exceptions.push(exception);
        }
        message.set(
            appointment_key(lid::APPOINTMENT_RECUR),
            PropValue::binary(pattern.encode()),
        );
    }

    fn add_exception(&self, rng: &mut ChaCha8Rng, series: &mut Message, exception: &Exception) {
        let mut occurrence =
            Message::of_class("IPM.OLE.CLASS.{00061055-0000-0000-C000-000000000046}");
        if let Some(subject) = &exception.subject {
            occurrence.set_subject(subject);
        }
        occurrence.set(
            appointment_key(lid::APPOINTMENT_START_WHOLE),
            PropValue::unix_time(exception.start),
        );
        occurrence.set(
            appointment_key(lid::APPOINTMENT_END_WHOLE),
            PropValue::unix_time(exception.end),
        );
        // The occurrence this one replaces.
        occurrence.set(
            appointment_key(lid::EXCEPTION_REPLACE_TIME),
            PropValue::unix_time(exception.original_start),
        );
        if let Some(location) = &exception.location {
            occurrence.set(appointment_key(lid::LOCATION), PropValue::text(location));
        }
        for recipient in &series.recipients {
            occurrence.recipients.push(recipient.clone());
        }
        if rng.random_bool(0.5) {
            self.add_attendee(rng, &mut occurrence, RecipientType::Cc);
        }
        let name = exception.subject.clone().unwrap_or_default();
        let attachment = series.add_embedded(&name, occurrence);
        let mut set = |id: u16, value: PropValue| {
            attachment.props.insert(PropertyKey::Tag(id), value);
        };
        set(tag::ATTACHMENT_HIDDEN, PropValue::Boolean(true));
        set(tag::ATTACHMENT_FLAGS, PropValue::Long(0x2));
        set(
            tag::EXCEPTION_START_TIME,
            PropValue::unix_time(exception.start),
        );
        set(tag::EXCEPTION_END_TIME, PropValue::unix_time(exception.end));
    }

    /// A reply to a meeting request (`IPM.Schedule.Meeting.Resp.Pos`/`Neg`/`Tent`).
    pub fn meeting_response(&self, rng: &mut ChaCha8Rng, common: Common) -> Item {
        let (class, prefix) = *[
            ("IPM.Schedule.Meeting.Resp.Pos", "Accepted"),
            ("IPM.Schedule.Meeting.Resp.Neg", "Declined"),
            ("IPM.Schedule.Meeting.Resp.Tent", "Tentative"),
        ]
        .choose(rng)
        .expect("non-empty");
        let meeting = names::MEETINGS.choose(rng).copied().unwrap_or("Meeting");
        let attendee = self.correspondent(rng);
        let start = common.received + 86_400;
        let mut message = Message::of_class(class);
        message.set_subject(&format!("{prefix}: {meeting}"));
        message.set_times(common.received, common.received);
        message.set_from(&attendee);
        message.set_received_by(&self.me());
        message.add_recipient(&self.me(), RecipientType::To);
        message.set_tagged(
            tag::INTERNET_MESSAGE_ID,
            PropValue::text(&common.message_id),
        );
        message.set(
            appointment_key(lid::APPOINTMENT_START_WHOLE),
            PropValue::unix_time(start),
        );
        message.set(
            appointment_key(lid::APPOINTMENT_END_WHOLE),
            PropValue::unix_time(start + 3600),
        );
        let uid = format!(
            "040000008200E00074C5B7101A82E008{:032X}",
            rng.random::<u128>()
        );
        message.set(
            meeting_key(lid::GLOBAL_OBJECT_ID),
            PropValue::binary(global_object_id(&uid)),
        );
        Item::new(common.folder, message, common.received)
    }

    /// A contact (`IPM.Contact`) with one to three e-mail addresses: a colleague's `EX`
    /// address, personal and outside SMTP addresses.
    pub fn contact(&self, rng: &mut ChaCha8Rng, common: Common) -> Item {
        let colleague = (!self.colleagues.is_empty() && rng.random_bool(0.4))
            .then(|| self.colleagues.choose(rng).cloned())
            .flatten();
        let given = names::GIVEN_NAMES.choose(rng).copied().unwrap_or("Alex");
        let surname = names::SURNAMES.choose(rng).copied().unwrap_or("Doe");
        let company = names::COMPANIES.choose(rng).copied().unwrap_or("");
        let full_name = colleague
            .as_ref()
            .map(|colleague| colleague.name.clone())
            .unwrap_or_else(|| format!("{given} {surname}"));
        let mut message = Message::of_class("IPM.Contact");
        message.set_subject(&full_name);
        message.set_times(common.received, common.received);
        message.set_tagged(tag::MESSAGE_FLAGS, PropValue::Long(READ));
        message.set_tagged(tag::DISPLAY_NAME, PropValue::text(&full_name));
        let (first, last) = full_name.split_once(' ').unwrap_or((&full_name, ""));
        message.set_tagged(tag::GIVEN_NAME, PropValue::text(first));
        message.set_tagged(tag::SURNAME, PropValue::text(last));
        message.set_tagged(tag::COMPANY_NAME, PropValue::text(company));
        message.set_tagged(
            tag::BUSINESS_TELEPHONE_NUMBER,
            PropValue::text(format!(
                "+41 44 {:03} {:02} {:02}",
                rng.random_range(100..999),
                rng.random_range(10..99),
                rng.random_range(10..99)
            )),
        );
        let mut emails = Vec::new();
        if let Some(colleague) = &colleague {
            emails.push(Address::exchange(
                &full_name,
                &colleague.legacy_dn,
                Some(&colleague.smtp),
            ));
        }
        let local = super::ascii_local_part(first, last, rng.random_range(0..1000));
        emails.push(Address::smtp(
            &full_name,
            &format!(
                "{local}@{}.example",
                company.to_lowercase().replace(' ', "")
            ),
        ));
        if rng.random_bool(0.4) {
            emails.push(Address::smtp(&full_name, &format!("{local}@home.example")));
        }
        for (slot, email) in emails.iter().take(3).enumerate() {
            set_contact_email(&mut message, slot, email);
        }
        Item::new(common.folder, message, common.received)
    }

    /// A task (`IPM.Task`), owned by the mailbox's owner or assigned by a colleague.
    pub fn task(&self, rng: &mut ChaCha8Rng, common: Common) -> Item {
        let subject = names::TASKS.choose(rng).copied().unwrap_or("Task");
        let (status, percent) = *[(0, 0.0), (1, 0.5), (2, 1.0), (3, 0.25), (4, 0.0)]
            .choose(rng)
            .expect("non-empty");
        let mut message = Message::of_class("IPM.Task");
        message.set_subject(subject);
        message.set_times(common.received, common.received);
        message.set_tagged(tag::MESSAGE_FLAGS, PropValue::Long(READ));
        message.set_body_text("Task notes.");
        message.set(task_key(lid::TASK_STATUS), PropValue::Long(status));
        message.set(task_key(lid::PERCENT_COMPLETE), PropValue::Double(percent));
        if rng.random_bool(0.8) {
            let due = common.received + 86_400 * rng.random_range(1..30);
            message.set(task_key(lid::TASK_DUE_DATE), PropValue::unix_time(due));
        }
        let assigned = !self.colleagues.is_empty() && rng.random_bool(0.3);
        if assigned {
            // An assigned task names its owner as the assigner typed them: an address.
            let delegator = self.colleagues.choose(rng).cloned();
            message.set(task_key(lid::TASK_OWNER), PropValue::text(&self.owner.smtp));
            if let Some(delegator) = delegator {
                message.set(
                    task_key(lid::TASK_LAST_DELEGATE),
                    PropValue::text(&delegator.name),
                );
                message.set(
                    task_key(lid::TASK_ASSIGNER),
                    PropValue::text(&delegator.smtp),
                );
            }
        } else {
            message.set(task_key(lid::TASK_OWNER), PropValue::text(&self.owner.name));
        }
        Item::new(common.folder, message, common.received)
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
        let mut message = Message::of_class(class);
        message.set_subject(&subject);
        message.set_times(common.received, common.received);
        message.set_tagged(tag::MESSAGE_FLAGS, PropValue::Long(READ));
        message.set_body_text(&text);
        message.set_from(&self.me());
        Item::new(common.folder, message, common.received)
    }
}

/// Addresses a mail message: the owner and correspondents as sender and recipients.
fn address_mail(
    factory: &ItemFactory<'_>,
    rng: &mut ChaCha8Rng,
    message: &mut Message,
    sent_by_owner: bool,
) {
    let me = factory.me();
    if sent_by_owner {
        message.set_from(&me);
        for _ in 0..rng.random_range(1..=3) {
            message.add_recipient(&factory.correspondent(rng), RecipientType::To);
        }
    } else {
        let sender = factory.correspondent(rng);
        message.set_from(&sender);
        message.set_received_by(&me);
        message.add_recipient(&me, RecipientType::To);
        for _ in 0..rng.random_range(0..=2) {
            message.add_recipient(&factory.correspondent(rng), RecipientType::To);
        }
    }
    for _ in 0..rng.random_range(0..=2) {
        message.add_recipient(&factory.correspondent(rng), RecipientType::Cc);
    }
    if sent_by_owner && rng.random_bool(0.1) {
        message.add_recipient(&factory.correspondent(rng), RecipientType::Bcc);
    }
    if rng.random_bool(0.05) {
        let reply_to = factory.correspondent(rng);
        message.set_reply_to(&[reply_to]);
    }
}

/// Read flags, importance, categories and (rarely) custom named properties, as real mail has.
fn decorate(rng: &mut ChaCha8Rng, message: &mut Message, sent_by_owner: bool) {
    let flags = message
        .tagged(tag::MESSAGE_FLAGS)
        .and_then(PropValue::as_i64)
        .unwrap_or(0) as i32;
    let read = sent_by_owner || rng.random_bool(0.8);
    message.set_tagged(
        tag::MESSAGE_FLAGS,
        PropValue::Long(if read { flags | READ } else { flags & !READ }),
    );
    message.set_importance(match rng.random_range(0..100) {
        0..=6 => "High",
        7..=9 => "Low",
        _ => "Normal",
    });
    if rng.random_bool(0.08) {
        let category = ["Red category", "Blue category", "Projects", "Follow up"]
            .choose(rng)
            .copied()
            .unwrap_or("Projects");
        message.set_categories(vec![category.into()]);
    }
    if rng.random_bool(0.03) {
        message.set(
            PropertyKey::NamedString {
                set: distinguished_set("PublicStrings").unwrap_or_default(),
                name: "X-Contoso-Ticket".into(),
            },
            PropValue::text(format!("TCK-{}", rng.random_range(1000..99999))),
        );
    }
}

/// Marks a generated draft as unsent, as Outlook leaves drafts.
pub fn mark_unsent(item: &mut Item) {
    let flags = item
        .message
        .tagged(tag::MESSAGE_FLAGS)
        .and_then(PropValue::as_i64)
        .unwrap_or(0) as i32;
    item.message
        .set_tagged(tag::MESSAGE_FLAGS, PropValue::Long(flags | UNSENT));
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

fn mime_type_of(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "pdf" => "application/pdf",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "jpg" => "image/jpeg",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

/// The size of an ordinary attachment: log-normal around 60 KB, at most 3.5 MB.
pub fn ordinary_attachment_bytes(rng: &mut ChaCha8Rng) -> u64 {
    let distribution = LogNormal::new((60.0f64 * 1024.0).ln(), 1.3).expect("valid parameters");
    (distribution.sample(rng) as u64).clamp(1024, 3_500_000)
}
