//! Reading a `PermissionSet` a client sends with `UpdateFolder` (or `CreateFolder`).

use super::soap::EwsError;
use crate::model::{Permission, PermissionUser, Tenant};
use crate::xml::Element;

/// Parses a `PermissionSet` for a folder, checking it the way Exchange does: calendar entries only
/// on calendars, users that exist, no user twice, and either a named level or custom rights.
pub fn parse_permission_set(
    tenant: &Tenant,
    permission_set: &Element,
    folder_is_calendar: bool,
) -> Result<Vec<Permission>, EwsError> {
    let (entries, calendar) = match (
        permission_set.child("Permissions"),
        permission_set.child("CalendarPermissions"),
    ) {
        (Some(list), None) => (list.children_named("Permission").collect::<Vec<_>>(), false),
        (None, Some(list)) => (
            list.children_named("CalendarPermission")
                .collect::<Vec<_>>(),
            true,
        ),
        _ => {
            return Err(EwsError::new(
                "ErrorInvalidPermissionSettings",
                "A permission set holds either Permissions or CalendarPermissions.",
            ))
        }
    };
    if calendar && !folder_is_calendar {
        return Err(EwsError::new(
            "ErrorCannotSetCalendarPermissionOnNonCalendarFolder",
            "Calendar permissions can only be set on calendar folders.",
        ));
    }
    if !calendar && folder_is_calendar {
        return Err(EwsError::new(
            "ErrorCannotSetNonCalendarPermissionOnCalendarFolder",
            "Calendar folders take calendar permissions.",
        ));
    }
    let mut permissions: Vec<Permission> = Vec::with_capacity(entries.len());
    for entry in entries {
        let user = parse_user(tenant, entry)?;
        if permissions.iter().any(|existing| existing.user == user) {
            return Err(EwsError::new(
                "ErrorDuplicateUserIdsSpecified",
                "The same user appears more than once in the permission set.",
            ));
        }
        let level_element = if calendar {
            "CalendarPermissionLevel"
        } else {
            "PermissionLevel"
        };
        let level = entry.child_text(level_element).unwrap_or("Custom");
        let rights = [
            "CanCreateItems",
            "CanCreateSubFolders",
            "IsFolderOwner",
            "IsFolderVisible",
            "IsFolderContact",
            "EditItems",
            "DeleteItems",
            "ReadItems",
        ];
        let has_custom_rights = rights.iter().any(|right| entry.child(right).is_some());
        let mut permission = Permission::with_level(user, level);
        if level == "Custom" {
            let flag = |name: &str| entry.child_text(name) == Some("true");
            let token = |name: &str| entry.child_text(name).unwrap_or("None").to_string();
            permission.can_create_items = flag("CanCreateItems");
            permission.can_create_subfolders = flag("CanCreateSubFolders");
            permission.is_folder_owner = flag("IsFolderOwner");
            permission.is_folder_visible = flag("IsFolderVisible");
            permission.is_folder_contact = flag("IsFolderContact");
            permission.edit_items = token("EditItems");
            permission.delete_items = token("DeleteItems");
            permission.read_items = token("ReadItems");
        } else if has_custom_rights {
            return Err(EwsError::new(
                "ErrorInvalidPermissionSettings",
                format!("Permission level '{level}' can't be combined with individual rights; use Custom."),
            ));
        }
        permissions.push(permission);
    }
    Ok(permissions)
}

fn parse_user(tenant: &Tenant, entry: &Element) -> Result<PermissionUser, EwsError> {
    let user_id = entry.child("UserId").ok_or_else(|| {
        EwsError::new(
            "ErrorMissingUserIdInformation",
            "A permission entry has no UserId.",
        )
    })?;
    if let Some(distinguished) = user_id.child_text("DistinguishedUser") {
        return match distinguished {
            "Default" => Ok(PermissionUser::Default),
            "Anonymous" => Ok(PermissionUser::Anonymous),
            other => Err(EwsError::new(
                "ErrorInvalidUserInfo",
                format!("'{other}' is not a distinguished user."),
            )),
        };
    }
    let address = user_id.child_text("PrimarySmtpAddress").ok_or_else(|| {
        EwsError::new(
            "ErrorMissingUserIdInformation",
            "A permission entry names no user (PrimarySmtpAddress or DistinguishedUser).",
        )
    })?;
    let mailbox = tenant.mailbox_by_address(address).ok_or_else(|| {
        EwsError::new(
            "ErrorInvalidUserInfo",
            format!("The user '{address}' was not found in the directory."),
        )
    })?;
    Ok(PermissionUser::User {
        address: mailbox.primary_address.clone(),
        display_name: mailbox.display_name.clone(),
    })
}
