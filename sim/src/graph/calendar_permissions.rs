//! The default calendar's permissions of the users API:
//! `…/users/{id | upn}/calendar/calendarPermissions[/{id}]`, over the model's permission
//! entries of the Calendar folder (the ones EWS `GetFolder` shows in its `PermissionSet`).
//!
//! | Graph `role` | EWS `CalendarPermissionLevel` |
//! | --- | --- |
//! | `none` | `None` |
//! | `freeBusyRead` | `FreeBusyTimeOnly` |
//! | `limitedRead` | `FreeBusyTimeAndSubjectAndLocation` |
//! | `read` | `Reviewer` |
//! | `write` | `Editor` |
//! | `delegateWithoutPrivateEventAccess`, `delegateWithPrivateEventAccess` | `Editor`, with the delegate kept beside it |
//! | `custom` (read only) | any other level |
//!
//! The Default entry (id `RGVmYXVsdA==`, "My Organization") cannot be removed; the Anonymous
//! entry is not listed. A user entry's id is base64 of `ExchangePublishedUser.<address>`.
//! Adding an address that has an entry is 409 `ErrorItemSave`; an address outside the tenant is
//! allowed (`isInsideOrganization` false, delegate roles not allowed). Writing a role sets the
//! level and the rights it implies.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

use super::body;
use super::collection::collection_json;
use super::context::{GraphReply, MailboxContext};
use super::error::GraphError;
use super::json::JsonObject;
use super::mail_folders::user_key;
use crate::model::{CalendarDelegate, MailboxState, Permission, PermissionUser, WellKnownFolder};

const PERMISSION_TYPE: &str = "microsoft.graph.calendarPermission";
const DEFAULT_ID: &str = "RGVmYXVsdA==";

/// Every role, the inside-organisation ones first; `custom` is not writable.
const ROLES: &[&str] = &[
    "none",
    "freeBusyRead",
    "limitedRead",
    "read",
    "write",
    "delegateWithoutPrivateEventAccess",
    "delegateWithPrivateEventAccess",
    "custom",
];
const LEVELS: &[&str] = &[
    "None",
    "FreeBusyTimeOnly",
    "FreeBusyTimeAndSubjectAndLocation",
    "Reviewer",
    "Editor",
];

fn role_of(permission: &Permission) -> &'static str {
    match permission.calendar_delegate {
        Some(CalendarDelegate::WithoutPrivateEventAccess) => ROLES[5],
        Some(CalendarDelegate::WithPrivateEventAccess) => ROLES[6],
        None => LEVELS
            .iter()
            .position(|level| *level == permission.level)
            .map(|index| ROLES[index])
            .unwrap_or("custom"),
    }
}

/// The entry a role writes.
fn with_role(user: PermissionUser, role: usize) -> Permission {
    let mut permission =
        Permission::with_level(user, LEVELS.get(role).copied().unwrap_or("Editor"));
    permission.calendar_delegate = match role {
        5 => Some(CalendarDelegate::WithoutPrivateEventAccess),
        6 => Some(CalendarDelegate::WithPrivateEventAccess),
        _ => None,
    };
    permission
}

fn entry_id(user: &PermissionUser) -> Option<String> {
    match user {
        PermissionUser::Default => Some(DEFAULT_ID.to_string()),
        PermissionUser::Anonymous => None,
        PermissionUser::User { address, .. } => {
            Some(STANDARD.encode(format!("ExchangePublishedUser.{}", address.to_lowercase())))
        }
    }
}

fn inside(ctx: &MailboxContext<'_>, address: &str) -> bool {
    ctx.principal
        .is_some_and(|principal| principal.tenant.mailbox_by_address(address).is_some())
}

fn permission_json(ctx: &MailboxContext<'_>, permission: &Permission) -> Option<JsonObject> {
    let id = entry_id(&permission.user)?;
    let (email, removable, inside_organization) = match &permission.user {
        PermissionUser::User {
            address,
            display_name,
        } => (
            serde_json::json!({"name": display_name, "address": address}),
            true,
            inside(ctx, address),
        ),
        _ => (serde_json::json!({"name": "My Organization"}), false, true),
    };
    let allowed = if inside_organization && removable {
        &ROLES[..7]
    } else {
        &ROLES[..5]
    };
    Some(
        JsonObject::new()
            .string("id", &id)
            .value("emailAddress", email)
            .value("isRemovable", Value::from(removable))
            .value("isInsideOrganization", Value::from(inside_organization))
            .value("role", Value::from(role_of(permission)))
            .value("allowedRoles", Value::from(allowed.to_vec())),
    )
}

fn fragment(user: &str) -> String {
    format!("users('{}')/calendar/calendarPermissions", user_key(user))
}

fn entity(ctx: &MailboxContext<'_>, user: &str, permission: &Permission) -> String {
    let context = JsonObject::new()
        .string(
            "@odata.context",
            &ctx.metadata(&format!("{}/$entity", fragment(user))),
        )
        .finish();
    let entry = permission_json(ctx, permission)
        .map(JsonObject::finish)
        .unwrap_or_else(|| "{}".into());
    format!("{},{}", &context[..context.len() - 1], &entry[1..])
}

fn calendar(state: &MailboxState) -> u64 {
    state.well_known_folder(WellKnownFolder::Calendar)
}

fn position(state: &MailboxState, id: &str) -> Result<usize, GraphError> {
    state.folders[&calendar(state)]
        .permissions
        .iter()
        .position(|permission| entry_id(&permission.user).as_deref() == Some(id))
        .ok_or_else(|| {
            GraphError::new(
                404,
                "ErrorItemNotFound",
                format!("The calendar permission '{id}' was not found."),
            )
        })
}

/// The role a body member names, refused if it cannot be written for this user.
fn writable_role(value: &Value, outside: bool) -> Result<usize, GraphError> {
    let role = body::enum_member(value, "role", ROLES)?;
    if ROLES[role] == "custom" {
        return Err(GraphError::invalid_request(
            "The role 'custom' cannot be written; choose none, freeBusyRead, limitedRead, read, write or a delegate role.",
        ));
    }
    if outside && role >= 5 {
        return Err(GraphError::invalid_request(format!(
            "The role '{}' is not allowed for this entry; its allowedRoles are {}.",
            ROLES[role],
            ROLES[..5].join(", ")
        )));
    }
    Ok(role)
}

/// `GET …/calendarPermissions`.
pub fn list(ctx: &MailboxContext<'_>, user: &str) -> Result<GraphReply, GraphError> {
    ctx.request.query.allow_only(&[])?;
    let state = ctx.mailbox.lock();
    let values: Vec<String> = state.folders[&calendar(&state)]
        .permissions
        .iter()
        .filter_map(|permission| permission_json(ctx, permission).map(JsonObject::finish))
        .collect();
    Ok(GraphReply::json(
        200,
        "listCalendarPermissions",
        collection_json(&ctx.metadata(&fragment(user)), &values, None, None, None),
    ))
}

/// `GET …/calendarPermissions/{id}`.
pub fn get(ctx: &MailboxContext<'_>, user: &str, id: &str) -> Result<GraphReply, GraphError> {
    ctx.request.query.allow_only(&[])?;
    let state = ctx.mailbox.lock();
    let index = position(&state, id)?;
    let permission = &state.folders[&calendar(&state)].permissions[index];
    Ok(GraphReply::json(
        200,
        "getCalendarPermission",
        entity(ctx, user, permission),
    ))
}

/// `POST …/calendarPermissions`: 201 and the entry.
pub fn create(ctx: &MailboxContext<'_>, user: &str) -> Result<GraphReply, GraphError> {
    ctx.request.query.allow_only(&[])?;
    let object = body::object(ctx.request)?;
    let members = body::members(
        &object,
        &[
            "emailAddress",
            "role",
            "isInsideOrganization",
            "isRemovable",
            "allowedRoles",
        ],
        PERMISSION_TYPE,
        "",
    )?;
    let member = |name: &str| {
        members
            .iter()
            .find(|(property, value)| *property == name && !value.is_null())
            .map(|(_, value)| *value)
    };
    let email = member("emailAddress").ok_or_else(|| {
        GraphError::bad_request(
            "The property 'emailAddress' is required to add a calendar permission.",
        )
    })?;
    let email = body::object_value(email, "emailAddress")?;
    let (mut address, mut name) = (String::new(), String::new());
    for (property, value) in body::members(
        email,
        &["address", "name"],
        "microsoft.graph.emailAddress",
        "emailAddress",
    )? {
        if value.is_null() {
            continue;
        }
        let text = body::string(value, &body::qualified("emailAddress", property))?;
        match property {
            "address" => address = text.trim().to_string(),
            _ => name = text.trim().to_string(),
        }
    }
    if address.is_empty() {
        return Err(GraphError::bad_request(
            "The property 'emailAddress.address' is required to add a calendar permission.",
        ));
    }
    let role = member("role").ok_or_else(|| {
        GraphError::bad_request("The property 'role' is required to add a calendar permission.")
    })?;
    let mailbox = ctx
        .principal
        .and_then(|principal| principal.tenant.mailbox_by_address(&address).cloned());
    let role = writable_role(role, mailbox.is_none())?;
    let user_entry = match &mailbox {
        Some(mailbox) => PermissionUser::User {
            address: mailbox.primary_address.clone(),
            display_name: mailbox.display_name.clone(),
        },
        None => PermissionUser::User {
            display_name: if name.is_empty() {
                address.clone()
            } else {
                name
            },
            address,
        },
    };
    let mut state = ctx.mailbox.lock();
    let seq = calendar(&state);
    let id = entry_id(&user_entry).unwrap_or_default();
    if position(&state, &id).is_ok() {
        return Err(GraphError::new(
            409,
            "ErrorItemSave",
            format!("The calendar already has a permission entry for this user (id '{id}'); change its role with PATCH instead."),
        ));
    }
    let permission = with_role(user_entry, role);
    let body = entity(ctx, user, &permission);
    if let Some(folder) = state.folders.get_mut(&seq) {
        folder.permissions.push(permission);
    }
    state.touch_folder(seq);
    ctx.count("graph.calendar_permissions_added");
    Ok(GraphReply::json(201, "createCalendarPermission", body))
}

/// `PATCH …/calendarPermissions/{id}` with `{"role"}`: 200 and the entry.
pub fn update(ctx: &MailboxContext<'_>, user: &str, id: &str) -> Result<GraphReply, GraphError> {
    ctx.request.query.allow_only(&[])?;
    let object = body::object(ctx.request)?;
    let members = body::members(&object, &["role"], PERMISSION_TYPE, "")?;
    let role = members
        .iter()
        .find(|(_, value)| !value.is_null())
        .map(|(_, value)| *value)
        .ok_or_else(|| GraphError::bad_request("The property 'role' is required."))?;
    let mut state = ctx.mailbox.lock();
    let seq = calendar(&state);
    let index = position(&state, id)?;
    let current = state.folders[&seq].permissions[index].user.clone();
    let outside = match &current {
        PermissionUser::User { address, .. } => !inside(ctx, address),
        _ => true,
    };
    let permission = with_role(current, writable_role(role, outside)?);
    let body = entity(ctx, user, &permission);
    if let Some(folder) = state.folders.get_mut(&seq) {
        folder.permissions[index] = permission;
    }
    state.touch_folder(seq);
    ctx.count("graph.calendar_permissions_updated");
    Ok(GraphReply::json(200, "updateCalendarPermission", body))
}

/// `DELETE …/calendarPermissions/{id}`: 204; the Default entry stays.
pub fn delete(ctx: &MailboxContext<'_>, id: &str) -> Result<GraphReply, GraphError> {
    ctx.request.query.allow_only(&[])?;
    let mut state = ctx.mailbox.lock();
    let seq = calendar(&state);
    let index = position(&state, id)?;
    if state.folders[&seq].permissions[index].user == PermissionUser::Default {
        return Err(GraphError::invalid_request(
            "The Default permission entry (My Organization) cannot be removed; set its role to none instead.",
        ));
    }
    if let Some(folder) = state.folders.get_mut(&seq) {
        folder.permissions.remove(index);
    }
    state.touch_folder(seq);
    ctx.count("graph.calendar_permissions_removed");
    Ok(GraphReply::no_content("deleteCalendarPermission"))
}
