//! The simulator's EWS operations, as a migration uses them: folders, paging, restrictions,
//! synchronisation, MIME and extended properties, export/upload, inbox rules, ids.

use base64::Engine;
use ferry_sim::admin::{FolderSummary, ItemSummary};
use ferry_tests::{descendants, envelope, test_config, EwsResponse, SimHarness};

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn unb64(text: &str) -> Vec<u8> {
    let compact: String = text.split_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .expect("valid base64")
}

/// The `Id` attributes of every element with this name.
fn ids(reply: &EwsResponse, element: &str) -> Vec<String> {
    descendants(&reply.xml(), element)
        .iter()
        .filter_map(|found| found.attr("Id").map(str::to_string))
        .collect()
}

fn mime(subject: &str, body: &str) -> String {
    format!("From: Ann <ann@example.com>\r\nTo: Bob <bob@example.com>\r\nSubject: {subject}\r\nMessage-ID: <{subject}@example.com>\r\nDate: Tue, 1 Nov 2022 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n")
}

fn create_items(folder_id: &str, messages: &[String], extra: &str) -> String {
    let items: String = messages
        .iter()
        .map(|message| format!("<t:Message><t:MimeContent CharacterSet=\"UTF-8\">{}</t:MimeContent>{extra}</t:Message>", b64(message.as_bytes())))
        .collect();
    format!(
        r#"<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId><t:FolderId Id="{folder_id}"/></m:SavedItemFolderId><m:Items>{items}</m:Items></m:CreateItem>"#
    )
}

async fn create_folder(
    harness: &SimHarness,
    token: &str,
    mailbox: &str,
    parent: &str,
    name: &str,
) -> EwsResponse {
    harness
        .ews(
            token,
            Some(mailbox),
            &format!(r#"<m:CreateFolder><m:ParentFolderId><t:DistinguishedFolderId Id="{parent}"/></m:ParentFolderId><m:Folders><t:Folder><t:DisplayName>{name}</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>"#),
        )
        .await
}

#[tokio::test]
async fn folders_are_created_found_shared_and_synchronised() {
    let harness = SimHarness::start(test_config(4, 10)).await;
    let token = harness.app_token("source").await;
    let mailbox = harness.first_user("source");
    let colleague = harness
        .sim
        .connection
        .tenant("source")
        .expect("tenant")
        .mailboxes[1]
        .clone();

    let initial = harness
        .ews(&token, Some(&mailbox), r#"<m:SyncFolderHierarchy><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape></m:SyncFolderHierarchy>"#)
        .await;
    let state = descendants(&initial.xml(), "SyncState")[0]
        .trimmed_text()
        .to_string();
    let folders: Vec<FolderSummary> = harness
        .admin(&format!("/tenants/source/mailboxes/{mailbox}/folders"))
        .await;
    let visible = folders
        .iter()
        .filter(|folder| folder.key.starts_with('{') || !folder.path.is_empty())
        .count();
    assert_eq!(
        descendants(&initial.xml(), "Create").len(),
        folders
            .iter()
            .filter(|folder| !folder.path.is_empty()
                && !matches!(
                    folder.distinguished_id.as_deref(),
                    Some(
                        "root"
                            | "searchfolders"
                            | "recoverableitemsroot"
                            | "recoverableitemsdeletions"
                    )
                ))
            .count(),
        "the first sync lists every folder below the top of the tree ({visible} visible)"
    );

    let created = create_folder(
        &harness,
        &token,
        &mailbox,
        "inbox",
        "Clients/Partners &amp; Co",
    )
    .await;
    assert_eq!(created.response_codes(), vec!["NoError"]);
    let folder_id = ids(&created, "FolderId")[0].clone();
    let clash = create_folder(
        &harness,
        &token,
        &mailbox,
        "inbox",
        "clients/partners &amp; co",
    )
    .await;
    assert_eq!(clash.response_codes(), vec!["ErrorFolderExists"]);

    let found = harness
        .ews(&token, Some(&mailbox), r#"<m:FindFolder Traversal="Deep"><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:Restriction><t:IsEqualTo><t:FieldURI FieldURI="folder:DisplayName"/><t:FieldURIOrConstant><t:Constant Value="Clients/Partners &amp; Co"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction><m:ParentFolderIds><t:DistinguishedFolderId Id="msgfolderroot"/></m:ParentFolderIds></m:FindFolder>"#)
        .await;
    assert_eq!(ids(&found, "FolderId"), vec![folder_id.clone()]);
    let paged = harness
        .ews(&token, Some(&mailbox), r#"<m:FindFolder Traversal="Deep"><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:IndexedPageFolderView MaxEntriesReturned="2" Offset="0" BasePoint="Beginning"/><m:ParentFolderIds><t:DistinguishedFolderId Id="msgfolderroot"/></m:ParentFolderIds></m:FindFolder>"#)
        .await;
    assert_eq!(ids(&paged, "FolderId").len(), 2);
    assert!(paged.text.contains(r#"IncludesLastItemInRange="false""#));

    let permissions = format!(
        r#"<m:UpdateFolder><m:FolderChanges><t:FolderChange><t:FolderId Id="{folder_id}"/><t:Updates><t:SetFolderField><t:FieldURI FieldURI="folder:PermissionSet"/><t:Folder><t:PermissionSet><t:Permissions>
           <t:Permission><t:UserId><t:DistinguishedUser>Default</t:DistinguishedUser></t:UserId><t:PermissionLevel>None</t:PermissionLevel></t:Permission>
           <t:Permission><t:UserId><t:PrimarySmtpAddress>{colleague}</t:PrimarySmtpAddress></t:UserId><t:PermissionLevel>Reviewer</t:PermissionLevel></t:Permission>
           </t:Permissions></t:PermissionSet></t:Folder></t:SetFolderField></t:Updates></t:FolderChange></m:FolderChanges></m:UpdateFolder>"#
    );
    assert_eq!(
        harness
            .ews(&token, Some(&mailbox), &permissions)
            .await
            .response_codes(),
        vec!["NoError"]
    );
    let with_permissions = harness
        .ews(&token, Some(&mailbox), &format!(r#"<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="folder:PermissionSet"/></t:AdditionalProperties></m:FolderShape><m:FolderIds><t:FolderId Id="{folder_id}"/></m:FolderIds></m:GetFolder>"#))
        .await;
    let levels: Vec<String> = descendants(&with_permissions.xml(), "PermissionLevel")
        .iter()
        .map(|level| level.text.clone())
        .collect();
    assert_eq!(levels, vec!["None", "Reviewer"]);
    assert!(with_permissions.text.contains(&colleague));
    let unknown_user = permissions.replace(&colleague, "ghost@contoso.com");
    assert_eq!(
        harness
            .ews(&token, Some(&mailbox), &unknown_user)
            .await
            .response_codes(),
        vec!["ErrorInvalidUserInfo"]
    );
    let calendar_kind = permissions
        .replace("t:Permissions>", "t:CalendarPermissions>")
        .replace("t:Permission>", "t:CalendarPermission>")
        .replace("t:PermissionLevel>", "t:CalendarPermissionLevel>");
    assert_eq!(
        harness
            .ews(&token, Some(&mailbox), &calendar_kind)
            .await
            .response_codes(),
        vec!["ErrorCannotSetCalendarPermissionOnNonCalendarFolder"]
    );

    let since = harness
        .ews(&token, Some(&mailbox), &format!(r#"<m:SyncFolderHierarchy><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:SyncState>{state}</m:SyncState></m:SyncFolderHierarchy>"#))
        .await;
    assert_eq!(
        descendants(&since.xml(), "Create").len(),
        1,
        "{}",
        since.text
    );
    let state = descendants(&since.xml(), "SyncState")[0]
        .trimmed_text()
        .to_string();
    let deleted = harness
        .ews(&token, Some(&mailbox), &format!(r#"<m:DeleteFolder DeleteType="HardDelete"><m:FolderIds><t:FolderId Id="{folder_id}"/><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:DeleteFolder>"#))
        .await;
    assert_eq!(
        deleted.response_codes(),
        vec!["NoError", "ErrorDeleteDistinguishedFolder"]
    );
    let after_delete = harness
        .ews(&token, Some(&mailbox), &format!(r#"<m:SyncFolderHierarchy><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:SyncState>{state}</m:SyncState></m:SyncFolderHierarchy>"#))
        .await;
    assert_eq!(ids(&after_delete, "FolderId"), vec![folder_id]);
    harness.finish().await;
}

#[tokio::test]
async fn pages_and_syncs_a_folder_of_more_than_1000_items() {
    let harness = SimHarness::start(test_config(2, 1)).await;
    let token = harness.app_token("source").await;
    let mailbox = harness.first_user("source");
    let folder = create_folder(&harness, &token, &mailbox, "msgfolderroot", "Bulk").await;
    let folder_id = ids(&folder, "FolderId")[0].clone();
    for batch in 0..11 {
        let messages: Vec<String> = (0..100)
            .map(|index| mime(&format!("bulk-{batch}-{index}"), "x"))
            .collect();
        let created = harness
            .ews(
                &token,
                Some(&mailbox),
                &create_items(&folder_id, &messages, ""),
            )
            .await;
        assert_eq!(
            created
                .response_codes()
                .iter()
                .filter(|code| *code == "NoError")
                .count(),
            100,
            "{}",
            &created.text[..500.min(created.text.len())]
        );
    }
    let find = |offset: usize| {
        format!(
            r#"<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:IndexedPageItemView MaxEntriesReturned="5000" Offset="{offset}" BasePoint="Beginning"/><m:ParentFolderIds><t:FolderId Id="{folder_id}"/></m:ParentFolderIds></m:FindItem>"#
        )
    };
    let first = harness.ews(&token, Some(&mailbox), &find(0)).await;
    let root = &descendants(&first.xml(), "RootFolder")[0].clone();
    assert_eq!(
        ids(&first, "ItemId").len(),
        1000,
        "a page holds at most 1000 items"
    );
    assert_eq!(root.attr("TotalItemsInView"), Some("1100"));
    assert_eq!(root.attr("IncludesLastItemInRange"), Some("false"));
    assert_eq!(root.attr("IndexedPagingOffset"), Some("1000"));
    let second = harness.ews(&token, Some(&mailbox), &find(1000)).await;
    assert_eq!(ids(&second, "ItemId").len(), 100);
    assert!(second.text.contains(r#"IncludesLastItemInRange="true""#));
    let mut all: Vec<String> = ids(&first, "ItemId");
    all.extend(ids(&second, "ItemId"));
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 1100, "pages neither overlap nor skip");

    let sync = |state: &str| {
        format!(
            r#"<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SyncFolderId><t:FolderId Id="{folder_id}"/></m:SyncFolderId><m:SyncState>{state}</m:SyncState><m:MaxChangesReturned>512</m:MaxChangesReturned></m:SyncFolderItems>"#
        )
    };
    let mut state = String::new();
    let mut created = 0;
    let mut calls = 0;
    loop {
        let reply = harness.ews(&token, Some(&mailbox), &sync(&state)).await;
        calls += 1;
        created += descendants(&reply.xml(), "Create").len();
        state = descendants(&reply.xml(), "SyncState")[0]
            .trimmed_text()
            .to_string();
        if reply
            .text
            .contains("<m:IncludesLastItemInRange>true</m:IncludesLastItemInRange>")
        {
            break;
        }
        assert!(calls < 10, "sync does not finish");
    }
    assert_eq!((created, calls), (1100, 3));
    let update = format!(
        r#"<m:UpdateItem ConflictResolution="AlwaysOverwrite" MessageDisposition="SaveOnly"><m:ItemChanges><t:ItemChange><t:ItemId Id="{}"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="message:IsRead"/><t:Message><t:IsRead>true</t:IsRead></t:Message></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>"#,
        all[0]
    );
    assert_eq!(
        harness
            .ews(&token, Some(&mailbox), &update)
            .await
            .response_codes(),
        vec!["NoError"]
    );
    let delete = format!(
        r#"<m:DeleteItem DeleteType="HardDelete"><m:ItemIds><t:ItemId Id="{}"/></m:ItemIds></m:DeleteItem>"#,
        all[1]
    );
    assert_eq!(
        harness
            .ews(&token, Some(&mailbox), &delete)
            .await
            .response_codes(),
        vec!["NoError"]
    );
    let changes = harness.ews(&token, Some(&mailbox), &sync(&state)).await;
    let xml = changes.xml();
    assert_eq!(descendants(&xml, "Update").len(), 1);
    assert_eq!(descendants(&xml, "Delete").len(), 1);
    assert_eq!(descendants(&xml, "Create").len(), 0);
    let bad_state = harness
        .ews(&token, Some(&mailbox), &sync("bm90IGEgc3luYyBzdGF0ZQ=="))
        .await;
    assert_eq!(
        bad_state.response_codes(),
        vec!["ErrorInvalidSyncStateData"]
    );
    harness.finish().await;
}

#[tokio::test]
async fn restrictions_select_by_date_and_extended_property() {
    let harness = SimHarness::start(test_config(2, 1)).await;
    let token = harness.app_token("source").await;
    let mailbox = harness.first_user("source");
    let folder = create_folder(&harness, &token, &mailbox, "msgfolderroot", "Dated").await;
    let folder_id = ids(&folder, "FolderId")[0].clone();
    let marker = r#"<t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="FerrySourceId" PropertyType="String"/>"#;
    for (index, received) in [
        "2019-05-01T10:00:00Z",
        "2021-05-01T10:00:00Z",
        "2024-05-01T10:00:00Z",
    ]
    .iter()
    .enumerate()
    {
        let mut extra = format!(
            r#"<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x0E06" PropertyType="SystemTime"/><t:Value>{received}</t:Value></t:ExtendedProperty>"#
        );
        if index == 1 {
            extra.push_str(&format!(
                "<t:ExtendedProperty>{marker}<t:Value>src-42</t:Value></t:ExtendedProperty>"
            ));
        }
        let created = harness
            .ews(
                &token,
                Some(&mailbox),
                &create_items(&folder_id, &[mime(&format!("dated{index}"), "x")], &extra),
            )
            .await;
        assert_eq!(
            created.response_codes(),
            vec!["NoError"],
            "{}",
            created.text
        );
    }
    let find = |restriction: &str| {
        format!(
            r#"<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:Subject"/></t:AdditionalProperties></m:ItemShape><m:Restriction>{restriction}</m:Restriction><m:ParentFolderIds><t:FolderId Id="{folder_id}"/></m:ParentFolderIds></m:FindItem>"#
        )
    };
    let subjects = |reply: &EwsResponse| -> Vec<String> {
        descendants(&reply.xml(), "Subject")
            .iter()
            .map(|subject| subject.text.clone())
            .collect()
    };
    let older = harness
        .ews(&token, Some(&mailbox), &find(r#"<t:IsLessThan><t:FieldURI FieldURI="item:DateTimeReceived"/><t:FieldURIOrConstant><t:Constant Value="2022-01-01T00:00:00Z"/></t:FieldURIOrConstant></t:IsLessThan>"#))
        .await;
    assert_eq!(
        subjects(&older),
        vec!["dated1", "dated0"],
        "newest first, only before 2022"
    );
    let marked = harness
        .ews(
            &token,
            Some(&mailbox),
            &find(&format!("<t:Exists>{marker}</t:Exists>")),
        )
        .await;
    assert_eq!(subjects(&marked), vec!["dated1"]);
    let by_value = harness
        .ews(&token, Some(&mailbox), &find(&format!(r#"<t:IsEqualTo>{marker}<t:FieldURIOrConstant><t:Constant Value="src-42"/></t:FieldURIOrConstant></t:IsEqualTo>"#)))
        .await;
    assert_eq!(subjects(&by_value), vec!["dated1"]);
    let unmarked = harness
        .ews(
            &token,
            Some(&mailbox),
            &find(&format!("<t:Not><t:Exists>{marker}</t:Exists></t:Not>")),
        )
        .await;
    assert_eq!(subjects(&unmarked).len(), 2);
    let unsupported = harness
        .ews(
            &token,
            Some(&mailbox),
            &find(r#"<t:Exists><t:FieldURI FieldURI="item:Body"/></t:Exists>"#),
        )
        .await;
    assert_eq!(
        unsupported.response_codes(),
        vec!["ErrorUnsupportedPathForQuery"]
    );
    harness.finish().await;
}

#[tokio::test]
async fn items_keep_their_content_and_extended_properties() {
    let harness = SimHarness::start(test_config(2, 1)).await;
    let token = harness.app_token("source").await;
    let mailbox = harness.first_user("source");
    let original = mime("Grüße aus Zürich", "Hallo\r\nWelt");
    let marker = r#"<t:ExtendedFieldURI PropertySetId="6a5f0c1e-77f2-4f0b-9a53-5f1e2d3c4b5a" PropertyName="Marker" PropertyType="IntegerArray"/>"#;
    let body = format!(
        r#"<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId><t:DistinguishedFolderId Id="inbox"/></m:SavedItemFolderId><m:Items><t:Message><t:MimeContent CharacterSet="UTF-8">{}</t:MimeContent><t:ExtendedProperty>{marker}<t:Values><t:Value>7</t:Value><t:Value>8</t:Value></t:Values></t:ExtendedProperty><t:IsRead>true</t:IsRead></t:Message></m:Items></m:CreateItem>"#,
        b64(original.as_bytes())
    );
    let created = harness.ews(&token, Some(&mailbox), &body).await;
    assert_eq!(created.response_codes(), vec!["NoError"]);
    let item_id = ids(&created, "ItemId")[0].clone();
    let get = format!(
        r#"<m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape><t:IncludeMimeContent>true</t:IncludeMimeContent><t:AdditionalProperties><t:FieldURI FieldURI="message:InternetMessageId"/>{marker}</t:AdditionalProperties></m:ItemShape><m:ItemIds><t:ItemId Id="{item_id}"/></m:ItemIds></m:GetItem>"#
    );
    let reply = harness.ews(&token, Some(&mailbox), &get).await;
    let xml = reply.xml();
    // Exchange keeps items as properties and generates their MIME: what comes back says what
    // was sent (people, subject, ids, body), not byte for byte.
    let regenerated = ferry_sim::mime::import::message_from_mime(
        &unb64(&descendants(&xml, "MimeContent")[0].text),
        "IPM.Note",
    );
    let again = ferry_sim::model::Item::new(0, regenerated, 0);
    assert_eq!(again.subject(), "Grüße aus Zürich");
    assert_eq!(
        again.from().map(|from| from.email),
        Some("ann@example.com".into())
    );
    assert_eq!(again.display_to(), "Bob");
    assert_eq!(
        again.internet_message_id(),
        Some("<Grüße aus Zürich@example.com>")
    );
    assert_eq!(
        again.message.text(ferry_sim::model::tags::tag::BODY),
        Some("Hallo\r\nWelt\r\n")
    );
    assert_eq!(descendants(&xml, "Subject")[0].text, "Grüße aus Zürich");
    assert_eq!(
        descendants(&xml, "InternetMessageId")[0].text,
        "<Grüße aus Zürich@example.com>"
    );
    let values: Vec<String> = descendants(&xml, "Value")
        .iter()
        .map(|value| value.text.clone())
        .collect();
    assert_eq!(values, vec!["7", "8"]);
    assert_eq!(descendants(&xml, "IsRead")[0].text, "true");

    let remove = format!(
        r#"<m:UpdateItem ConflictResolution="AlwaysOverwrite" MessageDisposition="SaveOnly"><m:ItemChanges><t:ItemChange><t:ItemId Id="{item_id}"/><t:Updates><t:DeleteItemField>{marker}</t:DeleteItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>"#
    );
    assert_eq!(
        harness
            .ews(&token, Some(&mailbox), &remove)
            .await
            .response_codes(),
        vec!["NoError"]
    );
    assert!(descendants(
        &harness.ews(&token, Some(&mailbox), &get).await.xml(),
        "ExtendedProperty"
    )
    .is_empty());
    let invalid = format!(
        r#"<m:UpdateItem ConflictResolution="AlwaysOverwrite" MessageDisposition="SaveOnly"><m:ItemChanges><t:ItemChange><t:ItemId Id="{item_id}"/><t:Updates><t:SetItemField><t:ExtendedFieldURI PropertyTag="0x3FF0" PropertyType="Integer"/><t:Message><t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x3FF0" PropertyType="Integer"/><t:Value>seven</t:Value></t:ExtendedProperty></t:Message></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>"#
    );
    assert_eq!(
        harness
            .ews(&token, Some(&mailbox), &invalid)
            .await
            .response_codes(),
        vec!["ErrorInvalidExtendedPropertyValue"]
    );
    let stale = format!(
        r#"<m:UpdateItem ConflictResolution="NeverOverwrite" MessageDisposition="SaveOnly"><m:ItemChanges><t:ItemChange><t:ItemId Id="{item_id}" ChangeKey="CQAAAAAAAAAAAAAA"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:Message><t:Subject>x</t:Subject></t:Message></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>"#
    );
    assert_eq!(
        harness
            .ews(&token, Some(&mailbox), &stale)
            .await
            .response_codes(),
        vec!["ErrorIrresolvableConflict"]
    );
    let missing = format!(
        r#"<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="{item_id}"/><t:ItemId Id="garbage"/><t:ItemId Id=""/></m:ItemIds></m:GetItem>"#
    );
    assert_eq!(
        harness
            .ews(&token, Some(&mailbox), &missing)
            .await
            .response_codes(),
        vec!["NoError", "ErrorInvalidIdMalformed", "ErrorInvalidIdEmpty"]
    );
    let delete = format!(
        r#"<m:DeleteItem DeleteType="MoveToDeletedItems"><m:ItemIds><t:ItemId Id="{item_id}"/></m:ItemIds></m:DeleteItem>"#
    );
    assert_eq!(
        harness
            .ews(&token, Some(&mailbox), &delete)
            .await
            .response_codes(),
        vec!["NoError"]
    );
    assert_eq!(
        harness
            .ews(&token, Some(&mailbox), &get)
            .await
            .response_codes(),
        vec!["ErrorItemNotFound"],
        "a moved item has a new id"
    );
    harness.finish().await;
}

#[tokio::test]
async fn export_then_upload_round_trips_byte_for_byte() {
    let harness = SimHarness::start(test_config(3, 60)).await;
    let source_token = harness.app_token("source").await;
    let destination_token = harness.app_token("destination").await;
    let source = harness.first_user("source");
    let destination = harness.first_user("destination");
    let listing = harness
        .ews(&source_token, Some(&source), r#"<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:IndexedPageItemView MaxEntriesReturned="20" Offset="0" BasePoint="Beginning"/><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>"#)
        .await;
    let source_ids = ids(&listing, "ItemId");
    assert!(source_ids.len() >= 5, "the seeded inbox has items");
    let export = |item_ids: &[String]| {
        let list: String = item_ids
            .iter()
            .map(|id| format!(r#"<t:ItemId Id="{id}"/>"#))
            .collect();
        format!("<m:ExportItems><m:ItemIds>{list}</m:ItemIds></m:ExportItems>")
    };
    let mut with_bad = source_ids.clone();
    with_bad.insert(1, "AAMkbogus".into());
    let exported = harness
        .ews(&source_token, Some(&source), &export(&with_bad))
        .await;
    let codes = exported.response_codes();
    assert_eq!(codes.len(), source_ids.len() + 1);
    assert_eq!(
        codes[1], "ErrorInvalidIdMalformed",
        "one bad id fails alone"
    );
    let data: Vec<Vec<u8>> = descendants(&exported.xml(), "Data")
        .iter()
        .map(|data| unb64(&data.text))
        .collect();
    assert_eq!(data.len(), source_ids.len());

    let inbox = harness
        .ews(&destination_token, Some(&destination), r#"<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>"#)
        .await;
    let inbox_id = ids(&inbox, "FolderId")[0].clone();
    let upload = |payloads: &[Vec<u8>]| {
        let items: String = payloads
            .iter()
            .map(|payload| format!(r#"<t:Item CreateAction="CreateNew"><t:ParentFolderId Id="{inbox_id}"/><t:Data>{}</t:Data></t:Item>"#, b64(payload)))
            .collect();
        format!("<m:UploadItems><m:Items>{items}</m:Items></m:UploadItems>")
    };
    let uploaded = harness
        .ews(&destination_token, Some(&destination), &upload(&data))
        .await;
    assert!(
        uploaded
            .response_codes()
            .iter()
            .all(|code| code == "NoError"),
        "{}",
        uploaded.text
    );
    let new_ids = ids(&uploaded, "ItemId");
    assert_eq!(new_ids.len(), data.len());
    let re_exported = harness
        .ews(&destination_token, Some(&destination), &export(&new_ids))
        .await;
    let round_trip: Vec<Vec<u8>> = descendants(&re_exported.xml(), "Data")
        .iter()
        .map(|data| unb64(&data.text))
        .collect();
    assert_eq!(
        round_trip, data,
        "export data survives upload and export byte for byte"
    );

    let source_items: Vec<ItemSummary> = harness
        .admin(&format!("/tenants/source/mailboxes/{source}/items"))
        .await;
    let destination_items: Vec<ItemSummary> = harness
        .admin(&format!(
            "/tenants/destination/mailboxes/{destination}/items"
        ))
        .await;
    let digest_of = |items: &[ItemSummary], id: &str| {
        items
            .iter()
            .find(|item| item.id == id)
            .map(|item| item.digest.clone())
    };
    for (source_id, destination_id) in source_ids.iter().zip(&new_ids) {
        assert!(digest_of(&source_items, source_id).is_some());
        assert_eq!(
            digest_of(&source_items, source_id),
            digest_of(&destination_items, destination_id)
        );
    }
    let again = harness
        .ews(&destination_token, Some(&destination), &upload(&data[..1]))
        .await;
    let again_id = ids(&again, "ItemId")[0].clone();
    assert!(
        !new_ids.contains(&again_id),
        "CreateNew makes a new item every time"
    );
    let destination_items: Vec<ItemSummary> = harness
        .admin(&format!(
            "/tenants/destination/mailboxes/{destination}/items"
        ))
        .await;
    assert_eq!(
        destination_items.len(),
        data.len() + 1,
        "uploading twice makes duplicates, as on Exchange"
    );

    let corrupt = harness
        .ews(
            &destination_token,
            Some(&destination),
            &upload(&[b"not an export stream".to_vec()]),
        )
        .await;
    assert_eq!(corrupt.response_codes(), vec!["ErrorCorruptData"]);
    let real = std::fs::read_to_string(
        ferry_tests::shared_dir().join("ews/fixtures/export-upload/ExportItemsResponse.xml"),
    )
    .expect("fixture");
    let start = real.find("<m:Data>").expect("data") + 8;
    let end = start + real[start..].find("</m:Data>").expect("end");
    let from_exchange = harness
        .ews(
            &destination_token,
            Some(&destination),
            &upload(&[unb64(&real[start..end])]),
        )
        .await;
    assert_eq!(
        from_exchange.response_codes(),
        vec!["NoError"],
        "data exported by Exchange 15.1 uploads"
    );
    harness.finish().await;
}

#[tokio::test]
async fn inbox_rules_are_created_read_and_validated() {
    let harness = SimHarness::start(test_config(2, 5)).await;
    let token = harness.app_token("source").await;
    let mailbox = harness.first_user("source");
    let folder = create_folder(&harness, &token, &mailbox, "inbox", "Newsletters 2").await;
    let folder_id = ids(&folder, "FolderId")[0].clone();
    let get = format!(
        "<m:GetInboxRules><m:MailboxSmtpAddress>{mailbox}</m:MailboxSmtpAddress></m:GetInboxRules>"
    );
    let before = descendants(
        &harness.ews(&token, Some(&mailbox), &get).await.xml(),
        "Rule",
    )
    .len();
    let create = |folder: &str| {
        format!(
            r#"<m:UpdateInboxRules><m:MailboxSmtpAddress>{mailbox}</m:MailboxSmtpAddress><m:RemoveOutlookRuleBlob>true</m:RemoveOutlookRuleBlob><m:Operations><t:CreateRuleOperation><t:Rule><t:DisplayName>Digest filter</t:DisplayName><t:Priority>1</t:Priority><t:IsEnabled>true</t:IsEnabled><t:Conditions><t:ContainsSubjectStrings><t:String>Digest</t:String></t:ContainsSubjectStrings></t:Conditions><t:Actions><t:MoveToFolder><t:FolderId Id="{folder}"/></t:MoveToFolder><t:StopProcessingRules>true</t:StopProcessingRules></t:Actions></t:Rule></t:CreateRuleOperation></m:Operations></m:UpdateInboxRules>"#
        )
    };
    assert_eq!(
        harness
            .ews(&token, Some(&mailbox), &create(&folder_id))
            .await
            .response_codes(),
        vec!["NoError"]
    );
    let rules = harness.ews(&token, Some(&mailbox), &get).await;
    let xml = rules.xml();
    assert_eq!(descendants(&xml, "Rule").len(), before + 1);
    let ours = descendants(&xml, "Rule")
        .into_iter()
        .find(|rule| rule.child_text("DisplayName") == Some("Digest filter"))
        .expect("the new rule");
    assert_eq!(ours.child_text("Priority"), Some("1"));
    assert_eq!(
        ours.path(&["Actions", "MoveToFolder", "FolderId"])
            .and_then(|id| id.attr("Id")),
        Some(folder_id.as_str())
    );
    let rule_id = ours.child_text("RuleId").expect("rule id").to_string();
    let bad_folder = harness
        .ews(
            &token,
            Some(&mailbox),
            &create("WgJE4sMNca1p8DKyJP8r+J0OXQAAAAAAAACA"),
        )
        .await;
    assert_eq!(
        bad_folder.response_codes(),
        vec!["ErrorInboxRulesValidationError"]
    );
    assert!(
        bad_folder.text.contains("FolderDoesNotExist"),
        "{}",
        bad_folder.text
    );
    let delete = format!(
        r#"<m:UpdateInboxRules><m:RemoveOutlookRuleBlob>true</m:RemoveOutlookRuleBlob><m:Operations><t:DeleteRuleOperation><t:RuleId>{rule_id}</t:RuleId></t:DeleteRuleOperation></m:Operations></m:UpdateInboxRules>"#
    );
    assert_eq!(
        harness
            .ews(&token, Some(&mailbox), &delete)
            .await
            .response_codes(),
        vec!["NoError"]
    );
    assert_eq!(
        descendants(
            &harness.ews(&token, Some(&mailbox), &get).await.xml(),
            "Rule"
        )
        .len(),
        before
    );
    harness.finish().await;
}

#[tokio::test]
async fn ids_convert_and_bad_requests_get_exchange_faults() {
    let harness = SimHarness::start(test_config(2, 5)).await;
    let token = harness.app_token("source").await;
    let mailbox = harness.first_user("source");
    let inbox = harness
        .ews(&token, Some(&mailbox), r#"<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>"#)
        .await;
    let inbox_id = ids(&inbox, "FolderId")[0].clone();
    let convert = |id: &str, from: &str, to: &str| {
        format!(
            r#"<m:ConvertId DestinationFormat="{to}"><m:SourceIds><t:AlternateId Format="{from}" Id="{id}" Mailbox="{mailbox}"/></m:SourceIds></m:ConvertId>"#
        )
    };
    let hex = harness
        .ews(
            &token,
            Some(&mailbox),
            &convert(&inbox_id, "EwsId", "HexEntryId"),
        )
        .await;
    let hex_id = descendants(&hex.xml(), "AlternateId")[0]
        .attr("Id")
        .expect("id")
        .to_string();
    assert!(hex_id
        .chars()
        .all(|character| character.is_ascii_hexdigit()));
    let back = harness
        .ews(
            &token,
            Some(&mailbox),
            &convert(&hex_id, "HexEntryId", "EwsId"),
        )
        .await;
    assert_eq!(
        descendants(&back.xml(), "AlternateId")[0].attr("Id"),
        Some(inbox_id.as_str())
    );
    let probe = harness
        .ews(&token, Some(&mailbox), &convert("DUMMY", "EwsId", "EwsId"))
        .await;
    assert_eq!(
        (probe.status, probe.response_codes()),
        (200, vec!["ErrorInvalidIdMalformed".to_string()])
    );

    let unknown = harness
        .ews(&token, Some(&mailbox), r#"<m:GetUserAvailabilityRequest/>"#)
        .await;
    assert_eq!(
        (unknown.status, unknown.response_codes()),
        (500, vec!["ErrorInvalidRequest".to_string()])
    );
    let malformed = harness
        .ews_raw(&token, Some(&mailbox), "<soap:Envelope><unclosed>".into())
        .await;
    assert_eq!(malformed.response_codes(), vec!["ErrorSchemaValidation"]);
    let with_dtd = harness
        .ews_raw(
            &token,
            Some(&mailbox),
            format!(
                "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e \"boom\">]>{}",
                &envelope(Some(&mailbox), "<m:GetFolder/>")[38..]
            ),
        )
        .await;
    assert_eq!(with_dtd.response_codes(), vec!["ErrorSchemaValidation"]);
    let old_version = envelope(
        Some(&mailbox),
        r#"<m:ExportItems><m:ItemIds><t:ItemId Id="x"/></m:ItemIds></m:ExportItems>"#,
    )
    .replace("Exchange2013_SP1", "Exchange2007_SP1");
    let refused = harness.ews_raw(&token, Some(&mailbox), old_version).await;
    assert_eq!(refused.response_codes(), vec!["ErrorSchemaValidation"]);
    let bad_version =
        envelope(Some(&mailbox), "<m:GetFolder/>").replace("Exchange2013_SP1", "Exchange1999");
    assert_eq!(
        harness
            .ews_raw(&token, Some(&mailbox), bad_version)
            .await
            .response_codes(),
        vec!["ErrorInvalidServerVersion"]
    );
    harness.finish().await;
}
