//! The state tokens of the delta functions (`$skiptoken` in `@odata.nextLink`, `$deltatoken`
//! in `@odata.deltaLink`): where a round of change tracking stands in the mailbox's change log,
//! with the query options of the round's first call folded in, as Graph does.
//!
//! A token is base64url of its JSON with a checksum. One that does not decode or whose
//! checksum fails is 400 `ErrorInvalidSyncStateData` (Exchange's code for a corrupt sync
//! state); a well-formed one this simulator run does not know (issued by an earlier run, or for
//! another mailbox or folder) is 410 `SyncStateNotFound`, telling the client to start over
//! without a token. The docs name neither error; both are assumptions following Graph's delta
//! conventions.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::error::GraphError;

/// What a round tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeltaScope {
    /// The items of a folder.
    Items(u64),
    /// Every folder of the mailbox.
    Folders,
    /// The direct children of a folder.
    ChildFolders(u64),
}

/// A position in a round of change tracking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeltaState {
    /// The simulator run that issued it.
    pub instance: u64,
    /// The mailbox.
    pub mailbox: Uuid,
    /// What is tracked.
    pub scope: DeltaScope,
    /// Changes numbered up to here were reported in earlier rounds.
    pub base: u64,
    /// This round reports the changes numbered in `base + 1 ..= upto`.
    pub upto: u64,
    /// This round has reported changes up to here.
    pub position: u64,
    /// Objects per page.
    pub page_size: usize,
    /// `$select`, as the type spells the properties.
    pub select: Option<Vec<String>>,
    /// `$filter=receivedDateTime gt|ge {value}`: whether `gt`, and the time.
    pub received_after: Option<(bool, i64)>,
    /// `$orderby=receivedDateTime desc`.
    pub newest_first: bool,
    /// Whether this is a `$skiptoken` (within a round) rather than a `$deltatoken`.
    pub within_round: bool,
}

const CHECKSUM_LEN: usize = 8;

fn checksum(payload: &[u8]) -> [u8; CHECKSUM_LEN] {
    let mut hasher = Sha256::new();
    hasher.update(b"ferry-sim graph delta token");
    hasher.update(payload);
    let digest = hasher.finalize();
    let mut sum = [0u8; CHECKSUM_LEN];
    sum.copy_from_slice(&digest[..CHECKSUM_LEN]);
    sum
}

impl DeltaState {
    /// The token text.
    pub fn encode(&self) -> String {
        let mut bytes = serde_json::to_vec(self).unwrap_or_default();
        let sum = checksum(&bytes);
        bytes.extend_from_slice(&sum);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Reads a token back, checking it belongs to this run, mailbox and scope.
    pub fn decode(
        text: &str,
        instance: u64,
        mailbox: Uuid,
        scope: DeltaScope,
        within_round: bool,
    ) -> Result<DeltaState, GraphError> {
        let corrupt = || {
            GraphError::new(
                400,
                "ErrorInvalidSyncStateData",
                "Synchronization state data is corrupt or otherwise invalid.",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| corrupt())?;
        if bytes.len() <= CHECKSUM_LEN {
            return Err(corrupt());
        }
        let (payload, sum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
        if checksum(payload) != sum {
            return Err(corrupt());
        }
        let state: DeltaState = serde_json::from_slice(payload).map_err(|_| corrupt())?;
        if state.within_round != within_round {
            return Err(GraphError::bad_request(if within_round {
                "This token is a $deltatoken; send it as $deltatoken, as the @odata.deltaLink does."
            } else {
                "This token is a $skiptoken; send it as $skiptoken, as the @odata.nextLink does."
            }));
        }
        if state.instance != instance || state.mailbox != mailbox || state.scope != scope {
            return Err(not_found());
        }
        Ok(state)
    }
}

/// 410 `SyncStateNotFound`: the token is well formed but not known here.
pub fn not_found() -> GraphError {
    GraphError::new(
        410,
        "SyncStateNotFound",
        "The sync state this token names is not found; start a new round of change tracking without a token.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> DeltaState {
        DeltaState {
            instance: 9,
            mailbox: Uuid::from_u128(1),
            scope: DeltaScope::Items(4),
            base: 0,
            upto: 10,
            position: 3,
            page_size: 2,
            select: Some(vec!["size".into()]),
            received_after: Some((true, 1_600_000_000)),
            newest_first: false,
            within_round: true,
        }
    }

    #[test]
    fn round_trips_and_tells_corrupt_from_unknown() {
        let token = state().encode();
        assert!(!token.contains(['+', '/', '=']), "url-safe: {token}");
        let mailbox = Uuid::from_u128(1);
        assert_eq!(
            DeltaState::decode(&token, 9, mailbox, DeltaScope::Items(4), true),
            Ok(state())
        );
        let mut garbled = token.clone().into_bytes();
        garbled[5] = if garbled[5] == b'A' { b'B' } else { b'A' };
        let garbled = String::from_utf8(garbled).expect("ascii");
        let error = DeltaState::decode(&garbled, 9, mailbox, DeltaScope::Items(4), true)
            .expect_err("garbled");
        assert_eq!(
            (error.status, error.code),
            (400, "ErrorInvalidSyncStateData")
        );
        let error = DeltaState::decode(&token, 10, mailbox, DeltaScope::Items(4), true)
            .expect_err("another run");
        assert_eq!((error.status, error.code), (410, "SyncStateNotFound"));
        assert_eq!(
            DeltaState::decode(&token, 9, mailbox, DeltaScope::Items(5), true)
                .expect_err("another folder")
                .status,
            410
        );
        assert_eq!(
            DeltaState::decode(&token, 9, mailbox, DeltaScope::Items(4), false)
                .expect_err("as the wrong kind")
                .status,
            400
        );
    }
}
