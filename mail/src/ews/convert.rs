//! EWS types to the domain's and back: errors, permissions, rules.

use ferry_core::mail::{
    FolderId, FolderPermission, Grantee, InboxRule, ItemScope, MailError, PermissionRights,
    ReadRights, RuleAddress, RuleEntry, RuleFolder, RuleValue, ThrottleScope,
};
use ferry_ews::types as ews;
use ferry_ews::EwsError;

/// An EWS failure, classified for the engine.
pub fn error(error: EwsError) -> MailError {
    match error {
        EwsError::Throttled { back_off, scope } => MailError::Throttled {
            back_off,
            scope: match scope {
                ferry_ews::ThrottleScope::Mailbox => ThrottleScope::Mailbox,
                ferry_ews::ThrottleScope::Tenant => ThrottleScope::Tenant,
                ferry_ews::ThrottleScope::Connection => ThrottleScope::Connection,
            },
        },
        EwsError::Unauthorized(message) => MailError::Unauthorized(message),
        EwsError::MailboxNotFound(message) => MailError::MailboxNotFound(message),
        EwsError::FolderNotFound { message, .. } => MailError::FolderNotFound(message),
        EwsError::ItemNotFound(message) => MailError::ItemNotFound(message),
        EwsError::QuotaExceeded(message) => MailError::QuotaExceeded(message),
        EwsError::ItemTooLarge(message) => MailError::ItemTooLarge(message),
        EwsError::Transient {
            message,
            retry_after,
        } => MailError::Transient {
            message,
            retry_after,
        },
        EwsError::Permanent { code, message } if code == "ErrorFolderExists" => {
            MailError::FolderExists(message)
        }
        EwsError::Permanent { code, message } => MailError::Permanent { code, message },
        EwsError::MalformedReply(message) => MailError::Transient {
            message: format!("malformed reply: {message}"),
            retry_after: None,
        },
        EwsError::InvalidRequest(message) => MailError::Permanent {
            code: "invalid_request".into(),
            message,
        },
    }
}

fn item_scope(value: &str) -> ItemScope {
    match value {
        "Owned" => ItemScope::Owned,
        "All" => ItemScope::All,
        _ => ItemScope::None,
    }
}

fn item_scope_name(scope: ItemScope) -> &'static str {
    match scope {
        ItemScope::None => "None",
        ItemScope::Owned => "Owned",
        ItemScope::All => "All",
    }
}

fn read_rights(value: &str) -> ReadRights {
    match value {
        "FullDetails" => ReadRights::FullDetails,
        "TimeOnly" => ReadRights::TimeOnly,
        "TimeAndSubjectAndLocation" => ReadRights::TimeAndSubjectAndLocation,
        _ => ReadRights::None,
    }
}

fn read_rights_name(rights: ReadRights) -> &'static str {
    match rights {
        ReadRights::None => "None",
        ReadRights::FullDetails => "FullDetails",
        ReadRights::TimeOnly => "TimeOnly",
        ReadRights::TimeAndSubjectAndLocation => "TimeAndSubjectAndLocation",
    }
}

/// An EWS permission entry in the domain's terms.
pub fn permission_from_ews(permission: ews::Permission) -> FolderPermission {
    FolderPermission {
        grantee: match permission.user {
            ews::PermissionUser::Default => Grantee::Default,
            ews::PermissionUser::Anonymous => Grantee::Anonymous,
            ews::PermissionUser::User {
                address,
                display_name,
            } => Grantee::User {
                address,
                display_name,
            },
        },
        level: permission.level,
        rights: PermissionRights {
            create_items: permission.can_create_items,
            create_subfolders: permission.can_create_subfolders,
            folder_owner: permission.is_folder_owner,
            folder_visible: permission.is_folder_visible,
            folder_contact: permission.is_folder_contact,
            edit_items: item_scope(&permission.edit_items),
            delete_items: item_scope(&permission.delete_items),
            read_items: read_rights(&permission.read_items),
        },
    }
}

/// A domain permission entry for EWS.
pub fn permission_to_ews(permission: &FolderPermission) -> ews::Permission {
    let rights = permission.rights;
    ews::Permission {
        user: match &permission.grantee {
            Grantee::Default => ews::PermissionUser::Default,
            Grantee::Anonymous => ews::PermissionUser::Anonymous,
            Grantee::User {
                address,
                display_name,
            } => ews::PermissionUser::User {
                address: address.clone(),
                display_name: display_name.clone(),
            },
        },
        level: permission.level.clone(),
        can_create_items: rights.create_items,
        can_create_subfolders: rights.create_subfolders,
        is_folder_owner: rights.folder_owner,
        is_folder_visible: rights.folder_visible,
        is_folder_contact: rights.folder_contact,
        edit_items: item_scope_name(rights.edit_items).into(),
        delete_items: item_scope_name(rights.delete_items).into(),
        read_items: read_rights_name(rights.read_items).into(),
    }
}

fn address_from_ews(address: ews::EmailAddress) -> RuleAddress {
    RuleAddress {
        name: address.name,
        address: address.address,
    }
}

fn entry_from_ews(entry: ews::RuleEntry) -> RuleEntry {
    let value = match entry.value {
        ews::RuleValue::Flag(flag) => RuleValue::Flag(flag),
        ews::RuleValue::Token(token) => RuleValue::Token(token),
        ews::RuleValue::Strings(strings) => RuleValue::Strings(strings),
        ews::RuleValue::Addresses(list) => {
            RuleValue::Addresses(list.into_iter().map(address_from_ews).collect())
        }
        ews::RuleValue::Folder(ews::FolderRef::Id(id)) => {
            RuleValue::Folder(RuleFolder::Id(FolderId(id.id)))
        }
        ews::RuleValue::Folder(ews::FolderRef::Distinguished(name)) => {
            RuleValue::Folder(RuleFolder::WellKnown(name))
        }
        ews::RuleValue::SizeRange { minimum, maximum } => RuleValue::SizeRange { minimum, maximum },
    };
    RuleEntry {
        name: entry.name,
        value,
    }
}

fn entry_to_ews(entry: &RuleEntry) -> ews::RuleEntry {
    let value = match &entry.value {
        RuleValue::Flag(flag) => ews::RuleValue::Flag(*flag),
        RuleValue::Token(token) => ews::RuleValue::Token(token.clone()),
        RuleValue::Strings(strings) => ews::RuleValue::Strings(strings.clone()),
        RuleValue::Addresses(list) => ews::RuleValue::Addresses(
            list.iter()
                .map(|address| ews::EmailAddress {
                    name: address.name.clone(),
                    address: address.address.clone(),
                })
                .collect(),
        ),
        RuleValue::Folder(RuleFolder::Id(id)) => {
            ews::RuleValue::Folder(ews::FolderRef::Id(ews::FolderId::new(id.0.clone())))
        }
        RuleValue::Folder(RuleFolder::WellKnown(name)) => {
            ews::RuleValue::Folder(ews::FolderRef::distinguished(name.clone()))
        }
        RuleValue::SizeRange { minimum, maximum } => ews::RuleValue::SizeRange {
            minimum: *minimum,
            maximum: *maximum,
        },
    };
    ews::RuleEntry {
        name: entry.name.clone(),
        value,
    }
}

/// An EWS inbox rule in the domain's terms (EWS's entry names are the domain's vocabulary).
pub fn rule_from_ews(rule: ews::InboxRule) -> InboxRule {
    InboxRule {
        id: rule.id,
        display_name: rule.display_name,
        priority: rule.priority,
        is_enabled: rule.is_enabled,
        conditions: rule.conditions.into_iter().map(entry_from_ews).collect(),
        exceptions: rule.exceptions.into_iter().map(entry_from_ews).collect(),
        actions: rule.actions.into_iter().map(entry_from_ews).collect(),
        unsupported: rule.unsupported_entries,
    }
}

/// A domain inbox rule for EWS.
pub fn rule_to_ews(rule: &InboxRule) -> ews::InboxRule {
    ews::InboxRule {
        id: rule.id.clone(),
        display_name: rule.display_name.clone(),
        priority: rule.priority,
        is_enabled: rule.is_enabled,
        conditions: rule.conditions.iter().map(entry_to_ews).collect(),
        exceptions: rule.exceptions.iter().map(entry_to_ews).collect(),
        actions: rule.actions.iter().map(entry_to_ews).collect(),
        unsupported_entries: rule.unsupported.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_survive_the_round_trip() {
        let ews_permission = ews::Permission {
            user: ews::PermissionUser::User {
                address: "grace@contoso.com".into(),
                display_name: Some("Grace".into()),
            },
            level: "Custom".into(),
            can_create_items: true,
            can_create_subfolders: false,
            is_folder_owner: false,
            is_folder_visible: true,
            is_folder_contact: false,
            edit_items: "Owned".into(),
            delete_items: "All".into(),
            read_items: "TimeAndSubjectAndLocation".into(),
        };
        let domain = permission_from_ews(ews_permission.clone());
        assert_eq!(domain.rights.edit_items, ItemScope::Owned);
        assert_eq!(permission_to_ews(&domain), ews_permission);
    }

    #[test]
    fn rules_survive_the_round_trip() {
        let rule = ews::InboxRule {
            id: Some("r1".into()),
            display_name: "Invoices".into(),
            priority: 2,
            is_enabled: true,
            conditions: vec![ews::RuleEntry {
                name: "FromAddresses".into(),
                value: ews::RuleValue::Addresses(vec![ews::EmailAddress {
                    name: None,
                    address: Some("billing@contoso.com".into()),
                }]),
            }],
            exceptions: vec![ews::RuleEntry {
                name: "WithinSizeRange".into(),
                value: ews::RuleValue::SizeRange {
                    minimum: Some(1),
                    maximum: None,
                },
            }],
            actions: vec![
                ews::RuleEntry {
                    name: "MoveToFolder".into(),
                    value: ews::RuleValue::Folder(ews::FolderRef::Id(ews::FolderId::new("f1"))),
                },
                ews::RuleEntry {
                    name: "CopyToFolder".into(),
                    value: ews::RuleValue::Folder(ews::FolderRef::distinguished("junkemail")),
                },
            ],
            unsupported_entries: vec!["ServerReplyWithMessage".into()],
        };
        assert_eq!(rule_to_ews(&rule_from_ews(rule.clone())), rule);
    }
}
