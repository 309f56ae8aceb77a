//! Folder identities across Graph's two APIs. The mailbox import/export API names folders by
//! the ids its folder listing gives, and Microsoft says to use only those there; the users API
//! (`messageRules`, `mailFolders`) names them by REST ids. Nothing documents that the two are
//! the same, so they are bridged by what both identify a folder by: its MAPI entry id
//! (`PidTagEntryId`), read on the mailbox API through `$expand` and converted to and from REST
//! ids by `translateExchangeIds`.

use base64::Engine;
use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::{expand, mailbox_path, user_path};
use crate::client::{read_json, Page};
use crate::types::Folder;
use crate::{GraphClient, GraphError, ItemError, MailboxId};

/// `PidTagEntryId`, as a Graph property id.
pub const ENTRY_ID_PROPERTY: &str = "Binary 0x0FFF";

/// Most ids `translateExchangeIds` takes in one call.
pub const MAX_TRANSLATED_IDS: usize = 1000;

/// An id format `translateExchangeIds` converts between (`exchangeIdFormat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum IdFormat {
    /// The binary MAPI entry id, base64.
    EntryId,
    /// The id EWS uses.
    EwsId,
    /// The id the users API (Outlook REST) uses.
    RestId,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TranslateRequest<'a> {
    input_ids: &'a [String],
    source_id_type: IdFormat,
    target_id_type: IdFormat,
}

/// `convertIdResult`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConvertIdResult {
    #[serde(default)]
    target_id: Option<String>,
    #[serde(default)]
    error_details: Option<GenericError>,
}

#[derive(Deserialize)]
struct GenericError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// Bytes of a base64 value in either alphabet, padded or not (entry ids come as standard
/// base64 in extended properties and URL-safe in `translateExchangeIds`).
pub fn decode_id_bytes(text: &str) -> Option<Vec<u8>> {
    let normal: String = text
        .trim()
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(normal)
        .ok()
}

impl GraphClient {
    /// Converts ids of one user's mailbox from one format to another; one result per id, in
    /// order, an id the service could not convert answered with its error.
    pub async fn translate_ids(
        &self,
        user: &str,
        ids: &[String],
        from: IdFormat,
        to: IdFormat,
    ) -> Result<Vec<Result<String, ItemError>>, GraphError> {
        let url = self.url(&format!("{}/translateExchangeIds", user_path(user)?));
        let mut translated = Vec::with_capacity(ids.len());
        for batch in ids.chunks(MAX_TRANSLATED_IDS) {
            let body = TranslateRequest {
                input_ids: batch,
                source_id_type: from,
                target_id_type: to,
            };
            let response = self
                .send_json("translateExchangeIds", Method::POST, &url, &body)
                .await?;
            let page: Page<ConvertIdResult> = read_json("translateExchangeIds", response).await?;
            if page.value.len() != batch.len() {
                return Err(GraphError::Malformed(format!(
                    "translateExchangeIds answered {} results for {} ids",
                    page.value.len(),
                    batch.len()
                )));
            }
            translated.extend(page.value.into_iter().map(|result| {
                match (result.target_id, result.error_details) {
                    (Some(id), None) => Ok(id),
                    (_, Some(error)) => Err(ItemError {
                        code: error.code,
                        message: error.message,
                    }),
                    (None, None) => Err(ItemError {
                        code: "NoTargetId".into(),
                        message: "translateExchangeIds gave neither an id nor an error".into(),
                    }),
                }
            }));
        }
        Ok(translated)
    }

    /// Every folder of the mailbox API with its entry id (folders that show none are left
    /// out).
    pub async fn folder_entry_ids(
        &self,
        mailbox: &MailboxId,
    ) -> Result<Vec<FolderEntryId>, GraphError> {
        let url = self.url(&format!("{}/folders", mailbox_path(mailbox)));
        let mut query = vec![
            ("$select", "id,wellKnownName".to_string()),
            ("$top", self.page_size.to_string()),
        ];
        query.extend(expand(&[ENTRY_ID_PROPERTY]).map(|expand| ("$expand", expand)));
        let folders: Vec<Folder> = self.get_all("listFolders", &url, &query).await?;
        Ok(folders
            .into_iter()
            .filter_map(|folder| {
                let entry_id = folder
                    .property(ENTRY_ID_PROPERTY)
                    .and_then(decode_id_bytes)?;
                Some(FolderEntryId {
                    folder_id: folder.id,
                    well_known_name: folder.well_known_name,
                    entry_id,
                })
            })
            .collect())
    }
}

/// A mailbox-API folder and its MAPI entry id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderEntryId {
    /// The mailbox API's id.
    pub folder_id: String,
    /// Its well-known name, if Outlook made it.
    pub well_known_name: Option<String>,
    /// `PidTagEntryId`.
    pub entry_id: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_ids_decode_from_either_alphabet() {
        let bytes = vec![0xfb, 0xff, 0x01, 0x02];
        assert_eq!(decode_id_bytes("+/8BAg=="), Some(bytes.clone()));
        assert_eq!(decode_id_bytes("-_8BAg"), Some(bytes));
        assert_eq!(decode_id_bytes("not base64!"), None);
    }
}
