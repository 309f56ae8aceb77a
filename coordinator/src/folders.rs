//! Matching a source mailbox's folder tree to the destination's, creating what is missing.
//!
//! Well-known folders (Inbox, Sent Items, Calendar...) match by their distinguished id, never by
//! display name: names are localised (a French destination's Inbox is "Boîte de réception").
//! Other folders match by name, case-insensitively as Exchange compares them, under the matched
//! parent; a folder with no match is created with the source's name and class.

use std::collections::{HashMap, HashSet};

use ferry_core::mail::{MailApi, MailError, MailFolder};
use ferry_core::pacing::{Lane, Repeat};

/// A source folder and the destination folder its items go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderPair {
    /// The source folder.
    pub source: MailFolder,
    /// The destination folder's id.
    pub destination_id: String,
    /// The source folder's path from the top of the mailbox (`Inbox/Projects`).
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
    pub skipped: Vec<(FolderPair, MailError)>,
}

impl FolderMapping {
    /// Source folder id to destination folder id.
    pub fn ids(&self) -> HashMap<String, String> {
        self.pairs
            .iter()
            .map(|pair| (pair.source.id.clone(), pair.destination_id.clone()))
            .collect()
    }
}

/// One path segment, with `/` and `\` escaped so paths stay unambiguous.
fn segment(name: &str) -> String {
    name.replace('\\', "\\\\").replace('/', "\\/")
}

/// The path of every folder below `root`, by folder id. Folders whose parent chain does not
/// reach `root` are left out.
pub fn folder_paths(root: &str, folders: &[MailFolder]) -> HashMap<String, String> {
    let by_id: HashMap<&str, &MailFolder> = folders
        .iter()
        .map(|folder| (folder.id.as_str(), folder))
        .collect();
    let mut paths: HashMap<String, String> = HashMap::new();
    for folder in folders {
        let mut chain = vec![folder];
        let mut reaches_root = false;
        while let Some(parent) = chain.last().and_then(|folder| folder.parent_id.as_deref()) {
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
fn parents_first<'a>(root: &str, folders: &'a [MailFolder]) -> Vec<&'a MailFolder> {
    let mut placed: HashSet<&str> = HashSet::from([root]);
    let mut ordered = Vec::with_capacity(folders.len());
    let mut waiting: Vec<&MailFolder> = folders.iter().collect();
    loop {
        let before = waiting.len();
        waiting.retain(|folder| {
            let ready = folder
                .parent_id
                .as_deref()
                .is_some_and(|parent| placed.contains(parent));
            if ready {
                placed.insert(folder.id.as_str());
                ordered.push(*folder);
            }
            !ready
        });
        if waiting.is_empty() || waiting.len() == before {
            return ordered;
        }
    }
}

/// The destination folder a source folder matches, if any: by distinguished id for well-known
/// folders, else by name under `parent`. Folders already matched are not matched again.
pub fn find_match<'a>(
    source: &MailFolder,
    parent: &str,
    destination: &'a [MailFolder],
    taken: &HashSet<String>,
) -> Option<&'a MailFolder> {
    let free = |folder: &&MailFolder| !taken.contains(&folder.id);
    if let Some(name) = &source.distinguished {
        if let Some(found) = destination
            .iter()
            .filter(free)
            .find(|folder| folder.distinguished.as_deref() == Some(name.as_str()))
        {
            return Some(found);
        }
    }
    destination.iter().filter(free).find(|folder| {
        folder.parent_id.as_deref() == Some(parent)
            && folder.distinguished.is_none()
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
        let mut ids: HashMap<String, String> =
            HashMap::from([(source_root.clone(), destination_root)]);
        let mut taken: HashSet<String> = HashSet::new();
        let mut mapping = FolderMapping::default();
        for folder in parents_first(&source_root, &source_folders) {
            let pair = |destination_id: String| FolderPair {
                source: folder.clone(),
                destination_id,
                path: paths
                    .get(&folder.id)
                    .cloned()
                    .unwrap_or_else(|| segment(&folder.display_name)),
            };
            let Some(parent) = folder
                .parent_id
                .as_ref()
                .and_then(|parent| ids.get(parent))
                .cloned()
            else {
                let error =
                    MailError::FolderNotFound("its parent folder could not be migrated".into());
                mapping.skipped.push((pair(String::new()), error));
                continue;
            };
            if let Some(found) = find_match(folder, &parent, &destination_folders, &taken) {
                taken.insert(found.id.clone());
                ids.insert(folder.id.clone(), found.id.clone());
                mapping.pairs.push(pair(found.id.clone()));
                continue;
            }
            match self.create(&parent, folder, &mut destination_folders).await {
                Ok(id) => {
                    mapping.created += 1;
                    taken.insert(id.clone());
                    ids.insert(folder.id.clone(), id.clone());
                    mapping.pairs.push(pair(id));
                }
                Err(error) => mapping.skipped.push((pair(String::new()), error)),
            }
        }
        let placed: HashSet<&str> = mapping
            .pairs
            .iter()
            .chain(mapping.skipped.iter().map(|(pair, _)| pair))
            .map(|pair| pair.source.id.as_str())
            .collect();
        let orphans: Vec<FolderPair> = source_folders
            .iter()
            .filter(|folder| !placed.contains(folder.id.as_str()))
            .map(|folder| FolderPair {
                source: folder.clone(),
                destination_id: String::new(),
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
        parent: &str,
        folder: &MailFolder,
        known: &mut Vec<MailFolder>,
    ) -> Result<String, MailError> {
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
                known.push(MailFolder {
                    id: id.clone(),
                    parent_id: Some(parent.to_string()),
                    display_name: folder.display_name.clone(),
                    folder_class: folder.folder_class.clone(),
                    distinguished: None,
                    item_count: 0,
                });
                Ok(id)
            }
            Err(MailError::FolderExists(message)) => {
                *known = self
                    .destination_lane
                    .call(Repeat::Safe, || destination.folders(address))
                    .await?;
                let probe = MailFolder {
                    distinguished: None,
                    ..folder.clone()
                };
                find_match(&probe, parent, known, &HashSet::new())
                    .map(|found| found.id.clone())
                    .ok_or(MailError::FolderExists(message))
            }
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(id: &str, parent: &str, name: &str, distinguished: Option<&str>) -> MailFolder {
        MailFolder {
            id: id.into(),
            parent_id: Some(parent.into()),
            display_name: name.into(),
            folder_class: "IPF.Note".into(),
            distinguished: distinguished.map(String::from),
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
        let found = find_match(&source, "d-root", &destination, &HashSet::new());
        assert_eq!(found.map(|folder| folder.id.as_str()), Some("d-inbox"));
    }

    #[test]
    fn other_folders_match_by_name_under_the_same_parent_ignoring_case() {
        let source = folder("s-1", "s-inbox", "Projects", None);
        let destination = vec![
            folder("d-elsewhere", "d-sent", "Projects", None),
            folder("d-1", "d-inbox", "PROJECTS", None),
        ];
        let found = find_match(&source, "d-inbox", &destination, &HashSet::new());
        assert_eq!(found.map(|folder| folder.id.as_str()), Some("d-1"));
        let taken = HashSet::from(["d-1".to_string()]);
        assert!(
            find_match(&source, "d-inbox", &destination, &taken).is_none(),
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
        let paths = folder_paths("root", &folders);
        assert_eq!(paths.get("b").map(String::as_str), Some("Inbox/2024\\/Q1"));
        assert!(!paths.contains_key("c"));
    }

    #[test]
    fn parents_come_before_children_whatever_the_listing_order() {
        let folders = vec![
            folder("c", "b", "C", None),
            folder("b", "a", "B", None),
            folder("a", "root", "A", None),
        ];
        let order: Vec<&str> = parents_first("root", &folders)
            .iter()
            .map(|folder| folder.id.as_str())
            .collect();
        assert_eq!(order, vec!["a", "b", "c"]);
    }
}
