//! Folder operations.

use super::{messages, single};
use crate::reply::parse;
use crate::request::{
    self, FolderShape, FolderUpdate, MailboxTarget, NewFolder, Paging, Traversal,
};
use crate::types::{Folder, FolderId, FolderRef, Page, Permission, Restriction, SyncPage};
use crate::{EwsClient, EwsError};

/// Folders per `FindFolder` page when walking a whole tree.
const FOLDER_PAGE: u32 = 500;

impl EwsClient {
    /// `GetFolder`: one result per folder asked for.
    pub async fn get_folders(
        &self,
        mailbox: &MailboxTarget,
        folders: &[FolderRef],
        shape: &FolderShape,
    ) -> Result<Vec<Result<Folder, EwsError>>, EwsError> {
        let request = request::get_folders(mailbox, &self.schema_version, folders, shape);
        messages(self.send(&request).await?, |message| {
            message
                .child("Folders")
                .and_then(|folders| folders.children.first())
                .ok_or_else(|| EwsError::MalformedReply("GetFolder message has no folder".into()))
                .and_then(parse::folder)
        })
        .await
    }

    /// One page of `FindFolder`.
    pub async fn find_folders(
        &self,
        mailbox: &MailboxTarget,
        parent: &FolderRef,
        traversal: Traversal,
        shape: &FolderShape,
        paging: Paging,
        restriction: Option<&Restriction>,
    ) -> Result<Page<Folder>, EwsError> {
        let request = request::find_folders(
            mailbox,
            &self.schema_version,
            parent,
            traversal,
            shape,
            paging,
            restriction,
        );
        single(self.send(&request).await?, parse::folder_page).await
    }

    /// Every folder below `parent` (deep), page by page.
    pub async fn folder_tree(
        &self,
        mailbox: &MailboxTarget,
        parent: &FolderRef,
        shape: &FolderShape,
    ) -> Result<Vec<Folder>, EwsError> {
        let mut folders = Vec::new();
        let mut paging = Paging::first(FOLDER_PAGE);
        loop {
            let page = self
                .find_folders(mailbox, parent, Traversal::Deep, shape, paging, None)
                .await?;
            let returned = page.entries.len() as u64;
            folders.extend(page.entries);
            if page.includes_last || returned == 0 {
                return Ok(folders);
            }
            paging.offset = page.next_offset.unwrap_or(paging.offset + returned);
        }
    }

    /// `SyncFolderHierarchy` from a sync state (`None` to start).
    pub async fn sync_folder_hierarchy(
        &self,
        mailbox: &MailboxTarget,
        root: Option<&FolderRef>,
        sync_state: Option<&str>,
        shape: &FolderShape,
    ) -> Result<SyncPage<Folder, FolderId>, EwsError> {
        let request =
            request::sync_folder_hierarchy(mailbox, &self.schema_version, root, sync_state, shape);
        single(self.send(&request).await?, parse::hierarchy_sync).await
    }

    /// `CreateFolder`: one result per folder.
    pub async fn create_folders(
        &self,
        mailbox: &MailboxTarget,
        parent: &FolderRef,
        folders: &[NewFolder],
    ) -> Result<Vec<Result<FolderId, EwsError>>, EwsError> {
        let request = request::create_folders(mailbox, &self.schema_version, parent, folders);
        messages(self.send(&request).await?, |message| {
            message
                .child("Folders")
                .and_then(|folders| folders.children.first())
                .and_then(|folder| folder.child("FolderId"))
                .and_then(parse::folder_id)
                .ok_or_else(|| {
                    EwsError::MalformedReply("CreateFolder message has no FolderId".into())
                })
        })
        .await
    }

    /// A folder's permission set (`GetFolder` with `folder:PermissionSet`).
    pub async fn folder_permissions(
        &self,
        mailbox: &MailboxTarget,
        folder: &FolderRef,
    ) -> Result<Vec<Permission>, EwsError> {
        let shape = FolderShape {
            base: request::BaseShape::IdOnly,
            fields: vec!["folder:PermissionSet".into()],
            extended: Vec::new(),
        };
        let mut results = self
            .get_folders(mailbox, std::slice::from_ref(folder), &shape)
            .await?;
        let folder = results
            .pop()
            .ok_or_else(|| EwsError::MalformedReply("GetFolder reply has no message".into()))??;
        Ok(folder.permissions.unwrap_or_default())
    }

    /// The permission sets of several folders in one `GetFolder`: one result per folder, in
    /// order.
    pub async fn folders_permissions(
        &self,
        mailbox: &MailboxTarget,
        folders: &[FolderRef],
    ) -> Result<Vec<Result<Vec<Permission>, EwsError>>, EwsError> {
        if folders.is_empty() {
            return Ok(Vec::new());
        }
        let shape = FolderShape {
            base: request::BaseShape::IdOnly,
            fields: vec!["folder:PermissionSet".into()],
            extended: Vec::new(),
        };
        let results = self.get_folders(mailbox, folders, &shape).await?;
        if results.len() != folders.len() {
            return Err(EwsError::MalformedReply(format!(
                "GetFolder answered {} messages for {} folders",
                results.len(),
                folders.len()
            )));
        }
        Ok(results
            .into_iter()
            .map(|result| result.map(|folder| folder.permissions.unwrap_or_default()))
            .collect())
    }

    /// `UpdateFolder` of one folder (display name or permission set).
    pub async fn update_folder(
        &self,
        mailbox: &MailboxTarget,
        folder: &FolderRef,
        update: &FolderUpdate,
    ) -> Result<(), EwsError> {
        let request = request::update_folder(mailbox, &self.schema_version, folder, update);
        single(self.send(&request).await?, |_| Ok(())).await
    }

    /// `DeleteFolder`: one result per folder.
    pub async fn delete_folders(
        &self,
        mailbox: &MailboxTarget,
        folders: &[FolderId],
        hard: bool,
    ) -> Result<Vec<Result<(), EwsError>>, EwsError> {
        let request = request::delete_folders(mailbox, &self.schema_version, folders, hard);
        messages(self.send(&request).await?, |_| Ok(())).await
    }
}
