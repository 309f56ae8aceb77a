//! The binary forms an address takes inside an item (MS-OXCDATA 2.2.5 and 2.3.3): one-off
//! entry ids, which carry a display name, address type and address; address-book entry ids,
//! which carry a legacyExchangeDN; search keys; and FlatEntryLists of entry ids (`Reply-To`).
//!
//! The simulator has its own reader and writer of these forms (`sim/src/model/address.rs`), on
//! purpose, as for the stream itself: the two check each other in `tests/outbound_against_sim.rs`.

/// The provider of one-off entry ids.
const ONE_OFF_PROVIDER: [u8; 16] = [
    0x81, 0x2B, 0x1F, 0xA4, 0xBE, 0xA3, 0x10, 0x19, 0x9D, 0x6E, 0x00, 0xDD, 0x01, 0x0F, 0x54, 0x02,
];
/// The provider of Exchange address-book entry ids.
const ADDRESS_BOOK_PROVIDER: [u8; 16] = [
    0xDC, 0xA7, 0x40, 0xC8, 0xC0, 0x42, 0x10, 0x1A, 0xB4, 0xB9, 0x08, 0x00, 0x2B, 0x2F, 0xE1, 0x82,
];
/// One-off flags: strings are UTF-16 (`MAPI_ONE_OFF_UNICODE`), no rich information.
const ONE_OFF_UNICODE: u16 = 0x8000;
const ONE_OFF_NO_RICH_INFO: u16 = 0x0001;

/// What an entry id names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryTarget {
    /// A one-off address.
    OneOff {
        /// Display name.
        name: String,
        /// `SMTP`, `EX`...
        address_type: String,
        /// The address.
        address: String,
    },
    /// An address-book entry: an Exchange mailbox by legacyExchangeDN.
    AddressBook {
        /// The legacyExchangeDN.
        legacy_dn: String,
    },
}

impl EntryTarget {
    /// The address type and address it names.
    pub fn address(&self) -> (&str, &str) {
        match self {
            EntryTarget::OneOff {
                address_type,
                address,
                ..
            } => (address_type, address),
            EntryTarget::AddressBook { legacy_dn } => ("EX", legacy_dn),
        }
    }
}

/// Reads an entry id; `None` for kinds that name no address (a message's or folder's id).
pub fn parse(id: &[u8]) -> Option<EntryTarget> {
    if id.len() < 24 || id[..4] != [0, 0, 0, 0] {
        return None;
    }
    let provider = &id[4..20];
    if provider == ONE_OFF_PROVIDER {
        let flags = u16::from_le_bytes([id[22], id[23]]);
        let rest = &id[24..];
        let mut strings: Vec<String> = if flags & ONE_OFF_UNICODE != 0 {
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
        if strings.len() < 3 {
            return None;
        }
        let address = strings.pop().unwrap_or_default();
        let address_type = strings.pop().unwrap_or_default();
        let name = strings.pop().unwrap_or_default();
        return Some(EntryTarget::OneOff {
            name,
            address_type,
            address,
        });
    }
    if provider == ADDRESS_BOOK_PROVIDER && id.len() > 28 {
        let dn = id[28..].split(|byte| *byte == 0).next()?;
        return Some(EntryTarget::AddressBook {
            legacy_dn: String::from_utf8_lossy(dn).into_owned(),
        });
    }
    None
}

/// A one-off entry id for an SMTP address, as Outlook writes one (UTF-16 strings).
pub fn one_off(name: &str, address: &str) -> Vec<u8> {
    let mut id = Vec::with_capacity(24 + 2 * (name.len() + address.len() + 8));
    id.extend_from_slice(&[0, 0, 0, 0]);
    id.extend_from_slice(&ONE_OFF_PROVIDER);
    id.extend_from_slice(&0u16.to_le_bytes());
    id.extend_from_slice(&(ONE_OFF_UNICODE | ONE_OFF_NO_RICH_INFO).to_le_bytes());
    for text in [name, "SMTP", address] {
        for unit in text.encode_utf16().chain([0]) {
            id.extend_from_slice(&unit.to_le_bytes());
        }
    }
    id
}

/// `PidTagSearchKey` of an SMTP address: `SMTP:ADDRESS` upper case, NUL-terminated.
pub fn smtp_search_key(address: &str) -> Vec<u8> {
    let mut key = format!("SMTP:{address}").to_uppercase().into_bytes();
    key.push(0);
    key
}

/// The entry ids of a FlatEntryList; `None` if it is malformed.
pub fn parse_flat_entry_list(list: &[u8]) -> Option<Vec<Vec<u8>>> {
    let count = u32::from_le_bytes(list.get(..4)?.try_into().ok()?) as usize;
    let mut offset = 8usize;
    let mut ids = Vec::with_capacity(count.min(list.len() / 4));
    for _ in 0..count {
        let length = u32::from_le_bytes(list.get(offset..offset + 4)?.try_into().ok()?) as usize;
        let id = list.get(offset + 4..offset.checked_add(4 + length)?)?;
        ids.push(id.to_vec());
        offset += 4 + length.next_multiple_of(4);
    }
    Some(ids)
}

/// A FlatEntryList of entry ids, each padded to four bytes.
pub fn flat_entry_list(ids: &[Vec<u8>]) -> Vec<u8> {
    let body: usize = ids.iter().map(|id| 4 + id.len().next_multiple_of(4)).sum();
    let mut list = Vec::with_capacity(8 + body);
    list.extend_from_slice(&(ids.len() as u32).to_le_bytes());
    list.extend_from_slice(&(body as u32).to_le_bytes());
    for id in ids {
        list.extend_from_slice(&(id.len() as u32).to_le_bytes());
        list.extend_from_slice(id);
        list.resize(list.len() + (id.len().next_multiple_of(4) - id.len()), 0);
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An address-book entry id as Exchange writes one (from the recorded export).
    fn address_book(dn: &str) -> Vec<u8> {
        let mut id = vec![0, 0, 0, 0];
        id.extend_from_slice(&ADDRESS_BOOK_PROVIDER);
        id.extend_from_slice(&1u32.to_le_bytes());
        id.extend_from_slice(&0u32.to_le_bytes());
        id.extend_from_slice(dn.as_bytes());
        id.push(0);
        id
    }

    #[test]
    fn reads_and_writes_the_address_forms() {
        let id = one_off("Zoë Müller", "zoe@fabrikam.com");
        assert_eq!(
            parse(&id),
            Some(EntryTarget::OneOff {
                name: "Zoë Müller".into(),
                address_type: "SMTP".into(),
                address: "zoe@fabrikam.com".into(),
            })
        );
        let dn = "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=1a2b-zoe";
        assert_eq!(
            parse(&address_book(dn)).map(|t| t.address().1.to_string()),
            Some(dn.into())
        );
        assert_eq!(parse(&[0u8; 10]), None);
        assert_eq!(smtp_search_key("Zoe@x.com"), b"SMTP:ZOE@X.COM\0");
        let list = flat_entry_list(&[id.clone(), address_book(dn)]);
        assert_eq!(
            parse_flat_entry_list(&list),
            Some(vec![id, address_book(dn)])
        );
        assert_eq!(parse_flat_entry_list(&list[..list.len() - 20]), None);
    }
}
