//! Who may do what: the Graph permission each operation needs (the least privileged one of the
//! docs' tables, or a higher one), and for delegated tokens whether the signed-in admin may open
//! the mailbox at all.

use super::error::GraphError;
use super::route::{MailboxResource, Resource, UserResource};
use crate::identity::{Principal, Subject};
use crate::model::Mailbox;
use axum::http::Method;

/// The permissions that allow an operation: the application roles (`….All`, or a name without
/// it where the app role has none, as `Mail.Read` and `MailboxSettings.Read`); a delegated
/// permission is the same name without `.All` (except the `User.*` ones, which keep it).
fn accepted(method: &Method, resource: &Resource) -> &'static [&'static str] {
    const FOLDER_READ: &[&str] = &["MailboxFolder.Read.All", "MailboxFolder.ReadWrite.All"];
    const FOLDER_WRITE: &[&str] = &["MailboxFolder.ReadWrite.All"];
    const ITEM_READ: &[&str] = &["MailboxItem.Read.All", "MailboxItem.ReadWrite.All"];
    const ITEM_WRITE: &[&str] = &["MailboxItem.ReadWrite.All"];
    const EXPORT: &[&str] = &["MailboxItem.Export.All", "MailboxItem.ImportExport.All"];
    const IMPORT: &[&str] = &["MailboxItem.ImportExport.All"];
    const USER_READ: &[&str] = &["User.Read.All", "User.ReadWrite.All"];
    let resource = match resource {
        Resource::ExchangeSettings(_) => return USER_READ,
        Resource::User(_, resource) => return user_accepted(method, resource),
        Resource::Mailbox(_, resource) => resource,
    };
    match resource {
        MailboxResource::ExportItems => EXPORT,
        MailboxResource::CreateImportSession => IMPORT,
        MailboxResource::Items(_)
        | MailboxResource::ItemCount(_)
        | MailboxResource::ItemDelta(_) => ITEM_READ,
        MailboxResource::Item(..) if *method == Method::DELETE => ITEM_WRITE,
        MailboxResource::Item(..) => ITEM_READ,
        _ if *method == Method::GET => FOLDER_READ,
        _ => FOLDER_WRITE,
    }
}

/// The users API's permissions (the least privileged of each page's table, or higher).
fn user_accepted(method: &Method, resource: &UserResource) -> &'static [&'static str] {
    const MAIL_FOLDER_READ: &[&str] = &["Mail.ReadBasic.All", "Mail.Read", "Mail.ReadWrite"];
    const SETTINGS_READ: &[&str] = &["MailboxSettings.Read", "MailboxSettings.ReadWrite"];
    const SETTINGS_WRITE: &[&str] = &["MailboxSettings.ReadWrite"];
    const CALENDAR_READ: &[&str] = &["Calendars.Read", "Calendars.ReadWrite"];
    const CALENDAR_WRITE: &[&str] = &["Calendars.ReadWrite"];
    const TRANSLATE: &[&str] = &["User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All"];
    let read = *method == Method::GET;
    match resource {
        UserResource::MailFolder(_) => MAIL_FOLDER_READ,
        UserResource::MessageRules | UserResource::MessageRule(_) if read => SETTINGS_READ,
        UserResource::MessageRules | UserResource::MessageRule(_) => SETTINGS_WRITE,
        UserResource::CalendarPermissions | UserResource::CalendarPermission(_) if read => {
            CALENDAR_READ
        }
        UserResource::CalendarPermissions | UserResource::CalendarPermission(_) => CALENDAR_WRITE,
        UserResource::TranslateExchangeIds => TRANSLATE,
    }
}

/// The permission name a token carries for an application role.
fn delegated_name(role: &str) -> &str {
    if role.starts_with("User.") {
        role
    } else {
        role.strip_suffix(".All").unwrap_or(role)
    }
}

/// Refuses a token that carries none of the permissions the operation accepts (403).
pub fn check_permission(
    principal: &Principal,
    method: &Method,
    resource: &Resource,
) -> Result<(), GraphError> {
    let accepted = accepted(method, resource);
    let delegated = matches!(principal.subject, Subject::User { .. });
    let granted = accepted.iter().any(|role| {
        let wanted = if delegated {
            delegated_name(role)
        } else {
            role
        };
        principal
            .roles
            .iter()
            .any(|held| held.eq_ignore_ascii_case(wanted))
    });
    if granted {
        return Ok(());
    }
    let names: Vec<&str> = accepted
        .iter()
        .map(|role| {
            if delegated {
                delegated_name(role)
            } else {
                role
            }
        })
        .collect();
    Err(GraphError::access_denied(format!(
        "Access is denied. Check credentials and try again. The token needs one of these permissions: {}.",
        names.join(", ")
    )))
}

/// Refuses a delegated admin who may not open the mailbox (no full access, not their own).
pub fn check_mailbox_access(principal: &Principal, mailbox: &Mailbox) -> Result<(), GraphError> {
    let Subject::User { upn } = &principal.subject else {
        return Ok(());
    };
    let own = mailbox.primary_address.eq_ignore_ascii_case(upn);
    let full_access = principal
        .tenant
        .admin(upn)
        .is_some_and(|admin| admin.full_access);
    if own || full_access {
        Ok(())
    } else {
        Err(GraphError::access_denied(
            "Access is denied. Check credentials and try again. The signed-in user has no access to this mailbox.",
        ))
    }
}
