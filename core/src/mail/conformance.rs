//! The behaviour the engine relies on from every [`MailApi`]: one suite, run against the
//! in-memory service in this crate's tests and against EWS and Graph on the simulator in
//! `ferry-tests`, so the engine's unit tests (on the in-memory one) mean what they say.
//!
//! Each check panics with a message naming the broken expectation.

use std::collections::HashSet;

use super::{
    ExportData, FolderId, FolderPermission, FolderPermissions, Grantee, InboxRule, ItemId, MailApi,
    MailError, MailFolder, ReceivedRange, RuleAddress, RuleEntry, RuleFolder, RuleValue,
};
use crate::model::ItemKey;

/// Writes a stamp into export data, as the worker does before an upload.
pub type Stamper = dyn Fn(&ExportData, ItemKey) -> ExportData + Send + Sync;

/// What the suite runs against: a source mailbox with content and an empty-enough destination.
pub struct MailFixture<'a> {
    /// The source tenant.
    pub source: &'a dyn MailApi,
    /// A source mailbox whose Inbox holds at least two items with distinct received times.
    pub source_mailbox: &'a str,
    /// The destination tenant.
    pub destination: &'a dyn MailApi,
    /// A destination mailbox the suite may create folders, items, permissions and rules in.
    pub destination_mailbox: &'a str,
    /// Another user of the destination's directory, to grant permissions to.
    pub destination_user: &'a str,
    /// A legacyExchangeDN of the source directory and the address it resolves to.
    pub source_legacy_dn: Option<(&'a str, &'a str)>,
    /// The id of an item that was in the source mailbox and has been deleted.
    pub deleted_source_item: Option<ItemId>,
    /// Writes stamps.
    pub stamp: &'a Stamper,
    /// Unique per run, so folders made by earlier runs do not collide.
    pub namespace: &'a str,
}

/// Runs every check.
pub async fn mail_suite(fixture: &MailFixture<'_>) {
    verifies_mailboxes(fixture).await;
    let folders = lists_folder_trees(fixture.source, fixture.source_mailbox).await;
    let inbox = well_known(&folders, "inbox");
    let listed = lists_items_by_range(fixture, &inbox.id).await;
    let folder = creates_folders_once(fixture).await;
    copies_items_with_their_stamp(fixture, &listed, &folder).await;
    exports_report_missing_items_per_item(fixture, &listed[0]).await;
    resolves_exchange_addresses(fixture).await;
    copies_permissions(fixture).await;
    creates_rules(fixture, &folder).await;
}

fn well_known<'f>(folders: &'f [MailFolder], name: &str) -> &'f MailFolder {
    folders
        .iter()
        .find(|folder| folder.well_known.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("folders: no folder is marked well-known {name:?}"))
}

async fn verifies_mailboxes(fixture: &MailFixture<'_>) {
    fixture
        .source
        .verify(fixture.source_mailbox)
        .await
        .expect("verify: an existing mailbox is reachable");
    let missing = format!(
        "nobody-{}@{}",
        fixture.namespace,
        domain(fixture.source_mailbox)
    );
    match fixture.source.verify(&missing).await {
        Err(MailError::MailboxNotFound(_) | MailError::Unauthorized(_)) => {}
        other => panic!("verify: a missing mailbox is MailboxNotFound, got {other:?}"),
    }
}

fn domain(address: &str) -> &str {
    address.rsplit('@').next().unwrap_or(address)
}

/// Folders come parents first, each once, the root left out, the usual well-known ones marked.
pub async fn lists_folder_trees(api: &dyn MailApi, mailbox: &str) -> Vec<MailFolder> {
    let root = api.root_folder(mailbox).await.expect("root_folder");
    let folders = api.folders(mailbox).await.expect("folders");
    let mut seen: HashSet<FolderId> = HashSet::from([root.clone()]);
    for folder in &folders {
        assert_ne!(folder.id, root, "folders: the root is not listed");
        let parent = folder
            .parent_id
            .as_ref()
            .unwrap_or_else(|| panic!("folders: {:?} has no parent", folder.display_name));
        assert!(
            seen.contains(parent),
            "folders: {:?} comes before its parent",
            folder.display_name
        );
        assert!(
            seen.insert(folder.id.clone()),
            "folders: {:?} is listed twice",
            folder.display_name
        );
        assert!(
            !folder.folder_class.is_empty(),
            "folders: {:?} has a folder class",
            folder.display_name
        );
    }
    for name in ["inbox", "sentitems", "deleteditems", "calendar", "contacts"] {
        well_known(&folders, name);
    }
    folders
}

/// A listing is partitioned by splitting its range; returns the Inbox's items, oldest first.
async fn lists_items_by_range(
    fixture: &MailFixture<'_>,
    inbox: &FolderId,
) -> Vec<super::ListedItem> {
    let api = fixture.source;
    let mailbox = fixture.source_mailbox;
    let mut all = api
        .items(mailbox, inbox, ReceivedRange::default())
        .await
        .expect("items: the whole Inbox");
    all.retain(|item| item.received.is_some());
    all.sort_by_key(|item| item.received);
    assert!(
        all.len() >= 2,
        "items: the fixture's Inbox has two dated items"
    );
    let first = all[0].received;
    let last = all[all.len() - 1].received;
    assert!(
        first < last,
        "items: the fixture's Inbox items have distinct times"
    );
    let split = last;
    let before = api
        .items(
            mailbox,
            inbox,
            ReceivedRange {
                from: None,
                before: split,
            },
        )
        .await
        .expect("items: before the split");
    let after = api
        .items(
            mailbox,
            inbox,
            ReceivedRange {
                from: split,
                before: None,
            },
        )
        .await
        .expect("items: from the split");
    let ids = |items: &[super::ListedItem]| -> HashSet<ItemId> {
        items.iter().map(|item| item.id.clone()).collect()
    };
    let (before_ids, after_ids) = (ids(&before), ids(&after));
    assert!(
        before_ids.is_disjoint(&after_ids),
        "items: [from, before) ranges do not overlap"
    );
    for item in &all {
        assert!(
            before_ids.contains(&item.id) || after_ids.contains(&item.id),
            "items: every dated item falls on one side of a split"
        );
    }
    assert!(
        after.iter().all(|item| item.received >= split),
        "items: a range starting at a time includes only items from then on"
    );
    for item in &all {
        assert!(item.size > 0, "items: sizes are given");
        assert!(!item.item_class.is_empty(), "items: classes are given");
    }
    all
}

async fn creates_folders_once(fixture: &MailFixture<'_>) -> FolderId {
    let api = fixture.destination;
    let mailbox = fixture.destination_mailbox;
    let root = api.root_folder(mailbox).await.expect("root_folder");
    let name = format!("Ferry conformance {}", fixture.namespace);
    let id = api
        .create_folder(mailbox, &root, &name, "IPF.Note")
        .await
        .expect("create_folder");
    let folders = api.folders(mailbox).await.expect("folders after create");
    let created = folders
        .iter()
        .find(|folder| folder.id == id)
        .expect("create_folder: the new folder is listed");
    assert_eq!(created.display_name, name, "create_folder: its name");
    assert_eq!(
        created.parent_id.as_ref(),
        Some(&root),
        "create_folder: its parent"
    );
    assert_eq!(
        created.well_known, None,
        "create_folder: a user folder is not well-known"
    );
    match api.create_folder(mailbox, &root, &name, "IPF.Note").await {
        Err(MailError::FolderExists(_)) => {}
        other => panic!("create_folder: the same name twice is FolderExists, got {other:?}"),
    }
    id
}

async fn export_all(api: &dyn MailApi, mailbox: &str, ids: &[ItemId]) -> Vec<super::Exported> {
    let mut stream = api.export(mailbox, ids).await.expect("export");
    let mut exported = Vec::new();
    while let Some(item) = stream.next().await.expect("export stream") {
        exported.push(item);
    }
    exported
}

async fn copies_items_with_their_stamp(
    fixture: &MailFixture<'_>,
    listed: &[super::ListedItem],
    folder: &FolderId,
) {
    let ids: Vec<ItemId> = listed.iter().take(2).map(|item| item.id.clone()).collect();
    let exported = export_all(fixture.source, fixture.source_mailbox, &ids).await;
    let asked: Vec<&ItemId> = exported.iter().map(|(id, _)| id).collect();
    assert_eq!(
        asked,
        ids.iter().collect::<Vec<_>>(),
        "export: results in the order asked"
    );
    let keys: Vec<ItemKey> = ids
        .iter()
        .map(|id| ItemKey::of(fixture.source_mailbox, id.as_str()))
        .collect();
    let data: Vec<ExportData> = exported
        .into_iter()
        .zip(&keys)
        .map(|((_, data), key)| {
            (fixture.stamp)(&data.expect("export: a listed item exports"), *key)
        })
        .collect();
    let results = fixture
        .destination
        .upload(fixture.destination_mailbox, folder, &data)
        .await
        .expect("upload");
    assert_eq!(results.len(), data.len(), "upload: one result per item");
    let new_ids: Vec<ItemId> = results
        .into_iter()
        .map(|result| result.expect("upload: a stamped export uploads"))
        .collect();
    let stamped = fixture
        .destination
        .stamped_items(fixture.destination_mailbox, folder)
        .await
        .expect("stamped_items");
    for (id, key) in new_ids.iter().zip(&keys) {
        let copy = stamped
            .iter()
            .find(|item| item.item.id == *id)
            .expect("stamped_items: an uploaded item is listed under the id upload returned");
        assert_eq!(
            copy.stamp,
            Some(*key),
            "stamped_items: the copy carries its stamp"
        );
    }
    // The copy exports as the same item (what a second pass or a verification reads).
    let again = export_all(fixture.destination, fixture.destination_mailbox, &new_ids).await;
    assert!(
        again
            .iter()
            .all(|(_, data)| data.as_ref().is_ok_and(|data| !data.is_empty())),
        "export: an uploaded copy exports"
    );
}

async fn exports_report_missing_items_per_item(
    fixture: &MailFixture<'_>,
    known: &super::ListedItem,
) {
    let Some(deleted) = fixture.deleted_source_item.clone() else {
        return;
    };
    let ids = [known.id.clone(), deleted, known.id.clone()];
    let exported = export_all(fixture.source, fixture.source_mailbox, &ids).await;
    assert_eq!(
        exported.len(),
        3,
        "export: one result per id, a missing one included"
    );
    assert!(exported[0].1.is_ok(), "export: a listed item exports");
    match &exported[1].1 {
        Err(MailError::ItemNotFound(_)) => {}
        other => {
            panic!("export: a deleted item is ItemNotFound for that item alone, got {other:?}")
        }
    }
    assert!(
        exported[2].1.is_ok(),
        "export: items after a missing one still export"
    );
}

async fn resolves_exchange_addresses(fixture: &MailFixture<'_>) {
    let Some((legacy_dn, address)) = fixture.source_legacy_dn else {
        return;
    };
    if !fixture.source.capabilities().resolve_exchange_addresses {
        return;
    }
    let found = fixture
        .source
        .resolve_exchange_address(fixture.source_mailbox, legacy_dn)
        .await
        .expect("resolve_exchange_address");
    assert_eq!(
        found.as_deref().map(str::to_ascii_lowercase),
        Some(address.to_ascii_lowercase()),
        "resolve_exchange_address: a legacyExchangeDN resolves to its mailbox"
    );
    let unknown = format!("{legacy_dn}-nobody-{}", fixture.namespace);
    let found = fixture
        .source
        .resolve_exchange_address(fixture.source_mailbox, &unknown)
        .await
        .expect("resolve_exchange_address: unknown");
    assert_eq!(
        found, None,
        "resolve_exchange_address: an unknown DN is None"
    );
}

async fn copies_permissions(fixture: &MailFixture<'_>) {
    let api = fixture.destination;
    let mailbox = fixture.destination_mailbox;
    let folders = api.folders(mailbox).await.expect("folders");
    let capabilities = api.capabilities();
    for name in ["inbox", "calendar"] {
        let folder = well_known(&folders, name);
        if !capabilities.carries_permissions_of(folder) {
            match api.permissions(mailbox, folder).await {
                Err(MailError::Unsupported { .. }) => continue,
                other => panic!(
                    "permissions: a folder the protocol cannot carry is Unsupported, got {other:?}"
                ),
            }
        }
        let current = api.permissions(mailbox, folder).await.expect("permissions");
        assert_eq!(
            current.scope,
            folder.permission_scope(),
            "permissions: {name}'s scope"
        );
        let mut entries: Vec<FolderPermission> = current
            .entries
            .into_iter()
            .filter(|entry| !matches!(&entry.grantee, Grantee::User { address, .. } if address.eq_ignore_ascii_case(fixture.destination_user)))
            .collect();
        entries.push(FolderPermission::with_level(
            Grantee::User {
                address: fixture.destination_user.to_string(),
                display_name: None,
            },
            "Reviewer",
        ));
        let wanted = FolderPermissions {
            scope: current.scope,
            entries,
            unsupported: Vec::new(),
        };
        api.set_permissions(mailbox, folder, &wanted)
            .await
            .expect("set_permissions");
        let read = api
            .permissions(mailbox, folder)
            .await
            .expect("permissions after set");
        let granted = read
            .entries
            .iter()
            .find(|entry| matches!(&entry.grantee, Grantee::User { address, .. } if address.eq_ignore_ascii_case(fixture.destination_user)))
            .expect("set_permissions: the granted user is listed");
        assert_eq!(
            granted.level, "Reviewer",
            "set_permissions: the level granted"
        );
    }
}

async fn creates_rules(fixture: &MailFixture<'_>, folder: &FolderId) {
    let api = fixture.destination;
    let mailbox = fixture.destination_mailbox;
    if !api.capabilities().inbox_rules {
        return;
    }
    let name = format!("Ferry conformance {}", fixture.namespace);
    let rule = InboxRule {
        id: None,
        display_name: name.clone(),
        priority: 1,
        is_enabled: true,
        conditions: vec![
            RuleEntry {
                name: "ContainsSubjectStrings".into(),
                value: RuleValue::Strings(vec!["invoice".into()]),
            },
            RuleEntry {
                name: "FromAddresses".into(),
                value: RuleValue::Addresses(vec![RuleAddress {
                    name: None,
                    address: Some(fixture.destination_user.to_string()),
                }]),
            },
        ],
        exceptions: Vec::new(),
        actions: vec![RuleEntry {
            name: "MoveToFolder".into(),
            value: RuleValue::Folder(RuleFolder::Id(folder.clone())),
        }],
        unsupported: Vec::new(),
    };
    api.create_rules(mailbox, std::slice::from_ref(&rule))
        .await
        .expect("create_rules");
    let rules = api.rules(mailbox).await.expect("rules");
    let created = rules
        .iter()
        .find(|candidate| candidate.display_name == name)
        .expect("create_rules: the rule is listed");
    assert!(created.id.is_some(), "rules: listed rules have ids");
    assert!(
        created.unsupported.is_empty(),
        "rules: nothing of it is unsupported"
    );
    assert_eq!(
        created.conditions, rule.conditions,
        "rules: conditions kept"
    );
    assert_eq!(
        created.actions, rule.actions,
        "rules: the folder reference kept"
    );
}
