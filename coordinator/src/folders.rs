//! Matching a source mailbox's folder tree to the destination's, creating what is missing.
//!
//! Well-known folders (Inbox, Sent Items, Calendar...) match by their well-known name, never by
//! display name: names are localised (a French destination's Inbox is "Boîte de réception").
//! Other folders match by name, case-insensitively as Exchange compares them, under the matched
//! parent; a folder with no match is created with the source's name and class.

use std::collections::{HashMap, HashSet};

use ferry_core::mail::{FolderId, MailApi, MailError, MailFolder};
use ferry_core::pacing::{Lane, Repeat};

/// A source folder and the destination folder its items go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderPair {
    /// The source folder.
    pub source: MailFolder,
    /// The destination folder.
    pub destination: MailFolder,
    /// The source folder's path from the top of the mailbox (`Inbox/Projects`).
    pub path: String,
}

/// A source folder that could not be mapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedFolder {
    /// The source folder.
    pub source: MailFolder,
    /// Its path from the top of the mailbox.
    pub path: String,
}

/// The outcome of mapping a mailbox's folders.
#[derive(Debug, Default)]
pub struct FolderMapping {
    /// Folders whose items can be migrated.
    pub pairs: Vec<FolderPair>,
    /// Destination folders created.
    pub created: u64,
    /// Folders that could not be mapped (their items are not migrated), with why.
    pub skipped: Vec<(SkippedFolder, MailError)>,
}

impl FolderMapping {
    /// Source folder id to destination folder id.
    pub fn ids(&self) -> HashMap<FolderId, FolderId> {
        self.pairs
            .iter()
            .map(|pair| (pair.source.id.clone(), pair.destination.id.clone()))
            .collect()
    }
}

/// One path segment, with `/` and `\` escaped so paths stay unambiguous.
fn segment(name: &str) -> String {
    name.replace('\\', "\\\\").replace('/', "\\/")
}

/// The path of every folder below `root`, by folder id. Folders whose parent chain does not
/// reach `root` are left out.
pub fn folder_paths(root: &FolderId, folders: &[MailFolder]) -> HashMap<FolderId, String> {
    let by_id: HashMap<&FolderId, &MailFolder> =
        folders.iter().map(|folder| (&folder.id, folder)).collect();
    let mut paths: HashMap<FolderId, String> = HashMap::new();
    for folder in folders {
        let mut chain = vec![folder];
        let mut reaches_root = false;
        while let Some(parent) = chain.last().and_then(|folder| folder.parent_id.as_ref()) {
            if parent == root {
                reaches_root = true;
                break;
            }
            match by_id.get(parent) {
                Some(next) if chain.len() <= folders.len() => chain.push(next),
                _ => break,
            }
        }
        if reaches_root {
            let path: Vec<String> = chain
                .iter()
                .rev()
                .map(|folder| segment(&folder.display_name))
                .collect();
            paths.insert(folder.id.clone(), path.join("/"));
        }
    }
    paths
}

/// Source folders ordered so every parent comes before its children.
fn parents_first<'a>(root: &FolderId, folders: &'a [MailFolder]) -> Vec<&'a MailFolder> {
    let mut placed: HashSet<&FolderId> = HashSet::from([root]);
    let mut ordered = Vec::with_capacity(folders.len());
    let mut waiting: Vec<&MailFolder> = folders.iter().collect();
    loop {
        let before = waiting.len();
        waiting.retain(|folder| {
            let ready = folder
                .parent_id
                .as_ref()
                .is_some_and(|parent| placed.contains(parent));
            if ready {
                placed.insert(&folder.id);
                ordered.push(*folder);
            }
            !ready
        });
        if waiting.is_empty() || waiting.len() == before {
            return ordered;
        }
    }
}

/// The destination folder a source folder matches, if any: by well-known name for well-known
/// folders, else by name under `parent`. Folders already matched are not matched again.
pub fn find_match<'a>(
    source: &MailFolder,
    parent: &FolderId,
    destination: &'a [MailFolder],
    taken: &HashSet<FolderId>,
) -> Option<&'a MailFolder> {
    let free = |folder: &&MailFolder| !taken.contains(&folder.id);
    if let Some(name) = &source.well_known {
        if let Some(found) = destination
            .iter()
            .filter(free)
            .find(|folder| folder.well_known.as_deref() == Some(name.as_str()))
        {
            return Some(found);
        }
    }
    destination.iter().filter(free).find(|folder| {
        folder.parent_id.as_ref() == Some(parent)
            && folder.well_known.is_none()
            && folder.display_name.to_lowercase() == source.display_name.to_lowercase()
    })
}

/// Everything needed to map one mailbox's folders.
pub struct FolderMapper<'a> {
    /// The source tenant.
    pub source: &'a dyn MailApi,
    /// The destination tenant.
    pub destination: &'a dyn MailApi,
    /// Calls to the source mailbox.
    pub source_lane: &'a mut Lane,
    /// Calls to the destination mailbox.
    pub destination_lane: &'a mut Lane,
    /// The source mailbox.
    pub source_address: &'a str,
    /// The destination mailbox.
    pub destination_address: &'a str,
}

impl FolderMapper<'_> {
    /// Maps every source folder, creating destination folders as needed.
    pub async fn map(&mut self) -> Result<FolderMapping, MailError> {
        let (source, destination) = (self.source, self.destination);
        let (source_address, destination_address) = (self.source_address, self.destination_address);
        let source_root = self
            .source_lane
            .call(Repeat::Safe, || source.root_folder(source_address))
            .await?;
        let source_folders = self
            .source_lane
            .call(Repeat::Safe, || source.folders(source_address))
            .await?;
        let destination_root = self
            .destination_lane
            .call(Repeat::Safe, || {
                destination.root_folder(destination_address)
            })
            .await?;
        let mut destination_folders = self
            .destination_lane
            .call(Repeat::Safe, || destination.folders(destination_address))
            .await?;

        let paths = folder_paths(&source_root, &source_folders);
        let mut ids: HashMap<FolderId, FolderId> =
            HashMap::from([(source_root.clone(), destination_root)]);
        let mut taken: HashSet<FolderId> = HashSet::new();
        let mut mapping = FolderMapping::default();
        for folder in parents_first(&source_root, &source_folders) {
            let path = paths
                .get(&folder.id)
                .cloned()
                .unwrap_or_else(|| segment(&folder.display_name));
            let skipped = || SkippedFolder {
                source: folder.clone(),
                path: path.clone(),
            };
            let pair = |destination: MailFolder| FolderPair {
                source: folder.clone(),
                destination,
                path: path.clone(),
            };
            let Some(parent) = folder
                .parent_id
                .as_ref()
                .and_then(|parent| ids.get(parent))
                .cloned()
            else {
                let error =
                    MailError::FolderNotFound("its parent folder could not be migrated".into());
                mapping.skipped.push((skipped(), error));
                continue;
            };
            if let Some(found) = find_match(folder, &parent, &destination_folders, &taken) {
                taken.insert(found.id.clone());
                ids.insert(folder.id.clone(), found.id.clone());
                mapping.pairs.push(pair(found.clone()));
                continue;
            }
            match self.create(&parent, folder, &mut destination_folders).await {
                Ok(created) => {
                    mapping.created += 1;
                    taken.insert(created.id.clone());
                    ids.insert(folder.id.clone(), created.id.clone());
                    mapping.pairs.push(pair(created));
                }
                Err(error) => mapping.skipped.push((skipped(), error)),
            }
        }
        let placed: HashSet<&FolderId> = mapping
            .pairs
            .iter()
            .map(|pair| &pair.source.id)
            .chain(
                mapping
                    .skipped
                    .iter()
                    .map(|(skipped, _)| &skipped.source.id),
            )
            .collect();
        let orphans: Vec<SkippedFolder> = source_folders
            .iter()
            .filter(|folder| !placed.contains(&folder.id))
            .map(|folder| SkippedFolder {
                source: folder.clone(),
                path: segment(&folder.display_name),
            })
            .collect();
        for orphan in orphans {
            let error =
                MailError::FolderNotFound("the folder is outside the mailbox's folder tree".into());
            mapping.skipped.push((orphan, error));
        }
        Ok(mapping)
    }

    /// Creates a destination folder like `folder` under `parent`. If the name turns out to be
    /// taken (a folder created since the tree was read), the existing folder is used.
    async fn create(
        &mut self,
        parent: &FolderId,
        folder: &MailFolder,
        known: &mut Vec<MailFolder>,
    ) -> Result<MailFolder, MailError> {
        let (destination, address) = (self.destination, self.destination_address);
        let created = self
            .destination_lane
            .call(Repeat::Safe, || {
                destination.create_folder(
                    address,
                    parent,
                    &folder.display_name,
                    &folder.folder_class,
                )
            })
            .await;
        match created {
            Ok(id) => {
                let created = MailFolder {
                    id,
                    parent_id: Some(parent.clone()),
                    display_name: folder.display_name.clone(),
                    folder_class: folder.folder_class.clone(),
                    well_known: None,
                    item_count: 0,
                };
                known.push(created.clone());
                Ok(created)
            }
            Err(MailError::FolderExists(message)) => {
                *known = self
                    .destination_lane
                    .call(Repeat::Safe, || destination.folders(address))
                    .await?;
                let probe = MailFolder {
                    well_known: None,
                    ..folder.clone()
                };
                find_match(&probe, parent, known, &HashSet::new())
                    .cloned()
                    .ok_or(MailError::FolderExists(message))
            }
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(id: &str, parent: &str, name: &str, well_known: Option<&str>) -> MailFolder {
        MailFolder {
            id: id.into(),
            parent_id: Some(parent.into()),
            display_name: name.into(),
            folder_class: "IPF.Note".into(),
            well_known: well_known.map(String::from),
            item_count: 0,
        }
    }

    #[test]
    fn well_known_folders_match_by_distinguished_id_not_by_name() {
        let source = folder("s-inbox", "s-root", "Inbox", Some("inbox"));
        let destination = vec![
            folder("d-fake", "d-root", "Inbox", None),
            folder("d-inbox", "d-root", "Boîte de réception", Some("inbox")),
        ];
        let found = find_match(&source, &"d-root".into(), &destination, &HashSet::new());
        assert_eq!(found.map(|folder| folder.id.as_str()), Some("d-inbox"));
    }

    #[test]
    fn other_folders_match_by_name_under_the_same_parent_ignoring_case() {
        let source = folder("s-1", "s-inbox", "Projects", None);
        let destination = vec![
            folder("d-elsewhere", "d-sent", "Projects", None),
            folder("d-1", "d-inbox", "PROJECTS", None),
        ];
        let found = find_match(&source, &"d-inbox".into(), &destination, &HashSet::new());
        assert_eq!(found.map(|folder| folder.id.as_str()), Some("d-1"));
        let taken = HashSet::from([FolderId::from("d-1")]);
        assert!(
            find_match(&source, &"d-inbox".into(), &destination, &taken).is_none(),
            "a folder is matched once"
        );
    }

    #[test]
    fn paths_escape_slashes_and_skip_orphans() {
        let folders = vec![
            folder("a", "root", "Inbox", Some("inbox")),
            folder("b", "a", "2024/Q1", None),
            folder("c", "missing", "Orphan", None),
        ];
        let paths = folder_paths(&"root".into(), &folders);
        assert_eq!(
            paths.get(&FolderId::from("b")).map(String::as_str),
            Some("Inbox/2024\\/Q1")
        );
        assert!(!paths.contains_key(&FolderId::from("c")));
    }

    #[test]
    fn parents_come_before_children_whatever_the_listing_order() {
        let folders = vec![
            folder("c", "b", "C", None),
            folder("b", "a", "B", None),
            folder("a", "root", "A", None),
        ];
        let order: Vec<&str> = parents_first(&"root".into(), &folders)
            .iter()
            .map(|folder| folder.id.as_str())
            .collect();
        assert_eq!(order, vec!["a", "b", "c"]);
    }
}
