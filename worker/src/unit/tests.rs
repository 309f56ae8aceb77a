//! The unit's copying logic against the in-memory mail service and store, with the failures
//! real services have injected: a lost upload reply, a crash between upload and record,
//! throttling, items deleted during the migration, items the destination refuses.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use ferry_core::mail::memory::{message, Fault, MemoryMailApi, Operation};
use ferry_core::mail::{FolderId, MailApi, MailError, ThrottleScope};
use ferry_core::model::{
    ApiSettings, CredentialConfig, EndpointConfig, MailboxId, ProjectId, ProjectOptions,
    ProjectRecord,
};
use ferry_core::pacing::{Lane, Pacer, RetryPolicy};
use ferry_core::store::memory::MemoryStore;
use ferry_core::store::Store;
use ferry_proto::v1::{UnitResult, WorkUnit};

use super::{UnitJob, UnitStop};
use crate::byte_budget::ByteBudget;
use crate::import_pacing::ImportPacing;

const SOURCE: &str = "ada@contoso.com";
const DESTINATION: &str = "ada@fabrikam.com";

fn endpoint(tenant: &str) -> EndpointConfig {
    EndpointConfig {
        cloud: Default::default(),
        tenant: tenant.into(),
        token_url: format!("https://login.example/{tenant}/token"),
        api: ApiSettings::Ews {
            ews_url: format!("https://{tenant}/EWS/Exchange.asmx"),
            resource: format!("https://{tenant}"),
        },
        credentials: CredentialConfig::ClientSecret {
            client_id: "app".into(),
            client_secret: "secret".into(),
        },
    }
}

/// A source Inbox with `items` messages, an empty destination, and the unit copying one to the
/// other.
struct Setup {
    source: Arc<MemoryMailApi>,
    destination: Arc<MemoryMailApi>,
    destination_inbox: FolderId,
    store: MemoryStore,
    project: ProjectRecord,
    unit: WorkUnit,
    pacer: Arc<Pacer>,
}

impl Setup {
    fn new(items: u32) -> Setup {
        let source = Arc::new(MemoryMailApi::new());
        source.add_mailbox(SOURCE);
        let source_inbox = source.folder_id(SOURCE, "Inbox").expect("Inbox");
        for n in 0..items {
            let received = Utc
                .timestamp_opt(1_700_000_000 + i64::from(n) * 60, 0)
                .single();
            let data = message(&format!("message {n}"), "IPM.Note", received, "hello");
            source
                .add_item(SOURCE, &source_inbox, data)
                .expect("seeded");
        }
        let destination = Arc::new(MemoryMailApi::new());
        destination.add_mailbox(DESTINATION);
        let destination_inbox = destination.folder_id(DESTINATION, "Inbox").expect("Inbox");
        let project = ProjectRecord {
            id: ProjectId("p1".into()),
            name: "test".into(),
            source: endpoint("contoso.com"),
            destination: endpoint("fabrikam.com"),
            options: ProjectOptions {
                batch_items: 4,
                ..ProjectOptions::default()
            },
            created_at: Utc::now(),
        };
        let unit = WorkUnit {
            unit_id: "u1".into(),
            project_id: "p1".into(),
            pass_id: "pass1".into(),
            mailbox_id: "m1".into(),
            source_address: SOURCE.into(),
            destination_address: DESTINATION.into(),
            source_folder_id: source_inbox.0.clone(),
            destination_folder_id: destination_inbox.0.clone(),
            folder_path: "Inbox".into(),
            folder_class: "IPF.Note".into(),
            planned_items: u64::from(items),
            ..WorkUnit::default()
        };
        Setup {
            source,
            destination,
            destination_inbox,
            store: MemoryStore::new(),
            project,
            unit,
            pacer: Pacer::new(),
        }
    }

    fn lane(&self, mailbox: &str) -> Lane {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            default_back_off: Duration::from_millis(5),
            ..RetryPolicy::default()
        };
        Lane::new(self.pacer.clone(), mailbox, mailbox, 10_000.0, policy)
    }

    /// One attempt at the unit, as a worker makes it.
    async fn attempt(&self) -> Result<UnitResult, UnitStop> {
        let mut source_lane = self.lane(SOURCE);
        let mut destination_lane = self.lane(DESTINATION);
        let source: Arc<dyn MailApi> = self.source.clone();
        let destination: Arc<dyn MailApi> = self.destination.clone();
        UnitJob {
            unit: &self.unit,
            project: &self.project,
            store: &self.store,
            source,
            destination,
            source_lane: &mut source_lane,
            destination_lane: &mut destination_lane,
            max_item_attempts: 3,
            max_item_bytes: 1 << 30,
            worker: "test-worker",
            budget: &ByteBudget::new(1 << 20),
            import: &ImportPacing::new(Arc::new(self.store.clone())),
            addresses: None,
        }
        .run()
        .await
    }

    fn copies(&self) -> usize {
        self.destination
            .folder_contents(DESTINATION, &self.destination_inbox)
            .len()
    }

    async fn migrated(&self) -> u64 {
        self.store
            .migrated_count(&self.project.id, &MailboxId("m1".into()))
            .await
            .expect("store")
    }

    /// The destination holds exactly one copy of each source item, each stamped.
    async fn assert_exact_copy(&self, items: usize) {
        let stamped = self
            .destination
            .stamped_items(DESTINATION, &self.destination_inbox)
            .await
            .expect("listing");
        assert_eq!(stamped.len(), items, "one copy per source item");
        let mut keys: Vec<_> = stamped.iter().map(|item| item.stamp).collect();
        assert!(keys.iter().all(Option::is_some), "every copy is stamped");
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), items, "no item is copied twice");
        assert_eq!(self.migrated().await, items as u64, "each copy is recorded");
    }
}

#[tokio::test]
async fn a_unit_copies_each_item_once_and_a_second_attempt_copies_nothing() {
    let setup = Setup::new(10);
    let result = setup.attempt().await.expect("the unit runs");
    assert_eq!(result.items_seen, 10);
    assert_eq!(result.items_copied, 10);
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    setup.assert_exact_copy(10).await;
    let uploads = setup.destination.calls(Operation::Upload);

    // A redelivered unit reports what the unit copied over all its attempts, without uploading.
    let again = setup.attempt().await.expect("the unit runs again");
    assert_eq!(
        again.items_copied, 10,
        "a unit's result covers all its attempts"
    );
    assert_eq!(
        setup.destination.calls(Operation::Upload),
        uploads,
        "migrated items are not uploaded again"
    );
    setup.assert_exact_copy(10).await;
}

#[tokio::test]
async fn a_lost_upload_reply_is_settled_by_the_stamps_at_the_destination() {
    let setup = Setup::new(6);
    setup
        .destination
        .inject(Operation::Upload, Fault::LoseReply, 1);
    let result = setup.attempt().await.expect("the unit runs");
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    assert!(
        setup.destination.calls(Operation::StampedItems) >= 1,
        "the destination was looked at before anything was retried"
    );
    setup.assert_exact_copy(6).await;
}

#[tokio::test]
async fn an_item_whose_upload_outcome_is_unknown_is_looked_for_not_copied_again() {
    let setup = Setup::new(6);
    setup
        .destination
        .inject(Operation::Upload, Fault::LoseFirstItemReply, 1);
    let result = setup.attempt().await.expect("the unit runs");
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    assert!(
        setup.destination.calls(Operation::StampedItems) >= 1,
        "the destination was looked at before the item was retried"
    );
    setup.assert_exact_copy(6).await;
}

#[tokio::test]
async fn a_crash_between_upload_and_record_leaves_no_duplicate() {
    let setup = Setup::new(5);
    setup
        .destination
        .inject(Operation::Upload, Fault::HangAfterEffect, 1);
    // The worker dies while the first batch is uploaded but not yet recorded.
    let crashed = tokio::time::timeout(Duration::from_millis(200), setup.attempt()).await;
    assert!(crashed.is_err(), "the attempt was cut short");
    assert!(setup.copies() > 0, "the batch reached the destination");
    assert!(setup.migrated().await < 5, "not everything was recorded");

    let result = setup.attempt().await.expect("the redelivered unit runs");
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    setup.assert_exact_copy(5).await;
}

#[tokio::test]
async fn throttling_is_waited_out_and_counted() {
    let setup = Setup::new(4);
    let throttled = MailError::Throttled {
        back_off: Some(Duration::from_millis(5)),
        scope: ThrottleScope::Mailbox,
    };
    setup
        .source
        .inject(Operation::Export, Fault::Fail(throttled.clone()), 2);
    setup
        .destination
        .inject(Operation::Upload, Fault::Fail(throttled), 1);
    let result = setup.attempt().await.expect("the unit runs");
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    assert!(
        result.throttle_events >= 3,
        "{} events",
        result.throttle_events
    );
    setup.assert_exact_copy(4).await;
}

#[tokio::test]
async fn an_item_deleted_during_the_migration_is_logged_and_the_rest_copied() {
    let setup = Setup::new(4);
    setup
        .source
        .inject(Operation::Items, Fault::VanishFirstListed, 1);
    let result = setup.attempt().await.expect("the unit runs");
    assert_eq!(result.items_copied, 3);
    assert_eq!(result.errors.len(), 1);
    assert_eq!(result.errors[0].code, "item_not_found");
    assert!(
        result.errors[0].message.contains("deleted at the source"),
        "{}",
        result.errors[0].message
    );
    assert_eq!(setup.copies(), 3);
}

#[tokio::test]
async fn items_the_destination_refuses_are_logged_with_the_reason() {
    let setup = Setup::new(3);
    let inbox = setup.source.folder_id(SOURCE, "Inbox").expect("Inbox");
    let large = message("too big", "IPM.Note", None, &"x".repeat(20_000));
    setup
        .source
        .add_item(SOURCE, &inbox, large)
        .expect("seeded");
    setup.destination.set_max_item_bytes(10_000);
    let result = setup.attempt().await.expect("the unit runs");
    assert_eq!(result.items_copied, 3);
    assert_eq!(result.errors.len(), 1, "{:?}", result.errors);
    assert_eq!(result.errors[0].code, "item_too_large");
    assert_eq!(result.errors[0].subject, "too big");
    assert_eq!(setup.copies(), 3);
}

#[tokio::test]
async fn a_folder_that_cannot_be_listed_fails_the_unit_with_why() {
    let setup = Setup::new(2);
    setup.source.inject(
        Operation::Items,
        Fault::Fail(MailError::FolderNotFound("gone".into())),
        1,
    );
    let result = setup.attempt().await.expect("a result, not a retry");
    assert!(result.failed);
    assert!(
        result.failure.starts_with("folder_not_found"),
        "{}",
        result.failure
    );
    assert_eq!(setup.copies(), 0);
}

#[tokio::test]
async fn a_source_outage_hands_the_unit_back_for_later() {
    let setup = Setup::new(2);
    setup.source.inject(
        Operation::Items,
        Fault::Fail(MailError::transient("service unavailable")),
        10,
    );
    match setup.attempt().await {
        Err(UnitStop::Retryable(error)) => assert!(error.is_retryable()),
        other => panic!(
            "expected a retryable stop, got {:?}",
            other.map(|r| r.items_copied)
        ),
    }
    assert_eq!(setup.copies(), 0);
}
