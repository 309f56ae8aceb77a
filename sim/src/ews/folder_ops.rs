//! Folder operations: `GetFolder`, `FindFolder`, `CreateFolder`, `UpdateFolder`, `DeleteFolder`.

use std::cmp::Ordering;

use super::context::{resolve_folder, OpContext};
use super::folder_xml::{folder_id_and_change_key, write_folder};
use super::paging::Paging;
use super::permissions::parse_permission_set;
use super::restriction::Restriction;
use super::shape::Shape;
use super::soap::{
    error_message, response_end, response_start, success_start, EwsError, SoapFault,
};
use super::OpError;
use crate::model::{Folder, FolderError, MailboxState};
use crate::xml::{Element, XmlWriter};

/// `GetFolder`: one response message per requested folder.
pub fn get_folder(
    ctx: &OpContext<'_>,
    request: &Element,
    writer: &mut XmlWriter,
) -> Result<(), OpError> {
    let shape = Shape::parse(required(request, "FolderShape")?).map_err(SoapFault::from)?;
    let ids = required(request, "FolderIds")?;
    let state = ctx.mailbox.lock();
    response_start(writer, "GetFolder");
    for id in &ids.children {
        match resolve_folder(ctx.mailbox, &state, id) {
            Ok(seq) => {
                success_start(writer, "m:GetFolderResponseMessage");
                writer.open("m:Folders", &[]);
                write_folder(ctx, &state, &state.folders[&seq], &shape, writer);
                writer.close("m:Folders");
                writer.close("m:GetFolderResponseMessage");
            }
            Err(error) => error_message(writer, "m:GetFolderResponseMessage", &error),
        }
    }
    response_end(writer, "GetFolder");
    Ok(())
}

/// `FindFolder`: children (shallow) or the whole subtree (deep) of each parent, paged.
pub fn find_folder(
    ctx: &OpContext<'_>,
    request: &Element,
    writer: &mut XmlWriter,
) -> Result<(), OpError> {
    let shape = Shape::parse(required(request, "FolderShape")?).map_err(SoapFault::from)?;
    let deep = match request.attr("Traversal").unwrap_or("Shallow") {
        "Shallow" => false,
        "Deep" => true,
        other => {
            return Err(SoapFault::new(
                "ErrorInvalidRequest",
                format!("FindFolder traversal '{other}' is not supported."),
            )
            .into())
        }
    };
    let view = request.child("IndexedPageFolderView");
    let paging =
        Paging::parse(view, ctx.sim.config.limits.max_page_size).map_err(SoapFault::from)?;
    let restriction = request
        .child("Restriction")
        .map(Restriction::parse::<Folder>)
        .transpose()
        .map_err(SoapFault::from)?;
    let parents = required(request, "ParentFolderIds")?;
    let state = ctx.mailbox.lock();
    response_start(writer, "FindFolder");
    for parent in &parents.children {
        let parent_seq = match resolve_folder(ctx.mailbox, &state, parent) {
            Ok(seq) => seq,
            Err(error) => {
                error_message(writer, "m:FindFolderResponseMessage", &error);
                continue;
            }
        };
        let candidates = if deep {
            state.descendants(parent_seq)
        } else {
            let mut children = state.children(parent_seq);
            children.sort_by(|a, b| {
                display_name_order(
                    &state.folders[a].display_name,
                    &state.folders[b].display_name,
                )
                .then(a.cmp(b))
            });
            children
        };
        let matching: Vec<u64> = candidates
            .into_iter()
            .filter(|seq| {
                restriction
                    .as_ref()
                    .is_none_or(|restriction| restriction.matches(&state.folders[seq]))
            })
            .collect();
        let page = paging.select(matching.len());
        success_start(writer, "m:FindFolderResponseMessage");
        page.open_root_folder(writer);
        writer.open("t:Folders", &[]);
        for seq in &matching[page.start..page.end] {
            write_folder(ctx, &state, &state.folders[seq], &shape, writer);
        }
        writer.close("t:Folders");
        writer.close("m:RootFolder");
        writer.close("m:FindFolderResponseMessage");
    }
    response_end(writer, "FindFolder");
    Ok(())
}

/// `CreateFolder`: creates each folder under the parent; a name clash is `ErrorFolderExists`.
pub fn create_folder(
    ctx: &OpContext<'_>,
    request: &Element,
    writer: &mut XmlWriter,
) -> Result<(), OpError> {
    let parent_element = required(request, "ParentFolderId")?;
    let folders = required(request, "Folders")?;
    let mut state = ctx.mailbox.lock();
    let parent = resolve_folder(ctx.mailbox, &state, parent_element);
    response_start(writer, "CreateFolder");
    for folder in &folders.children {
        let result = parent
            .clone()
            .and_then(|parent| create_one(ctx, &mut state, parent, folder));
        match result {
            // Exchange answers with the element the folder was asked for (a `t:Folder` of class
            // `IPF.Appointment` comes back as `t:Folder`), whatever it lists it as later.
            Ok(seq) => write_folder_id_message(
                ctx,
                &state,
                seq,
                "m:CreateFolderResponseMessage",
                &format!("t:{}", folder.name),
                writer,
            ),
            Err(error) => error_message(writer, "m:CreateFolderResponseMessage", &error),
        }
    }
    response_end(writer, "CreateFolder");
    Ok(())
}

fn create_one(
    ctx: &OpContext<'_>,
    state: &mut MailboxState,
    parent: u64,
    folder: &Element,
) -> Result<u64, EwsError> {
    // A `t:Folder` without `FolderClass` has no class on Exchange: `FindFolder` lists it
    // without one (recorded `APITest.testCreateFolders`).
    let default_class = match folder.name.as_str() {
        "CalendarFolder" => "IPF.Appointment",
        "ContactsFolder" => "IPF.Contact",
        "TasksFolder" => "IPF.Task",
        "Folder" => "",
        "SearchFolder" => {
            return Err(EwsError::new(
                "ErrorInvalidFolderTypeForOperation",
                "The simulator does not model search folders.",
            ))
        }
        other => {
            return Err(EwsError::new(
                "ErrorInvalidRequest",
                format!("'{other}' is not a folder type."),
            ))
        }
    };
    let name = folder
        .child_text("DisplayName")
        .ok_or_else(|| EwsError::new("ErrorInvalidRequest", "The folder has no DisplayName."))?;
    let class = folder.child_text("FolderClass").unwrap_or(default_class);
    let seq = state
        .create_folder(parent, name, class, ctx.now)
        .map_err(|error| match error {
            FolderError::Exists => EwsError::new(
                "ErrorFolderExists",
                "A folder with the specified name already exists.",
            ),
            FolderError::ParentNotFound => EwsError::new(
                "ErrorParentFolderNotFound",
                "The parent folder could not be found.",
            ),
            FolderError::InvalidName(problem) => EwsError::new("ErrorInvalidRequest", problem),
        })?;
    if let Some(permission_set) = folder.child("PermissionSet") {
        let is_calendar = state.folders[&seq].is_calendar();
        match parse_permission_set(&ctx.principal.tenant, permission_set, is_calendar) {
            Ok(permissions) => {
                if let Some(created) = state.folders.get_mut(&seq) {
                    created.permissions = permissions;
                }
            }
            Err(error) => return Err(error),
        }
    }
    Ok(seq)
}

/// `UpdateFolder`: sets a folder's display name or permission set.
pub fn update_folder(
    ctx: &OpContext<'_>,
    request: &Element,
    writer: &mut XmlWriter,
) -> Result<(), OpError> {
    let changes = required(request, "FolderChanges")?;
    let tenant = std::sync::Arc::clone(&ctx.principal.tenant);
    let mut state = ctx.mailbox.lock();
    response_start(writer, "UpdateFolder");
    for change in changes.children_named("FolderChange") {
        let result = resolve_folder(ctx.mailbox, &state, change)
            .and_then(|seq| apply_folder_change(&tenant, &mut state, seq, change).map(|()| seq));
        match result {
            Ok(seq) => {
                state.touch_folder(seq);
                let element = state.folders[&seq].element_name();
                write_folder_id_message(
                    ctx,
                    &state,
                    seq,
                    "m:UpdateFolderResponseMessage",
                    element,
                    writer,
                );
            }
            Err(error) => error_message(writer, "m:UpdateFolderResponseMessage", &error),
        }
    }
    response_end(writer, "UpdateFolder");
    Ok(())
}

fn apply_folder_change(
    tenant: &crate::model::Tenant,
    state: &mut MailboxState,
    seq: u64,
    change: &Element,
) -> Result<(), EwsError> {
    let updates = change
        .child("Updates")
        .ok_or_else(|| EwsError::new("ErrorInvalidRequest", "The folder change has no Updates."))?;
    for update in &updates.children {
        let uri = update
            .child("FieldURI")
            .and_then(|path| path.attr("FieldURI"))
            .unwrap_or("");
        let value_holder = update
            .children
            .iter()
            .find(|child| child.name.ends_with("Folder"));
        match (update.name.as_str(), uri) {
            ("SetFolderField", "folder:PermissionSet") => {
                let set = value_holder
                    .and_then(|holder| holder.child("PermissionSet"))
                    .ok_or_else(|| {
                        EwsError::new(
                            "ErrorInvalidRequest",
                            "SetFolderField has no PermissionSet.",
                        )
                    })?;
                let is_calendar = state.folders[&seq].is_calendar();
                let permissions = parse_permission_set(tenant, set, is_calendar)?;
                if let Some(folder) = state.folders.get_mut(&seq) {
                    folder.permissions = permissions;
                }
            }
            ("SetFolderField", "folder:DisplayName") => {
                let name = value_holder
                    .and_then(|holder| holder.child_text("DisplayName"))
                    .filter(|name| !name.is_empty())
                    .ok_or_else(|| {
                        EwsError::new("ErrorInvalidRequest", "SetFolderField has no DisplayName.")
                    })?;
                let folder = &state.folders[&seq];
                if folder.well_known.is_some() {
                    return Err(EwsError::new(
                        "ErrorInvalidOperation",
                        "The display name of a distinguished folder can't be changed.",
                    ));
                }
                if let Some(parent) = folder.parent {
                    if state
                        .child_named(parent, name)
                        .is_some_and(|other| other != seq)
                    {
                        return Err(EwsError::new(
                            "ErrorFolderExists",
                            "A folder with the specified name already exists.",
                        ));
                    }
                }
                if let Some(folder) = state.folders.get_mut(&seq) {
                    folder.display_name = name.to_string();
                }
            }
            (kind, uri) => {
                return Err(EwsError::new(
                    "ErrorInvalidPropertyForOperation",
                    format!("{kind} of '{uri}' is not supported on folders."),
                ))
            }
        }
    }
    Ok(())
}

/// `DeleteFolder`: removes user folders with their items; distinguished folders can't be deleted.
pub fn delete_folder(
    ctx: &OpContext<'_>,
    request: &Element,
    writer: &mut XmlWriter,
) -> Result<(), OpError> {
    let ids = required(request, "FolderIds")?;
    let mut state = ctx.mailbox.lock();
    response_start(writer, "DeleteFolder");
    for id in &ids.children {
        let result = resolve_folder(ctx.mailbox, &state, id).and_then(|seq| {
            if state.folders[&seq].well_known.is_some() {
                return Err(EwsError::new(
                    "ErrorDeleteDistinguishedFolder",
                    "Distinguished folders cannot be deleted.",
                ));
            }
            state.delete_folder_tree(seq);
            Ok(())
        });
        match result {
            Ok(()) => {
                success_start(writer, "m:DeleteFolderResponseMessage");
                writer.close("m:DeleteFolderResponseMessage");
            }
            Err(error) => error_message(writer, "m:DeleteFolderResponseMessage", &error),
        }
    }
    response_end(writer, "DeleteFolder");
    Ok(())
}

/// A successful response message holding just the folder's new id and change key, in `element`.
fn write_folder_id_message(
    ctx: &OpContext<'_>,
    state: &MailboxState,
    seq: u64,
    message: &str,
    element: &str,
    writer: &mut XmlWriter,
) {
    success_start(writer, message);
    writer.open("m:Folders", &[]);
    writer.open(element, &[]);
    let (id, change_key) = folder_id_and_change_key(ctx.mailbox, &state.folders[&seq]);
    writer.empty("t:FolderId", &[("Id", &id), ("ChangeKey", &change_key)]);
    writer.close(element);
    writer.close("m:Folders");
    writer.close(message);
}

/// The order in which Exchange lists a folder's children: by display name, ignoring case, with
/// spaces, then punctuation, then digits before letters, as a culture-aware comparison does
/// (recorded: `{06967759-...}` before `Companies`, `Freebusy Data` before `FreeBusyLocalCache`,
/// `O365 Suite Notifications` before `OneDriveRoot`).
pub fn display_name_order(left: &str, right: &str) -> Ordering {
    fn weights(name: &str) -> impl Iterator<Item = (u8, char)> + '_ {
        name.chars().flat_map(|ch| {
            let class = if ch.is_whitespace() {
                0
            } else if ch.is_numeric() {
                2
            } else if ch.is_alphabetic() {
                3
            } else {
                1
            };
            ch.to_lowercase().map(move |lower| (class, lower))
        })
    }
    weights(left)
        .cmp(weights(right))
        .then_with(|| left.cmp(right))
}

/// The child element an operation requires, or the schema fault Exchange gives without it.
pub fn required<'a>(request: &'a Element, name: &str) -> Result<&'a Element, SoapFault> {
    request.child(name).ok_or_else(|| {
        SoapFault::schema(format!(
            "The element '{}' in namespace 'http://schemas.microsoft.com/exchange/services/2006/messages' has incomplete content. List of possible elements expected: '{name}'.",
            request.name
        ))
    })
}

impl From<EwsError> for SoapFault {
    fn from(error: EwsError) -> SoapFault {
        SoapFault::new(error.code, error.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_sort_like_exchange_lists_them() {
        // Orders seen in recorded Exchange Online FindFolder replies.
        let mut names = vec![
            "OneDriveRoot",
            "Companies",
            "FreeBusyLocalCache",
            "To-Do Search",
            "{06967759-274D-40B2-A3EB-D7F9E73727D7}",
            "Top of Information Store",
            "Freebusy Data",
            "O365 Suite Notifications",
            "Test Create Calendar",
            "Test",
        ];
        names.sort_by(|a, b| display_name_order(a, b));
        assert_eq!(
            names,
            vec![
                "{06967759-274D-40B2-A3EB-D7F9E73727D7}",
                "Companies",
                "Freebusy Data",
                "FreeBusyLocalCache",
                "O365 Suite Notifications",
                "OneDriveRoot",
                "Test",
                "Test Create Calendar",
                "To-Do Search",
                "Top of Information Store",
            ]
        );
        assert_eq!(display_name_order("inbox", "Inbox"), "inbox".cmp("Inbox"));
    }
}
