//! Addresses as a store holds them: the property groups that name a person (sender, sent
//! representing, received by, each recipient row), the entry ids inside them (one-off SMTP ids
//! and address-book ids carrying a legacyExchangeDN, MS-OXCDATA 2.2.5), and the address view of an
//! item that the admin API and EWS replies are made from.

use bytes::{BufMut, Bytes, BytesMut};

use super::message::{Message, PropertyBag, Recipient, RecipientType};
use super::props::PropertyKey;
use super::tags::{lid, tag, task_key, PSETID_ADDRESS, PSETID_APPOINTMENT, PSETID_TASK};
use super::value::PropValue;

/// The provider of one-off entry ids.
const ONE_OFF_PROVIDER: [u8; 16] = [
    0x81, 0x2B, 0x1F, 0xA4, 0xBE, 0xA3, 0x10, 0x19, 0x9D, 0x6E, 0x00, 0xDD, 0x01, 0x0F, 0x54, 0x02,
];
/// The provider of Exchange address-book entry ids.
const ADDRESS_BOOK_PROVIDER: [u8; 16] = [
    0xDC, 0xA7, 0x40, 0xC8, 0xC0, 0x42, 0x10, 0x1A, 0xB4, 0xB9, 0x08, 0x00, 0x2B, 0x2F, 0xE1, 0x82,
];
/// One-off entry id flags: strings are UTF-16, no rich information.
const ONE_OFF_UNICODE: u16 = 0x8000;
const ONE_OFF_NO_RICH_INFO: u16 = 0x0001;

/// A person as an item names them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address {
    /// The display name.
    pub name: String,
    /// `SMTP` or `EX`.
    pub address_type: String,
    /// The address of that type (an SMTP address, or a legacyExchangeDN).
    pub email: String,
    /// The SMTP address, where the store knows it.
    pub smtp: Option<String>,
}

impl Address {
    /// An SMTP address.
    pub fn smtp(name: &str, address: &str) -> Address {
        Address {
            name: name.to_string(),
            address_type: "SMTP".into(),
            email: address.to_string(),
            smtp: Some(address.to_string()),
        }
    }

    /// An Exchange address (a legacyExchangeDN), with the SMTP address the store keeps beside it
    /// when there is one.
    pub fn exchange(name: &str, legacy_dn: &str, smtp: Option<&str>) -> Address {
        Address {
            name: name.to_string(),
            address_type: "EX".into(),
            email: legacy_dn.to_string(),
            smtp: smtp.map(str::to_string),
        }
    }

    /// Whether it is an Exchange (legacyExchangeDN) address.
    pub fn is_exchange(&self) -> bool {
        self.address_type.eq_ignore_ascii_case("EX")
    }

    /// The entry id a store gives this address: an address-book id for `EX`, a one-off otherwise.
    pub fn entry_id(&self) -> Bytes {
        if self.is_exchange() {
            address_book_entry_id(&self.email)
        } else {
            one_off_entry_id(&self.name, &self.address_type, &self.email)
        }
    }

    /// `PidTagSearchKey`: the address type and address, upper case, NUL-terminated.
    pub fn search_key(&self) -> Bytes {
        let mut key = format!("{}:{}", self.address_type, self.email).to_uppercase();
        key.push('\0');
        Bytes::from(key.into_bytes())
    }
}

/// The property ids of one address group on a message.
#[derive(Debug, Clone, Copy)]
pub struct AddressGroup {
    /// What the group is (`sender`, `sent_representing`...).
    pub role: &'static str,
    name: u16,
    address_type: u16,
    email: u16,
    entry_id: u16,
    search_key: u16,
    smtp: u16,
}

/// `PidTagSender*`: who sent it.
pub const SENDER: AddressGroup = AddressGroup {
    role: "sender",
    name: tag::SENDER_NAME,
    address_type: tag::SENDER_ADDRESS_TYPE,
    email: tag::SENDER_EMAIL_ADDRESS,
    entry_id: tag::SENDER_ENTRY_ID,
    search_key: tag::SENDER_SEARCH_KEY,
    smtp: tag::SENDER_SMTP_ADDRESS,
};

/// `PidTagSentRepresenting*`: on whose behalf (the `From` of mail, a meeting's organiser).
pub const SENT_REPRESENTING: AddressGroup = AddressGroup {
    role: "sent_representing",
    name: tag::SENT_REPRESENTING_NAME,
    address_type: tag::SENT_REPRESENTING_ADDRESS_TYPE,
    email: tag::SENT_REPRESENTING_EMAIL_ADDRESS,
    entry_id: tag::SENT_REPRESENTING_ENTRY_ID,
    search_key: tag::SENT_REPRESENTING_SEARCH_KEY,
    smtp: tag::SENT_REPRESENTING_SMTP_ADDRESS,
};

/// `PidTagReceivedBy*`: the mailbox that received it.
pub const RECEIVED_BY: AddressGroup = AddressGroup {
    role: "received_by",
    name: tag::RECEIVED_BY_NAME,
    address_type: tag::RECEIVED_BY_ADDRESS_TYPE,
    email: tag::RECEIVED_BY_EMAIL_ADDRESS,
    entry_id: tag::RECEIVED_BY_ENTRY_ID,
    search_key: tag::RECEIVED_BY_SEARCH_KEY,
    smtp: tag::RECEIVED_BY_SMTP_ADDRESS,
};

/// The address groups of a message, in the order the admin API lists them.
pub const MESSAGE_GROUPS: [AddressGroup; 3] = [SENDER, SENT_REPRESENTING, RECEIVED_BY];

/// The recipient-row properties of an address.
const RECIPIENT_GROUP: AddressGroup = AddressGroup {
    role: "recipient",
    name: tag::DISPLAY_NAME,
    address_type: tag::ADDRESS_TYPE,
    email: tag::EMAIL_ADDRESS,
    entry_id: tag::ENTRY_ID,
    search_key: tag::SEARCH_KEY,
    smtp: tag::SMTP_ADDRESS,
};

impl AddressGroup {
    /// The group's property keys.
    pub fn ids(&self) -> [PropertyKey; 6] {
        [
            self.name,
            self.address_type,
            self.email,
            self.entry_id,
            self.search_key,
            self.smtp,
        ]
        .map(PropertyKey::Tag)
    }

    /// Writes an address into a bag as this group's properties. The SMTP companion is written
    /// only when the address has one (older items, and some clients, leave it out).
    pub fn write(&self, bag: &mut PropertyBag, address: &Address) {
        let mut set = |id: u16, value: PropValue| {
            bag.insert(PropertyKey::Tag(id), value);
        };
        set(self.name, PropValue::text(&address.name));
        set(self.address_type, PropValue::text(&address.address_type));
        set(self.email, PropValue::text(&address.email));
        set(self.entry_id, PropValue::binary(address.entry_id()));
        set(self.search_key, PropValue::binary(address.search_key()));
        if let Some(smtp) = &address.smtp {
            set(self.smtp, PropValue::text(smtp));
        }
    }

    /// Reads this group's address from a bag; `None` if it has neither name nor address.
    pub fn read(&self, bag: &PropertyBag) -> Option<Address> {
        let text = |id: u16| {
            bag.get(&PropertyKey::Tag(id))
                .and_then(PropValue::as_text)
                .map(str::to_string)
        };
        let name = text(self.name);
        let email = text(self.email);
        if name.is_none() && email.is_none() {
            return None;
        }
        let smtp = text(self.smtp);
        let address_type = text(self.address_type).unwrap_or_else(|| "SMTP".into());
        let email = email.unwrap_or_default();
        let smtp = smtp.or_else(|| {
            (!address_type.eq_ignore_ascii_case("EX") && !email.is_empty()).then(|| email.clone())
        });
        Some(Address {
            name: name.unwrap_or_default(),
            address_type,
            email,
            smtp,
        })
    }
}

/// A recipient row for an address.
pub fn recipient(address: &Address, recipient_type: RecipientType, row: usize) -> Recipient {
    let mut props = PropertyBag::new();
    RECIPIENT_GROUP.write(&mut props, address);
    props.insert(PropertyKey::Tag(tag::ROW_ID), PropValue::Long(row as i32));
    props.insert(
        PropertyKey::Tag(tag::RECIPIENT_TYPE),
        PropValue::Long(recipient_type.code()),
    );
    props.insert(
        PropertyKey::Tag(tag::RECIPIENT_ENTRY_ID),
        PropValue::binary(address.entry_id()),
    );
    props.insert(
        PropertyKey::Tag(tag::TRANSMITTABLE_DISPLAY_NAME),
        PropValue::text(&address.name),
    );
    props.insert(PropertyKey::Tag(tag::OBJECT_TYPE), PropValue::Long(6));
    props.insert(PropertyKey::Tag(tag::DISPLAY_TYPE), PropValue::Long(0));
    Recipient { props }
}

impl Recipient {
    /// The row's address.
    pub fn address(&self) -> Address {
        RECIPIENT_GROUP.read(&self.props).unwrap_or_default()
    }
}

/// One address an item names, with what it is for (the admin API's view).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AddressUse {
    /// `sender`, `sent_representing`, `received_by`, `to`, `cc`, `bcc`, `email1`..`email3`,
    /// `task_owner`, `task_delegator`, or `attachment[N].` followed by one of those.
    pub role: String,
    /// Display name.
    pub name: String,
    /// `SMTP` or `EX`.
    pub address_type: String,
    /// The address of that type.
    pub email: String,
    /// The SMTP address the item keeps beside it, if any.
    pub smtp: Option<String>,
}

/// Every address an item names: its address groups, recipients, contact e-mail addresses and
/// task owner, then those of embedded messages.
pub fn addresses(message: &Message) -> Vec<AddressUse> {
    let mut found = Vec::new();
    collect(message, "", &mut found);
    found
}

fn collect(message: &Message, prefix: &str, found: &mut Vec<AddressUse>) {
    let mut push = |role: String, address: Address| {
        found.push(AddressUse {
            role,
            name: address.name,
            address_type: address.address_type,
            email: address.email,
            smtp: address.smtp,
        })
    };
    for group in MESSAGE_GROUPS {
        if let Some(address) = group.read(&message.props) {
            push(format!("{prefix}{}", group.role), address);
        }
    }
    for recipient in &message.recipients {
        let role = match recipient.recipient_type() {
            RecipientType::To => "to",
            RecipientType::Cc => "cc",
            RecipientType::Bcc => "bcc",
        };
        push(format!("{prefix}{role}"), recipient.address());
    }
    for (index, address) in contact_emails(message).into_iter().enumerate() {
        if let Some(address) = address {
            push(format!("{prefix}email{}", index + 1), address);
        }
    }
    for (role, id) in [
        ("task_owner", lid::TASK_OWNER),
        ("task_delegator", lid::TASK_LAST_DELEGATE),
    ] {
        let key = task_key(id);
        if let Some(name) = message.get(&key).and_then(PropValue::as_text) {
            push(
                format!("{prefix}{role}"),
                Address {
                    name: name.to_string(),
                    ..Address::default()
                },
            );
        }
    }
    for (index, attachment) in message.attachments.iter().enumerate() {
        if let Some(embedded) = &attachment.embedded {
            collect(embedded, &format!("{prefix}attachment[{index}]."), found);
        }
    }
}

/// Whether a property holds (part of) an address: the message's address groups (sender, sent
/// representing, received by, received representing, read receipt), reply-to, display caches,
/// every recipient-row address property, contact e-mail slots, task owner and delegator, and the
/// attendee display strings of meetings. A migration that maps addresses may change exactly these.
pub fn is_address_property(key: &PropertyKey) -> bool {
    match key {
        PropertyKey::Tag(id) => matches!(
            *id,
            0x0C19..=0x0C1F
                | 0x003B
                | 0x003F..=0x0046
                | 0x004F..=0x0053
                | 0x0064..=0x0065
                | 0x0075..=0x0078
                | 0x0E02..=0x0E04
                | 0x0FFF
                | 0x3001..=0x3003
                | 0x300B
                | 0x39FE
                | 0x3A20
                | 0x4029..=0x402B
                | 0x4030..=0x4031
                | 0x5D01..=0x5D08
                | 0x5FF6..=0x5FF7
                | 0x66CA
        ),
        PropertyKey::NamedId { set, id } if *set == PSETID_ADDRESS => {
            matches!(*id, 0x8080..=0x8085 | 0x8090..=0x8095 | 0x80A0..=0x80A5)
        }
        PropertyKey::NamedId { set, id } if *set == PSETID_TASK => {
            matches!(
                *id,
                lid::TASK_OWNER | lid::TASK_ASSIGNER | lid::TASK_LAST_DELEGATE
            )
        }
        PropertyKey::NamedId { set, id } if *set == PSETID_APPOINTMENT => {
            // PidLidAllAttendeesString, PidLidToAttendeesString, PidLidCcAttendeesString.
            matches!(*id, 0x8238 | 0x823B | 0x823C)
        }
        _ => false,
    }
}

/// The named-property id of a contact's e-mail slot (0, 1, 2) field (`lid::EMAIL1_*`).
pub fn email_slot_key(slot: usize, email1_lid: u32) -> PropertyKey {
    PropertyKey::NamedId {
        set: PSETID_ADDRESS,
        id: email1_lid + 0x10 * slot as u32,
    }
}

/// A contact's three e-mail addresses (`PidLidEmail1..3*`).
pub fn contact_emails(message: &Message) -> [Option<Address>; 3] {
    let read = |slot: usize| {
        let text = |field: u32| {
            message
                .get(&email_slot_key(slot, field))
                .and_then(PropValue::as_text)
                .map(str::to_string)
        };
        let email = text(lid::EMAIL1_EMAIL_ADDRESS)?;
        let address_type = text(lid::EMAIL1_ADDRESS_TYPE).unwrap_or_else(|| "SMTP".into());
        let smtp = (!address_type.eq_ignore_ascii_case("EX")).then(|| email.clone());
        Some(Address {
            name: text(lid::EMAIL1_DISPLAY_NAME).unwrap_or_default(),
            address_type,
            email,
            smtp,
        })
    };
    [read(0), read(1), read(2)]
}

/// Writes a contact's e-mail slot.
pub fn set_contact_email(message: &mut Message, slot: usize, address: &Address) {
    let mut set = |field: u32, value: PropValue| message.set(email_slot_key(slot, field), value);
    set(
        lid::EMAIL1_DISPLAY_NAME,
        PropValue::text(format!("{} ({})", address.name, address.email)),
    );
    set(
        lid::EMAIL1_ADDRESS_TYPE,
        PropValue::text(&address.address_type),
    );
    set(lid::EMAIL1_EMAIL_ADDRESS, PropValue::text(&address.email));
    set(
        lid::EMAIL1_ORIGINAL_DISPLAY_NAME,
        PropValue::text(&address.name),
    );
    set(
        lid::EMAIL1_ORIGINAL_ENTRY_ID,
        PropValue::binary(address.entry_id()),
    );
}

/// A one-off entry id (MS-OXCDATA 2.2.5.1) with UTF-16 strings.
pub fn one_off_entry_id(name: &str, address_type: &str, address: &str) -> Bytes {
    let mut id = BytesMut::with_capacity(32 + 2 * (name.len() + address.len() + 8));
    id.put_u32_le(0);
    id.put_slice(&ONE_OFF_PROVIDER);
    id.put_u16_le(0);
    id.put_u16_le(ONE_OFF_UNICODE | ONE_OFF_NO_RICH_INFO);
    for text in [name, address_type, address] {
        for unit in text.encode_utf16() {
            id.put_u16_le(unit);
        }
        id.put_u16_le(0);
    }
    id.freeze()
}

/// An Exchange address-book entry id (MS-OXCDATA 2.2.5.2) for a legacyExchangeDN.
pub fn address_book_entry_id(legacy_dn: &str) -> Bytes {
    let mut id = BytesMut::with_capacity(29 + legacy_dn.len());
    id.put_u32_le(0);
    id.put_slice(&ADDRESS_BOOK_PROVIDER);
    id.put_u32_le(1);
    id.put_u32_le(0);
    id.put_slice(legacy_dn.as_bytes());
    id.put_u8(0);
    id.freeze()
}

/// What an entry id names: `(address type, address, display name)`; `None` if it is neither a
/// one-off nor an address-book id.
pub fn parse_entry_id(id: &[u8]) -> Option<(String, String, String)> {
    if id.len() < 24 {
        return None;
    }
    let provider = &id[4..20];
    if provider == ONE_OFF_PROVIDER {
        let flags = u16::from_le_bytes([id[22], id[23]]);
        let rest = &id[24..];
        let strings: Vec<String> = if flags & ONE_OFF_UNICODE != 0 {
            let units: Vec<u16> = rest
                .chunks_exact(2)
                .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
                .collect();
            units
                .split(|unit| *unit == 0)
                .take(3)
                .map(String::from_utf16_lossy)
                .collect()
        } else {
            rest.split(|byte| *byte == 0)
                .take(3)
                .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
                .collect()
        };
        let [name, address_type, address] = <[String; 3]>::try_from(strings).ok()?;
        return Some((address_type, address, name));
    }
    if provider == ADDRESS_BOOK_PROVIDER && id.len() > 28 {
        let dn = id[28..].split(|byte| *byte == 0).next()?;
        return Some((
            "EX".into(),
            String::from_utf8_lossy(dn).into_owned(),
            String::new(),
        ));
    }
    None
}

/// `PidTagReplyRecipientEntries`: a FlatEntryList (MS-OXCDATA 2.3.3) of the given entry ids.
pub fn flat_entry_list(ids: &[Bytes]) -> Bytes {
    let mut list = BytesMut::new();
    list.put_u32_le(ids.len() as u32);
    let body: usize = ids.iter().map(|id| 4 + id.len().next_multiple_of(4)).sum();
    list.put_u32_le(body as u32);
    for id in ids {
        list.put_u32_le(id.len() as u32);
        list.put_slice(id);
        list.put_bytes(0, id.len().next_multiple_of(4) - id.len());
    }
    list.freeze()
}

/// The entry ids of a FlatEntryList; malformed lists give what could be read.
pub fn parse_flat_entry_list(list: &[u8]) -> Vec<Bytes> {
    let mut ids = Vec::new();
    let Some(count) = list
        .get(..4)
        .map(|bytes| u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    else {
        return ids;
    };
    let mut offset = 8;
    for _ in 0..count {
        let Some(length) = list
            .get(offset..offset + 4)
            .map(|bytes| u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize)
        else {
            break;
        };
        let Some(id) = list.get(offset + 4..offset + 4 + length) else {
            break;
        };
        ids.push(Bytes::copy_from_slice(id));
        offset += 4 + length.next_multiple_of(4);
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_ids_round_trip() {
        let one_off = one_off_entry_id("Zoë", "SMTP", "zoe@contoso.com");
        assert_eq!(
            parse_entry_id(&one_off),
            Some(("SMTP".into(), "zoe@contoso.com".into(), "Zoë".into()))
        );
        let dn = "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=ab12-zoe";
        assert_eq!(
            parse_entry_id(&address_book_entry_id(dn)),
            Some(("EX".into(), dn.into(), String::new()))
        );
        let list = flat_entry_list(&[one_off.clone(), address_book_entry_id(dn)]);
        assert_eq!(parse_flat_entry_list(&list).len(), 2);
        assert_eq!(parse_flat_entry_list(&list)[0], one_off);
    }

    #[test]
    fn address_groups_write_what_exchange_writes() {
        let address =
            Address::exchange("Ann Lee", "/o=ExchangeLabs/cn=ann", Some("ann@contoso.com"));
        let mut bag = PropertyBag::new();
        SENDER.write(&mut bag, &address);
        assert_eq!(SENDER.read(&bag), Some(address.clone()));
        assert_eq!(&address.search_key()[..], b"EX:/O=EXCHANGELABS/CN=ANN\0");
        let smtp = Address::smtp("Bob", "bob@example.org");
        let row = recipient(&smtp, RecipientType::Cc, 0);
        assert_eq!(row.address(), smtp);
        assert_eq!(row.recipient_type(), RecipientType::Cc);
    }
}
