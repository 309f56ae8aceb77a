//! The passes operators plan with: a pre-stage pass moves the items received before a date, the
//! full pass at cut-over moves the rest, and together they move everything exactly once.

mod common;

use chrono::{TimeZone, Utc};
use ferry_cli::progress::ProgressView;
use ferry_cli::services::Services;
use ferry_coordinator::requests::NewPass;
use ferry_core::model::MailProtocol;
use ferry_core::model::PassKind;

async fn a_pre_stage_pass_then_a_full_pass_move_everything_once_over(api: MailProtocol) {
    let services = Services::embedded();
    let mut options = common::options(common::sim_config(4, 80), 2, "ferry");
    options.api = api;
    let environment = common::start(options, services).await;
    let project = environment
        .create_project("pre-stage")
        .await
        .expect("project");

    // The seeded items span the five years before 2026-11-01; cut half way.
    let cut_off = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single();
    environment
        .coordinator
        .start_pass(NewPass {
            project: project.id.clone(),
            kind: PassKind::PreStage,
            mailboxes: Vec::new(),
            received_before: cut_off,
        })
        .await
        .expect("pre-stage pass");
    let pre_stage = environment
        .wait_for_pass(&project.id, &mut ProgressView::hidden())
        .await
        .expect("pre-stage");
    let early = pre_stage.counters.clone().unwrap_or_default();
    let partial = environment.verify(&project).await.expect("verification");
    assert!(early.items_copied > 0, "older items were copied");
    assert!(
        early.items_copied < partial.source_items,
        "newer items were left for later"
    );
    assert_eq!(partial.destination_items, early.items_copied);
    assert!(
        partial.duplicated.is_empty() && partial.unexpected.is_empty(),
        "{}",
        partial.summary()
    );

    let full = environment
        .run_full_pass(&project.id, &mut ProgressView::hidden())
        .await
        .expect("full pass");
    let late = full.counters.clone().unwrap_or_default();
    let verification = environment.verify(&project).await.expect("verification");
    assert!(
        verification.is_exact(),
        "{}: {:?}",
        verification.summary(),
        verification
    );
    assert_eq!(
        late.items_already_present, early.items_copied,
        "the pre-staged items are recognised"
    );
    assert_eq!(
        early.items_copied + late.items_copied,
        verification.source_items
    );
    environment.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pre_stage_pass_then_a_full_pass_move_everything_once() {
    a_pre_stage_pass_then_a_full_pass_move_everything_once_over(MailProtocol::Ews).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pre_stage_pass_then_a_full_pass_move_everything_once_over_graph() {
    a_pre_stage_pass_then_a_full_pass_move_everything_once_over(MailProtocol::Graph).await;
}
