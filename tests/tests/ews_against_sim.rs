//! The EWS client against the simulator: sign-in flows and renewal, impersonation allowed and
//! denied, paging past 1000 items, export/upload byte for byte, folders, rules, sync, and each
//! throttling form surfacing as `Throttled` with the server's back-off.

use std::time::Duration;

use bytes::Bytes;
use ferry_ews::request::{FolderShape, FolderUpdate, ItemShape, MailboxTarget, NewFolder};
use ferry_ews::types::{
    CreateAction, DeleteType, FolderRef, InboxRule, ItemId, MimeItem, Permission, PermissionUser,
    RuleEntry, RuleOperation, RuleValue, SyncChange, UploadItem,
};
use ferry_ews::{ClientCertificate, Credentials, EwsClient, EwsError, Secret, ThrottleScope};
use ferry_sim::admin::ItemSummary;
use ferry_tests::{test_config, SimHarness};
use serde_json::json;

fn mime(subject: &str) -> MimeItem {
    MimeItem {
        item_class: "IPM.Note".into(),
        mime: Bytes::from(format!(
            "Subject: {subject}\r\nMessage-ID: <{subject}@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nbody of {subject}\r\n"
        ))
        .into(),
        is_read: Some(true),
        extended_properties: Vec::new(),
    }
}

async fn tokens_issued(harness: &SimHarness, tenant: &str) -> u64 {
    let all: Vec<ferry_sim::admin::TenantCounters> = harness.admin("/counters").await;
    all.into_iter()
        .find(|counters| counters.tenant == tenant)
        .and_then(|counters| counters.counters.get("identity.tokens_issued").copied())
        .unwrap_or(0)
}

async fn set(harness: &SimHarness, path: &str, changes: serde_json::Value) {
    let mut current: serde_json::Value = harness.admin(path).await;
    for (key, value) in changes.as_object().expect("object") {
        current[key] = value.clone();
    }
    harness.admin_put(path, &current).await;
}

#[tokio::test]
async fn tokens_are_cached_renewed_on_expiry_and_once_more_on_401() {
    let harness = SimHarness::start(test_config(3, 5)).await;
    let client = harness.client("source");
    let mailbox = MailboxTarget::impersonated(harness.first_user("source"));
    let inbox = [FolderRef::distinguished("inbox")];
    for _ in 0..3 {
        let folders = client
            .get_folders(&mailbox, &inbox, &FolderShape::tree())
            .await
            .expect("sent");
        assert!(folders[0].is_ok());
    }
    assert_eq!(
        tokens_issued(&harness, "source").await,
        1,
        "one token serves many requests"
    );

    let response = harness
        .http
        .post(format!(
            "{}/identity/expire-tokens",
            harness.sim.connection.admin_url
        ))
        .send()
        .await
        .expect("admin answers");
    assert!(response.status().is_success());
    let folders = client
        .get_folders(&mailbox, &inbox, &FolderShape::tree())
        .await
        .expect("renewed after the 401");
    assert!(folders[0].is_ok());
    assert_eq!(
        tokens_issued(&harness, "source").await,
        2,
        "the refused token was renewed once"
    );

    harness
        .admin_put("/identity", &json!({"token_lifetime_secs": 2}))
        .await;
    let short = harness.client("source");
    short
        .get_folders(&mailbox, &inbox, &FolderShape::tree())
        .await
        .expect("first token");
    tokio::time::sleep(Duration::from_millis(1700)).await;
    short
        .get_folders(&mailbox, &inbox, &FolderShape::tree())
        .await
        .expect("renewed before expiry");
    assert_eq!(
        tokens_issued(&harness, "source").await,
        4,
        "renewed ahead of expiry, not after a 401"
    );
    assert_eq!(
        client.server_version().map(|version| version.major),
        Some(15)
    );
    harness.finish().await;
}

#[tokio::test]
async fn certificate_and_delegated_credentials_work_and_bad_ones_are_unauthorised() {
    let mut config = test_config(3, 5);
    config.identity.certificate_pem = Some(ferry_tests::fixture("app-certificate.pem"));
    let harness = SimHarness::start(config).await;
    let source = harness.tenant("source").clone();
    let mailbox = harness.first_user("source");
    let certificate = ClientCertificate::from_pem(
        &std::fs::read_to_string(ferry_tests::fixture("app-certificate.pem")).expect("cert"),
        &std::fs::read_to_string(ferry_tests::fixture("app-certificate.key")).expect("key"),
    )
    .expect("loads");
    let with_certificate = harness.client_with(
        "source",
        Credentials::Certificate {
            client_id: source.client_id.clone(),
            certificate: Box::new(certificate.clone()),
        },
    );
    let inbox = [FolderRef::distinguished("inbox")];
    let folders = with_certificate
        .get_folders(
            &MailboxTarget::impersonated(&mailbox),
            &inbox,
            &FolderShape::tree(),
        )
        .await
        .expect("certificate sign-in");
    assert!(folders[0].is_ok());
    // The certificate is registered on each tenant's migration app only, not on its other app.
    let tenant = harness
        .sim
        .state
        .directory
        .tenant("source")
        .expect("tenant");
    let other_app = tenant.apps[1].client_id.to_string();
    let unregistered = harness.client_with(
        "source",
        Credentials::Certificate {
            client_id: other_app,
            certificate: Box::new(certificate),
        },
    );
    let refused = unregistered
        .get_folders(
            &MailboxTarget::impersonated(&mailbox),
            &inbox,
            &FolderShape::tree(),
        )
        .await
        .expect_err("no certificate registered on that app");
    assert!(
        matches!(&refused, EwsError::Unauthorized(message) if message.contains("invalid_client")),
        "{refused}"
    );

    let delegated = harness.client_with(
        "source",
        Credentials::Password {
            client_id: source.client_id.clone(),
            username: source.admin_upn.clone(),
            password: Secret::new(source.admin_password.clone()),
        },
    );
    let as_delegate = delegated
        .get_folders(
            &MailboxTarget::delegated(&mailbox),
            &inbox,
            &FolderShape::tree(),
        )
        .await
        .expect("delegate access");
    assert!(as_delegate[0].is_ok());
    let helpdesk = tenant
        .admins
        .iter()
        .find(|admin| !admin.can_impersonate)
        .expect("help desk");
    let limited = harness.client_with(
        "source",
        Credentials::Password {
            client_id: source.client_id.clone(),
            username: helpdesk.upn.clone(),
            password: Secret::new(helpdesk.password.expose()),
        },
    );
    let denied = limited
        .get_folders(
            &MailboxTarget::impersonated(&mailbox),
            &inbox,
            &FolderShape::tree(),
        )
        .await
        .expect_err("no impersonation right");
    assert!(
        matches!(&denied, EwsError::Unauthorized(message) if message.contains("ErrorImpersonateUserDenied")),
        "{denied}"
    );
    let wrong_password = harness.client_with(
        "source",
        Credentials::Password {
            client_id: source.client_id.clone(),
            username: source.admin_upn.clone(),
            password: Secret::new("not-it"),
        },
    );
    let error = wrong_password
        .get_folders(
            &MailboxTarget::delegated(&mailbox),
            &inbox,
            &FolderShape::tree(),
        )
        .await
        .expect_err("bad password");
    assert!(matches!(error, EwsError::Unauthorized(_)));
    assert!(
        !error.to_string().contains("not-it"),
        "the password never appears in errors"
    );
    let nobody = harness
        .client("source")
        .get_folders(
            &MailboxTarget::impersonated("nobody@contoso.com"),
            &inbox,
            &FolderShape::tree(),
        )
        .await
        .expect_err("no such mailbox");
    assert!(matches!(nobody, EwsError::MailboxNotFound(_)));
    harness.finish().await;
}

#[tokio::test]
async fn folders_items_and_sync_through_the_client() {
    let harness = SimHarness::start(test_config(3, 5)).await;
    let client = harness.client("source");
    let mailbox = MailboxTarget::impersonated(harness.first_user("source"));
    let created = client
        .create_folders(
            &mailbox,
            &FolderRef::distinguished("msgfolderroot"),
            &[NewFolder {
                display_name: "Bulk & more".into(),
                folder_class: "IPF.Note".into(),
            }],
        )
        .await
        .expect("sent");
    let folder_id = created[0].clone().expect("created");
    let again = client
        .create_folders(
            &mailbox,
            &FolderRef::distinguished("msgfolderroot"),
            &[NewFolder {
                display_name: "Bulk & more".into(),
                folder_class: "IPF.Note".into(),
            }],
        )
        .await
        .expect("sent");
    assert!(
        matches!(&again[0], Err(EwsError::Permanent { code, .. }) if code == "ErrorFolderExists")
    );
    let folder = FolderRef::Id(folder_id.clone());
    let sync_start = client
        .sync_folder_items(&mailbox, &folder, None, 512, &ItemShape::id_only())
        .await
        .expect("sync");
    for batch in 0..11 {
        let items: Vec<MimeItem> = (0..100)
            .map(|index| mime(&format!("bulk-{batch}-{index}")))
            .collect();
        let results = client
            .create_items_from_mime(&mailbox, &folder, &items)
            .await
            .expect("sent");
        assert!(results.iter().all(Result::is_ok));
    }
    let all = client
        .all_items(&mailbox, &folder, &ItemShape::listing(), None)
        .await
        .expect("listed");
    assert_eq!(all.len(), 1100, "paged past the 1000-item page limit");
    let mut ids: Vec<&str> = all
        .iter()
        .filter_map(|item| item.id.as_ref().map(|id| id.id.as_str()))
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 1100);
    assert!(all
        .iter()
        .all(|item| item.internet_message_id.is_some() && item.size.is_some()));

    let mut state = sync_start.sync_state.clone();
    let mut creates = 0;
    loop {
        let page = client
            .sync_folder_items(&mailbox, &folder, Some(&state), 512, &ItemShape::id_only())
            .await
            .expect("sync");
        creates += page
            .changes
            .iter()
            .filter(|change| matches!(change, SyncChange::Create(_)))
            .count();
        state = page.sync_state;
        if page.includes_last {
            break;
        }
    }
    assert_eq!(creates, 1100);
    let doomed = all[0].id.clone().expect("id");
    let deleted = client
        .delete_items(
            &mailbox,
            &[doomed.clone(), ItemId::new("bogus")],
            DeleteType::HardDelete,
        )
        .await
        .expect("sent");
    assert!(deleted[0].is_ok());
    assert!(
        matches!(&deleted[1], Err(EwsError::Permanent { code, .. }) if code == "ErrorInvalidIdMalformed")
    );
    let after = client
        .sync_folder_items(&mailbox, &folder, Some(&state), 512, &ItemShape::id_only())
        .await
        .expect("sync");
    assert_eq!(
        after.changes,
        vec![SyncChange::Delete(ItemId {
            change_key: after_key(&after.changes),
            ..doomed
        })]
    );

    let tree = client
        .folder_tree(
            &mailbox,
            &FolderRef::distinguished("msgfolderroot"),
            &FolderShape::tree(),
        )
        .await
        .expect("tree");
    assert!(tree.iter().any(|folder| folder.id.id == folder_id.id
        && folder.display_name.as_deref() == Some("Bulk & more")));
    assert!(tree
        .iter()
        .any(|folder| folder.distinguished_id.as_deref() == Some("inbox")));
    let hierarchy = client
        .sync_folder_hierarchy(&mailbox, None, None, &FolderShape::tree())
        .await
        .expect("hierarchy");
    assert_eq!(hierarchy.changes.len(), tree.len());

    let colleague = harness
        .tenant("source")
        .mailboxes
        .iter()
        .find(|address| **address != mailbox.address)
        .expect("colleague")
        .clone();
    let permissions = vec![
        Permission::with_level(PermissionUser::Default, "None"),
        Permission::with_level(
            PermissionUser::User {
                address: colleague.clone(),
                display_name: None,
            },
            "Editor",
        ),
    ];
    client
        .update_folder(
            &mailbox,
            &folder,
            &FolderUpdate::Permissions {
                permissions,
                calendar: false,
            },
        )
        .await
        .expect("permissions set");
    let read_back = client
        .folder_permissions(&mailbox, &folder)
        .await
        .expect("permissions read");
    assert_eq!(read_back.len(), 2);
    assert_eq!(read_back[1].level, "Editor");
    assert!(
        matches!(&read_back[1].user, PermissionUser::User { address, .. } if *address == colleague)
    );
    // Planning reads every folder's permissions: several folders are one GetFolder, answered
    // per folder in order.
    let get_folders = |counters: &[ferry_sim::admin::TenantCounters]| {
        counters
            .iter()
            .find(|counters| counters.tenant == "source")
            .and_then(|counters| counters.mailbox_totals.get("requests.GetFolder").copied())
            .unwrap_or(0)
    };
    let before = get_folders(&harness.admin::<Vec<_>>("/counters").await);
    let several = client
        .folders_permissions(
            &mailbox,
            &[
                FolderRef::distinguished("inbox"),
                folder.clone(),
                FolderRef::distinguished("calendar"),
            ],
        )
        .await
        .expect("permissions of several folders");
    assert_eq!(several.len(), 3);
    let several: Vec<_> = several
        .into_iter()
        .map(|result| result.expect("each folder's permissions"))
        .collect();
    assert_eq!(
        several[1], read_back,
        "the second answer is the second folder's"
    );
    let after = get_folders(&harness.admin::<Vec<_>>("/counters").await);
    assert_eq!(after - before, 1, "one GetFolder for three folders");
    harness.finish().await;
}

fn after_key(changes: &[SyncChange<ferry_ews::types::Item, ItemId>]) -> Option<String> {
    match changes.first() {
        Some(SyncChange::Delete(id)) => id.change_key.clone(),
        _ => None,
    }
}

#[tokio::test]
async fn export_then_upload_round_trips_byte_for_byte() {
    let harness = SimHarness::start(test_config(3, 60)).await;
    let source_client = harness.client("source");
    let destination_client = harness.client("destination");
    let source = MailboxTarget::impersonated(harness.first_user("source"));
    let destination = MailboxTarget::impersonated(harness.first_user("destination"));
    let listing = source_client
        .all_items(
            &source,
            &FolderRef::distinguished("inbox"),
            &ItemShape::id_only(),
            None,
        )
        .await
        .expect("listed");
    let ids: Vec<ItemId> = listing
        .into_iter()
        .take(25)
        .filter_map(|item| item.id)
        .collect();
    assert!(ids.len() >= 10);
    let mut asked = ids.clone();
    asked.insert(3, ItemId::new("bogus"));
    let mut stream = source_client
        .export_items(&source, &asked)
        .await
        .expect("export");
    let mut exported = Vec::new();
    let mut failures = Vec::new();
    while let Some((id, result)) = stream.next().await.expect("stream") {
        match result {
            Ok(item) => exported.push(item),
            Err(error) => failures.push((id, error)),
        }
    }
    assert_eq!(exported.len(), ids.len(), "the good items arrive");
    assert_eq!(failures.len(), 1, "the bad id fails alone");
    assert_eq!(failures[0].0.id, "bogus");

    let inbox = destination_client
        .get_folders(
            &destination,
            &[FolderRef::distinguished("inbox")],
            &FolderShape::tree(),
        )
        .await
        .expect("inbox")
        .remove(0)
        .expect("inbox");
    let uploads: Vec<UploadItem> = exported
        .iter()
        .map(|item| UploadItem {
            parent: inbox.id.clone(),
            action: CreateAction::CreateNew,
            item_id: None,
            is_associated: false,
            data: item.data.clone(),
        })
        .collect();
    let new_ids: Vec<ItemId> = destination_client
        .upload_items(&destination, &uploads)
        .await
        .expect("upload")
        .into_iter()
        .map(|result| result.expect("uploaded"))
        .collect();
    let mut again = destination_client
        .export_items(&destination, &new_ids)
        .await
        .expect("export");
    let mut round_trip = Vec::new();
    while let Some((_, result)) = again.next().await.expect("stream") {
        round_trip.push(result.expect("exported"));
    }
    for (original, copy) in exported.iter().zip(&round_trip) {
        assert_eq!(
            original.data, copy.data,
            "export data survives upload byte for byte"
        );
    }
    let source_items: Vec<ItemSummary> = harness
        .admin(&format!(
            "/tenants/source/mailboxes/{}/items",
            source.address
        ))
        .await;
    let destination_items: Vec<ItemSummary> = harness
        .admin(&format!(
            "/tenants/destination/mailboxes/{}/items",
            destination.address
        ))
        .await;
    for (source_id, destination_id) in ids.iter().zip(&new_ids) {
        let digest = |items: &[ItemSummary], id: &str| {
            items
                .iter()
                .find(|item| item.id == id)
                .map(|item| item.digest.clone())
        };
        assert!(digest(&source_items, &source_id.id).is_some());
        assert_eq!(
            digest(&source_items, &source_id.id),
            digest(&destination_items, &destination_id.id)
        );
    }
    harness.finish().await;
}

#[tokio::test]
async fn inbox_rules_round_trip_through_the_client() {
    let harness = SimHarness::start(test_config(3, 5)).await;
    let client = harness.client("source");
    let mailbox = MailboxTarget::impersonated(harness.first_user("source"));
    let before = client.inbox_rules(&mailbox).await.expect("rules");
    let rule = InboxRule {
        id: None,
        display_name: "Digest filter".into(),
        priority: 1,
        is_enabled: true,
        conditions: vec![RuleEntry {
            name: "ContainsSubjectStrings".into(),
            value: RuleValue::Strings(vec!["Digest".into()]),
        }],
        exceptions: Vec::new(),
        actions: vec![RuleEntry {
            name: "MoveToFolder".into(),
            value: RuleValue::Folder(FolderRef::distinguished("junkemail")),
        }],
        unsupported_entries: Vec::new(),
    };
    client
        .update_inbox_rules(&mailbox, &[RuleOperation::Create(rule.clone())])
        .await
        .expect("created");
    let after = client.inbox_rules(&mailbox).await.expect("rules");
    assert_eq!(after.len(), before.len() + 1);
    let created = after
        .iter()
        .find(|candidate| candidate.display_name == "Digest filter")
        .expect("created rule");
    assert_eq!(created.priority, 1);
    assert_eq!(created.conditions, rule.conditions);
    assert!(matches!(
        created.actions[0].value,
        RuleValue::Folder(FolderRef::Id(_))
    ));
    let invalid = client
        .update_inbox_rules(&mailbox, &[RuleOperation::Delete("no-such-rule".into())])
        .await
        .expect_err("unknown rule");
    assert!(invalid.to_string().contains("RuleNotFound"), "{invalid}");
    harness.finish().await;
}

#[tokio::test]
async fn each_throttling_form_surfaces_as_throttled_with_its_back_off() {
    let harness = SimHarness::start(test_config(3, 5)).await;
    let client = harness.client("source");
    let mailbox = MailboxTarget::impersonated(harness.first_user("source"));
    let inbox = [FolderRef::distinguished("inbox")];

    set(
        &harness,
        "/throttling",
        json!({"budget_burst": 2, "budget_recharge_per_sec": 0.5}),
    )
    .await;
    client
        .get_folders(&mailbox, &inbox, &FolderShape::tree())
        .await
        .expect("first");
    client
        .get_folders(&mailbox, &inbox, &FolderShape::tree())
        .await
        .expect("second");
    let fault = client
        .get_folders(&mailbox, &inbox, &FolderShape::tree())
        .await
        .expect_err("budget spent");
    match fault {
        EwsError::Throttled {
            back_off: Some(back_off),
            scope: ThrottleScope::Mailbox,
        } => {
            assert!(
                back_off > Duration::ZERO && back_off <= Duration::from_secs(2),
                "{back_off:?}"
            )
        }
        other => panic!("expected the SOAP-fault form as Throttled, got {other}"),
    }

    set(&harness, "/throttling", json!({"budget_burst": 3000, "budget_recharge_per_sec": 1000.0, "max_concurrent_requests": 1, "max_concurrent_sync": 1})).await;
    set(
        &harness,
        "/faults",
        json!({"latency": {"kind": "fixed", "ms": 300}}),
    )
    .await;
    let tree_shape = FolderShape::tree();
    let concurrent = futures_util::future::join_all(
        (0..3).map(|_| client.get_folders(&mailbox, &inbox, &tree_shape)),
    )
    .await;
    assert!(
        concurrent.iter().any(|result| matches!(
            result,
            Err(EwsError::Throttled {
                scope: ThrottleScope::Tenant,
                back_off: None
            })
        )),
        "HTTP 503 surfaces as Throttled"
    );

    set(
        &harness,
        "/throttling",
        json!({"max_concurrent_requests": 27}),
    )
    .await;
    let folder = FolderRef::distinguished("inbox");
    let id_only = ItemShape::id_only();
    let syncs = futures_util::future::join_all(
        (0..3).map(|_| client.sync_folder_items(&mailbox, &folder, None, 10, &id_only)),
    )
    .await;
    assert!(
        syncs.iter().any(|result| matches!(result, Err(EwsError::Throttled { back_off: Some(back_off), .. }) if *back_off == Duration::from_millis(5000))),
        "the HTTP 200 ErrorServerBusy form surfaces with its BackOffMilliseconds"
    );
    harness.finish().await;
}

#[tokio::test]
async fn faults_become_transient_errors_and_bad_characters_do_not_fail_replies() {
    let harness = SimHarness::start(test_config(3, 30)).await;
    let client = harness.client("source");
    let mailbox = MailboxTarget::impersonated(harness.first_user("source"));
    let inbox = FolderRef::distinguished("inbox");
    set(&harness, "/faults", json!({"internal_error_rate": 1.0})).await;
    let error = client
        .all_items(&mailbox, &inbox, &ItemShape::listing(), None)
        .await
        .expect_err("fails");
    assert!(
        matches!(error, EwsError::Transient { .. }) && error.is_retryable(),
        "{error}"
    );

    set(
        &harness,
        "/faults",
        json!({"internal_error_rate": 0.0, "connection_reset_rate": 1.0}),
    )
    .await;
    let error = client
        .all_items(&mailbox, &inbox, &ItemShape::listing(), None)
        .await
        .expect_err("cut off");
    assert!(
        error.is_retryable(),
        "a reset mid-reply is transient: {error}"
    );

    set(
        &harness,
        "/faults",
        json!({"connection_reset_rate": 0.0, "invalid_xml_char_rate": 1.0}),
    )
    .await;
    let items = client
        .all_items(&mailbox, &inbox, &ItemShape::listing(), None)
        .await
        .expect("tolerant");
    assert!(!items.is_empty());
    assert!(items.iter().all(|item| item
        .subject
        .as_deref()
        .is_some_and(|subject| subject.ends_with('\u{FFFD}'))));
    harness.finish().await;
}

#[tokio::test]
async fn a_client_never_prints_its_secrets() {
    let client = EwsClient::new(ferry_ews::ClientConfig::new(
        ferry_ews::Endpoints::for_cloud(ferry_ews::Cloud::Worldwide, "contoso.onmicrosoft.com"),
        Credentials::ClientSecret {
            client_id: "client".into(),
            secret: Secret::new("s3cr3t-value"),
        },
    ))
    .expect("client");
    assert!(!format!("{client:?}").contains("s3cr3t-value"));
}

#[tokio::test]
async fn resolve_names_finds_mailboxes_by_every_address_they_have() {
    let harness = SimHarness::start(test_config(6, 1)).await;
    let client = harness.client("source");
    let ann = harness.first_user("source");
    let mailbox = MailboxTarget::impersonated(&ann);
    let (legacy_dn, x500, display_name) = {
        let tenant = harness
            .sim
            .state
            .directory
            .tenant("source")
            .expect("source tenant")
            .clone();
        let found = tenant.mailbox_by_address(&ann).expect("ann");
        (
            found.legacy_dn.clone(),
            tenant
                .mailboxes()
                .iter()
                .find_map(|mailbox| mailbox.x500_addresses.first().cloned()),
            found.display_name.clone(),
        )
    };
    for entry in [
        legacy_dn.clone(),
        legacy_dn.to_uppercase(),
        format!("SMTP:{ann}"),
    ] {
        let found = client
            .resolve_names(&mailbox, &entry)
            .await
            .expect("resolves");
        assert_eq!(found.len(), 1, "{entry}");
        assert_eq!(found[0].email_address, ann);
        assert_eq!(found[0].routing_type, "SMTP");
        assert_eq!(found[0].name, display_name);
    }
    if let Some(x500) = x500 {
        let found = client
            .resolve_names(&mailbox, &format!("X500:{x500}"))
            .await
            .expect("resolves");
        assert_eq!(found.len(), 1, "an X500 proxy resolves to its mailbox");
    }
    assert!(client
        .resolve_names(
            &mailbox,
            "/o=Other/ou=Exchange Administrative Group/cn=Recipients/cn=nobody"
        )
        .await
        .expect("no result is not an error")
        .is_empty());
    harness.finish().await;
}
