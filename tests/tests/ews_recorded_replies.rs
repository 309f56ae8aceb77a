//! The EWS client against replies recorded from real Exchange servers: every one parses (a new
//! file under `shared/ews/fixtures/` is covered without code changes), throttling replies are
//! classified with the right back-off, and malformed ones give a clear error or a tolerant parse,
//! never a panic.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use ferry_ews::reply::any::{parse_reply, AnyReply, Message};
use ferry_ews::{EwsError, ThrottleScope};
use ferry_tests::shared_dir;

fn fixtures(folder: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(shared_dir().join("ews/fixtures").join(folder))
        .expect("fixture folder")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "xml"))
        .collect();
    files.sort();
    files
}

async fn parse(path: &Path) -> Result<AnyReply, EwsError> {
    parse_reply(Bytes::from(std::fs::read(path).expect("readable fixture"))).await
}

fn name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn every_reply_from_exchange_online_parses() {
    let files = fixtures("exchange-online");
    assert!(files.len() >= 250, "the recorded replies are present");
    for path in &files {
        let reply = parse(path)
            .await
            .unwrap_or_else(|error| panic!("{}: {error}", name(path)));
        let expected = name(path)
            .rsplit('.')
            .nth(1)
            .and_then(|response| response.strip_suffix("Response"))
            .unwrap_or_default()
            .to_string();
        assert_eq!(reply.operation, expected, "{}", name(path));
        assert!(
            !reply.messages.is_empty(),
            "{} has response messages",
            name(path)
        );
        assert!(
            reply.server_version.is_some(),
            "{} has ServerVersionInfo",
            name(path)
        );
        for message in &reply.messages {
            if let Err(error) = message {
                // Recorded failures must classify as what they are, not as unreadable replies.
                assert!(
                    !matches!(error, EwsError::MalformedReply(_)),
                    "{}: {error}",
                    name(path)
                );
            }
        }
    }
}

#[tokio::test]
async fn recorded_payloads_are_read_into_typed_results() {
    let folder =
        parse(&shared_dir().join(
            "ews/fixtures/exchange-online/APITest.testFolderPaging.02.FindFolderResponse.xml",
        ))
        .await
        .expect("parses");
    let Ok(Message::FolderPage(page)) = &folder.messages[0] else {
        panic!("{:?}", folder.messages)
    };
    assert_eq!(page.total, Some(5));
    assert!(page.includes_last);
    assert_eq!(page.entries[0].display_name.as_deref(), Some("Deep 1"));
    assert!(page.entries[0].parent_id.is_some());

    let sync = parse(&shared_dir().join(
        "ews/fixtures/exchange-online/APITest.testListItemChanges.02.SyncFolderItemsResponse.xml",
    ))
    .await
    .expect("parses");
    let Ok(Message::ItemSync(changes)) = &sync.messages[0] else {
        panic!("{:?}", sync.messages)
    };
    assert!(!changes.sync_state.is_empty());
    assert!(!changes.changes.is_empty());

    let export = parse(&shared_dir().join("ews/fixtures/export-upload/ExportItemsResponse.xml"))
        .await
        .expect("parses");
    assert_eq!(export.messages.len(), 2);
    for message in &export.messages {
        let Ok(Message::Exported(item)) = message else {
            panic!("{message:?}")
        };
        assert_eq!(item.data.len(), 16534, "the export stream decodes whole");
        assert_eq!(&item.data.to_bytes()[..8], &[1, 0, 0, 0, 8, 0, 0, 0]);
    }
    let failed =
        parse(&shared_dir().join("ews/fixtures/export-upload/ExportItemsResponseFail.xml"))
            .await
            .expect("parses");
    assert!(matches!(
        failed.messages[0],
        Err(EwsError::MailboxNotFound(_))
    ));
    let uploaded = parse(&shared_dir().join("ews/fixtures/export-upload/UploadItemsResponse.xml"))
        .await
        .expect("parses");
    assert!(matches!(&uploaded.messages[1], Ok(Message::ItemIds(ids)) if ids.len() == 1));
}

#[tokio::test]
async fn every_export_upload_fixture_parses_or_fails_clearly() {
    for path in fixtures("export-upload") {
        if name(&path).ends_with("Request.xml") {
            continue; // requests, not replies
        }
        match parse(&path).await {
            Ok(reply) => assert!(!reply.messages.is_empty(), "{}", name(&path)),
            Err(error) => panic!("{}: {error}", name(&path)),
        }
    }
}

#[tokio::test]
async fn throttling_replies_classify_with_their_back_off() {
    let dir = shared_dir().join("ews/fixtures/throttling");
    let fault = parse(&dir.join("fault-errorserverbusy-backoff.xml"))
        .await
        .expect_err("a fault");
    assert_eq!(
        fault,
        EwsError::Throttled {
            back_off: Some(Duration::from_millis(297_749)),
            scope: ThrottleScope::Mailbox
        }
    );
    assert_eq!(fault.retry_after(), Some(Duration::from_millis(297_749)));

    let message = parse(&dir.join("exo-syncfolderitems-errorserverbusy-message.xml"))
        .await
        .expect("parses");
    assert_eq!(
        message.messages[0].clone().expect_err("throttled"),
        EwsError::Throttled {
            back_off: Some(Duration::from_millis(5000)),
            scope: ThrottleScope::Mailbox
        }
    );

    let objects = parse(&dir.join("findfolder-errortoomanyobjectsopened.xml"))
        .await
        .expect("parses");
    assert!(matches!(
        objects.messages[0],
        Err(EwsError::Throttled {
            scope: ThrottleScope::Connection,
            ..
        })
    ));

    let schema = parse(&dir.join("fault-errorschemavalidation.xml"))
        .await
        .expect_err("a fault");
    assert!(
        matches!(schema, EwsError::Permanent { ref code, .. } if code == "ErrorSchemaValidation")
    );
    assert!(!schema.is_retryable());

    let connections =
        parse(&shared_dir().join("ews/fixtures/malformed/fault_no_header_response.xml"))
            .await
            .expect_err("a fault");
    assert!(matches!(
        connections,
        EwsError::Throttled {
            scope: ThrottleScope::Connection,
            ..
        }
    ));
}

#[tokio::test]
async fn malformed_replies_give_clear_errors_or_tolerant_parses() {
    for path in fixtures("malformed") {
        let outcome = parse(&path).await;
        match name(&path).as_str() {
            "empty_body_response.xml" => {
                assert!(
                    matches!(outcome, Err(EwsError::MalformedReply(ref problem)) if problem.contains("empty"))
                )
            }
            "dodgy_ews_response.xml"
            | "get_item_bad_character_response.xml"
            | "get_text_item_response.xml" => {
                let reply = outcome.unwrap_or_else(|error| panic!("{}: {error}", name(&path)));
                let Ok(Message::Items(items)) = &reply.messages[0] else {
                    panic!("{}: {:?}", name(&path), reply.messages)
                };
                assert!(
                    !items.is_empty(),
                    "characters invalid in XML do not lose the item"
                );
            }
            "find_folder_error_response.xml" => {
                let reply = outcome.expect("parses");
                assert!(
                    matches!(&reply.messages[0], Err(EwsError::Permanent { code, .. }) if code == "ErrorInvalidIdMalformed")
                );
            }
            other => {
                // Any other malformed reply: never a panic; an error must say what was wrong.
                if let Err(error) = outcome {
                    assert!(!error.to_string().is_empty(), "{other}");
                }
            }
        }
    }
}
