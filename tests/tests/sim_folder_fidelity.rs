//! The simulator's folder replies against replies recorded from Exchange Online
//! (`shared/ews/fixtures/exchange-online/`). Each test replays what a recorded client (php-ews,
//! whose requests use `RequestServerVersion` `Exchange2010`) did and compares the simulator's
//! answer with the recorded one: which elements a folder carries and in what order, classes,
//! rights, change keys, listing order, paging attributes and the SOAP header.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use ferry_sim::xml::{parse_document, Element};
use ferry_tests::{descendants, envelope, shared_dir, test_config, EwsResponse, SimHarness};

/// A recorded Exchange Online reply, parsed.
fn recorded(name: &str) -> Element {
    let path = shared_dir().join("ews/fixtures/exchange-online").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    parse_document(&text).unwrap_or_else(|error| panic!("{name} is not XML: {error}"))
}

/// A recorded reply's raw text.
fn recorded_text(name: &str) -> String {
    let path = shared_dir().join("ews/fixtures/exchange-online").join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// Every folder element (`Folder`, `CalendarFolder`...) inside a `Folders` list of a reply.
fn folders(root: &Element) -> Vec<&Element> {
    descendants(root, "Folders")
        .into_iter()
        .flat_map(|list| list.children.iter())
        .collect()
}

/// The folder of this display name in a reply.
fn folder_named<'a>(root: &'a Element, name: &str) -> &'a Element {
    folders(root)
        .into_iter()
        .find(|folder| folder.child("DisplayName").map(Element::trimmed_text) == Some(name))
        .unwrap_or_else(|| panic!("no folder named {name}"))
}

/// The names of an element's children, in order.
fn child_names(element: &Element) -> Vec<String> {
    element
        .children
        .iter()
        .map(|child| child.name.clone())
        .collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The attribute names of the first start tag `<{tag} ...>` in `text`, in document order
/// (namespace declarations included, which the parsed form drops).
fn start_tag_attribute_names(text: &str, tag: &str) -> Vec<String> {
    let start = text
        .find(&format!("<{tag} "))
        .unwrap_or_else(|| panic!("no <{tag}> in {text}"));
    let rest = &text[start + tag.len() + 2..];
    let end = rest.find('>').expect("tag ends");
    let mut names = Vec::new();
    let mut inside = rest[..end].trim_end_matches('/');
    while let Some(equals) = inside.find('=') {
        names.push(inside[..equals].trim().to_string());
        let after = inside[equals + 1..].trim_start();
        let quote = after.chars().next().expect("quoted value");
        let close = after[1..].find(quote).expect("value ends") + 1;
        inside = &after[close + 1..];
    }
    names
}

/// A change key's bytes.
fn change_key_bytes(key: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(key)
        .unwrap_or_else(|_| panic!("change key {key} is not base64"))
}

/// A destination mailbox (empty, English) and an app token for it.
struct Mailbox {
    token: String,
    address: String,
}

async fn empty_mailbox(harness: &SimHarness) -> Mailbox {
    Mailbox {
        token: harness.app_token("destination").await,
        address: harness.first_user("destination"),
    }
}

/// Sends a body as php-ews does (`Exchange2010`), impersonating the mailbox.
async fn send(harness: &SimHarness, mailbox: &Mailbox, body: &str) -> EwsResponse {
    let request =
        envelope(Some(&mailbox.address), body).replace("Exchange2013_SP1", "Exchange2010");
    let reply = harness
        .ews_raw(&mailbox.token, Some(&mailbox.address), request)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply
}

/// `CreateFolder` of `t:Folder`s under a parent (`<t:DistinguishedFolderId .../>` or a
/// `<t:FolderId .../>`), with an optional class.
async fn create_folders(
    harness: &SimHarness,
    mailbox: &Mailbox,
    parent: &str,
    names: &[&str],
    class: Option<&str>,
) -> EwsResponse {
    let class = class
        .map(|class| format!("<t:FolderClass>{class}</t:FolderClass>"))
        .unwrap_or_default();
    let folders: String = names
        .iter()
        .map(|name| {
            format!(
                "<t:Folder>{class}<t:DisplayName>{}</t:DisplayName></t:Folder>",
                escape(name)
            )
        })
        .collect();
    let reply = send(
        harness,
        mailbox,
        &format!("<m:CreateFolder><m:ParentFolderId>{parent}</m:ParentFolderId><m:Folders>{folders}</m:Folders></m:CreateFolder>"),
    )
    .await;
    assert!(
        reply.response_codes().iter().all(|code| code == "NoError"),
        "{}",
        reply.text
    );
    reply
}

/// `FindFolder` as php-ews's `getChildrenFolders` sends it: shallow, `AllProperties`.
async fn children(
    harness: &SimHarness,
    mailbox: &Mailbox,
    parent: &str,
    view: &str,
) -> EwsResponse {
    send(
        harness,
        mailbox,
        &format!(r#"<m:FindFolder Traversal="Shallow"><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape></m:FolderShape>{view}<m:ParentFolderIds>{parent}</m:ParentFolderIds></m:FindFolder>"#),
    )
    .await
}

fn distinguished(id: &str) -> String {
    format!(r#"<t:DistinguishedFolderId Id="{id}"/>"#)
}

fn folder_id(id: &str) -> String {
    format!(r#"<t:FolderId Id="{id}"/>"#)
}

/// The id of the first folder a reply names.
fn first_folder_id(reply: &EwsResponse) -> String {
    descendants(&reply.xml(), "FolderId")[0]
        .attr("Id")
        .expect("Id")
        .to_string()
}

#[tokio::test]
async fn a_folder_created_without_a_class_has_none() {
    let harness = SimHarness::start(test_config(2, 5)).await;
    let mailbox = empty_mailbox(&harness).await;
    let inbox = distinguished("inbox");
    create_folders(&harness, &mailbox, &inbox, &["Test"], Some("IPF.Note")).await;
    create_folders(&harness, &mailbox, &inbox, &["Test Create Folder"], None).await;

    let ours = children(&harness, &mailbox, &inbox, "").await.xml();
    let theirs = recorded("APITest.testCreateFolders.03.FindFolderResponse.xml");
    for name in ["Test", "Test Create Folder"] {
        assert_eq!(
            child_names(folder_named(&ours, name)),
            child_names(folder_named(&theirs, name)),
            "the elements of {name} in FindFolder AllProperties"
        );
    }
    assert!(folder_named(&ours, "Test Create Folder")
        .child("FolderClass")
        .is_none());
    harness.finish().await;
}

#[tokio::test]
async fn create_folder_answers_with_the_element_asked_for() {
    let harness = SimHarness::start(test_config(2, 5)).await;
    let mailbox = empty_mailbox(&harness).await;
    let calendar = distinguished("calendar");
    // php-ews's createCalendars: a `t:Folder` of class IPF.Appointment.
    let created = create_folders(
        &harness,
        &mailbox,
        &calendar,
        &["Test Create Calendar"],
        Some("IPF.Appointment"),
    )
    .await
    .xml();
    let recorded_reply = recorded("APITest.testCreateCalendars.02.CreateFolderResponse.xml");
    let element_names =
        |root: &Element| -> Vec<String> { folders(root).iter().map(|f| f.name.clone()).collect() };
    assert_eq!(element_names(&created), element_names(&recorded_reply));
    assert_eq!(
        child_names(folders(&created)[0]),
        child_names(folders(&recorded_reply)[0])
    );

    let listed = children(&harness, &mailbox, &calendar, "").await.xml();
    let theirs = recorded("APITest.testCreateCalendars.03.FindFolderResponse.xml");
    let ours = folder_named(&listed, "Test Create Calendar");
    let real = folder_named(&theirs, "Test Create Calendar");
    assert_eq!(ours.name, real.name, "listed by its class");
    assert_eq!(child_names(ours), child_names(real));
    assert_eq!(
        ours.child("FolderClass").map(Element::trimmed_text),
        Some("IPF.Appointment")
    );
    harness.finish().await;
}

/// The kind (first `u32` of the change key) recorded for each folder element.
fn recorded_change_key_kinds() -> BTreeMap<String, BTreeSet<u32>> {
    let directory = shared_dir().join("ews/fixtures/exchange-online");
    let mut kinds: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
    for entry in std::fs::read_dir(&directory).expect("recordings") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .to_string();
        // Listings name a folder by its class; a CreateFolder reply echoes the request.
        if !name.ends_with("FindFolderResponse.xml") && !name.ends_with("GetFolderResponse.xml") {
            continue;
        }
        let root = recorded(&name);
        for folder in folders(&root) {
            let Some(key) = folder.child("FolderId").and_then(|id| id.attr("ChangeKey")) else {
                continue;
            };
            let bytes = change_key_bytes(key);
            assert_eq!(bytes.len(), 30, "{name}: {key}");
            assert_eq!(bytes[4..8], 22u32.to_le_bytes(), "{name}: {key}");
            let kind = u32::from_le_bytes(bytes[..4].try_into().expect("four bytes"));
            kinds.entry(folder.name.clone()).or_default().insert(kind);
        }
    }
    kinds
}

#[tokio::test]
async fn folder_change_keys_have_exchange_form() {
    let kinds = recorded_change_key_kinds();
    for element in ["Folder", "CalendarFolder", "ContactsFolder", "TasksFolder"] {
        assert_eq!(
            kinds.get(element).map(BTreeSet::len),
            Some(1),
            "one recorded kind for {element}: {kinds:?}"
        );
    }
    let recorded_parent_keys: BTreeSet<String> = folders(&recorded(
        "APITest.testGetFolderByDisplayName.00.FindFolderResponse.xml",
    ))
    .iter()
    .filter_map(|folder| folder.child("ParentFolderId")?.attr("ChangeKey"))
    .map(str::to_string)
    .collect();
    assert_eq!(recorded_parent_keys.len(), 1, "{recorded_parent_keys:?}");

    let harness = SimHarness::start(test_config(2, 5)).await;
    let mailbox = empty_mailbox(&harness).await;
    let inbox = distinguished("inbox");
    let parent = create_folders(&harness, &mailbox, &inbox, &["Kinds"], None).await;
    let parent = folder_id(&first_folder_id(&parent));
    for (name, class) in [
        ("Mail", "IPF.Note"),
        ("Meetings", "IPF.Appointment"),
        ("People", "IPF.Contact"),
        ("Chores", "IPF.Task"),
    ] {
        let created = create_folders(&harness, &mailbox, &parent, &[name], Some(class)).await;
        // The key in the CreateFolder reply already has the kind of the class (recorded:
        // `AgAAAB...` for a calendar created as `t:Folder`).
        let created = created.xml();
        let key = folders(&created)[0]
            .child("FolderId")
            .and_then(|id| id.attr("ChangeKey"))
            .expect("ChangeKey")
            .to_string();
        let listed_element = match class {
            "IPF.Appointment" => "CalendarFolder",
            "IPF.Contact" => "ContactsFolder",
            "IPF.Task" => "TasksFolder",
            _ => "Folder",
        };
        let bytes = change_key_bytes(&key);
        assert_eq!(bytes.len(), 30, "{name}: {key}");
        assert_eq!(bytes[4..8], 22u32.to_le_bytes(), "{name}: {key}");
        let kind = u32::from_le_bytes(bytes[..4].try_into().expect("four bytes"));
        assert_eq!(Some(&BTreeSet::from([kind])), kinds.get(listed_element));
    }

    let listed = children(&harness, &mailbox, &parent, "").await.xml();
    assert_eq!(folders(&listed).len(), 4);
    for folder in folders(&listed) {
        let key = folder
            .child("FolderId")
            .and_then(|id| id.attr("ChangeKey"))
            .expect("ChangeKey");
        let kind = u32::from_le_bytes(change_key_bytes(key)[..4].try_into().expect("four"));
        assert_eq!(
            Some(&BTreeSet::from([kind])),
            kinds.get(&folder.name),
            "{}",
            folder.name
        );
        let parent_key = folder
            .child("ParentFolderId")
            .and_then(|id| id.attr("ChangeKey"))
            .expect("parent ChangeKey");
        assert!(
            recorded_parent_keys.contains(parent_key),
            "ParentFolderId ChangeKey {parent_key}, recorded {recorded_parent_keys:?}"
        );
    }

    // The key still changes when the folder does.
    let mail = folder_named(&listed, "Mail");
    let mail_id = mail
        .child("FolderId")
        .and_then(|id| id.attr("Id"))
        .expect("Id");
    let before = mail
        .child("FolderId")
        .and_then(|id| id.attr("ChangeKey"))
        .expect("ChangeKey")
        .to_string();
    let renamed = send(
        &harness,
        &mailbox,
        &format!(r#"<m:UpdateFolder><m:FolderChanges><t:FolderChange><t:FolderId Id="{mail_id}"/><t:Updates><t:SetFolderField><t:FieldURI FieldURI="folder:DisplayName"/><t:Folder><t:DisplayName>Mail 2</t:DisplayName></t:Folder></t:SetFolderField></t:Updates></t:FolderChange></m:FolderChanges></m:UpdateFolder>"#),
    )
    .await;
    assert_eq!(renamed.response_codes(), vec!["NoError"]);
    let after = descendants(&renamed.xml(), "FolderId")[0]
        .attr("ChangeKey")
        .expect("ChangeKey")
        .to_string();
    assert_ne!(before, after);
    assert_eq!(
        change_key_bytes(&after)[..8],
        change_key_bytes(&before)[..8]
    );
    harness.finish().await;
}

/// Creates the display names of a recorded listing (in reverse, so creation order is not the
/// answer) under a new folder and checks `FindFolder` lists them in the recorded order.
async fn lists_like_recording(harness: &SimHarness, mailbox: &Mailbox, recording: &str) {
    let theirs = recorded(recording);
    let names: Vec<String> = folders(&theirs)
        .iter()
        .map(|folder| {
            folder
                .child("DisplayName")
                .expect("DisplayName")
                .trimmed_text()
                .to_string()
        })
        .collect();
    let parent = create_folders(
        harness,
        mailbox,
        &distinguished("inbox"),
        &[recording],
        None,
    )
    .await;
    let parent = folder_id(&first_folder_id(&parent));
    let reversed: Vec<&str> = names.iter().rev().map(String::as_str).collect();
    create_folders(harness, mailbox, &parent, &reversed, None).await;
    let ours: Vec<String> = folders(&children(harness, mailbox, &parent, "").await.xml())
        .iter()
        .map(|folder| {
            folder
                .child("DisplayName")
                .expect("DisplayName")
                .trimmed_text()
                .to_string()
        })
        .collect();
    assert_eq!(ours, names, "the order of {recording}");
}

#[tokio::test]
async fn find_folder_lists_children_by_display_name() {
    let harness = SimHarness::start(test_config(2, 5)).await;
    let mailbox = empty_mailbox(&harness).await;
    for recording in [
        // The 67 folders under `root`: case, spaces and digits.
        "APITest.testGetFolderByDisplayName.00.FindFolderResponse.xml",
        // Contacts' subfolders: `{GUID}` names before letters.
        "ContactsAPITest.testCreateContact.01.FindFolderResponse.xml",
        // A calendar created last, listed between older ones.
        "APITest.testCreateCalendars.03.FindFolderResponse.xml",
    ] {
        lists_like_recording(&harness, &mailbox, recording).await;
    }
    harness.finish().await;
}

/// The attributes of each `RootFolder` in a reply, in order.
fn root_folder_attributes(root: &Element) -> Vec<Vec<(String, String)>> {
    descendants(root, "RootFolder")
        .iter()
        .map(|found| found.attrs.clone())
        .collect()
}

#[tokio::test]
async fn find_folder_paging_attributes_match_exchange() {
    let harness = SimHarness::start(test_config(2, 5)).await;
    let mailbox = empty_mailbox(&harness).await;
    let test = create_folders(&harness, &mailbox, &distinguished("inbox"), &["Test"], None).await;
    let test = folder_id(&first_folder_id(&test));
    create_folders(
        &harness,
        &mailbox,
        &test,
        &["Deep 1", "Deep 2", "Deep 3", "Deep 4", "Deep 5"],
        None,
    )
    .await;
    // testFolderPaging: everything without a view, then pages of two from offsets 0, 2, 4.
    let pages = [
        ("", "APITest.testFolderPaging.02.FindFolderResponse.xml"),
        (
            r#"<m:IndexedPageFolderView MaxEntriesReturned="2" Offset="0" BasePoint="Beginning"/>"#,
            "APITest.testFolderPaging.03.FindFolderResponse.xml",
        ),
        (
            r#"<m:IndexedPageFolderView MaxEntriesReturned="2" Offset="2" BasePoint="Beginning"/>"#,
            "APITest.testFolderPaging.04.FindFolderResponse.xml",
        ),
        (
            r#"<m:IndexedPageFolderView MaxEntriesReturned="2" Offset="4" BasePoint="Beginning"/>"#,
            "APITest.testFolderPaging.05.FindFolderResponse.xml",
        ),
    ];
    for (view, recording) in pages {
        let ours = children(&harness, &mailbox, &test, view).await.xml();
        let theirs = recorded(recording);
        assert_eq!(
            root_folder_attributes(&ours),
            root_folder_attributes(&theirs),
            "{recording}"
        );
        let names = |root: &Element| -> Vec<String> {
            folders(root)
                .iter()
                .filter_map(|folder| folder.child("DisplayName"))
                .map(|name| name.trimmed_text().to_string())
                .collect()
        };
        assert_eq!(names(&ours), names(&theirs), "{recording}");
    }
    harness.finish().await;
}

#[tokio::test]
async fn folders_under_the_root_have_exchange_classes_and_rights() {
    let harness = SimHarness::start(test_config(2, 5)).await;
    let mailbox = empty_mailbox(&harness).await;
    let ours = children(&harness, &mailbox, &distinguished("root"), "")
        .await
        .xml();
    let theirs = recorded("APITest.testGetFolderByDisplayName.00.FindFolderResponse.xml");
    for name in ["Top of Information Store", "Recoverable Items", "Finder"] {
        let (ours, theirs) = (folder_named(&ours, name), folder_named(&theirs, name));
        assert_eq!(ours.name, theirs.name, "{name}");
        assert_eq!(child_names(ours), child_names(theirs), "{name}");
        // The six rights every Exchange version writes (ViewPrivateItems is left out of the
        // comparison: the recordings are of Exchange2010 requests).
        let rights = |folder: &Element| -> Vec<(String, String)> {
            folder
                .child("EffectiveRights")
                .expect("EffectiveRights")
                .children
                .iter()
                .filter(|right| right.name != "ViewPrivateItems")
                .map(|right| (right.name.clone(), right.trimmed_text().to_string()))
                .collect()
        };
        assert_eq!(rights(ours), rights(theirs), "{name}");
        let managed = |folder: &Element| -> Option<Vec<(String, String)>> {
            let information = folder.child("ManagedFolderInformation")?;
            Some(
                information
                    .children
                    .iter()
                    .map(|value| (value.name.clone(), value.trimmed_text().to_string()))
                    .collect(),
            )
        };
        assert_eq!(managed(ours), managed(theirs), "{name}");
    }
    harness.finish().await;
}

#[tokio::test]
async fn get_folder_default_shape_matches_exchange() {
    let harness = SimHarness::start(test_config(2, 5)).await;
    let mailbox = empty_mailbox(&harness).await;
    for (id, recording) in [
        (
            "inbox",
            "APITest.testCreateFolders.00.GetFolderResponse.xml",
        ),
        (
            "calendar",
            "APITest.testCreateCalendars.00.GetFolderResponse.xml",
        ),
        (
            "contacts",
            "ContactsAPITest.testCreateContact.00.GetFolderResponse.xml",
        ),
    ] {
        let ours = send(
            &harness,
            &mailbox,
            &format!(r#"<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="{id}"><t:Mailbox><t:EmailAddress>{}</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId></m:FolderIds></m:GetFolder>"#, mailbox.address),
        )
        .await
        .xml();
        let theirs = recorded(recording);
        let (ours, theirs) = (folders(&ours)[0], folders(&theirs)[0]);
        assert_eq!(ours.name, theirs.name, "{id}");
        assert_eq!(child_names(ours), child_names(theirs), "{id}");
    }
    harness.finish().await;
}

#[tokio::test]
async fn server_version_info_has_exchange_online_form() {
    let harness = SimHarness::start(test_config(2, 5)).await;
    let mailbox = empty_mailbox(&harness).await;
    let reply = send(
        &harness,
        &mailbox,
        r#"<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>"#,
    )
    .await;
    let theirs = recorded_text("APITest.testCreateFolders.00.GetFolderResponse.xml");
    assert_eq!(
        start_tag_attribute_names(&reply.text, "h:ServerVersionInfo"),
        start_tag_attribute_names(&theirs, "h:ServerVersionInfo")
    );
    harness.finish().await;
}

#[tokio::test]
async fn find_item_paging_attributes_match_exchange() {
    let harness = SimHarness::start(test_config(2, 5)).await;
    let mailbox = empty_mailbox(&harness).await;
    let folder = create_folders(
        &harness,
        &mailbox,
        &distinguished("inbox"),
        &["Paged"],
        None,
    )
    .await;
    let folder = folder_id(&first_folder_id(&folder));
    // testPaging lists six contacts; six messages page the same way.
    let messages: String = (1..=6)
        .map(|n| format!("<t:Message><t:Subject>Paged {n}</t:Subject></t:Message>"))
        .collect();
    let created = send(
        &harness,
        &mailbox,
        &format!(r#"<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId>{folder}</m:SavedItemFolderId><m:Items>{messages}</m:Items></m:CreateItem>"#),
    )
    .await;
    assert!(
        created
            .response_codes()
            .iter()
            .all(|code| code == "NoError"),
        "{}",
        created.text
    );
    let find = |view: &'static str| {
        let folder = folder.clone();
        let (harness, mailbox) = (&harness, &mailbox);
        async move {
            send(
                harness,
                mailbox,
                &format!(r#"<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>{view}<m:ParentFolderIds>{folder}</m:ParentFolderIds></m:FindItem>"#),
            )
            .await
            .xml()
        }
    };
    // Pages of two from offsets 0 and 2, as the recorded client asked.
    for (view, recording) in [
        (
            r#"<m:IndexedPageItemView MaxEntriesReturned="2" Offset="0" BasePoint="Beginning"/>"#,
            "ContactsAPITest.testPaging.03.FindItemResponse.xml",
        ),
        (
            r#"<m:IndexedPageItemView MaxEntriesReturned="2" Offset="2" BasePoint="Beginning"/>"#,
            "ContactsAPITest.testPaging.04.FindItemResponse.xml",
        ),
    ] {
        assert_eq!(
            root_folder_attributes(&find(view).await),
            root_folder_attributes(&recorded(recording)),
            "{recording}"
        );
    }
    // Without a view Exchange writes no offset (all 55 such recorded replies).
    let attribute_names = |root: &Element| -> Vec<Vec<String>> {
        root_folder_attributes(root)
            .into_iter()
            .map(|attrs| attrs.into_iter().map(|(name, _)| name).collect())
            .collect()
    };
    assert_eq!(
        attribute_names(&find("").await),
        attribute_names(&recorded(
            "CalendarTest.testGetCalendarItems.03.FindItemResponse.xml"
        ))
    );
    harness.finish().await;
}
