//! Folder permissions and inbox rules: copied once per pass, with addresses mapped from the
//! source tenant to the destination by the project's recipient mapping (its mailboxes and its
//! expressions, so a delegate or a forwarding rule points at the user's new mailbox) and rule
//! folders mapped to their destination folders. Both are idempotent:
//! permissions replace the destination's set; a rule whose name the destination already has is
//! left alone.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use ferry_core::mail::{
    FolderId, FolderPermission, FolderPermissions, Grantee, InboxRule, MailApi, MailError,
    MailFolder, RuleAddress, RuleFolder, RuleValue,
};
use ferry_core::mapping::RecipientMapping;
use ferry_core::model::{ItemErrorRecord, PassId};
use ferry_core::pacing::{Lane, Repeat};

use crate::folders::FolderPair;

/// Whether a permission set only says what a new folder has anyway (Default and Anonymous, no
/// rights), so there is nothing to copy.
fn nothing_to_copy(permissions: &[FolderPermission]) -> bool {
    permissions.iter().all(FolderPermission::is_default_none)
}

/// Permissions with user addresses mapped; users not migrated are dropped and returned.
pub fn map_permissions(
    permissions: &FolderPermissions,
    addresses: &RecipientMapping,
) -> (FolderPermissions, Vec<String>) {
    let mut mapped = Vec::with_capacity(permissions.entries.len());
    let mut dropped = Vec::new();
    for permission in &permissions.entries {
        match &permission.grantee {
            Grantee::User { address, .. } => match addresses.map(address) {
                Some(destination) => mapped.push(FolderPermission {
                    grantee: Grantee::User {
                        address: destination,
                        display_name: None,
                    },
                    ..permission.clone()
                }),
                None => dropped.push(address.clone()),
            },
            _ => mapped.push(permission.clone()),
        }
    }
    let mapped = FolderPermissions {
        scope: permissions.scope,
        entries: mapped,
        unsupported: Vec::new(),
    };
    (mapped, dropped)
}

/// A rule ready to create at the destination, or why it cannot be.
pub fn translate_rule(
    rule: &InboxRule,
    addresses: &RecipientMapping,
    folders: &HashMap<FolderId, FolderId>,
) -> Result<InboxRule, String> {
    if !rule.unsupported.is_empty() {
        return Err(format!(
            "uses {} which cannot be recreated",
            rule.unsupported.join(", ")
        ));
    }
    let mut translated = rule.clone();
    translated.id = None;
    for entry in translated.entries_mut() {
        match &mut entry.value {
            RuleValue::Addresses(list) => {
                for address in list.iter_mut() {
                    if let Some(mapped) = address
                        .address
                        .as_deref()
                        .and_then(|source| addresses.map(source))
                    {
                        *address = RuleAddress {
                            name: address.name.clone(),
                            address: Some(mapped),
                        };
                    }
                }
            }
            RuleValue::Folder(RuleFolder::Id(id)) => match folders.get(id) {
                Some(destination) => *id = destination.clone(),
                None => return Err(format!("its {} folder was not migrated", entry.name)),
            },
            _ => {}
        }
    }
    Ok(translated)
}

/// Copies one mailbox's permissions and rules.
pub struct ExtrasCopier<'a> {
    /// The source tenant.
    pub source: &'a dyn MailApi,
    /// The destination tenant.
    pub destination: &'a dyn MailApi,
    /// Calls to the source mailbox.
    pub source_lane: &'a mut Lane,
    /// Calls to the destination mailbox.
    pub destination_lane: &'a mut Lane,
    /// The source mailbox.
    pub source_address: &'a str,
    /// The destination mailbox.
    pub destination_address: &'a str,
    /// Address mapping.
    pub addresses: &'a RecipientMapping,
    /// The pass, for error records.
    pub pass: &'a PassId,
}

impl ExtrasCopier<'_> {
    fn error(&self, place: &str, name: &str, code: &str, message: String) -> ItemErrorRecord {
        ItemErrorRecord {
            source_item_id: String::new(),
            folder_path: place.to_string(),
            code: code.to_string(),
            message,
            subject: name.to_string(),
            item_class: String::new(),
            size: 0,
            pass_id: self.pass.clone(),
            at: Utc::now(),
        }
    }

    /// Copies each folder's permissions; returns what could not be copied.
    pub async fn copy_permissions(&mut self, pairs: &[FolderPair]) -> Vec<ItemErrorRecord> {
        let mut errors = Vec::new();
        let (source, destination) = (self.source, self.destination);
        let (source_address, destination_address) = (self.source_address, self.destination_address);
        let mut not_carried = Vec::new();
        let mut carried = Vec::new();
        for pair in pairs {
            if source.capabilities().carries_permissions_of(&pair.source)
                && destination
                    .capabilities()
                    .carries_permissions_of(&pair.destination)
            {
                carried.push(pair);
            } else {
                not_carried.push(pair.path.as_str());
            }
        }
        // Read in as few calls as the protocol allows: most folders hold only the defaults.
        let folders: Vec<MailFolder> = carried.iter().map(|pair| pair.source.clone()).collect();
        let read = self
            .source_lane
            .call(Repeat::Safe, || {
                source.permissions_of(source_address, &folders)
            })
            .await;
        let read: Vec<Result<FolderPermissions, MailError>> = match read {
            Ok(read) => read,
            Err(error) => carried.iter().map(|_| Err(error.clone())).collect(),
        };
        for (pair, permissions) in carried.into_iter().zip(read) {
            let permissions = match permissions {
                Ok(permissions) => permissions,
                Err(error) => {
                    errors.push(self.error(
                        &pair.path,
                        "",
                        "permissions_not_read",
                        error.to_string(),
                    ));
                    continue;
                }
            };
            for entry in &permissions.unsupported {
                let message = format!("the source cannot describe this permission: {entry}");
                errors.push(self.error(&pair.path, entry, "permission_not_supported", message));
            }
            if nothing_to_copy(&permissions.entries) {
                continue;
            }
            let (mapped, dropped) = map_permissions(&permissions, self.addresses);
            for user in dropped {
                let message =
                    format!("{user} is not a migrated mailbox, so its permission was not copied");
                errors.push(self.error(&pair.path, &user, "permission_user_not_migrated", message));
            }
            let target = &pair.destination;
            let set = self
                .destination_lane
                .call(Repeat::Safe, || {
                    destination.set_permissions(destination_address, target, &mapped)
                })
                .await;
            if let Err(error) = set {
                errors.push(self.error(
                    &pair.path,
                    "",
                    "permissions_not_copied",
                    error.to_string(),
                ));
            }
        }
        if !not_carried.is_empty() {
            let message = format!(
                "permissions of {} folder(s) were not copied: {} cannot carry them ({})",
                not_carried.len(),
                protocols(source, destination),
                not_carried.join(", ")
            );
            errors.push(self.error("Folder permissions", "", "permissions_unsupported", message));
        }
        errors
    }

    /// Creates the source's inbox rules the destination does not have yet (by name); returns what
    /// could not be copied.
    pub async fn copy_rules(
        &mut self,
        folders: &HashMap<FolderId, FolderId>,
    ) -> Vec<ItemErrorRecord> {
        const PLACE: &str = "Inbox rules";
        let (source, destination) = (self.source, self.destination);
        if !source.capabilities().inbox_rules || !destination.capabilities().inbox_rules {
            let message = format!(
                "inbox rules were not copied: {} cannot carry them",
                protocols(source, destination)
            );
            return vec![self.error(PLACE, "", "rules_unsupported", message)];
        }
        let (source_address, destination_address) = (self.source_address, self.destination_address);
        let rules = match self
            .source_lane
            .call(Repeat::Safe, || source.rules(source_address))
            .await
        {
            Ok(rules) => rules,
            Err(error) => return vec![self.error(PLACE, "", "rules_not_read", error.to_string())],
        };
        if rules.is_empty() {
            return Vec::new();
        }
        let existing: HashSet<String> = match self
            .destination_lane
            .call(Repeat::Safe, || destination.rules(destination_address))
            .await
        {
            Ok(existing) => existing
                .into_iter()
                .map(|rule| rule.display_name.to_lowercase())
                .collect(),
            Err(error) => return vec![self.error(PLACE, "", "rules_not_read", error.to_string())],
        };
        let mut errors = Vec::new();
        for rule in rules
            .iter()
            .filter(|rule| !existing.contains(&rule.display_name.to_lowercase()))
        {
            let translated = match translate_rule(rule, self.addresses, folders) {
                Ok(translated) => translated,
                Err(why) => {
                    errors.push(self.error(
                        PLACE,
                        &rule.display_name,
                        "rule_not_supported",
                        format!("the rule {why}"),
                    ));
                    continue;
                }
            };
            let created = self
                .destination_lane
                .call(Repeat::Safe, || {
                    destination.create_rules(destination_address, std::slice::from_ref(&translated))
                })
                .await;
            if let Err(error) = created {
                errors.push(self.error(
                    PLACE,
                    &rule.display_name,
                    "rule_not_copied",
                    error.to_string(),
                ));
            }
        }
        errors
    }
}

/// The protocols of a source and a destination, for messages (`graph`, `ews to graph`).
fn protocols(source: &dyn MailApi, destination: &dyn MailApi) -> String {
    if source.protocol() == destination.protocol() {
        source.protocol().to_string()
    } else {
        format!("{} to {}", source.protocol(), destination.protocol())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_core::mail::{PermissionScope, RuleEntry};
    use ferry_core::model::{MailboxId, MailboxRecord, MailboxState, ProjectId};

    fn addresses() -> RecipientMapping {
        RecipientMapping::parse(&["@partner.example->@fabrikam.com".to_string()])
            .expect("valid")
            .with_mailbox_records(&[MailboxRecord {
                project_id: ProjectId("p".into()),
                id: MailboxId("m".into()),
                source_address: "Ann@Contoso.com".into(),
                destination_address: "ann@fabrikam.com".into(),
                state: MailboxState::NotStarted,
                pass_id: None,
                units_total: None,
                started_at: None,
                ended_at: None,
                failure: None,
            }])
    }

    fn user(address: &str) -> Grantee {
        Grantee::User {
            address: address.into(),
            display_name: Some("Someone".into()),
        }
    }

    #[test]
    fn permissions_follow_users_to_their_new_addresses() {
        let permissions = FolderPermissions {
            scope: PermissionScope::Folder,
            entries: vec![
                FolderPermission::with_level(Grantee::Default, "Reviewer"),
                FolderPermission::with_level(user("ann@contoso.com"), "Editor"),
                FolderPermission::with_level(user("stranger@elsewhere.com"), "Author"),
                FolderPermission::with_level(user("lee@partner.example"), "Reviewer"),
            ],
            unsupported: Vec::new(),
        };
        let (mapped, dropped) = map_permissions(&permissions, &addresses());
        assert_eq!(mapped.scope, PermissionScope::Folder);
        let mapped = mapped.entries;
        assert_eq!(mapped.len(), 3);
        assert_eq!(mapped[1].grantee, user_without_name("ann@fabrikam.com"));
        assert_eq!(mapped[1].level, "Editor");
        assert_eq!(
            mapped[2].grantee,
            user_without_name("lee@fabrikam.com"),
            "a mapping expression maps users outside the project too"
        );
        assert_eq!(dropped, vec!["stranger@elsewhere.com".to_string()]);
        assert!(!nothing_to_copy(&permissions.entries));
        assert!(nothing_to_copy(&[FolderPermission::with_level(
            Grantee::Default,
            "None"
        )]));
    }

    fn user_without_name(address: &str) -> Grantee {
        Grantee::User {
            address: address.into(),
            display_name: None,
        }
    }

    fn rule(entries: Vec<RuleEntry>) -> InboxRule {
        InboxRule {
            id: Some("old".into()),
            display_name: "Move invoices".into(),
            priority: 1,
            is_enabled: true,
            conditions: vec![RuleEntry {
                name: "FromAddresses".into(),
                value: RuleValue::Addresses(vec![RuleAddress {
                    name: Some("Ann".into()),
                    address: Some("ann@contoso.com".into()),
                }]),
            }],
            exceptions: Vec::new(),
            actions: entries,
            unsupported: Vec::new(),
        }
    }

    #[test]
    fn rules_get_destination_addresses_and_folders() {
        let folders = HashMap::from([(FolderId::from("src-folder"), FolderId::from("dst-folder"))]);
        let source = rule(vec![RuleEntry {
            name: "MoveToFolder".into(),
            value: RuleValue::Folder(RuleFolder::Id("src-folder".into())),
        }]);
        let translated =
            translate_rule(&source, &addresses(), &folders).unwrap_or_else(|why| panic!("{why}"));
        assert_eq!(translated.id, None, "a rule to create has no id");
        assert_eq!(
            translated.actions[0].value,
            RuleValue::Folder(RuleFolder::Id("dst-folder".into()))
        );
        match &translated.conditions[0].value {
            RuleValue::Addresses(list) => {
                assert_eq!(list[0].address.as_deref(), Some("ann@fabrikam.com"))
            }
            other => panic!("unexpected {other:?}"),
        }
        let lost = rule(vec![RuleEntry {
            name: "CopyToFolder".into(),
            value: RuleValue::Folder(RuleFolder::Id("gone".into())),
        }]);
        assert!(translate_rule(&lost, &addresses(), &folders).is_err());
        let mut unsupported = rule(Vec::new());
        unsupported
            .unsupported
            .push("ServerReplyWithMessage".into());
        assert!(translate_rule(&unsupported, &addresses(), &folders).is_err());
    }
}
