//! Importing items: `createImportSession` gives a pre-authenticated URL per mailbox; each item
//! is one `POST {importUrl}` without an `Authorization` header, its data base64-encoded into the
//! JSON body piece by piece as the body is sent. Sessions are kept per mailbox and replaced a
//! while before they expire, and once more if the import URL is refused.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use chrono::{Duration as Age, Utc};
use ferry_fasttransfer::Chunks;
use reqwest::Method;

use super::mailbox_path;
use crate::client::{check, read_json, transport_error};
use crate::types::{ImportSession, ImportedItem};
use crate::{GraphClient, GraphError, MailboxId};

/// A session with less than this left is replaced before use, so an upload never starts on a
/// URL about to stop working.
const RENEW_BEFORE_EXPIRY_SECS: i64 = 300;

/// Bytes of item data encoded per piece of the request body (a multiple of 3, so only the last
/// piece carries padding).
const PIECE_INPUT_BYTES: usize = 3 * 64 * 1024;

/// Import sessions by mailbox.
#[derive(Default)]
pub(crate) struct SessionCache {
    sessions: Mutex<HashMap<MailboxId, ImportSession>>,
}

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let open = self.sessions.lock().map(|map| map.len()).unwrap_or(0);
        f.debug_struct("SessionCache").field("open", &open).finish()
    }
}

impl SessionCache {
    fn usable(&self, mailbox: &MailboxId) -> Option<ImportSession> {
        let sessions = self
            .sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        sessions.get(mailbox).cloned().filter(|session| {
            session.expiration_date_time - Utc::now() > Age::seconds(RENEW_BEFORE_EXPIRY_SECS)
        })
    }

    fn keep(&self, mailbox: &MailboxId, session: ImportSession) {
        self.sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(mailbox.clone(), session);
    }

    fn forget(&self, mailbox: &MailboxId) {
        self.sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(mailbox);
    }
}

impl GraphClient {
    /// A new import session for a mailbox (`POST …/createImportSession`).
    pub async fn create_import_session(
        &self,
        mailbox: &MailboxId,
    ) -> Result<ImportSession, GraphError> {
        let url = self.url(&format!("{}/createImportSession", mailbox_path(mailbox)));
        let response = self
            .call("createImportSession", Method::POST, &url, &[])
            .await?;
        read_json("createImportSession", response).await
    }

    /// The mailbox's session, made if there is none or it expires soon.
    async fn import_session(&self, mailbox: &MailboxId) -> Result<ImportSession, GraphError> {
        if let Some(session) = self.sessions.usable(mailbox) {
            return Ok(session);
        }
        let session = self.create_import_session(mailbox).await?;
        self.sessions.keep(mailbox, session.clone());
        Ok(session)
    }

    /// Imports one item into a folder as a new item (`Mode: create`). A refused session (401)
    /// is replaced once; any other failure is returned as it is, and after a transport error
    /// the item may or may not exist (the caller checks the destination before retrying).
    pub async fn import_item(
        &self,
        mailbox: &MailboxId,
        folder_id: &str,
        data: &Chunks,
    ) -> Result<ImportedItem, GraphError> {
        if data.is_empty() {
            return Err(GraphError::InvalidRequest("an item with no data".into()));
        }
        let mut replaced = false;
        loop {
            let session = self.import_session(mailbox).await?;
            let body = ImportBody::new(folder_id, data.clone());
            let length = body.len();
            let response = self
                .http
                .request(Method::POST, session.expose_url())
                .header("content-type", "application/json")
                .header("content-length", length)
                .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
                    body.map(Ok::<_, std::io::Error>),
                )))
                .send()
                .await
                .map_err(|error| transport_error("importItem", error))?;
            if response.status().as_u16() == 401 && !replaced {
                replaced = true;
                self.sessions.forget(mailbox);
                continue;
            }
            let response = check("importItem", response).await?;
            return read_json("importItem", response).await;
        }
    }
}

/// The JSON body of one import, produced in pieces: `{"FolderId":…,"Mode":"create","Data":"`,
/// the data in base64, `"}`.
struct ImportBody {
    head: Option<Bytes>,
    data: Chunks,
    offset: usize,
    tail: Option<Bytes>,
}

impl ImportBody {
    fn new(folder_id: &str, data: Chunks) -> ImportBody {
        let folder = serde_json::Value::String(folder_id.to_string());
        ImportBody {
            head: Some(Bytes::from(format!(
                r#"{{"FolderId":{folder},"Mode":"create","Data":""#
            ))),
            data,
            offset: 0,
            tail: Some(Bytes::from_static(b"\"}")),
        }
    }

    /// The whole body's length in bytes.
    fn len(&self) -> usize {
        let head = self.head.as_ref().map_or(0, Bytes::len);
        let tail = self.tail.as_ref().map_or(0, Bytes::len);
        head + self.data.len().div_ceil(3) * 4 + tail
    }
}

impl Iterator for ImportBody {
    type Item = Bytes;

    fn next(&mut self) -> Option<Bytes> {
        if let Some(head) = self.head.take() {
            return Some(head);
        }
        if self.offset < self.data.len() {
            let end = (self.offset + PIECE_INPUT_BYTES).min(self.data.len());
            let piece = self.data.slice(self.offset..end);
            self.offset = end;
            let mut input = Vec::with_capacity(piece.len());
            for chunk in piece.chunks() {
                input.extend_from_slice(chunk);
            }
            return Some(Bytes::from(base64_simd::STANDARD.encode_to_string(&input)));
        }
        self.tail.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;

    #[test]
    fn the_body_is_the_documented_json_with_the_data_in_base64_whatever_the_chunking() {
        let bytes: Vec<u8> = (0..(PIECE_INPUT_BYTES * 2 + 5))
            .map(|at| at as u8)
            .collect();
        let chunked = Chunks::from(vec![
            Bytes::copy_from_slice(&bytes[..7]),
            Bytes::copy_from_slice(&bytes[7..PIECE_INPUT_BYTES + 1]),
            Bytes::copy_from_slice(&bytes[PIECE_INPUT_BYTES + 1..]),
        ]);
        let body = ImportBody::new("fo\"lder", chunked);
        let length = body.len();
        let sent: Vec<u8> = body.flat_map(|piece| piece.to_vec()).collect();
        assert_eq!(sent.len(), length);
        let json: serde_json::Value = serde_json::from_slice(&sent).expect("json");
        assert_eq!(json["FolderId"], "fo\"lder");
        assert_eq!(json["Mode"], "create");
        let data = STANDARD
            .decode(json["Data"].as_str().expect("data"))
            .expect("base64");
        assert_eq!(data, bytes);
    }
}
