//! What an operation handler works with: the mailbox the request acts on, the caller, the
//! simulator's services, and helpers that turn id elements into folders and items.

use std::sync::Arc;

use super::soap::EwsError;
use crate::identity::Principal;
use crate::ids::{IdError, ObjectId, ObjectKind};
use crate::model::{Mailbox, MailboxState, WellKnownFolder};
use crate::server::SimState;
use crate::xml::Element;

/// The context of one EWS request.
pub struct OpContext<'a> {
    /// The simulator's shared state.
    pub sim: &'a SimState,
    /// Who is calling.
    pub principal: &'a Principal,
    /// The mailbox the request acts on.
    pub mailbox: &'a Arc<Mailbox>,
    /// The request time, seconds since the Unix epoch.
    pub now: i64,
    /// Whether faults apply to this tenant.
    pub faults_apply: bool,
    /// Whether this reply's text properties carry `&#x0;` (the invalid-character fault).
    pub poison_text: bool,
}

impl OpContext<'_> {
    /// The tenant of the acting mailbox (its directory resolves the addresses items name).
    pub fn tenant(&self) -> &crate::model::Tenant {
        &self.principal.tenant
    }

    /// Counts an event on the acting mailbox.
    pub fn count(&self, name: &str) {
        self.mailbox.counters.bump(name);
    }

    /// Writes a text property, poisoned with `&#x0;` when the invalid-character fault is on.
    pub fn text_leaf(&self, writer: &mut crate::xml::XmlWriter, name: &str, text: &str) {
        writer.open(name, &[]);
        writer.text(text);
        if self.poison_text {
            writer.raw("&#x0;");
        }
        writer.close(name);
    }
}

/// Resolves a `FolderId`, `DistinguishedFolderId` or a parent element holding one of them.
pub fn resolve_folder(
    mailbox: &Mailbox,
    state: &MailboxState,
    element: &Element,
) -> Result<u64, EwsError> {
    // A folder id element itself, a parent holding one (`SavedItemFolderId`), or an element of
    // `FolderIdType` under another name (`ParentFolderId` in `UploadItems`).
    let id_element = match element.name.as_str() {
        "FolderId" | "DistinguishedFolderId" => element,
        _ => match element
            .children
            .iter()
            .find(|child| child.name == "FolderId" || child.name == "DistinguishedFolderId")
        {
            Some(child) => child,
            None if element.attr("Id").is_some() => element,
            None => {
                return Err(EwsError::new(
                    "ErrorInvalidRequest",
                    "A folder id is missing.",
                ))
            }
        },
    };
    if id_element.name == "DistinguishedFolderId" {
        let name = id_element.attr("Id").unwrap_or("");
        if let Some(address) = id_element.path(&["Mailbox", "EmailAddress"]) {
            let address = address.trimmed_text();
            let names_this_mailbox = mailbox.primary_address.eq_ignore_ascii_case(address)
                || mailbox
                    .aliases
                    .iter()
                    .any(|alias| alias.eq_ignore_ascii_case(address));
            if !names_this_mailbox {
                return Err(EwsError::new(
                    "ErrorAccessDenied",
                    "Access is denied. Check credentials and try again.",
                ));
            }
        }
        let well_known =
            WellKnownFolder::from_distinguished_id(name).ok_or_else(EwsError::folder_not_found)?;
        return Ok(state.well_known_folder(well_known));
    }
    let id = decode_id(id_element)?;
    if id.kind != ObjectKind::Folder {
        return Err(EwsError::new(
            "ErrorCannotUseItemIdForFolderId",
            "Item id can't be used as folder id.",
        ));
    }
    if id.mailbox != mailbox.guid || !state.folders.contains_key(&id.seq) {
        return Err(EwsError::folder_not_found());
    }
    Ok(id.seq)
}

/// Resolves an `ItemId` element to an item of the acting mailbox.
pub fn resolve_item(
    mailbox: &Mailbox,
    state: &MailboxState,
    element: &Element,
) -> Result<u64, EwsError> {
    let id = decode_id(element)?;
    if id.kind != ObjectKind::Item {
        return Err(EwsError::new(
            "ErrorCannotUseFolderIdForItemId",
            "Folder id can't be used as item id.",
        ));
    }
    if id.mailbox != mailbox.guid || !state.items.contains_key(&id.seq) {
        return Err(EwsError::item_not_found());
    }
    Ok(id.seq)
}

fn decode_id(element: &Element) -> Result<ObjectId, EwsError> {
    ObjectId::decode(element.attr("Id").unwrap_or("")).map_err(|error| match error {
        IdError::Empty => EwsError::id_empty(),
        IdError::Malformed => EwsError::id_malformed(),
    })
}

/// The id and change key attributes of a folder.
pub fn folder_id_attrs(mailbox: &Mailbox, state: &MailboxState, seq: u64) -> (String, String) {
    let change = state.folders.get(&seq).map(|f| f.last_change).unwrap_or(0);
    (
        ObjectId::folder(mailbox.guid, seq).encode(),
        crate::ids::change_key(change),
    )
}

/// The id and change key attributes of an item.
pub fn item_id_attrs(mailbox: &Mailbox, seq: u64, last_change: u64) -> (String, String) {
    (
        ObjectId::item(mailbox.guid, seq).encode(),
        crate::ids::change_key(last_change),
    )
}
