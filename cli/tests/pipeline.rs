//! The pipeline end to end on the real RabbitMQ and Redis: the simulator's seeded tenant is
//! migrated by the coordinator and workers, and the simulator's digests prove the destination
//! holds every source item exactly once.

mod common;

use std::time::Duration;

use ferry_cli::progress::ProgressView;
use ferry_sim::throttle::ThrottleForm;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_mailboxes_migrate_exactly_and_a_second_pass_copies_nothing() {
    let real = common::RealServices::connect().await;
    let environment = common::start(
        common::options(common::sim_config(20, 40), 3, &real.namespace),
        real.services(),
    )
    .await;
    let project = environment
        .create_project("twenty mailboxes")
        .await
        .expect("project");
    assert_eq!(
        project.mailboxes.len(),
        20,
        "every source mailbox has a destination"
    );

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
    assert_eq!(verification.logged_failures, 0);
    assert_eq!(
        counters.items_copied, verification.source_items,
        "every item was copied once"
    );
    assert_eq!(counters.items_failed, 0);
    assert_eq!(first.mailboxes_by_state.get("completed"), Some(&20));

    let second = environment
        .run_full_pass(&project.id, &mut ProgressView::hidden())
        .await
        .expect("second pass");
    let counters = second.counters.clone().unwrap_or_default();
    assert_eq!(
        counters.items_copied, 0,
        "a second full pass copies nothing"
    );
    assert_eq!(
        counters.items_already_present, verification.source_items,
        "and finds everything present"
    );
    assert_eq!(counters.folders_created, 0, "and creates no folder");
    let again = environment.verify(&project).await.expect("verification");
    assert!(again.is_exact(), "{}", again.summary());

    environment.stop().await.expect("stop");
    real.clean_up(&project.id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn throttling_and_transient_faults_lose_nothing_and_duplicate_nothing() {
    let real = common::RealServices::connect().await;
    let mut sim = common::sim_config(8, 60);
    // Requests last long enough to overlap, so the units of a mailbox run more at once than
    // this simulator's limit of 3 serves, and its budget is spent faster than it recharges.
    sim.faults.latency = ferry_sim::faults::Latency::Fixed { ms: 10 };
    let throttling = &mut sim.throttling;
    throttling.max_concurrent_requests = 3;
    throttling.concurrency_form = ThrottleForm::ResponseMessage;
    throttling.budget_burst = 120;
    throttling.budget_recharge_per_sec = 40.0;
    throttling.budget_form = ThrottleForm::SoapFault;
    throttling.import_bytes_per_window = 4 * 1024 * 1024;
    throttling.import_window_secs = 2;
    throttling.import_form = ThrottleForm::Http503;
    sim.faults.seed = 7;
    sim.faults.internal_error_rate = 0.025;
    sim.faults.connection_reset_rate = 0.025;
    let environment =
        common::start(common::options(sim, 3, &real.namespace), real.services()).await;
    // The tenant's rate high enough that the mailboxes' limits bind, and the import window
    // the simulator's (a project configured above the server's window waits out its own).
    let limits = ferry_proto::v1::ProjectOptions {
        requests_per_second: 1_000.0,
        import_bytes_per_window: 4 * 1024 * 1024,
        import_window_secs: 2,
        ..ferry_proto::v1::ProjectOptions::default()
    };
    let project = environment
        .create_project_with("throttled and faulty", Some(limits))
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
    assert!(
        counters.throttle_events > 0,
        "the simulator throttled the migration"
    );
    let verification = environment.verify(&project).await.expect("verification");
    assert!(
        verification.is_exact(),
        "{}: {:?}",
        verification.summary(),
        verification
    );
    if verification.logged_failures > 0 {
        // What each logged item met, to tell a fault the engine should have absorbed from
        // bad luck with the fault rates.
        for mailbox in &project.mailboxes {
            let (errors, _) = environment
                .coordinator
                .mailbox_errors(&project.id, &mailbox.id, 0, 100)
                .await
                .expect("errors");
            for error in errors {
                println!(
                    "{}: {} {}: {} ({})",
                    mailbox.source_address,
                    error.folder_path,
                    error.source_item_id,
                    error.message,
                    error.at
                );
            }
        }
    }
    assert_eq!(
        verification.logged_failures, 0,
        "transient faults are retried, not logged: {:?}",
        counters.errors_by_code
    );
    assert_eq!(counters.items_copied, verification.source_items);

    // The simulator's own counters show the test exercised what it claims to.
    let totals = common::sim_counter_totals(&environment).await;
    let total = |prefix: &str| common::total(&totals, prefix);
    println!(
        "throttled {}, internal errors {}, connections cut {}",
        total("throttled."),
        total("fault.internal_error"),
        total("fault.connection_reset")
    );
    assert!(
        total("throttled.") > 0
            && total("fault.internal_error") > 0
            && total("fault.connection_reset") > 0
    );
    environment.stop().await.expect("stop");
    real.clean_up(&project.id).await;
}
