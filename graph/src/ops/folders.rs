//! Folders: the whole tree (paged), one folder by id or well-known name, creation, deletion.

use reqwest::Method;
use serde_json::json;

use super::{mailbox_path, segment};
use crate::client::read_json;
use crate::types::Folder;
use crate::{GraphClient, GraphError, MailboxId};

/// The properties a migration reads of a folder.
const FOLDER_FIELDS: &str =
    "id,displayName,parentFolderId,type,wellKnownName,totalItemCount,childFolderCount";

impl GraphClient {
    /// Every folder of the mailbox below its root, in the service's order.
    pub async fn folders(&self, mailbox: &MailboxId) -> Result<Vec<Folder>, GraphError> {
        let url = self.url(&format!("{}/folders", mailbox_path(mailbox)));
        let query = [
            ("$select", FOLDER_FIELDS.to_string()),
            ("$top", self.page_size.to_string()),
        ];
        self.get_all("listFolders", &url, &query).await
    }

    /// One folder, by id or by well-known name (`inbox`, `msgfolderroot`...).
    pub async fn folder(&self, mailbox: &MailboxId, folder: &str) -> Result<Folder, GraphError> {
        let url = self.url(&format!(
            "{}/folders/{}",
            mailbox_path(mailbox),
            segment(folder)
        ));
        let query = [("$select", FOLDER_FIELDS.to_string())];
        self.get_json("getFolder", &url, &query).await
    }

    /// Creates a folder under `parent` (an id or well-known name). A sibling of the same name is
    /// [`GraphError::Conflict`] (`ErrorFolderExists`).
    pub async fn create_folder(
        &self,
        mailbox: &MailboxId,
        parent: &str,
        display_name: &str,
        folder_class: &str,
    ) -> Result<Folder, GraphError> {
        let url = self.url(&format!(
            "{}/folders/{}/childFolders",
            mailbox_path(mailbox),
            segment(parent)
        ));
        let body = json!({ "displayName": display_name, "type": folder_class });
        let response = self
            .send("createFolder", |token| {
                self.http
                    .request(Method::POST, &url)
                    .bearer_auth(token.expose())
                    .json(&body)
            })
            .await?;
        read_json("createFolder", response).await
    }

    /// Deletes a folder with its subfolders and items.
    pub async fn delete_folder(&self, mailbox: &MailboxId, folder: &str) -> Result<(), GraphError> {
        let url = self.url(&format!(
            "{}/folders/{}/$ref",
            mailbox_path(mailbox),
            segment(folder)
        ));
        self.call("deleteFolder", Method::DELETE, &url, &[]).await?;
        Ok(())
    }
}
