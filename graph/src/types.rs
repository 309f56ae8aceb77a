//! The objects of Graph's mailbox import/export API, as its JSON spells them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A mailbox's Graph id (`MBX:e0643f21@a7809c93`), opaque.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MailboxId(pub String);

impl MailboxId {
    /// The id as Graph spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for MailboxId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `exchangeSettings`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeSettings {
    /// The user's primary mailbox.
    pub primary_mailbox_id: MailboxId,
}

/// `mailboxFolder`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Folder {
    /// Id.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub display_name: String,
    /// Parent id.
    #[serde(default)]
    pub parent_folder_id: Option<String>,
    /// Folder class (`IPF.Note`...).
    #[serde(default, rename = "type")]
    pub folder_class: Option<String>,
    /// Locale-independent name of a folder Outlook made (`inbox`...), `null` otherwise.
    #[serde(default)]
    pub well_known_name: Option<String>,
    /// Items in it.
    #[serde(default)]
    pub total_item_count: Option<u64>,
    /// Direct subfolders.
    #[serde(default)]
    pub child_folder_count: Option<u64>,
    /// Properties asked for with `$expand`.
    #[serde(default)]
    pub single_value_extended_properties: Vec<ExtendedProperty>,
}

impl Folder {
    /// The value of an expanded property (ids matched as [`Item::property`] does).
    pub fn property(&self, id: &str) -> Option<&str> {
        property(&self.single_value_extended_properties, id)
    }
}

/// A single-value extended (MAPI) property, `{"id": "String 0x37", "value": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtendedProperty {
    /// Graph's property id (`SystemTime 0xe06`, `String {guid} Name X`).
    pub id: String,
    /// The value as text.
    pub value: Option<String>,
}

/// `mailboxItem`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    /// Id.
    pub id: String,
    /// Message class (`IPM.Note`...).
    #[serde(default, rename = "type")]
    pub item_class: Option<String>,
    /// Size in bytes.
    #[serde(default)]
    pub size: Option<u64>,
    /// Created.
    #[serde(default)]
    pub created_date_time: Option<DateTime<Utc>>,
    /// Last modified.
    #[serde(default)]
    pub last_modified_date_time: Option<DateTime<Utc>>,
    /// Change key.
    #[serde(default)]
    pub change_key: Option<String>,
    /// Properties asked for with `$expand`.
    #[serde(default)]
    pub single_value_extended_properties: Vec<ExtendedProperty>,
}

impl Item {
    /// The value of an expanded property, matching ids as Graph compares them (it echoes GUIDs
    /// and tags in its own spelling: `SystemTime 0xe06` for `SystemTime 0x0E06`).
    pub fn property(&self, id: &str) -> Option<&str> {
        property(&self.single_value_extended_properties, id)
    }
}

fn property<'a>(properties: &'a [ExtendedProperty], id: &str) -> Option<&'a str> {
    let wanted = PropertyIdKey::of(id);
    properties
        .iter()
        .find(|property| PropertyIdKey::of(&property.id) == wanted)
        .and_then(|property| property.value.as_deref())
}

/// A property id in a form two spellings of the same id share: lower case, tags without
/// leading zeros.
#[derive(Debug, PartialEq, Eq)]
struct PropertyIdKey(Vec<String>);

impl PropertyIdKey {
    fn of(id: &str) -> PropertyIdKey {
        PropertyIdKey(
            id.split_whitespace()
                .enumerate()
                .map(|(at, word)| {
                    let word = word.to_ascii_lowercase();
                    // Names of named properties are compared without case too: the ones
                    // Ferry reads differ by more than case.
                    match word.strip_prefix("0x") {
                        Some(hex) if at > 0 => {
                            let digits = hex.trim_start_matches('0');
                            format!("0x{}", if digits.is_empty() { "0" } else { digits })
                        }
                        _ => word,
                    }
                })
                .collect(),
        )
    }
}

/// An item change in a delta round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemChange {
    /// Created or changed.
    Upserted(Item),
    /// Deleted (an `@removed` tombstone).
    Removed {
        /// The item's id.
        id: String,
    },
}

/// Where an item delta round starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeltaStart {
    /// A first round, for items received since a time if given (the one filter item delta
    /// supports).
    Initial {
        /// `receivedDateTime ge` this.
        received_since: Option<DateTime<Utc>>,
    },
    /// The `@odata.deltaLink` a previous round ended with.
    Link(String),
}

/// One delta round: every change since the start, and the link the next round starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemDelta {
    /// Changes, in the service's order.
    pub changes: Vec<ItemChange>,
    /// The next round's start.
    pub delta_link: String,
}

/// A `mailboxItemImportSession`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportSession {
    /// The pre-authenticated URL items are posted to (a secret: its query string carries the
    /// token).
    #[serde(rename = "importUrl")]
    pub(crate) import_url: String,
    /// When it stops working.
    pub expiration_date_time: DateTime<Utc>,
}

impl ImportSession {
    /// The URL, for sending only; never log it.
    pub fn expose_url(&self) -> &str {
        &self.import_url
    }
}

impl std::fmt::Debug for ImportSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportSession")
            .field("import_url", &"<redacted>")
            .field("expiration_date_time", &self.expiration_date_time)
            .finish()
    }
}

/// What an import created.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportedItem {
    /// The new item's id.
    pub item_id: String,
    /// Its change key.
    #[serde(default)]
    pub change_key: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expanded_properties_match_whatever_the_spelling() {
        let item: Item = serde_json::from_value(serde_json::json!({
            "id": "a",
            "singleValueExtendedProperties": [
                {"id": "SystemTime 0xe06", "value": "2026-01-02T03:04:05Z"},
                {"id": "String {00020329-0000-0000-c000-000000000046} Name FerrySourceItem", "value": "ab"}
            ]
        }))
        .expect("item");
        assert_eq!(
            item.property("SystemTime 0x0E06"),
            Some("2026-01-02T03:04:05Z")
        );
        assert_eq!(
            item.property("String {00020329-0000-0000-C000-000000000046} Name FerrySourceItem"),
            Some("ab")
        );
        assert_eq!(item.property("String 0x37"), None);
    }

    #[test]
    fn an_import_session_never_prints_its_url() {
        let session: ImportSession = serde_json::from_value(serde_json::json!({
            "importUrl": "https://outlook.office365.com/api/gv1.0/Mailboxes('MBX:a@b')/importItem?authtoken=SECRET",
            "expirationDateTime": "2026-01-01T00:00:00Z"
        }))
        .expect("session");
        assert!(!format!("{session:?}").contains("SECRET"));
        assert!(session.expose_url().contains("SECRET"));
    }
}
