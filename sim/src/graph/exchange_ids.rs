//! The other folder ids Graph knows beside the mailbox API's: the MAPI entry id
//! (`PidTagEntryId`) and the users API's REST id (`/users/{id}/mailFolders/{id}`).
//!
//! Microsoft says only the ids from List folders work with the mailbox import/export API and
//! documents nothing about how they relate to the users API's, so the simulator keeps the two
//! apart on purpose: a REST id has its own byte layout, and a client that passes one where the
//! other is wanted is refused. The entry id is the bridge (`translateExchangeIds`, and the
//! mailbox API's `Binary 0x0FFF` through `$expand`).
//!
//! - Entry id, 46 bytes as a real folder entry id: flags (4 bytes, 0), provider uid (the
//!   mailbox GUID, 16), folder type `0x0001` (2, little-endian as MAPI writes it), the database
//!   GUID (here the tenant id, 16), the folder's global counter (its number, 6 bytes
//!   big-endian) and 2 bytes 0.
//! - REST id, 89 bytes shaped like Exchange's `AAMkAG…` ids: `00 03 24 00`, the mailbox GUID
//!   as 36 ASCII characters, `00`, the entry id's length (`u16` little-endian, 46) and the
//!   entry id; written in URL-safe base64 with `=` padding.
//!
//! Both are read back in either base64 alphabet, padded or not.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};
use base64::Engine;
use uuid::Uuid;

/// The length of a folder entry id.
pub const ENTRY_ID_LEN: usize = 46;

const REST_PREFIX: [u8; 4] = [0x00, 0x03, 0x24, 0x00];
const REST_ID_LEN: usize = 4 + 36 + 1 + 2 + ENTRY_ID_LEN;

/// A folder as its entry id names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderEntry {
    /// The mailbox (the provider uid).
    pub mailbox: Uuid,
    /// The tenant (the database GUID).
    pub tenant: Uuid,
    /// The folder's number in its mailbox.
    pub seq: u64,
}

impl FolderEntry {
    /// The 46 bytes of the entry id.
    pub fn entry_id(&self) -> [u8; ENTRY_ID_LEN] {
        let mut bytes = [0u8; ENTRY_ID_LEN];
        bytes[4..20].copy_from_slice(self.mailbox.as_bytes());
        bytes[20..22].copy_from_slice(&1u16.to_le_bytes());
        bytes[22..38].copy_from_slice(self.tenant.as_bytes());
        bytes[38..44].copy_from_slice(&self.seq.to_be_bytes()[2..]);
        bytes
    }

    /// Reads an entry id's bytes; `None` if they are not a folder entry id.
    pub fn from_entry_id(bytes: &[u8]) -> Option<FolderEntry> {
        if bytes.len() != ENTRY_ID_LEN
            || bytes[..4] != [0; 4]
            || bytes[20..22] != 1u16.to_le_bytes()
            || bytes[44..] != [0; 2]
        {
            return None;
        }
        let mut seq = [0u8; 8];
        seq[2..].copy_from_slice(&bytes[38..44]);
        Some(FolderEntry {
            mailbox: Uuid::from_slice(&bytes[4..20]).ok()?,
            tenant: Uuid::from_slice(&bytes[22..38]).ok()?,
            seq: u64::from_be_bytes(seq),
        })
    }

    /// The entry id in URL-safe base64 with padding, as `translateExchangeIds` writes it.
    pub fn entry_id_text(&self) -> String {
        URL_SAFE.encode(self.entry_id())
    }

    /// The users API's REST id.
    pub fn rest_id(&self) -> String {
        let mut bytes = Vec::with_capacity(REST_ID_LEN);
        bytes.extend_from_slice(&REST_PREFIX);
        bytes.extend_from_slice(self.mailbox.hyphenated().to_string().as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(&(ENTRY_ID_LEN as u16).to_le_bytes());
        bytes.extend_from_slice(&self.entry_id());
        URL_SAFE.encode(bytes)
    }

    /// Reads a REST id; `None` if it is not one (a mailbox-API id, say).
    pub fn from_rest_id(text: &str) -> Option<FolderEntry> {
        let bytes = decode_base64(text)?;
        if bytes.len() != REST_ID_LEN || bytes[..4] != REST_PREFIX || bytes[40] != 0 {
            return None;
        }
        let guid = Uuid::parse_str(std::str::from_utf8(&bytes[4..40]).ok()?).ok()?;
        if bytes[41..43] != (ENTRY_ID_LEN as u16).to_le_bytes() {
            return None;
        }
        FolderEntry::from_entry_id(&bytes[43..]).filter(|entry| entry.mailbox == guid)
    }

    /// Reads an entry id written in base64.
    pub fn from_entry_id_text(text: &str) -> Option<FolderEntry> {
        FolderEntry::from_entry_id(&decode_base64(text)?)
    }
}

/// Decodes base64 in either alphabet, with or without padding.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let standard: String = text
        .trim()
        .trim_end_matches('=')
        .chars()
        .map(|ch| match ch {
            '-' => '+',
            '_' => '/',
            other => other,
        })
        .collect();
    STANDARD_NO_PAD.decode(standard).ok()
}

/// Standard base64 (`singleValueExtendedProperties` values).
pub fn standard_base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_and_rest_ids_round_trip_and_differ_from_mailbox_api_ids() {
        let entry = FolderEntry {
            mailbox: Uuid::from_u128(0xe0643f21_0000_0000_0000_0000000000ff),
            tenant: Uuid::from_u128(0xa7809c93),
            seq: 0x0102_0304_0506,
        };
        let bytes = entry.entry_id();
        assert_eq!(bytes.len(), 46);
        assert_eq!(bytes[38..44], [1, 2, 3, 4, 5, 6]);
        assert_eq!(FolderEntry::from_entry_id(&bytes), Some(entry));
        let rest = entry.rest_id();
        assert!(rest.starts_with("AAMkA") && rest.ends_with('='), "{rest}");
        assert!(!rest.contains('+') && !rest.contains('/'));
        assert_eq!(FolderEntry::from_rest_id(&rest), Some(entry));
        assert_eq!(
            FolderEntry::from_rest_id(rest.trim_end_matches('=')),
            Some(entry)
        );
        let text = entry.entry_id_text();
        assert_eq!(
            FolderEntry::from_entry_id_text(&STANDARD.encode(bytes)),
            Some(entry)
        );
        assert_eq!(FolderEntry::from_entry_id_text(&text), Some(entry));
        assert_eq!(FolderEntry::from_rest_id(&text), None);
        let mailbox_api =
            super::super::ids::rest_id(crate::ids::ObjectId::folder(entry.mailbox, 9));
        assert_eq!(FolderEntry::from_rest_id(&mailbox_api), None);
        assert_eq!(FolderEntry::from_entry_id_text(&mailbox_api), None);
    }
}
