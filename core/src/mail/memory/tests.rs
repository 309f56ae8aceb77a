use chrono::{TimeZone, Utc};

use super::*;
use crate::mail::conformance::{mail_suite, MailFixture};
use crate::model::ItemKey;

fn stamp(data: &ExportData, key: ItemKey) -> ExportData {
    with_stamp(data, key).expect("memory items are well formed")
}

#[tokio::test]
async fn the_in_memory_service_passes_the_mail_conformance_suite() {
    let source = MemoryMailApi::new();
    source.add_mailbox("ada@contoso.com");
    let inbox = source
        .folder_id("ada@contoso.com", "Inbox")
        .expect("an Inbox");
    for day in 1..=3 {
        let received = Utc.with_ymd_and_hms(2025, 1, day, 9, 0, 0).single();
        source
            .add_item(
                "ada@contoso.com",
                &inbox,
                message(&format!("day {day}"), "IPM.Note", received, "hello"),
            )
            .expect("seeded");
    }
    let gone = source
        .add_item(
            "ada@contoso.com",
            &inbox,
            message("deleted", "IPM.Note", None, "x"),
        )
        .expect("seeded");
    source.delete_item("ada@contoso.com", &gone);
    let legacy_dn = source.legacy_dn("ada@contoso.com").expect("a DN");
    let destination = MemoryMailApi::new();
    destination.add_mailbox("ada@fabrikam.com");
    destination.add_mailbox("grace@fabrikam.com");
    mail_suite(&MailFixture {
        source: &source,
        source_mailbox: "ada@contoso.com",
        destination: &destination,
        destination_mailbox: "ada@fabrikam.com",
        destination_user: "grace@fabrikam.com",
        source_legacy_dn: Some((&legacy_dn, "ada@contoso.com")),
        deleted_source_item: Some(gone),
        stamp: &stamp,
        namespace: "memory",
    })
    .await;
}

#[tokio::test]
async fn faults_hit_the_calls_they_are_injected_into_in_order() {
    let api = MemoryMailApi::new();
    api.add_mailbox("ada@contoso.com");
    let throttled = MailError::Throttled {
        back_off: Some(std::time::Duration::from_secs(2)),
        scope: crate::mail::ThrottleScope::Mailbox,
    };
    api.inject(Operation::Verify, Fault::Fail(throttled.clone()), 1);
    assert_eq!(api.verify("ada@contoso.com").await, Err(throttled));
    assert_eq!(api.verify("ada@contoso.com").await, Ok(()));
    assert_eq!(api.calls(Operation::Verify), 2);

    let inbox = api.folder_id("ada@contoso.com", "Inbox").expect("Inbox");
    api.inject(Operation::Upload, Fault::LoseReply, 1);
    let data = message("lost reply", "IPM.Note", None, "");
    let lost = api
        .upload("ada@contoso.com", &inbox, std::slice::from_ref(&data))
        .await;
    assert!(matches!(lost, Err(MailError::Transient { .. })));
    assert_eq!(
        api.folder_contents("ada@contoso.com", &inbox).len(),
        1,
        "a lost reply still stored the item"
    );

    api.inject(Operation::Upload, Fault::HangAfterEffect, 1);
    let hung = tokio::time::timeout(
        std::time::Duration::from_millis(50),
        api.upload("ada@contoso.com", &inbox, std::slice::from_ref(&data)),
    )
    .await;
    assert!(hung.is_err(), "the call never returns");
    assert_eq!(api.folder_contents("ada@contoso.com", &inbox).len(), 2);
}

#[tokio::test]
async fn a_listed_item_can_vanish_before_it_is_exported() {
    let api = MemoryMailApi::new();
    api.add_mailbox("ada@contoso.com");
    let inbox = api.folder_id("ada@contoso.com", "Inbox").expect("Inbox");
    let id = api
        .add_item(
            "ada@contoso.com",
            &inbox,
            message("soon gone", "IPM.Note", None, ""),
        )
        .expect("seeded");
    api.inject(Operation::Items, Fault::VanishFirstListed, 1);
    let listed = api
        .items("ada@contoso.com", &inbox, ReceivedRange::default())
        .await
        .expect("listed");
    assert_eq!(listed[0].id, id);
    let mut exported = api.export("ada@contoso.com", &[id]).await.expect("export");
    let (_, result) = exported.next().await.expect("stream").expect("one");
    assert!(matches!(result, Err(MailError::ItemNotFound(_))));
}

#[tokio::test]
async fn uploads_over_the_size_limit_fail_per_item() {
    let api = MemoryMailApi::new();
    api.add_mailbox("ada@contoso.com");
    let inbox = api.folder_id("ada@contoso.com", "Inbox").expect("Inbox");
    let small = message("small", "IPM.Note", None, "");
    let large = message("large", "IPM.Note", None, &"x".repeat(4096));
    api.set_max_item_bytes(1024);
    let results = api
        .upload("ada@contoso.com", &inbox, &[small, large])
        .await
        .expect("upload");
    assert!(results[0].is_ok());
    assert!(matches!(results[1], Err(MailError::ItemTooLarge(_))));
}
