//! The pipeline end to end over Microsoft Graph, on the real RabbitMQ and Redis: the same
//! guarantees as over EWS (every item exactly once, a second pass copies nothing, throttling and
//! broken replies lose and duplicate nothing), and what Graph cannot carry reported in the
//! project's status instead of failing the mailbox.

mod common;

use std::time::Duration;

use ferry_cli::demo::environment::{DemoProject, Environment};
use ferry_cli::progress::ProgressView;
use ferry_core::model::MailProtocol;
use ferry_proto::v1::Counters;

use common::extras::ExtrasCopied;

/// Every source rule is at the destination, and every user the source's calendars are shared
/// with either has their entry at the destination or is logged as not migrated.
async fn assert_extras_copied(
    environment: &Environment,
    project: &DemoProject,
    counters: &Counters,
) -> ExtrasCopied {
    let found = common::extras::extras_copied(environment, project).await;
    println!("extras: {found:?}; errors: {:?}", counters.errors_by_code);
    assert_eq!(found.rules_at_destination, found.source_rules, "{found:?}");
    let not_migrated = counters
        .errors_by_code
        .get("permission_user_not_migrated")
        .copied()
        .unwrap_or(0);
    assert_eq!(
        found.destination_calendar_users as u64 + not_migrated,
        found.source_calendar_users as u64,
        "{found:?}"
    );
    for code in [
        "rule_not_copied",
        "rule_not_supported",
        "permissions_not_copied",
        "rules_not_read",
        "permissions_not_read",
    ] {
        assert_eq!(counters.errors_by_code.get(code), None, "{code}");
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn graph_migrates_exactly_reports_what_it_cannot_carry_and_a_second_pass_copies_nothing() {
    let real = common::RealServices::connect().await;
    let mut options = common::options(common::sim_config(8, 40), 3, &real.namespace);
    options.api = MailProtocol::Graph;
    let environment = common::start(options, real.services()).await;
    let project = environment
        .create_project("over graph")
        .await
        .expect("project");

    let first = environment
        .run_full_pass(&project.id, &mut ProgressView::hidden())
        .await
        .expect("first pass");
    let counters = first.counters.clone().unwrap_or_default();
    let verification = environment.verify(&project).await.expect("verification");
    assert!(
        verification.is_exact(),
        "{}: {:?}",
        verification.summary(),
        verification
    );
    assert_eq!(counters.items_copied, verification.source_items);
    assert_eq!(counters.items_failed, 0);
    // Graph has no permissions API for folders other than the default calendar: each mailbox
    // says so once, and no mailbox fails for it. Rules and calendar sharing are copied.
    assert_eq!(
        counters.errors_by_code.get("permissions_unsupported"),
        Some(&8)
    );
    assert_eq!(counters.errors_by_code.get("rules_unsupported"), None);
    assert_eq!(first.mailboxes_by_state.get("failed"), None);
    let extras = assert_extras_copied(&environment, &project, &counters).await;
    assert!(
        extras.source_rules > 0 && extras.source_calendar_users > 0,
        "the seed has rules and calendar sharing to copy: {extras:?}"
    );

    let second = environment
        .run_full_pass(&project.id, &mut ProgressView::hidden())
        .await
        .expect("second pass");
    let counters = second.counters.clone().unwrap_or_default();
    assert_eq!(counters.items_copied, 0, "a second pass copies nothing");
    assert_eq!(counters.items_already_present, verification.source_items);
    assert_eq!(counters.folders_created, 0);
    assert!(environment
        .verify(&project)
        .await
        .expect("verify")
        .is_exact());

    environment.stop().await.expect("stop");
    real.clean_up(&project.id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn graph_throttling_and_broken_replies_lose_nothing_and_duplicate_nothing() {
    let real = common::RealServices::connect().await;
    let mut sim = common::sim_config(6, 60);
    // Requests last long enough to overlap, so the mailboxes' places (Graph's 4) run more at
    // once than this simulator's limit of 2 serves, and its request window is met too.
    sim.faults.latency = ferry_sim::faults::Latency::Fixed { ms: 10 };
    let graph = &mut sim.graph_throttling;
    graph.max_concurrent_requests = 2;
    graph.requests_per_window = 400;
    graph.request_window_secs = 2;
    graph.upload_bytes_per_window = 3 * 1024 * 1024;
    graph.upload_window_secs = 2;
    sim.faults.seed = 11;
    sim.faults.internal_error_rate = 0.025;
    sim.faults.connection_reset_rate = 0.025;
    let mut options = common::options(sim, 3, &real.namespace);
    options.api = MailProtocol::Graph;
    let environment = common::start(options, real.services()).await;
    // The tenant's rate high enough that the mailboxes' limits bind, and the import window
    // the simulator's (a project configured above the server's window waits out its own).
    let limits = ferry_proto::v1::ProjectOptions {
        requests_per_second: 1_000.0,
        import_bytes_per_window: 3 * 1024 * 1024,
        import_window_secs: 2,
        ..ferry_proto::v1::ProjectOptions::default()
    };
    let project = environment
        .create_project_with("graph, throttled and faulty", Some(limits))
        .await
        .expect("project");

    let status = tokio::time::timeout(
        Duration::from_secs(600),
        environment.run_full_pass(&project.id, &mut ProgressView::hidden()),
    )
    .await
    .expect("the pass finishes")
    .expect("pass");
    let counters = status.counters.clone().unwrap_or_default();
    let totals = common::sim_counter_totals(&environment).await;
    let total = |prefix: &str| common::total(&totals, prefix);
    println!("simulator counters: {totals:?}");
    assert!(
        counters.throttle_events > 0,
        "Graph throttled the migration"
    );
    let verification = environment.verify(&project).await.expect("verification");
    assert!(
        verification.is_exact(),
        "{}: {:?}",
        verification.summary(),
        verification
    );
    assert_eq!(
        counters.items_failed, 0,
        "transient faults are retried, not logged: {:?}",
        counters.errors_by_code
    );
    assert_eq!(counters.items_copied, verification.source_items);
    assert!(
        total("throttled.graph") > 0
            && total("fault.internal_error") > 0
            && total("fault.connection_reset") > 0
    );
    environment.stop().await.expect("stop");
    real.clean_up(&project.id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn items_exported_over_ews_import_over_graph_and_back() {
    let real = common::RealServices::connect().await;
    for (source_api, destination_api) in [
        (MailProtocol::Ews, MailProtocol::Graph),
        (MailProtocol::Graph, MailProtocol::Ews),
    ] {
        let mut options = common::options(common::sim_config(4, 30), 2, &real.namespace);
        options.api = source_api;
        options.destination_api = Some(destination_api);
        let environment = common::start(options, real.services()).await;
        let project = environment
            .create_project("across protocols")
            .await
            .expect("project");
        let status = environment
            .run_full_pass(&project.id, &mut ProgressView::hidden())
            .await
            .expect("pass");
        let counters = status.counters.clone().unwrap_or_default();
        let verification = environment.verify(&project).await.expect("verification");
        assert!(
            verification.is_exact(),
            "{source_api} to {destination_api}: {}",
            verification.summary()
        );
        assert_eq!(counters.items_copied, verification.source_items);
        assert_extras_copied(&environment, &project, &counters).await;
        environment.stop().await.expect("stop");
        real.clean_up(&project.id).await;
    }
}

/// Workers share each mailbox's concurrency: Graph serves four requests at once per
/// application and mailbox, and each of four workers alone would run two units of the mailbox
/// (eight in all). The units over the limit wait in the queue instead of drawing refusals
/// (measured without the shared places: 18 refusals in 1,403 requests; with them: none).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn workers_keep_each_mailbox_within_graphs_concurrency_limit() {
    let real = common::RealServices::connect().await;
    let mut sim = common::sim_config(1, 800);
    // Requests last long enough to overlap, and only the concurrency limit binds.
    sim.faults.latency = ferry_sim::faults::Latency::Fixed { ms: 15 };
    let graph = &mut sim.graph_throttling;
    graph.max_concurrent_requests = 4;
    graph.requests_per_window = 1_000_000;
    graph.upload_bytes_per_window = u64::MAX / 4;
    let mut options = common::options(sim, 4, &real.namespace);
    options.api = MailProtocol::Graph;
    let environment = common::start(options, real.services()).await;
    // The tenant's request rate high enough that only the mailboxes' concurrency binds.
    let rate = ferry_proto::v1::ProjectOptions {
        requests_per_second: 2_000.0,
        ..ferry_proto::v1::ProjectOptions::default()
    };
    let project = environment
        .create_project_with("graph, four workers", Some(rate))
        .await
        .expect("project");
    let status = environment
        .run_full_pass(&project.id, &mut ProgressView::hidden())
        .await
        .expect("pass");
    let verification = environment.verify(&project).await.expect("verification");
    assert!(
        verification.is_exact(),
        "{}: {status:?}",
        verification.summary()
    );
    assert_eq!(
        status.counters.unwrap_or_default().items_copied,
        verification.source_items
    );
    let totals = common::sim_counter_totals(&environment).await;
    let requests = common::total(&totals, "requests.graph.");
    let refused = common::total(&totals, "throttled.graph_concurrency");
    println!("{requests} requests, {refused} refused for concurrency: {totals:?}");
    assert!(requests > 1_000, "{requests} requests");
    // A reply's last byte can reach the client a moment before the simulator frees the
    // request's place, so a next request may rarely be refused; six units per mailbox without
    // shared places draw far more.
    assert!(
        refused * 200 <= requests,
        "{refused} of {requests} requests refused for concurrency"
    );
    environment.stop().await.expect("stop");
    real.clean_up(&project.id).await;
}
