//! The behaviour every [`Broker`] and [`Store`] must have, as test suites that run against any
//! implementation: the in-memory ones in this crate's tests, RabbitMQ and Redis in
//! `ferry-tests`. A difference between the embedded and the real adapters is a bug, so both
//! answer to the same checks.
//!
//! Each check panics with a message naming the broken expectation.

use std::time::Duration;

use chrono::{TimeZone, Utc};

use crate::broker::{Broker, Delivery, Subscription};
use crate::model::{
    counter, new_id, ApiSettings, Counters, CredentialConfig, EndpointConfig, ItemErrorRecord,
    ItemKey, MailboxId, MailboxRecord, MailboxState, PassId, PassKind, PassRecord, ProjectId,
    ProjectOptions, ProjectRecord, UnitId,
};
use crate::store::{CounterKey, MigratedCommit, MigratedItem, Store, UnitOutcome, WindowSpend};

/// How long a check waits for a delivery it expects.
const EXPECT_WITHIN: Duration = Duration::from_secs(10);
/// How long a check waits to be sure a delivery does not come.
const ABSENT_FOR: Duration = Duration::from_millis(300);

async fn expect_delivery(subscription: &mut Box<dyn Subscription>, what: &str) -> Delivery {
    match tokio::time::timeout(EXPECT_WITHIN, subscription.next()).await {
        Ok(Ok(Some(delivery))) => delivery,
        Ok(Ok(None)) => panic!("{what}: the subscription ended"),
        Ok(Err(error)) => panic!("{what}: {error}"),
        Err(_) => panic!("{what}: nothing delivered within {EXPECT_WITHIN:?}"),
    }
}

async fn expect_nothing(subscription: &mut Box<dyn Subscription>, what: &str) {
    if let Ok(result) = tokio::time::timeout(ABSENT_FOR, subscription.next()).await {
        let payload = result.ok().flatten().map(|delivery| delivery.payload);
        panic!("{what}: unexpected delivery {payload:?}");
    }
}

/// Runs every broker check, on queues whose names start with `namespace` (fresh per run, so a
/// shared RabbitMQ is not disturbed).
pub async fn broker_suite(broker: &dyn Broker, namespace: &str) {
    delivers_in_order(broker, &format!("{namespace}.order")).await;
    prefetch_bounds_unacknowledged(broker, &format!("{namespace}.prefetch")).await;
    unacknowledged_are_redelivered(broker, &format!("{namespace}.redeliver")).await;
    nack_requeues_or_drops(broker, &format!("{namespace}.nack")).await;
    depth_counts_ready_messages(broker, &format!("{namespace}.depth")).await;
    delayed_messages_arrive_at_the_tail(broker, &format!("{namespace}.later")).await;
}

async fn delayed_messages_arrive_at_the_tail(broker: &dyn Broker, queue: &str) {
    broker.declare(queue).await.expect("declare");
    broker
        .publish_later(queue, b"set aside", Duration::from_millis(400))
        .await
        .expect("publish later");
    broker.publish(queue, b"now").await.expect("publish");
    let mut subscription = broker.subscribe(queue, 10).await.expect("subscribe");
    let first = expect_delivery(&mut subscription, "the message published now").await;
    assert_eq!(&first.payload[..], b"now", "the delayed message waits");
    first.ack().await.expect("ack");
    let later = expect_delivery(&mut subscription, "the delayed message").await;
    assert_eq!(&later.payload[..], b"set aside");
    assert!(!later.redelivered, "it is a new message, not a redelivery");
    later.ack().await.expect("ack");
}

async fn delivers_in_order(broker: &dyn Broker, queue: &str) {
    broker.declare(queue).await.expect("declare");
    broker
        .declare(queue)
        .await
        .expect("declaring twice is harmless");
    for n in 0..5u8 {
        broker.publish(queue, &[n]).await.expect("publish");
    }
    let mut subscription = broker.subscribe(queue, 10).await.expect("subscribe");
    for n in 0..5u8 {
        let delivery = expect_delivery(&mut subscription, "in-order delivery").await;
        assert_eq!(
            &delivery.payload[..],
            &[n],
            "messages arrive in the order published"
        );
        assert!(
            !delivery.redelivered,
            "a first delivery is not flagged redelivered"
        );
        delivery.ack().await.expect("ack");
    }
    expect_nothing(&mut subscription, "after every message was acknowledged").await;
}

async fn prefetch_bounds_unacknowledged(broker: &dyn Broker, queue: &str) {
    broker.declare(queue).await.expect("declare");
    for n in 0..4u8 {
        broker.publish(queue, &[n]).await.expect("publish");
    }
    let mut subscription = broker.subscribe(queue, 2).await.expect("subscribe");
    let first = expect_delivery(&mut subscription, "first of prefetch 2").await;
    let second = expect_delivery(&mut subscription, "second of prefetch 2").await;
    expect_nothing(
        &mut subscription,
        "a third delivery while two are unacknowledged",
    )
    .await;
    first.ack().await.expect("ack");
    let third = expect_delivery(&mut subscription, "a delivery once one was acknowledged").await;
    assert_eq!(&third.payload[..], &[2]);
    second.ack().await.expect("ack");
    third.ack().await.expect("ack");
    expect_delivery(&mut subscription, "the last message")
        .await
        .ack()
        .await
        .expect("ack");
}

async fn unacknowledged_are_redelivered(broker: &dyn Broker, queue: &str) {
    broker.declare(queue).await.expect("declare");
    broker.publish(queue, b"kept").await.expect("publish");
    broker.publish(queue, b"acked").await.expect("publish");
    {
        let mut subscription = broker.subscribe(queue, 5).await.expect("subscribe");
        let kept = expect_delivery(&mut subscription, "first delivery").await;
        assert_eq!(&kept.payload[..], b"kept");
        let acked = expect_delivery(&mut subscription, "second delivery").await;
        acked.ack().await.expect("ack");
        // The consumer goes away without acknowledging `kept`, as a crashed worker would.
        drop(kept);
    }
    let mut subscription = broker.subscribe(queue, 5).await.expect("subscribe again");
    let again = expect_delivery(&mut subscription, "redelivery after the consumer went away").await;
    assert_eq!(
        &again.payload[..],
        b"kept",
        "the unacknowledged message comes back"
    );
    assert!(again.redelivered, "a redelivery is flagged");
    again.ack().await.expect("ack");
    expect_nothing(
        &mut subscription,
        "an acknowledged message must not come back",
    )
    .await;
}

async fn nack_requeues_or_drops(broker: &dyn Broker, queue: &str) {
    broker.declare(queue).await.expect("declare");
    broker.publish(queue, b"retry").await.expect("publish");
    broker.publish(queue, b"drop").await.expect("publish");
    let mut subscription = broker.subscribe(queue, 1).await.expect("subscribe");
    let retry = expect_delivery(&mut subscription, "first").await;
    retry.nack(true).await.expect("nack with requeue");
    let again = expect_delivery(&mut subscription, "the requeued message").await;
    assert_eq!(
        &again.payload[..],
        b"retry",
        "a requeued message is delivered again"
    );
    assert!(again.redelivered);
    again.ack().await.expect("ack");
    let dropped = expect_delivery(&mut subscription, "second").await;
    assert_eq!(&dropped.payload[..], b"drop");
    dropped.nack(false).await.expect("nack without requeue");
    expect_nothing(&mut subscription, "a message rejected without requeue").await;
}

async fn depth_counts_ready_messages(broker: &dyn Broker, queue: &str) {
    broker.declare(queue).await.expect("declare");
    assert_eq!(
        broker.depth(queue).await.expect("depth"),
        0,
        "a new queue is empty"
    );
    for _ in 0..3 {
        broker.publish(queue, b"x").await.expect("publish");
    }
    assert_eq!(
        broker.depth(queue).await.expect("depth"),
        3,
        "published messages wait"
    );
    let mut subscription = broker.subscribe(queue, 1).await.expect("subscribe");
    let held = expect_delivery(&mut subscription, "one").await;
    let mut depth = 0;
    for _ in 0..50 {
        depth = broker.depth(queue).await.expect("depth");
        if depth == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(depth, 2, "a delivered message no longer counts as waiting");
    held.ack().await.expect("ack");
    drop(subscription);
}

fn endpoint(tenant: &str) -> EndpointConfig {
    EndpointConfig {
        cloud: Default::default(),
        tenant: tenant.into(),
        token_url: format!("https://login.example/{tenant}/token"),
        api: ApiSettings::Ews {
            ews_url: "https://ews.example/EWS/Exchange.asmx".into(),
            resource: "https://ews.example".into(),
        },
        credentials: CredentialConfig::ClientSecret {
            client_id: "app".into(),
            client_secret: "secret".into(),
        },
    }
}

fn project(name: &str, created_second: i64) -> ProjectRecord {
    ProjectRecord {
        id: ProjectId(new_id()),
        name: name.into(),
        source: endpoint("contoso.com"),
        destination: endpoint("fabrikam.com"),
        options: ProjectOptions::default(),
        created_at: Utc
            .timestamp_opt(1_700_000_000 + created_second, 0)
            .single()
            .expect("time"),
    }
}

fn mailbox(project: &ProjectId, address: &str) -> MailboxRecord {
    MailboxRecord {
        project_id: project.clone(),
        id: MailboxId(new_id()),
        source_address: address.into(),
        destination_address: address.replace("contoso", "fabrikam"),
        state: MailboxState::NotStarted,
        pass_id: None,
        units_total: None,
        started_at: None,
        ended_at: None,
        failure: None,
    }
}

fn item_error(pass: &PassId, id: &str) -> ItemErrorRecord {
    ItemErrorRecord {
        source_item_id: id.into(),
        folder_path: "Inbox".into(),
        code: "item_too_large".into(),
        message: "too large".into(),
        subject: "Big".into(),
        item_class: "IPM.Note".into(),
        size: 1,
        pass_id: pass.clone(),
        at: Utc.timestamp_opt(1_700_000_000, 0).single().expect("time"),
    }
}

/// Runs every store check. Records use fresh random ids, so a shared store is not disturbed
/// (apart from the project list, which gains a few test projects).
pub async fn store_suite(store: &dyn Store) {
    keeps_projects_mailboxes_and_passes(store).await;
    counts_migrated_items_once(store).await;
    matches_only_whole_item_keys(store).await;
    applies_unit_results_once(store).await;
    keeps_plans_and_published_units(store).await;
    pages_the_error_log(store).await;
    leases_exclude_other_holders(store).await;
    slots_admit_at_most_their_limit(store).await;
    windows_are_shared_and_free_up(store).await;
    rates_hand_out_spaced_turns(store).await;
    summarises_projects_as_records_change(store).await;
    logs_thousands_of_errors_from_one_result(store).await;
}

/// The project summary and the active set follow every write, however it is made.
async fn summarises_projects_as_records_change(store: &dyn Store) {
    let project = project("summary", 0);
    store.put_project(&project).await.expect("put project");
    let pass = PassRecord {
        id: PassId(new_id()),
        project_id: project.id.clone(),
        kind: PassKind::Full,
        mailbox_ids: Vec::new(),
        received_before: None,
        started_at: Utc.timestamp_opt(1_700_000_000, 0).single().expect("time"),
    };
    store.put_pass(&pass).await.expect("put pass");
    assert_eq!(
        store.pass_ids(&project.id).await.expect("pass ids"),
        vec![pass.id.clone()]
    );
    assert_eq!(
        store.pass(&project.id, &pass.id).await.expect("pass"),
        Some(pass.clone())
    );
    assert_eq!(
        store
            .pass(&project.id, &PassId(new_id()))
            .await
            .expect("pass"),
        None
    );

    let mut ann = mailbox(&project.id, "ann@contoso.com");
    let mut bob = mailbox(&project.id, "bob@contoso.com");
    let idle = mailbox(&project.id, "cy@contoso.com");
    for record in [&ann, &bob, &idle] {
        store.put_mailbox(record).await.expect("put mailbox");
    }
    for record in [&mut ann, &mut bob] {
        record.state = MailboxState::Queued;
        record.pass_id = Some(pass.id.clone());
        store.put_mailbox(record).await.expect("put mailbox");
    }
    let mut ids: Vec<MailboxId> = store
        .active_mailboxes(&project.id)
        .await
        .expect("active")
        .into_iter()
        .map(|record| record.id)
        .collect();
    ids.sort();
    let mut expected = vec![ann.id.clone(), bob.id.clone()];
    expected.sort();
    assert_eq!(ids, expected, "queued mailboxes are active, idle ones not");

    let key = |mailbox: &MailboxRecord| CounterKey {
        project: project.id.clone(),
        mailbox: mailbox.id.clone(),
        pass: pass.id.clone(),
    };
    let mut planned = Counters::default();
    planned.add("items_planned", 10);
    store.set_counters(&key(&ann), &planned).await.expect("set");
    store.set_counters(&key(&bob), &planned).await.expect("set");
    let mut replanned = Counters::default();
    replanned.add("items_planned", 7);
    store
        .set_counters(&key(&bob), &replanned)
        .await
        .expect("set again");
    let mut deltas = Counters::default();
    deltas.add("units_done", 1);
    store.add_counters(&key(&ann), &deltas).await.expect("add");
    let unit = UnitId(new_id());
    let outcome = UnitOutcome {
        counters: &key(&bob),
        unit: &unit,
        mailbox_deltas: &deltas,
        folder: "Inbox",
        folder_deltas: &Counters::default(),
        errors: &[],
    };
    store.apply_unit_result(&outcome).await.expect("apply");
    store
        .apply_unit_result(&outcome)
        .await
        .expect("apply again");
    let items = [MigratedItem {
        key: ItemKey::of("ann@contoso.com", "item-1"),
        item_class: "IPM.Note",
        bytes: 100,
        addresses_rewritten: 0,
    }];
    for _ in 0..2 {
        store
            .commit_migrated(&MigratedCommit {
                counters: &key(&ann),
                unit: &unit,
                items: &items,
            })
            .await
            .expect("commit");
    }

    ann.state = MailboxState::Completed;
    ann.ended_at = Utc.timestamp_opt(1_700_000_100, 5).single();
    store.put_mailbox(&ann).await.expect("put mailbox");
    store.put_mailbox(&ann).await.expect("put the same again");
    bob.state = MailboxState::Running;
    store.put_mailbox(&bob).await.expect("put mailbox");

    let summary = store
        .project_summary(&project.id, Some(&pass.id))
        .await
        .expect("summary");
    assert_eq!(summary.mailboxes, 3);
    let by_state: Vec<(&str, u64)> = summary
        .by_state
        .iter()
        .map(|(state, count)| (state.as_str(), *count))
        .collect();
    assert_eq!(
        by_state,
        vec![("completed", 1), ("not_started", 1), ("running", 1)],
        "states with no mailbox are left out"
    );
    let totals = &summary.pass_counters;
    assert_eq!(
        totals.get("items_planned"),
        17,
        "set values replace, not add"
    );
    assert_eq!(totals.get("units_done"), 2, "a repeated result counts once");
    assert_eq!(
        totals.get(counter::ITEMS_COPIED),
        1,
        "a repeated commit counts once"
    );
    assert_eq!(totals.get(counter::BYTES_COPIED), 100);
    assert_eq!(summary.pass_open, 1, "bob is still running");
    assert_eq!(summary.pass_ended_at, ann.ended_at);
    let ids: Vec<MailboxId> = store
        .active_mailboxes(&project.id)
        .await
        .expect("active")
        .into_iter()
        .map(|record| record.id)
        .collect();
    assert_eq!(
        ids,
        vec![bob.id.clone()],
        "a completed mailbox leaves the active set"
    );

    let many = store
        .counters_many(&[key(&bob), counter_key(), key(&ann)])
        .await
        .expect("counters of many");
    assert_eq!(
        many.iter()
            .map(|counters| counters.get("items_planned"))
            .collect::<Vec<_>>(),
        vec![7, 0, 10],
        "in the order asked, empty for a mailbox with none"
    );
    let other = store
        .project_summary(&project.id, Some(&PassId(new_id())))
        .await
        .expect("summary");
    assert_eq!((other.pass_open, other.pass_ended_at), (0, None));
    assert!(other.pass_counters.values.is_empty());
    let without = store
        .project_summary(&project.id, None)
        .await
        .expect("summary");
    assert_eq!(without.mailboxes, 3);
}

/// One result with more errors than a Lua call can unpack at once is logged whole.
async fn logs_thousands_of_errors_from_one_result(store: &dyn Store) {
    let key = counter_key();
    let unit = UnitId(new_id());
    let errors: Vec<ItemErrorRecord> = (0..9_000)
        .map(|n| item_error(&key.pass, &format!("item-{n}")))
        .collect();
    let applied = store
        .apply_unit_result(&UnitOutcome {
            counters: &key,
            unit: &unit,
            mailbox_deltas: &Counters::default(),
            folder: "Inbox",
            folder_deltas: &Counters::default(),
            errors: &errors,
        })
        .await
        .expect("apply");
    assert!(applied);
    let (_, total) = store
        .errors(&key.project, &key.mailbox, 0, 1)
        .await
        .expect("errors");
    assert_eq!(total, 9_000);
}

async fn rates_hand_out_spaced_turns(store: &dyn Store) {
    let rate = format!("conformance-{}", new_id());
    let mut waits = Vec::new();
    for _ in 0..6 {
        waits.push(store.rate_turn(&rate, 20.0, 2, 1).await.expect("turn"));
    }
    let ms = Duration::from_millis;
    assert!(
        waits[0] < ms(5) && waits[1] < ms(5),
        "a burst of two at once: {waits:?}"
    );
    // The other turns are 50 ms apart (less the few microseconds the calls took).
    for (turn, wait) in waits.iter().enumerate().skip(2) {
        let due = ms(50 * (turn as u64 - 1));
        assert!(
            *wait <= due && *wait + ms(20) > due,
            "turn {turn} waits {wait:?}, due {due:?}: {waits:?}"
        );
    }
    let other = store
        .rate_turn(&format!("{rate}-other"), 20.0, 2, 1)
        .await
        .expect("turn");
    assert!(other < ms(5), "another rate is idle: {other:?}");
    // Once the rate has been idle for a while, a burst goes at once again.
    tokio::time::sleep(ms(350)).await;
    let again = store.rate_turn(&rate, 20.0, 2, 1).await.expect("turn");
    assert!(again < ms(5), "idle again: {again:?}");
}

async fn windows_are_shared_and_free_up(store: &dyn Store) {
    let window = format!("conformance-{}", new_id());
    let span = Duration::from_millis(600);
    let spent = |spend: WindowSpend| match spend {
        WindowSpend::Spent(entry) => entry,
        WindowSpend::Full { wait, room } => panic!("refused: {wait:?}, {room} fits"),
    };
    let first = spent(
        store
            .window_spend(&window, span, 100, 70)
            .await
            .expect("spend"),
    );
    match store
        .window_spend(&window, span, 100, 40)
        .await
        .expect("spend")
    {
        WindowSpend::Full { wait, room } => {
            assert_eq!(room, 30, "what is left in the window");
            assert!(wait > Duration::ZERO && wait <= span, "{wait:?}");
        }
        WindowSpend::Spent(_) => panic!("70 + 40 is over 100"),
    }
    store
        .window_adjust(&window, span, &first, 50)
        .await
        .expect("adjust");
    let second = spent(
        store
            .window_spend(&window, span, 100, 40)
            .await
            .expect("spend"),
    );
    assert_eq!(second.amount, 40, "the corrected entry left room");
    store
        .window_adjust(&window, span, &second, 0)
        .await
        .expect("adjust");
    spent(
        store
            .window_spend(&window, span, 100, 50)
            .await
            .expect("spend"),
    );
    tokio::time::sleep(span + Duration::from_millis(50)).await;
    spent(
        store
            .window_spend(&window, span, 100, 1_000)
            .await
            .expect("spend"),
    );
    assert!(
        matches!(
            store
                .window_spend(&window, span, 100, 1)
                .await
                .expect("spend"),
            WindowSpend::Full { room: 0, .. }
        ),
        "an oversized amount went into the empty window and fills it"
    );
}

async fn keeps_projects_mailboxes_and_passes(store: &dyn Store) {
    let older = project("older", 0);
    let newer = project("newer", 10);
    store.put_project(&newer).await.expect("put project");
    store.put_project(&older).await.expect("put project");
    assert_eq!(
        store.project(&older.id).await.expect("project"),
        Some(older.clone())
    );
    assert_eq!(
        store.project(&ProjectId(new_id())).await.expect("project"),
        None
    );
    let listed: Vec<ProjectId> = store
        .projects()
        .await
        .expect("projects")
        .into_iter()
        .filter(|project| project.id == older.id || project.id == newer.id)
        .map(|project| project.id)
        .collect();
    assert_eq!(
        listed,
        vec![older.id.clone(), newer.id.clone()],
        "projects list oldest first"
    );

    let first = mailbox(&older.id, "ann@contoso.com");
    let second = mailbox(&older.id, "bob@contoso.com");
    store.put_mailbox(&first).await.expect("put mailbox");
    store.put_mailbox(&second).await.expect("put mailbox");
    let mut changed = first.clone();
    changed.state = MailboxState::Running;
    store.put_mailbox(&changed).await.expect("replace mailbox");
    let mailboxes = store.mailboxes(&older.id).await.expect("mailboxes");
    assert_eq!(
        mailboxes,
        vec![changed.clone(), second.clone()],
        "mailboxes keep the order added"
    );
    assert_eq!(
        store.mailbox(&older.id, &first.id).await.expect("mailbox"),
        Some(changed)
    );
    assert!(store
        .mailboxes(&newer.id)
        .await
        .expect("mailboxes")
        .is_empty());

    let pass = |second: i64| PassRecord {
        id: PassId(new_id()),
        project_id: older.id.clone(),
        kind: PassKind::Full,
        mailbox_ids: vec![first.id.clone()],
        received_before: None,
        started_at: Utc
            .timestamp_opt(1_700_000_000 + second, 0)
            .single()
            .expect("time"),
    };
    let (early, late) = (pass(1), pass(2));
    store.put_pass(&late).await.expect("put pass");
    store.put_pass(&early).await.expect("put pass");
    assert_eq!(
        store.passes(&older.id).await.expect("passes"),
        vec![early, late],
        "passes oldest first"
    );
}

fn counter_key() -> CounterKey {
    CounterKey {
        project: ProjectId(new_id()),
        mailbox: MailboxId(new_id()),
        pass: PassId(new_id()),
    }
}

async fn counts_migrated_items_once(store: &dyn Store) {
    let key = counter_key();
    let unit = UnitId(new_id());
    let (a, b, c) = (
        ItemKey::of("ann", "a"),
        ItemKey::of("ann", "b"),
        ItemKey::of("ann", "c"),
    );
    store
        .add_pending(&unit, &[a, b, c])
        .await
        .expect("add pending");
    assert_eq!(store.pending(&unit).await.expect("pending").len(), 3);

    let first = [
        MigratedItem {
            key: a,
            item_class: "IPM.Note",
            bytes: 100,
            addresses_rewritten: 0,
        },
        MigratedItem {
            key: b,
            item_class: "IPM.Contact",
            bytes: 50,
            addresses_rewritten: 0,
        },
    ];
    let added = store
        .commit_migrated(&MigratedCommit {
            counters: &key,
            unit: &unit,
            items: &first,
        })
        .await
        .expect("commit");
    assert_eq!(added, 2);
    let again = [
        MigratedItem {
            key: b,
            item_class: "IPM.Contact",
            bytes: 50,
            addresses_rewritten: 0,
        },
        MigratedItem {
            key: c,
            item_class: "IPM.Note",
            bytes: 7,
            addresses_rewritten: 4,
        },
    ];
    let added = store
        .commit_migrated(&MigratedCommit {
            counters: &key,
            unit: &unit,
            items: &again,
        })
        .await
        .expect("commit");
    assert_eq!(added, 1, "an item already migrated is not counted again");

    let counters = store.counters(&key).await.expect("counters");
    assert_eq!(counters.get("items_copied"), 3);
    assert_eq!(counters.get("bytes_copied"), 157);
    assert_eq!(counters.get("class_items.IPM.Note"), 2);
    assert_eq!(counters.get("class_bytes.IPM.Contact"), 50);
    assert_eq!(counters.get("addresses_rewritten"), 4);
    let copied = store
        .unit_copied(&key.pass, &unit)
        .await
        .expect("unit copied");
    assert_eq!(
        (copied.items, copied.bytes),
        (3, 157),
        "a unit's copies add up over commits"
    );
    assert!(
        store.pending(&unit).await.expect("pending").is_empty(),
        "committed items are no longer pending"
    );
    let flags = store
        .migrated(&key.project, &key.mailbox, &[a, ItemKey::of("ann", "z"), c])
        .await
        .expect("migrated");
    assert_eq!(flags, vec![true, false, true]);
    assert_eq!(
        store
            .migrated_count(&key.project, &key.mailbox)
            .await
            .expect("count"),
        3
    );
    let other_mailbox = store
        .migrated(&key.project, &MailboxId(new_id()), &[a])
        .await
        .expect("migrated");
    assert_eq!(other_mailbox, vec![false], "migrated sets are per mailbox");

    let other_unit = UnitId(new_id());
    store
        .add_pending(&other_unit, &[a, b])
        .await
        .expect("add pending");
    store
        .clear_pending(&other_unit, &[a])
        .await
        .expect("clear pending");
    assert_eq!(store.pending(&other_unit).await.expect("pending"), vec![b]);
    assert_eq!(store.unit_attempt(&other_unit).await.expect("attempt"), 1);
    assert_eq!(store.unit_attempt(&other_unit).await.expect("attempt"), 2);

    let mut deltas = Counters::default();
    deltas.add("items_planned", 5);
    store
        .add_counters(&key, &deltas)
        .await
        .expect("add counters");
    store
        .add_counters(&key, &deltas)
        .await
        .expect("add counters");
    assert_eq!(
        store
            .counters(&key)
            .await
            .expect("counters")
            .get("items_planned"),
        10
    );
}

/// Keys that share bytes: a key made of the end of one recorded key and the start of the next
/// is not recorded (a store that packs keys together must not match across them).
async fn matches_only_whole_item_keys(store: &dyn Store) {
    let key = counter_key();
    let unit = UnitId(new_id());
    let first = ItemKey([7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    let second = ItemKey([
        7, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,
    ]);
    let mut straddling = [7u8; 16];
    straddling[1..8].copy_from_slice(&first.0[9..16]);
    straddling[8..16].copy_from_slice(&second.0[1..9]);
    let straddling = ItemKey(straddling);
    let items = [
        MigratedItem {
            key: first,
            item_class: "IPM.Note",
            bytes: 1,
            addresses_rewritten: 0,
        },
        MigratedItem {
            key: second,
            item_class: "IPM.Note",
            bytes: 1,
            addresses_rewritten: 0,
        },
    ];
    let added = store
        .commit_migrated(&MigratedCommit {
            counters: &key,
            unit: &unit,
            items: &items,
        })
        .await
        .expect("commit");
    assert_eq!(added, 2);
    let flags = store
        .migrated(&key.project, &key.mailbox, &[straddling, first, second])
        .await
        .expect("migrated");
    assert_eq!(flags, vec![false, true, true], "only whole keys match");
    let added = store
        .commit_migrated(&MigratedCommit {
            counters: &key,
            unit: &unit,
            items: &[MigratedItem {
                key: straddling,
                item_class: "IPM.Note",
                bytes: 1,
                addresses_rewritten: 0,
            }],
        })
        .await
        .expect("commit");
    assert_eq!(added, 1, "a key straddling two recorded keys is new");
    assert_eq!(
        store
            .migrated_count(&key.project, &key.mailbox)
            .await
            .expect("count"),
        3
    );
}

async fn applies_unit_results_once(store: &dyn Store) {
    let key = counter_key();
    let unit = UnitId(new_id());
    let mut mailbox_deltas = Counters::default();
    mailbox_deltas.add("units_done", 1);
    mailbox_deltas.add("errors.item_too_large", 2);
    let mut folder_deltas = Counters::default();
    folder_deltas.add("items_copied", 4);
    let errors = [item_error(&key.pass, "x"), item_error(&key.pass, "y")];
    let outcome = UnitOutcome {
        counters: &key,
        unit: &unit,
        mailbox_deltas: &mailbox_deltas,
        folder: "Inbox/Projects",
        folder_deltas: &folder_deltas,
        errors: &errors,
    };
    assert!(
        store.apply_unit_result(&outcome).await.expect("apply"),
        "the first result applies"
    );
    assert!(
        !store.apply_unit_result(&outcome).await.expect("apply"),
        "a repeated result does not"
    );
    let counters = store.counters(&key).await.expect("counters");
    assert_eq!(counters.get("units_done"), 1);
    assert_eq!(counters.get("errors.item_too_large"), 2);
    let folders = store.folder_counters(&key).await.expect("folder counters");
    assert_eq!(
        folders
            .get("Inbox/Projects")
            .map(|folder| folder.get("items_copied")),
        Some(4)
    );
    let (logged, total) = store
        .errors(&key.project, &key.mailbox, 0, 10)
        .await
        .expect("errors");
    assert_eq!(total, 2, "errors of a repeated result are logged once");
    assert_eq!(logged, errors.to_vec());
}

async fn keeps_plans_and_published_units(store: &dyn Store) {
    let (pass, mailbox) = (PassId(new_id()), MailboxId(new_id()));
    assert_eq!(store.plan(&pass, &mailbox).await.expect("plan"), None);
    store
        .put_plan(&pass, &mailbox, &[1, 2, 0, 3])
        .await
        .expect("put plan");
    assert_eq!(
        store.plan(&pass, &mailbox).await.expect("plan"),
        Some(vec![1, 2, 0, 3])
    );
    let units = [UnitId("u1".into()), UnitId("u2".into())];
    store
        .record_published_units(&pass, &mailbox, &units)
        .await
        .expect("record");
    store
        .record_published_units(&pass, &mailbox, &units[..1])
        .await
        .expect("record");
    let published = store
        .published_units(&pass, &mailbox)
        .await
        .expect("published");
    assert_eq!(published.len(), 2);
    assert!(published.contains(&units[1]));
}

async fn pages_the_error_log(store: &dyn Store) {
    let (project, mailbox, pass) = (ProjectId(new_id()), MailboxId(new_id()), PassId(new_id()));
    let errors: Vec<ItemErrorRecord> = (0..5)
        .map(|n| item_error(&pass, &format!("item-{n}")))
        .collect();
    store
        .append_errors(&project, &mailbox, &errors[..3])
        .await
        .expect("append");
    store
        .append_errors(&project, &mailbox, &errors[3..])
        .await
        .expect("append");
    let (page, total) = store.errors(&project, &mailbox, 1, 2).await.expect("page");
    assert_eq!(total, 5);
    assert_eq!(page, errors[1..3].to_vec(), "pages are oldest first");
    let (past_end, _) = store.errors(&project, &mailbox, 9, 2).await.expect("page");
    assert!(past_end.is_empty());
}

async fn leases_exclude_other_holders(store: &dyn Store) {
    let name = format!("conformance-{}", new_id());
    let ttl = Duration::from_millis(400);
    assert!(
        store.try_lease(&name, "one", ttl).await.expect("lease"),
        "a free lease is taken"
    );
    assert!(
        !store.try_lease(&name, "two", ttl).await.expect("lease"),
        "a held lease is refused"
    );
    assert!(
        store.try_lease(&name, "one", ttl).await.expect("lease"),
        "the holder renews"
    );
    store.release_lease(&name, "two").await.expect("release");
    assert!(
        !store.try_lease(&name, "two", ttl).await.expect("lease"),
        "only the holder releases"
    );
    store.release_lease(&name, "one").await.expect("release");
    assert!(
        store.try_lease(&name, "two", ttl).await.expect("lease"),
        "a released lease is free"
    );
    tokio::time::sleep(ttl + Duration::from_millis(200)).await;
    assert!(
        store.try_lease(&name, "one", ttl).await.expect("lease"),
        "an expired lease is free"
    );
}

async fn slots_admit_at_most_their_limit(store: &dyn Store) {
    let slots = format!("conformance-{}", new_id());
    let ttl = Duration::from_millis(400);
    let take = |holder: &'static str| store.try_slot(&slots, holder, 2, ttl);
    assert!(take("one").await.expect("slot"), "a free place is taken");
    assert!(take("two").await.expect("slot"), "a second place is taken");
    assert!(
        !take("three").await.expect("slot"),
        "a third holder is refused"
    );
    assert!(take("one").await.expect("slot"), "a holder renews");
    assert!(
        store
            .try_slot(&format!("{slots}-other"), "three", 2, ttl)
            .await
            .expect("slot"),
        "other slots are free"
    );
    store.release_slot(&slots, "three").await.expect("release");
    assert!(
        !take("three").await.expect("slot"),
        "releasing a place one does not have frees nothing"
    );
    store.release_slot(&slots, "two").await.expect("release");
    assert!(
        take("three").await.expect("slot"),
        "a released place is free"
    );
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(take("one").await.expect("slot"), "renewed");
    tokio::time::sleep(Duration::from_millis(250)).await;
    // "three" was not renewed within its time to live, "one" was.
    assert!(take("two").await.expect("slot"), "an expired place is free");
    assert!(
        !take("four").await.expect("slot"),
        "a renewed place is still held"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::memory::MemoryBroker;
    use crate::store::memory::MemoryStore;

    #[tokio::test]
    async fn memory_broker_conforms() {
        broker_suite(&MemoryBroker::new(), "conformance").await;
    }

    #[tokio::test]
    async fn memory_store_conforms() {
        store_suite(&MemoryStore::new()).await;
    }
}
