//! Recipient mapping inside an item's stream: every property group that names a person is read,
//! its SMTP address found (written beside an `EX` address, or resolved from the source
//! directory), mapped, and the group rewritten as an SMTP address of the destination: address
//! type, address, SMTP companion, entry id, search key, and display names that were the old
//! address. Display caches and `Reply-To` follow. Groups no mapping names stay byte for byte.

use std::collections::HashMap;

use ferry_core::mapping::RecipientMapping;
use ferry_fasttransfer::name::property_set;
use ferry_fasttransfer::tag::prop_type;
use ferry_fasttransfer::{Chunks, Element, NameKind, PropValue, Property};
use uuid::Uuid;

use super::entry_id::{self, EntryTarget};

/// The property ids of one group that names a person.
struct Group {
    name: u16,
    address_type: u16,
    email: u16,
    entry_id: u16,
    search_key: Option<u16>,
    smtp: Option<u16>,
    /// Other display names of the same person.
    names: &'static [u16],
}

/// The groups of a message's own properties (MS-OXOMSG, MS-OXPROPS).
const MESSAGE_GROUPS: [Group; 6] = [
    // PidTagSender*.
    Group {
        name: 0x0C1A,
        address_type: 0x0C1E,
        email: 0x0C1F,
        entry_id: 0x0C19,
        search_key: Some(0x0C1D),
        smtp: Some(0x5D01),
        names: &[0x4030],
    },
    // PidTagSentRepresenting*: the From of mail, a meeting's organiser.
    Group {
        name: 0x0042,
        address_type: 0x0064,
        email: 0x0065,
        entry_id: 0x0041,
        search_key: Some(0x003B),
        smtp: Some(0x5D02),
        names: &[0x4031],
    },
    // PidTagReceivedBy*.
    Group {
        name: 0x0040,
        address_type: 0x0075,
        email: 0x0076,
        entry_id: 0x003F,
        search_key: Some(0x0051),
        smtp: Some(0x5D07),
        names: &[],
    },
    // PidTagReceivedRepresenting*.
    Group {
        name: 0x0044,
        address_type: 0x0077,
        email: 0x0078,
        entry_id: 0x0043,
        search_key: Some(0x0052),
        smtp: Some(0x5D08),
        names: &[0x4035],
    },
    // PidTagCreator*.
    Group {
        name: 0x3FF8,
        address_type: 0x4022,
        email: 0x4023,
        entry_id: 0x3FF9,
        search_key: None,
        smtp: Some(0x5D0A),
        names: &[0x4038],
    },
    // PidTagLastModifier*.
    Group {
        name: 0x3FFA,
        address_type: 0x4024,
        email: 0x4025,
        entry_id: 0x3FFB,
        search_key: None,
        smtp: Some(0x5D0B),
        names: &[0x4039],
    },
];

/// A recipient row's address properties.
const RECIPIENT_GROUP: Group = Group {
    name: 0x3001,
    address_type: 0x3002,
    email: 0x3003,
    entry_id: 0x0FFF,
    search_key: Some(0x300B),
    smtp: Some(0x39FE),
    // PidTagRecipientDisplayName, PidTagTransmittableDisplayName.
    names: &[0x5FF6, 0x3A20],
};
/// PidTagRecipientEntryId: a second copy of a row's entry id.
const RECIPIENT_ENTRY_ID: u16 = 0x5FF7;
/// PidTagRecipientType.
const RECIPIENT_TYPE: u16 = 0x0C15;
/// PidTagDisplayTo, PidTagDisplayCc, PidTagDisplayBcc by recipient type.
const DISPLAY_CACHES: [(i32, u16); 3] = [(1, 0x0E04), (2, 0x0E03), (3, 0x0E02)];
/// PidTagReplyRecipientEntries and PidTagReplyRecipientNames.
const REPLY_RECIPIENT_ENTRIES: u16 = 0x004F;
const REPLY_RECIPIENT_NAMES: u16 = 0x0050;
/// PidLidAllAttendeesString, PidLidToAttendeesString, PidLidCcAttendeesString.
const ATTENDEE_STRINGS: [u32; 3] = [0x8238, 0x823B, 0x823C];
/// PidLidTaskOwner, PidLidTaskAssigner, PidLidTaskLastDelegate.
const TASK_PEOPLE: [u32; 3] = [0x811F, 0x8121, 0x8125];
/// PidLidEmail1DisplayName; the slot's other fields follow, and slots 2 and 3 are 0x10 apart.
const EMAIL1_DISPLAY_NAME: u32 = 0x8080;

const PSETID_APPOINTMENT: Uuid = Uuid::from_u128(0x00062002_0000_0000_C000_000000000046);
const PSETID_TASK: Uuid = Uuid::from_u128(0x00062003_0000_0000_C000_000000000046);

/// Maps an address found in an item to its destination address.
pub struct AddressMapper<'a> {
    /// The project's mapping.
    pub mapping: &'a RecipientMapping,
    /// SMTP addresses of source `EX` addresses the stream did not carry, by lower-case DN.
    pub exchange: &'a HashMap<String, String>,
}

impl AddressMapper<'_> {
    /// The SMTP address an address of this type names, where it can be known.
    fn smtp_of(
        &self,
        address_type: &str,
        address: &str,
        companion: Option<&str>,
    ) -> Option<String> {
        if address_type.eq_ignore_ascii_case("EX") {
            companion
                .map(str::to_string)
                .or_else(|| self.exchange.get(&address.to_lowercase()).cloned())
        } else if address_type.eq_ignore_ascii_case("SMTP") || address_type.is_empty() {
            Some(companion.unwrap_or(address).to_string())
        } else {
            None
        }
    }
}

/// An address a group named, and the address it now names.
pub struct Rewrite {
    /// The forms the old address took (address, SMTP address), lower case.
    old: Vec<String>,
    /// The destination SMTP address.
    target: String,
}

impl Rewrite {
    fn names_old(&self, text: &str) -> bool {
        let text = text.trim().to_lowercase();
        self.old.contains(&text)
    }
}

/// Whether a string property's encoded length fits one of `lengths` (UTF-16 units of the texts
/// looked for, terminator excluded): a cheap test before reading the text.
fn may_be_one_of(property: &Property, lengths: &[usize]) -> bool {
    let encoded = property.raw().len().saturating_sub(4);
    match property.tag().prop_type() {
        prop_type::STRING | prop_type::STRING_CODE_PAGE_UTF16 => {
            lengths.iter().any(|units| encoded == 2 * (units + 1))
        }
        prop_type::STRING8 => lengths.iter().any(|units| encoded == units + 1),
        _ => false,
    }
}

/// A binary property with new bytes.
fn with_binary(property: &Property, bytes: Vec<u8>) -> Option<Property> {
    if property.tag().prop_type() != prop_type::BINARY {
        return None;
    }
    Property::new(
        property.tag(),
        property.name().cloned(),
        &PropValue::Binary(Chunks::from(bytes)),
    )
    .ok()
}

fn binary_of(property: &Property) -> Option<Vec<u8>> {
    match property.decode().ok()? {
        PropValue::Binary(bytes) => Some(bytes.to_bytes().to_vec()),
        _ => None,
    }
}

/// One property list of the stream (a message's own properties or a recipient row): where its
/// properties are, by tagged id and by named id.
pub struct PropertyList {
    tagged: HashMap<u16, usize>,
    named: HashMap<(Uuid, u32), usize>,
}

impl PropertyList {
    /// Indexes the properties among `elements[range]`.
    pub fn of(elements: &[Element], range: std::ops::Range<usize>) -> PropertyList {
        let mut list = PropertyList {
            tagged: HashMap::new(),
            named: HashMap::new(),
        };
        for index in range {
            let Some(property) = elements[index].as_property() else {
                continue;
            };
            match property.name() {
                Some(name) => {
                    if let NameKind::Lid(lid) = name.kind {
                        list.named.insert((name.set, lid), index);
                    }
                }
                None => {
                    list.tagged.insert(property.tag().id(), index);
                }
            }
        }
        list
    }

    fn get<'e>(&self, elements: &'e [Element], id: u16) -> Option<&'e Property> {
        self.tagged
            .get(&id)
            .and_then(|index| elements[*index].as_property())
    }

    fn text(&self, elements: &[Element], id: u16) -> Option<String> {
        self.get(elements, id).and_then(Property::text_lossy)
    }

    fn set(
        &self,
        elements: &mut [Element],
        id: u16,
        build: impl FnOnce(&Property) -> Option<Property>,
    ) {
        if let Some(index) = self.tagged.get(&id) {
            if let Some(rewritten) = elements[*index].as_property().and_then(build) {
                elements[*index] = Element::Property(rewritten);
            }
        }
    }

    fn set_named(
        &self,
        elements: &mut [Element],
        key: (Uuid, u32),
        build: impl FnOnce(&Property) -> Option<Property>,
    ) {
        if let Some(index) = self.named.get(&key) {
            if let Some(rewritten) = elements[*index].as_property().and_then(build) {
                elements[*index] = Element::Property(rewritten);
            }
        }
    }

    fn named_text(&self, elements: &[Element], key: (Uuid, u32)) -> Option<String> {
        self.named
            .get(&key)
            .and_then(|index| elements[*index].as_property())
            .and_then(Property::text_lossy)
    }
}

/// The `EX` addresses a list names without their SMTP address: what the source directory must
/// resolve before the list can be mapped.
pub fn unresolved_exchange_addresses(
    elements: &[Element],
    list: &PropertyList,
    is_recipient: bool,
    found: &mut Vec<String>,
) {
    let groups: &[Group] = if is_recipient {
        std::slice::from_ref(&RECIPIENT_GROUP)
    } else {
        &MESSAGE_GROUPS
    };
    for group in groups {
        let address_type = list.text(elements, group.address_type);
        let companion = group.smtp.and_then(|id| list.text(elements, id));
        match (address_type, list.text(elements, group.email)) {
            (Some(kind), Some(email)) if kind.eq_ignore_ascii_case("EX") && companion.is_none() => {
                found.push(email)
            }
            (None, None) => {
                let target = list
                    .get(elements, group.entry_id)
                    .and_then(binary_of)
                    .and_then(|id| entry_id::parse(&id));
                if let Some(EntryTarget::AddressBook { legacy_dn }) = target {
                    found.push(legacy_dn);
                }
            }
            _ => {}
        }
    }
    if is_recipient {
        return;
    }
    for slot in 0..3u32 {
        let field = |offset: u32| {
            (
                property_set::PSETID_ADDRESS,
                EMAIL1_DISPLAY_NAME + 0x10 * slot + offset,
            )
        };
        if let (Some(kind), Some(email)) = (
            list.named_text(elements, field(2)),
            list.named_text(elements, field(3)),
        ) {
            if kind.eq_ignore_ascii_case("EX") {
                found.push(email);
            }
        }
    }
    if let Some(ids) = list
        .get(elements, REPLY_RECIPIENT_ENTRIES)
        .and_then(binary_of)
        .and_then(|list| entry_id::parse_flat_entry_list(&list))
    {
        for id in ids {
            if let Some(EntryTarget::AddressBook { legacy_dn }) = entry_id::parse(&id) {
                found.push(legacy_dn);
            }
        }
    }
}

/// Rewrites one group; the rewrite made, if the mapping names its address.
fn rewrite_group(
    elements: &mut [Element],
    list: &PropertyList,
    group: &Group,
    mapper: &AddressMapper<'_>,
    row_wide: bool,
    range: std::ops::Range<usize>,
) -> Option<Rewrite> {
    // Read only what decides whether the group is mapped; most groups name outsiders and stop
    // here after two strings.
    let (kind, address) = match list.text(elements, group.email) {
        Some(email) => (
            list.text(elements, group.address_type).unwrap_or_default(),
            email,
        ),
        None => {
            let entry = list
                .get(elements, group.entry_id)
                .and_then(binary_of)
                .and_then(|id| entry_id::parse(&id))?;
            let (kind, address) = entry.address();
            (kind.to_string(), address.to_string())
        }
    };
    let is_exchange = kind.eq_ignore_ascii_case("EX");
    let companion = group
        .smtp
        .filter(|_| is_exchange)
        .and_then(|id| list.text(elements, id));
    let source = mapper.smtp_of(&kind, &address, companion.as_deref())?;
    let target = mapper.mapping.map(&source)?;
    let rewrite = Rewrite {
        old: [Some(address), companion, Some(source)]
            .into_iter()
            .flatten()
            .map(|old| old.to_lowercase())
            .collect(),
        target,
    };
    let name = list
        .text(elements, group.name)
        .filter(|name| !rewrite.names_old(name))
        .unwrap_or_else(|| rewrite.target.clone());
    let target = rewrite.target.clone();
    list.set(elements, group.address_type, |p| p.with_text("SMTP"));
    list.set(elements, group.email, |p| p.with_text(&target));
    if let Some(id) = group.smtp {
        list.set(elements, id, |p| p.with_text(&target));
    }
    let one_off = entry_id::one_off(&name, &target);
    list.set(elements, group.entry_id, |p| {
        with_binary(p, one_off.clone())
    });
    if row_wide {
        list.set(elements, RECIPIENT_ENTRY_ID, |p| {
            with_binary(p, one_off.clone())
        });
    }
    if let Some(id) = group.search_key {
        list.set(elements, id, |p| {
            with_binary(p, entry_id::smtp_search_key(&target))
        });
    }
    for id in std::iter::once(&group.name).chain(group.names) {
        let names_old = list
            .text(elements, *id)
            .is_some_and(|text| rewrite.names_old(&text));
        if names_old {
            list.set(elements, *id, |p| p.with_text(&target));
        }
    }
    if row_wide {
        // Any other string of the row that is the old address (Exchange keeps the
        // legacyExchangeDN in more places than it documents).
        let lengths: Vec<usize> = rewrite
            .old
            .iter()
            .map(|old| old.encode_utf16().count())
            .collect();
        for index in range {
            let names_old = elements[index]
                .as_property()
                .filter(|property| property.name().is_none() && may_be_one_of(property, &lengths))
                .and_then(Property::text_lossy)
                .is_some_and(|text| rewrite.names_old(&text));
            if names_old {
                if let Some(rewritten) = elements[index]
                    .as_property()
                    .and_then(|p| p.with_text(&target))
                {
                    elements[index] = Element::Property(rewritten);
                }
            }
        }
    }
    Some(rewrite)
}

/// Maps a recipient row. Returns the row's recipient type and its rewrite, if any.
pub fn map_recipient(
    elements: &mut [Element],
    list: &PropertyList,
    range: std::ops::Range<usize>,
    mapper: &AddressMapper<'_>,
) -> Option<(i32, Rewrite)> {
    let recipient_type = list
        .get(elements, RECIPIENT_TYPE)
        .and_then(|property| match property.decode().ok()? {
            PropValue::Integer32(code) => Some(code & 0x0FFF_FFFF),
            _ => None,
        })
        .unwrap_or(1);
    rewrite_group(elements, list, &RECIPIENT_GROUP, mapper, true, range)
        .map(|rewrite| (recipient_type, rewrite))
}

/// Maps a message's own address properties, given the rewrites of its recipient rows (for the
/// display caches). Returns how many addresses it rewrote.
pub fn map_message(
    elements: &mut [Element],
    list: &PropertyList,
    range: std::ops::Range<usize>,
    recipients: &[(i32, &Rewrite)],
    mapper: &AddressMapper<'_>,
) -> u32 {
    let mut rewritten = 0u32;
    for group in &MESSAGE_GROUPS {
        if rewrite_group(elements, list, group, mapper, false, range.clone()).is_some() {
            rewritten += 1;
        }
    }
    for (recipient_type, cache) in DISPLAY_CACHES {
        let rows: Vec<&Rewrite> = recipients
            .iter()
            .filter(|(kind, _)| *kind == recipient_type)
            .map(|(_, rewrite)| *rewrite)
            .collect();
        rewrite_cache(elements, list, cache, &rows);
    }
    let all: Vec<&Rewrite> = recipients.iter().map(|(_, rewrite)| *rewrite).collect();
    for lid in ATTENDEE_STRINGS {
        let key = (PSETID_APPOINTMENT, lid);
        if let Some(text) = list.named_text(elements, key) {
            if let Some(replaced) = replace_tokens(&text, &all) {
                list.set_named(elements, key, |p| p.with_text(&replaced));
            }
        }
    }
    rewritten += map_reply_to(elements, list, mapper);
    rewritten += map_contact_slots(elements, list, mapper);
    for lid in TASK_PEOPLE {
        let key = (PSETID_TASK, lid);
        if let Some(target) = list
            .named_text(elements, key)
            .filter(|text| text.contains('@'))
            .and_then(|text| mapper.mapping.map(&text))
        {
            list.set_named(elements, key, |p| p.with_text(&target));
            rewritten += 1;
        }
    }
    rewritten
}

fn rewrite_cache(elements: &mut [Element], list: &PropertyList, id: u16, rows: &[&Rewrite]) {
    if rows.is_empty() {
        return;
    }
    if let Some(text) = list.text(elements, id) {
        if let Some(replaced) = replace_tokens(&text, rows) {
            list.set(elements, id, |p| p.with_text(&replaced));
        }
    }
}

/// A `;`-separated list of names with the names that were old addresses replaced; `None` if
/// nothing changed.
fn replace_tokens(text: &str, rewrites: &[&Rewrite]) -> Option<String> {
    let mut changed = false;
    let tokens: Vec<String> = text
        .split(';')
        .map(
            |token| match rewrites.iter().find(|rewrite| rewrite.names_old(token)) {
                Some(rewrite) => {
                    changed = true;
                    let leading = &token[..token.len() - token.trim_start().len()];
                    format!("{leading}{}", rewrite.target)
                }
                None => token.to_string(),
            },
        )
        .collect();
    changed.then(|| tokens.join(";"))
}

fn map_reply_to(elements: &mut [Element], list: &PropertyList, mapper: &AddressMapper<'_>) -> u32 {
    let Some(ids) = list
        .get(elements, REPLY_RECIPIENT_ENTRIES)
        .and_then(binary_of)
        .and_then(|list| entry_id::parse_flat_entry_list(&list))
    else {
        return 0;
    };
    let mut rewrites = Vec::new();
    let ids: Vec<Vec<u8>> = ids
        .into_iter()
        .map(|id| {
            let Some(target) = entry_id::parse(&id) else {
                return id;
            };
            let (kind, address) = target.address();
            let Some(mapped) = mapper
                .smtp_of(kind, address, None)
                .and_then(|source| mapper.mapping.map(&source).map(|mapped| (source, mapped)))
            else {
                return id;
            };
            let name = match &target {
                EntryTarget::OneOff { name, .. } if !name.eq_ignore_ascii_case(address) => {
                    name.clone()
                }
                _ => mapped.1.clone(),
            };
            rewrites.push(Rewrite {
                old: vec![address.to_lowercase(), mapped.0.to_lowercase()],
                target: mapped.1.clone(),
            });
            entry_id::one_off(&name, &mapped.1)
        })
        .collect();
    if rewrites.is_empty() {
        return 0;
    }
    let list_bytes = entry_id::flat_entry_list(&ids);
    list.set(elements, REPLY_RECIPIENT_ENTRIES, |p| {
        with_binary(p, list_bytes)
    });
    let refs: Vec<&Rewrite> = rewrites.iter().collect();
    if let Some(replaced) = list
        .text(elements, REPLY_RECIPIENT_NAMES)
        .and_then(|names| replace_tokens(&names, &refs))
    {
        list.set(elements, REPLY_RECIPIENT_NAMES, |p| p.with_text(&replaced));
    }
    rewrites.len() as u32
}

/// A contact's three e-mail slots (`PidLidEmail1..3*`).
fn map_contact_slots(
    elements: &mut [Element],
    list: &PropertyList,
    mapper: &AddressMapper<'_>,
) -> u32 {
    let mut rewritten = 0;
    for slot in 0..3u32 {
        let field = |offset: u32| {
            (
                property_set::PSETID_ADDRESS,
                EMAIL1_DISPLAY_NAME + 0x10 * slot + offset,
            )
        };
        let Some(email) = list.named_text(elements, field(3)) else {
            continue;
        };
        let kind = list
            .named_text(elements, field(2))
            .unwrap_or_else(|| "SMTP".into());
        let Some(source) = mapper.smtp_of(&kind, &email, None) else {
            continue;
        };
        let Some(target) = mapper.mapping.map(&source) else {
            continue;
        };
        let old = [email.clone(), source.clone()];
        list.set_named(elements, field(2), |p| p.with_text("SMTP"));
        list.set_named(elements, field(3), |p| p.with_text(&target));
        if let Some(display) = list.named_text(elements, field(0)) {
            let replaced = old.iter().fold(display.clone(), |text, old| {
                replace_ignoring_case(&text, old, &target)
            });
            if replaced != display {
                list.set_named(elements, field(0), |p| p.with_text(&replaced));
            }
        }
        let name = list
            .named_text(elements, field(4))
            .unwrap_or_else(|| target.clone());
        list.set_named(elements, field(5), |p| {
            with_binary(p, entry_id::one_off(&name, &target))
        });
        rewritten += 1;
    }
    rewritten
}

fn replace_ignoring_case(text: &str, old: &str, new: &str) -> String {
    if old.is_empty() {
        return text.to_string();
    }
    let lower = text.to_lowercase();
    let needle = old.to_lowercase();
    // Lower-casing can change lengths outside ASCII; only replace when it did not.
    if lower.len() != text.len() {
        return text.replace(old, new);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    for (start, _) in lower.match_indices(&needle) {
        out.push_str(&text[rest..start]);
        out.push_str(new);
        rest = start + needle.len();
    }
    out.push_str(&text[rest..]);
    out
}
