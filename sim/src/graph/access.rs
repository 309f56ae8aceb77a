//! Who may do what: the Graph permission each operation needs (the least privileged one of the
//! docs' tables, or a higher one), and for delegated tokens whether the signed-in admin may open
//! the mailbox at all.

use super::error::GraphError;
use super::route::{MailboxResource, Resource};
use crate::identity::{Principal, Subject};
use crate::model::Mailbox;
use axum::http::Method;

/// The permissions that allow an operation: the application roles (`….All`); a delegated
/// permission is the same name without `.All` (except `User.Read.All`, which keeps it).
fn accepted(method: &Method, resource: &Resource) -> &'static [&'static str] {
    const FOLDER_READ: &[&str] = &["MailboxFolder.Read.All", "MailboxFolder.ReadWrite.All"];
    const FOLDER_WRITE: &[&str] = &["MailboxFolder.ReadWrite.All"];
    const ITEM_READ: &[&str] = &["MailboxItem.Read.All", "MailboxItem.ReadWrite.All"];
    const ITEM_WRITE: &[&str] = &["MailboxItem.ReadWrite.All"];
    const EXPORT: &[&str] = &["MailboxItem.Export.All", "MailboxItem.ImportExport.All"];
    const IMPORT: &[&str] = &["MailboxItem.ImportExport.All"];
    const USER_READ: &[&str] = &["User.Read.All", "User.ReadWrite.All"];
    let Resource::Mailbox(_, resource) = resource else {
        return USER_READ;
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

/// The permission name a token carries for an application role.
fn delegated_name(role: &str) -> &str {
    if role == "User.Read.All" || role == "User.ReadWrite.All" {
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
