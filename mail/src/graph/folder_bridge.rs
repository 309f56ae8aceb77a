//! Folder references of the users API, bridged to the mailbox API's folder ids through the
//! folders' MAPI entry ids (see `ferry_graph::ops::ids` for why): one folder listing with the
//! entry id expanded and one `translateExchangeIds` call per direction, whatever the number
//! of references, and none when a rule names no folder.

use std::collections::HashMap;

use base64::Engine;
use ferry_core::mail::{FolderId, RuleFolder};
use ferry_graph::{decode_id_bytes, GraphClient, GraphError, IdFormat, MailboxId};

/// Users-API REST ids to the mailbox API's folder ids; ids that name no listed folder are
/// left out.
pub async fn rest_to_mailbox(
    client: &GraphClient,
    mailbox: &MailboxId,
    user: &str,
    rest_ids: &[String],
) -> Result<HashMap<String, FolderId>, GraphError> {
    if rest_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let by_entry: HashMap<Vec<u8>, String> = client
        .folder_entry_ids(mailbox)
        .await?
        .into_iter()
        .map(|folder| (folder.entry_id, folder.folder_id))
        .collect();
    let entry_ids = client
        .translate_ids(user, rest_ids, IdFormat::RestId, IdFormat::EntryId)
        .await?;
    Ok(rest_ids
        .iter()
        .zip(entry_ids)
        .filter_map(|(rest, entry)| {
            let folder = by_entry.get(&decode_id_bytes(&entry.ok()?)?)?;
            Some((rest.clone(), FolderId::new(folder.clone())))
        })
        .collect())
}

/// Folder references (mailbox-API ids or well-known names) to users-API REST ids; references
/// that name no listed folder, or that the service could not translate, are left out.
pub async fn mailbox_to_rest(
    client: &GraphClient,
    mailbox: &MailboxId,
    user: &str,
    references: &[RuleFolder],
) -> Result<HashMap<RuleFolder, String>, GraphError> {
    if references.is_empty() {
        return Ok(HashMap::new());
    }
    let folders = client.folder_entry_ids(mailbox).await?;
    let mut found: Vec<(RuleFolder, String)> = Vec::new();
    for reference in references {
        let folder = folders.iter().find(|folder| match reference {
            RuleFolder::Id(id) => folder.folder_id == id.as_str(),
            RuleFolder::WellKnown(name) => folder
                .well_known_name
                .as_deref()
                .is_some_and(|known| known.eq_ignore_ascii_case(name)),
        });
        if let Some(folder) = folder {
            let encoded = base64::engine::general_purpose::URL_SAFE.encode(&folder.entry_id);
            found.push((reference.clone(), encoded));
        }
    }
    let entry_ids: Vec<String> = found.iter().map(|(_, entry)| entry.clone()).collect();
    let rest_ids = client
        .translate_ids(user, &entry_ids, IdFormat::EntryId, IdFormat::RestId)
        .await?;
    Ok(found
        .into_iter()
        .zip(rest_ids)
        .filter_map(|((reference, _), rest)| Some((reference, rest.ok()?)))
        .collect())
}
