//! Graph's identifiers: mailbox ids (`MBX:e0643f21@a7809c93`), user object ids, and the REST
//! form of folder and item ids.
//!
//! Mailbox ids are opaque to clients. Here they are derived from the mailbox GUID and the tenant
//! id, so the same seed gives the same ids run after run; a clash of the short mailbox part
//! inside a tenant is resolved by rehashing, so every id names one mailbox. Folder and item ids
//! are the EWS ids in URL-safe base64 (`-` and `_` for `+` and `/`, as the ids in Graph's
//! examples are), so they can sit in a path; both spellings are accepted back.

use std::collections::HashMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::ids::{IdError, ObjectId};
use crate::model::{Directory, Mailbox, Tenant};

/// Every mailbox's Graph id, both ways.
#[derive(Debug, Default)]
pub struct MailboxIndex {
    by_id: HashMap<String, (Uuid, Arc<Mailbox>)>,
    by_guid: HashMap<Uuid, String>,
    by_user: HashMap<Uuid, Arc<Mailbox>>,
}

impl MailboxIndex {
    /// Assigns ids to every mailbox of the directory, in provisioning order.
    pub fn new(directory: &Directory) -> MailboxIndex {
        let mut index = MailboxIndex::default();
        for tenant in directory.tenants() {
            for mailbox in tenant.mailboxes() {
                let id = (0u32..)
                    .map(|attempt| candidate_id(tenant, mailbox.guid, attempt))
                    .find(|id| !index.by_id.contains_key(id))
                    .unwrap_or_default();
                index
                    .by_id
                    .insert(id.clone(), (tenant.tenant_id, Arc::clone(mailbox)));
                index.by_guid.insert(mailbox.guid, id);
                index
                    .by_user
                    .insert(user_object_id(mailbox.guid), Arc::clone(mailbox));
            }
        }
        index
    }

    /// The tenant a mailbox belongs to.
    pub fn tenant_of(&self, mailbox: &Uuid) -> Option<Uuid> {
        let id = self.by_guid.get(mailbox)?;
        self.by_id.get(id).map(|(tenant_id, _)| *tenant_id)
    }

    /// The Graph id of a mailbox.
    pub fn id_of(&self, mailbox: &Uuid) -> Option<&str> {
        self.by_guid.get(mailbox).map(String::as_str)
    }

    /// The mailbox a Graph id names inside `tenant`; ids are compared case-insensitively.
    pub fn mailbox(&self, tenant: &Tenant, id: &str) -> Option<&Arc<Mailbox>> {
        self.by_id
            .get(&id.trim().to_ascii_lowercase())
            .filter(|(tenant_id, _)| *tenant_id == tenant.tenant_id)
            .map(|(_, mailbox)| mailbox)
    }

    /// The mailbox of a user named by object id, UPN or SMTP address (primary or alias).
    pub fn user_mailbox<'a>(&'a self, tenant: &'a Tenant, user: &str) -> Option<&'a Arc<Mailbox>> {
        if let Ok(object_id) = Uuid::parse_str(user.trim()) {
            return self
                .by_user
                .get(&object_id)
                .filter(|mailbox| tenant.mailbox_by_guid(&mailbox.guid).is_some());
        }
        tenant.mailbox_by_address(user)
    }
}

/// `MBX:<8 hex>@<8 hex>`: the mailbox part from the mailbox GUID (rehashed on a clash), the
/// tenant part from the tenant id.
fn candidate_id(tenant: &Tenant, guid: Uuid, attempt: u32) -> String {
    let mailbox_part = if attempt == 0 {
        guid.simple().to_string()[..8].to_string()
    } else {
        let mut hasher = Sha256::new();
        hasher.update(guid.as_bytes());
        hasher.update(attempt.to_le_bytes());
        hex::encode(&hasher.finalize()[..4])
    };
    format!(
        "mbx:{mailbox_part}@{}",
        &tenant.tenant_id.simple().to_string()[..8]
    )
}

/// Writes an id as clients see it: `MBX:` in capitals, as in Graph's examples.
pub fn display_mailbox_id(id: &str) -> String {
    match id.strip_prefix("mbx:") {
        Some(rest) => format!("MBX:{rest}"),
        None => id.to_string(),
    }
}

/// The directory object id of the user who owns a mailbox: stable, and distinct from the
/// mailbox GUID as in Entra ID.
pub fn user_object_id(mailbox: Uuid) -> Uuid {
    let mut hasher = Sha256::new();
    hasher.update(b"ferry-sim user object");
    hasher.update(mailbox.as_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// A folder or item id in Graph's URL-safe form.
pub fn rest_id(id: ObjectId) -> String {
    id.encode().replace('+', "-").replace('/', "_")
}

/// Decodes a folder or item id written either way (Graph's URL-safe form or EWS's).
pub fn parse_rest_id(text: &str) -> Result<ObjectId, IdError> {
    ObjectId::decode(&text.trim().replace('-', "+").replace('_', "/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Locale, MailboxKind, MailboxState};

    fn mailbox(guid: u128, address: &str) -> Mailbox {
        Mailbox::new(
            Uuid::from_u128(guid),
            address.into(),
            vec![],
            address.into(),
            MailboxKind::User,
            Locale::English,
            MailboxState::new(Locale::English, 0),
        )
    }

    #[test]
    fn ids_are_stable_unique_and_found_in_their_tenant_only() {
        // Two GUIDs with the same first eight hex digits clash on the short form.
        let tenant = Tenant::new(
            "source".into(),
            Uuid::from_u128(0xa7809c93_0000_0000_0000_000000000001),
            "contoso.example".into(),
            vec![],
            vec![],
            vec![
                mailbox(
                    0xe0643f21_0000_0000_0000_000000000001,
                    "ann@contoso.example",
                ),
                mailbox(
                    0xe0643f21_0000_0000_0000_000000000002,
                    "bob@contoso.example",
                ),
            ],
        );
        let other = Tenant::new(
            "destination".into(),
            Uuid::from_u128(0xb1),
            "fabrikam.example".into(),
            vec![],
            vec![],
            vec![],
        );
        let directory = Directory::new(vec![tenant, other]);
        let index = MailboxIndex::new(&directory);
        let tenant = &directory.tenants()[0];
        let ann = tenant.mailboxes()[0].guid;
        let bob = tenant.mailboxes()[1].guid;
        assert_eq!(index.id_of(&ann), Some("mbx:e0643f21@a7809c93"));
        let bob_id = index.id_of(&bob).expect("bob has an id").to_string();
        assert_ne!(bob_id, "mbx:e0643f21@a7809c93");
        assert_eq!(
            index
                .mailbox(tenant, "MBX:E0643F21@a7809c93")
                .map(|mailbox| mailbox.guid),
            Some(ann)
        );
        assert_eq!(display_mailbox_id(&bob_id)[..4], *"MBX:");
        assert!(index
            .mailbox(&directory.tenants()[1], "mbx:e0643f21@a7809c93")
            .is_none());
        let user = user_object_id(ann);
        assert_ne!(user, ann);
        assert_eq!(
            index
                .user_mailbox(tenant, &user.to_string())
                .map(|mailbox| mailbox.guid),
            Some(ann)
        );
        assert!(index.user_mailbox(tenant, "BOB@contoso.example").is_some());
    }

    #[test]
    fn rest_ids_are_url_safe_and_read_back_either_way() {
        let id = (0..64)
            .map(|seq| ObjectId::item(Uuid::from_u128(0xfbff_ffff), seq))
            .find(|id| id.encode().contains('/') || id.encode().contains('+'))
            .expect("some id has a + or /");
        let rest = rest_id(id);
        assert!(!rest.contains('/') && !rest.contains('+'));
        assert_eq!(parse_rest_id(&rest), Ok(id));
        assert_eq!(parse_rest_id(&id.encode()), Ok(id));
    }
}
