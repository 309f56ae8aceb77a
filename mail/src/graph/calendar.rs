//! Permissions of the default calendar over Graph's `calendarPermissions`, in the domain's
//! terms: Graph's roles are a subset of Exchange's calendar permission levels.
//!
//! | Graph role | Exchange level |
//! | --- | --- |
//! | `none` | `None` |
//! | `freeBusyRead` | `FreeBusyTimeOnly` |
//! | `limitedRead` | `FreeBusyTimeAndSubjectAndLocation` |
//! | `read` | `Reviewer` |
//! | `write` | `Editor` |
//! | `delegateWith(out)PrivateEventAccess` | `Editor` (read; Exchange stores a delegate as an editor, and delegate settings are not migrated over either protocol) |
//! | `custom` | not carried: reported |
//!
//! Levels without a role (`Owner`, `PublishingEditor`, `Author`, `Contributor`, `Custom`...)
//! and the Anonymous entry cannot be granted over Graph: setting permissions grants the rest
//! and reports those by name.

use std::collections::HashSet;

use ferry_core::mail::{FolderPermission, FolderPermissions, Grantee, MailError, PermissionScope};
use ferry_graph::{CalendarPermission, CalendarRole, EmailAddress};

const ROLES: &[(CalendarRole, &str)] = &[
    (CalendarRole::None, "None"),
    (CalendarRole::FreeBusyRead, "FreeBusyTimeOnly"),
    (
        CalendarRole::LimitedRead,
        "FreeBusyTimeAndSubjectAndLocation",
    ),
    (CalendarRole::Read, "Reviewer"),
    (CalendarRole::Write, "Editor"),
    (CalendarRole::DelegateWithoutPrivateEventAccess, "Editor"),
    (CalendarRole::DelegateWithPrivateEventAccess, "Editor"),
];

/// The Exchange level a role stands for.
pub fn level_of(role: CalendarRole) -> Option<&'static str> {
    ROLES
        .iter()
        .find(|(known, _)| *known == role)
        .map(|(_, level)| *level)
}

/// The role that grants a level, if Graph has one.
pub fn role_for(level: &str) -> Option<CalendarRole> {
    ROLES
        .iter()
        .find(|(_, known)| known.eq_ignore_ascii_case(level))
        .map(|(role, _)| *role)
}

/// Whether an entry is the organisation's (Exchange's Default): the one without an address.
fn is_default(entry: &CalendarPermission) -> bool {
    entry
        .email_address
        .as_ref()
        .and_then(|email| email.address.as_deref())
        .is_none_or(str::is_empty)
}

fn address_of(entry: &CalendarPermission) -> Option<&str> {
    entry
        .email_address
        .as_ref()
        .and_then(|email| email.address.as_deref())
        .filter(|address| !address.is_empty())
}

/// Graph's entries as the calendar's permissions.
pub fn from_graph(entries: &[CalendarPermission]) -> FolderPermissions {
    let mut permissions = Vec::new();
    let mut unsupported = Vec::new();
    for entry in entries {
        let grantee = match address_of(entry) {
            Some(address) => Grantee::User {
                address: address.to_string(),
                display_name: entry.email_address.as_ref().and_then(|e| e.name.clone()),
            },
            None => Grantee::Default,
        };
        match level_of(entry.role) {
            Some(level) => permissions.push(FolderPermission::with_level(grantee, level)),
            None => unsupported.push(format!(
                "{}: the {} role (Graph does not say which rights it holds)",
                address_of(entry).unwrap_or("Default"),
                role_name(entry.role)
            )),
        }
    }
    FolderPermissions {
        scope: PermissionScope::Calendar,
        entries: permissions,
        unsupported,
    }
}

fn role_name(role: CalendarRole) -> String {
    serde_json::to_value(role)
        .ok()
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{role:?}"))
}

/// One change that makes the destination's entries the wanted ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Grant a role to an address that has no entry.
    Add(EmailAddress, CalendarRole),
    /// Change an entry's role.
    Update(String, CalendarRole),
    /// Remove an entry.
    Remove(String),
}

/// The changes from `current` to `wanted`, and the wanted entries Graph cannot grant.
/// Entries already at the wanted level are left alone (a delegate stays a delegate), and a
/// user whose wanted entry cannot be granted keeps whatever entry they have.
pub fn plan(
    current: &[CalendarPermission],
    wanted: &FolderPermissions,
) -> (Vec<Change>, Vec<String>) {
    let mut changes = Vec::new();
    let mut refused = Vec::new();
    let mut named: HashSet<String> = HashSet::new();
    for permission in &wanted.entries {
        let existing = match &permission.grantee {
            Grantee::Default => current.iter().find(|entry| is_default(entry)),
            Grantee::Anonymous if permission.level.eq_ignore_ascii_case("None") => continue,
            Grantee::Anonymous => {
                refused.push(format!(
                    "Anonymous: {} (Graph has no anonymous calendar sharing)",
                    permission.level
                ));
                continue;
            }
            Grantee::User { address, .. } => {
                named.insert(address.to_ascii_lowercase());
                current.iter().find(|entry| {
                    address_of(entry).is_some_and(|known| known.eq_ignore_ascii_case(address))
                })
            }
        };
        let Some(role) = role_for(&permission.level) else {
            refused.push(format!(
                "{}: {} (Graph has no role for this level)",
                grantee_name(&permission.grantee),
                permission.level
            ));
            continue;
        };
        match existing {
            Some(entry) if level_of(entry.role) == level_of(role) => {}
            Some(entry) => changes.push(Change::Update(entry.id.clone(), role)),
            None => match &permission.grantee {
                Grantee::User { address, .. } => changes.push(Change::Add(
                    EmailAddress {
                        name: None,
                        address: Some(address.clone()),
                    },
                    role,
                )),
                _ => refused.push("Default: the calendar shows no entry for it".into()),
            },
        }
    }
    for entry in current {
        let removable = entry.is_removable.unwrap_or(true);
        if let Some(address) = address_of(entry) {
            if removable && !named.contains(&address.to_ascii_lowercase()) {
                changes.push(Change::Remove(entry.id.clone()));
            }
        }
    }
    (changes, refused)
}

fn grantee_name(grantee: &Grantee) -> &str {
    match grantee {
        Grantee::Default => "Default",
        Grantee::Anonymous => "Anonymous",
        Grantee::User { address, .. } => address,
    }
}

/// The error for wanted entries that could not be granted (the others were).
pub fn refused_error(refused: &[String]) -> MailError {
    MailError::Unsupported {
        protocol: "graph",
        what: format!(
            "calendar permissions Graph cannot grant (the others were set): {}",
            refused.join("; ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, address: Option<&str>, role: CalendarRole) -> CalendarPermission {
        CalendarPermission {
            id: id.into(),
            email_address: Some(EmailAddress {
                name: Some(address.map_or("My Organization", |_| "Someone").into()),
                address: address.map(str::to_string),
            }),
            is_removable: Some(address.is_some()),
            is_inside_organization: Some(true),
            role,
            allowed_roles: Vec::new(),
        }
    }

    fn user(address: &str) -> Grantee {
        Grantee::User {
            address: address.into(),
            display_name: None,
        }
    }

    #[test]
    fn roles_read_as_levels_and_custom_is_reported() {
        let read = from_graph(&[
            entry("d", None, CalendarRole::FreeBusyRead),
            entry("a", Some("ann@contoso.com"), CalendarRole::Read),
            entry(
                "b",
                Some("bob@contoso.com"),
                CalendarRole::DelegateWithPrivateEventAccess,
            ),
            entry("c", Some("cy@contoso.com"), CalendarRole::Custom),
        ]);
        let levels: Vec<(&Grantee, &str)> = read
            .entries
            .iter()
            .map(|entry| (&entry.grantee, entry.level.as_str()))
            .collect();
        assert_eq!(levels[0], (&Grantee::Default, "FreeBusyTimeOnly"));
        assert_eq!(levels[1].1, "Reviewer");
        assert_eq!(levels[2].1, "Editor");
        assert_eq!(read.entries.len(), 3);
        assert!(
            read.unsupported[0].contains("cy@contoso.com")
                && read.unsupported[0].contains("custom")
        );
    }

    #[test]
    fn setting_adds_changes_removes_and_names_what_it_cannot_grant() {
        let current = [
            entry("d", None, CalendarRole::FreeBusyRead),
            entry("a", Some("Ann@Contoso.com"), CalendarRole::Read),
            entry(
                "b",
                Some("bob@contoso.com"),
                CalendarRole::DelegateWithoutPrivateEventAccess,
            ),
            entry("old", Some("old@contoso.com"), CalendarRole::Write),
            entry("own", Some("owner@contoso.com"), CalendarRole::Custom),
        ];
        let wanted = FolderPermissions {
            scope: PermissionScope::Calendar,
            entries: vec![
                FolderPermission::with_level(Grantee::Default, "Reviewer"),
                FolderPermission::with_level(user("ann@contoso.com"), "Editor"),
                FolderPermission::with_level(user("bob@contoso.com"), "Editor"),
                FolderPermission::with_level(user("new@contoso.com"), "FreeBusyTimeOnly"),
                FolderPermission::with_level(user("owner@contoso.com"), "Owner"),
                FolderPermission::with_level(Grantee::Anonymous, "None"),
            ],
            unsupported: Vec::new(),
        };
        let (changes, refused) = plan(&current, &wanted);
        assert_eq!(
            changes,
            [
                Change::Update("d".into(), CalendarRole::Read),
                Change::Update("a".into(), CalendarRole::Write),
                Change::Add(
                    EmailAddress {
                        name: None,
                        address: Some("new@contoso.com".into())
                    },
                    CalendarRole::FreeBusyRead
                ),
                Change::Remove("old".into()),
            ]
        );
        assert_eq!(refused.len(), 1);
        assert!(
            refused[0].starts_with("owner@contoso.com: Owner"),
            "{refused:?}"
        );
    }
}
