//! Opaque identifiers: folder and item ids, change keys and sync states.
//!
//! Like Exchange's, ids are base64 of a binary structure that names the mailbox, so an id from one
//! mailbox is recognised as foreign in another, and a mangled id is `ErrorInvalidIdMalformed`
//! rather than a silent miss. Clients must treat them as opaque; nothing here is a contract.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use uuid::Uuid;

const ID_VERSION: u8 = 0x5A;
const ID_LEN: usize = 1 + 1 + 16 + 8 + 1;
const SYNC_STATE_VERSION: u8 = 0x53;

/// What an id points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// A folder id.
    Folder,
    /// An item id.
    Item,
    /// An attachment id: the item's number in the upper bits, the attachment's index in the low 16.
    Attachment,
}

impl ObjectKind {
    fn tag(self) -> u8 {
        match self {
            ObjectKind::Folder => 1,
            ObjectKind::Item => 2,
            ObjectKind::Attachment => 3,
        }
    }
}

/// A decoded folder or item id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectId {
    /// Folder or item.
    pub kind: ObjectKind,
    /// The mailbox the object lives in.
    pub mailbox: Uuid,
    /// The object's number inside its mailbox.
    pub seq: u64,
}

/// Why an id string could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The id is empty.
    #[error("id is empty")]
    Empty,
    /// The id is not one the simulator issued.
    #[error("id is malformed")]
    Malformed,
}

impl ObjectId {
    /// A folder id.
    pub fn folder(mailbox: Uuid, seq: u64) -> Self {
        ObjectId {
            kind: ObjectKind::Folder,
            mailbox,
            seq,
        }
    }

    /// An item id.
    pub fn item(mailbox: Uuid, seq: u64) -> Self {
        ObjectId {
            kind: ObjectKind::Item,
            mailbox,
            seq,
        }
    }

    /// An attachment id: attachment `index` of item `item_seq`.
    pub fn attachment(mailbox: Uuid, item_seq: u64, index: u16) -> Self {
        ObjectId {
            kind: ObjectKind::Attachment,
            mailbox,
            seq: (item_seq << 16) | u64::from(index),
        }
    }

    /// The id as clients see it.
    pub fn encode(&self) -> String {
        let mut bytes = [0u8; ID_LEN];
        bytes[0] = ID_VERSION;
        bytes[1] = self.kind.tag();
        bytes[2..18].copy_from_slice(self.mailbox.as_bytes());
        bytes[18..26].copy_from_slice(&self.seq.to_le_bytes());
        bytes[26] = checksum(&bytes[..26]);
        STANDARD.encode(bytes)
    }

    /// Decodes an id a client sent back.
    pub fn decode(text: &str) -> Result<ObjectId, IdError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(IdError::Empty);
        }
        let bytes = STANDARD.decode(text).map_err(|_| IdError::Malformed)?;
        if bytes.len() != ID_LEN || bytes[0] != ID_VERSION || bytes[26] != checksum(&bytes[..26]) {
            return Err(IdError::Malformed);
        }
        let kind = match bytes[1] {
            1 => ObjectKind::Folder,
            2 => ObjectKind::Item,
            3 => ObjectKind::Attachment,
            _ => return Err(IdError::Malformed),
        };
        let mailbox = Uuid::from_slice(&bytes[2..18]).map_err(|_| IdError::Malformed)?;
        let mut seq = [0u8; 8];
        seq.copy_from_slice(&bytes[18..26]);
        Ok(ObjectId {
            kind,
            mailbox,
            seq: u64::from_le_bytes(seq),
        })
    }
}

fn checksum(bytes: &[u8]) -> u8 {
    bytes
        .iter()
        .fold(0x3Du8, |sum, byte| sum.rotate_left(1) ^ byte)
}

/// A change key: the version of an object, which changes whenever the object does.
pub fn change_key(version: u64) -> String {
    let mut bytes = [0u8; 12];
    bytes[..4].copy_from_slice(b"CQAA");
    bytes[4..].copy_from_slice(&version.to_le_bytes());
    STANDARD.encode(bytes)
}

/// The position a client has reached in a folder's (or a hierarchy's) change log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncState {
    /// The mailbox the state belongs to.
    pub mailbox: Uuid,
    /// The folder being synchronised (the hierarchy root, for `SyncFolderHierarchy`).
    pub folder_seq: u64,
    /// Every change numbered at or below this has been reported.
    pub watermark: u64,
}

impl SyncState {
    /// The state as the opaque string clients store.
    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(34);
        bytes.push(SYNC_STATE_VERSION);
        bytes.extend_from_slice(self.mailbox.as_bytes());
        bytes.extend_from_slice(&self.folder_seq.to_le_bytes());
        bytes.extend_from_slice(&self.watermark.to_le_bytes());
        bytes.push(checksum(&bytes));
        STANDARD.encode(bytes)
    }

    /// Decodes a state a client sent back; `None` if it was not issued here.
    pub fn decode(text: &str) -> Option<SyncState> {
        let bytes = STANDARD.decode(text.trim()).ok()?;
        if bytes.len() != 34
            || bytes[0] != SYNC_STATE_VERSION
            || bytes[33] != checksum(&bytes[..33])
        {
            return None;
        }
        let mailbox = Uuid::from_slice(&bytes[1..17]).ok()?;
        let folder_seq = u64::from_le_bytes(bytes[17..25].try_into().ok()?);
        let watermark = u64::from_le_bytes(bytes[25..33].try_into().ok()?);
        Some(SyncState {
            mailbox,
            folder_seq,
            watermark,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_tampering() {
        let id = ObjectId::item(Uuid::from_u128(0x1234), 99);
        let text = id.encode();
        assert_eq!(ObjectId::decode(&text), Ok(id));
        let mut tampered = text.into_bytes();
        tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).expect("ascii");
        assert_eq!(ObjectId::decode(&tampered), Err(IdError::Malformed));
        assert_eq!(ObjectId::decode("  "), Err(IdError::Empty));
        assert_eq!(ObjectId::decode("not base64!"), Err(IdError::Malformed));
    }

    #[test]
    fn sync_states_round_trip() {
        let state = SyncState {
            mailbox: Uuid::from_u128(7),
            folder_seq: 3,
            watermark: 12345,
        };
        assert_eq!(SyncState::decode(&state.encode()), Some(state));
        assert_eq!(
            SyncState::decode("H4sIAAAAAAAEAGNgYGcAAotqE0tHE2NTA0ddZ3NH"),
            None
        );
    }
}
