//! A worker process killed with SIGKILL in the middle of its units: RabbitMQ redelivers them,
//! another worker process finishes them (settling whatever the dead one had half done), and the
//! destination still holds every source item exactly once.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ferry_cli::progress::ProgressView;
use ferry_coordinator::requests::NewPass;
use ferry_core::model::MailProtocol;
use ferry_core::model::PassKind;
use ferry_sim::faults::Latency;
use ferry_tests::services;

fn spawn_worker(name: &str, namespace: &str, log: &Path) -> Child {
    let log = std::fs::File::create(log).expect("log file");
    Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args([
            "worker",
            "--concurrency",
            "4",
            "--lease-ttl-secs",
            "3",
            "--shutdown-grace-secs",
            "1",
        ])
        .args([
            "--amqp",
            &services::amqp_url(),
            "--redis",
            &services::redis_url(),
        ])
        .args(["--namespace", namespace, "--name", name])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("the ferry binary starts")
}

fn count(log: &Path, needle: &str) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .matches(needle)
        .count()
}

async fn a_killed_workers_units_are_finished_by_another_without_duplicates_over(api: MailProtocol) {
    let real = common::RealServices::connect().await;
    let mut sim = common::sim_config(6, 150);
    // Slow replies keep units in flight long enough to kill a worker in the middle of them.
    sim.faults.latency = Latency::Fixed { ms: 40 };
    let mut options = common::options(sim, 0, &real.namespace);
    options.api = api;
    let environment = common::start(options, real.services()).await;
    let project = environment
        .create_project("worker crash")
        .await
        .expect("project");
    let logs = tempfile::tempdir().expect("temporary directory");
    let (victim_log, survivor_log) = (
        logs.path().join("victim.log"),
        logs.path().join("survivor.log"),
    );
    let mut victim = spawn_worker("victim", &real.namespace, &victim_log);

    environment
        .coordinator
        .start_pass(NewPass {
            project: project.id.clone(),
            kind: PassKind::Full,
            mailboxes: Vec::new(),
            received_before: None,
        })
        .await
        .expect("pass starts");

    // Wait until the victim has copied something and still has units open.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let status = environment
            .coordinator
            .get_project_status(&project.id, false)
            .await
            .expect("status");
        let copied = status
            .counters
            .as_ref()
            .map_or(0, |counters| counters.items_copied);
        let open = count(&victim_log, "unit started") > count(&victim_log, "unit finished");
        if copied > 50 && open {
            break;
        }
        assert!(
            !status.pass_complete,
            "the pass finished before the worker could be killed"
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "the victim never got going; see {}",
            victim_log.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    victim.kill().expect("SIGKILL");
    victim.wait().expect("reaped");
    let started = count(&victim_log, "unit started");
    let finished = count(&victim_log, "unit finished");
    println!(
        "killed the victim with {} of its {started} units open",
        started - finished
    );

    let mut survivor = spawn_worker("survivor", &real.namespace, &survivor_log);
    let status = tokio::time::timeout(
        Duration::from_secs(300),
        environment.wait_for_pass(&project.id, &mut ProgressView::hidden()),
    )
    .await
    .expect("the survivor finishes the pass")
    .expect("status");
    let survivor_text = std::fs::read_to_string(&survivor_log).unwrap_or_default();
    println!(
        "survivor: {} redelivered units, {} settled leftovers",
        survivor_text.matches("redelivered=true").count(),
        survivor_text.matches("settling an earlier attempt").count()
    );
    assert!(
        survivor_text.contains("redelivered=true"),
        "the killed worker's units came back"
    );

    let verification = environment.verify(&project).await.expect("verification");
    assert!(
        verification.is_exact(),
        "{}: {:?}",
        verification.summary(),
        verification
    );
    let counters = status.counters.clone().unwrap_or_default();
    assert_eq!(
        counters.items_copied, verification.source_items,
        "each item counted once"
    );
    assert_eq!(counters.items_failed, 0);

    let _ = survivor.kill();
    let _ = survivor.wait();
    environment.stop().await.expect("stop");
    real.clean_up(&project.id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_workers_units_are_finished_by_another_without_duplicates() {
    a_killed_workers_units_are_finished_by_another_without_duplicates_over(MailProtocol::Ews).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_workers_units_are_finished_by_another_without_duplicates_over_graph() {
    a_killed_workers_units_are_finished_by_another_without_duplicates_over(MailProtocol::Graph)
        .await;
}
