//! Changing folders: create (`POST …/folders`, `POST …/folders/{id}/childFolders`), rename
//! (`PATCH …/folders/{id}`) and delete (`DELETE …/folders/{id}/$ref`, also without `/$ref`).
//!
//! Assumptions where the docs are silent: a folder created with `POST …/folders` goes under
//! `msgfolderroot` (Top of Information Store), as Outlook's top-level folders do; deleting
//! removes the folder, its subfolders and their items at once, as EWS `DeleteFolder` does here;
//! well-known folders cannot be renamed or deleted. The create and update examples also send
//! `singleValueExtendedProperties` `String 0x3001` (PidTagDisplayName); that one is accepted
//! when it agrees with `displayName`, other extended properties are refused by name because
//! the simulator stores none on folders.

use serde_json::{Map, Value};

use super::context::{GraphReply, MailboxContext};
use super::error::GraphError;
use super::folders::{entity_json, resolve_path};
use super::route::FolderPath;
use crate::model::{FolderError, WellKnownFolder};

/// The JSON object of a request body, or a 400 saying why not.
pub fn body_object(ctx: &MailboxContext<'_>) -> Result<Map<String, Value>, GraphError> {
    if ctx.request.body.iter().all(u8::is_ascii_whitespace) {
        return Err(GraphError::bad_request(
            "Empty Payload. JSON content expected.",
        ));
    }
    match serde_json::from_slice::<Value>(&ctx.request.body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(GraphError::bad_request(
            "The request body must be a JSON object.",
        )),
        Err(error) => Err(GraphError::bad_request(format!(
            "Unable to read JSON request payload: {error}."
        ))),
    }
}

/// The folder fields a create or update body sets.
struct FolderFields {
    display_name: Option<String>,
    folder_class: Option<String>,
}

fn fields(body: &Map<String, Value>) -> Result<FolderFields, GraphError> {
    let mut fields = FolderFields {
        display_name: None,
        folder_class: None,
    };
    let text = |key: &str, value: &Value| {
        value.as_str().map(str::to_string).ok_or_else(|| {
            GraphError::bad_request(format!("The property '{key}' must be a string."))
        })
    };
    for (key, value) in body {
        match key.as_str() {
            "@odata.type" => {}
            "displayName" => fields.display_name = Some(text(key, value)?),
            "type" => fields.folder_class = Some(text(key, value)?),
            "singleValueExtendedProperties" => {}
            other => {
                return Err(GraphError::bad_request(format!(
                    "The property '{other}' does not exist on type 'microsoft.graph.mailboxFolder' or cannot be written; a folder takes displayName and type."
                )))
            }
        }
    }
    if let Some(properties) = body.get("singleValueExtendedProperties") {
        for property in properties.as_array().into_iter().flatten() {
            let id = property
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let value = property.get("value").and_then(Value::as_str);
            let names_display = super::extended::PropertyId::parse(id).is_ok_and(|id| {
                id.key == crate::model::PropertyKey::Tag(0x3001) && id.property_type == "String"
            });
            if !names_display {
                return Err(GraphError::bad_request(format!(
                    "The extended property '{id}' can't be set on a folder by this service: it stores no extended properties on folders (only String 0x3001, the display name, is accepted)."
                )));
            }
            match (&fields.display_name, value) {
                (Some(name), Some(value)) if name != value => {
                    return Err(GraphError::bad_request(
                        "String 0x3001 (the display name) differs from displayName.",
                    ))
                }
                (None, Some(value)) => fields.display_name = Some(value.to_string()),
                _ => {}
            }
        }
    }
    Ok(fields)
}

fn folder_error(error: FolderError) -> GraphError {
    match error {
        FolderError::Exists => GraphError::new(
            409,
            "ErrorFolderExists",
            "A folder with the specified name already exists.",
        ),
        FolderError::ParentNotFound => GraphError::not_found(),
        FolderError::InvalidName(problem) => {
            GraphError::invalid_request(format!("The folder name is not valid: {problem}."))
        }
    }
}

/// `POST …/folders` (under `msgfolderroot`) or `POST …/folders/{id}/childFolders`: 201.
pub fn create(
    ctx: &MailboxContext<'_>,
    parent: Option<&FolderPath>,
) -> Result<GraphReply, GraphError> {
    ctx.request.query.allow_only(&[])?;
    let fields = fields(&body_object(ctx)?)?;
    let display_name = fields.display_name.ok_or_else(|| {
        GraphError::bad_request("The property 'displayName' is required to create a folder.")
    })?;
    let folder_class = fields
        .folder_class
        .ok_or_else(|| GraphError::bad_request("The property 'type' (the folder class, such as IPF.Note) is required to create a folder."))?;
    if folder_class.trim().is_empty() {
        return Err(GraphError::bad_request(
            "The property 'type' must name a folder class, such as IPF.Note.",
        ));
    }
    let mut state = ctx.mailbox.lock();
    let parent = match parent {
        Some(path) => resolve_path(ctx, &state, path)?,
        None => state.well_known_folder(WellKnownFolder::MsgFolderRoot),
    };
    let seq = state
        .create_folder(parent, &display_name, folder_class.trim(), ctx.now)
        .map_err(folder_error)?;
    ctx.count("graph.folders_created");
    Ok(GraphReply::json(
        201,
        "createFolder",
        entity_json(ctx, &state, seq, None),
    ))
}

/// `PATCH …/folders/{id}`: renames; the folder class can't change.
pub fn update(ctx: &MailboxContext<'_>, path: &FolderPath) -> Result<GraphReply, GraphError> {
    ctx.request.query.allow_only(&[])?;
    let fields = fields(&body_object(ctx)?)?;
    if fields.folder_class.is_some() {
        return Err(GraphError::bad_request(
            "The folder type can't be updated; delete the folder and create a new one instead.",
        ));
    }
    let mut state = ctx.mailbox.lock();
    let seq = resolve_path(ctx, &state, path)?;
    if let Some(name) = fields.display_name {
        let name = name.trim().to_string();
        if name.is_empty() {
            return Err(GraphError::invalid_request(
                "The folder name is not valid: the name is empty.",
            ));
        }
        let folder = &state.folders[&seq];
        if folder.well_known.is_some() {
            return Err(GraphError::new(
                400,
                "ErrorInvalidOperation",
                "The display name of a distinguished folder can't be changed.",
            ));
        }
        if let Some(parent) = folder.parent {
            if state
                .child_named(parent, &name)
                .is_some_and(|other| other != seq)
            {
                return Err(folder_error(FolderError::Exists));
            }
        }
        if let Some(folder) = state.folders.get_mut(&seq) {
            folder.display_name = name;
        }
        state.touch_folder(seq);
    }
    Ok(GraphReply::json(
        200,
        "updateFolder",
        entity_json(ctx, &state, seq, None),
    ))
}

/// `DELETE …/folders/{id}(/$ref)`: 204.
pub fn delete(ctx: &MailboxContext<'_>, path: &FolderPath) -> Result<GraphReply, GraphError> {
    ctx.request.query.allow_only(&[])?;
    let mut state = ctx.mailbox.lock();
    let seq = resolve_path(ctx, &state, path)?;
    if state.folders[&seq].well_known.is_some() {
        return Err(GraphError::new(
            403,
            "ErrorDeleteDistinguishedFolder",
            "Distinguished folders cannot be deleted.",
        ));
    }
    state.delete_folder_tree(seq);
    ctx.count("graph.folders_deleted");
    Ok(GraphReply::no_content("deleteFolder"))
}
