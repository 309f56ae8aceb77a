//! The operator commands (`ferry project`, `mailbox`, `pass`, `status`, `errors`) as a user runs
//! them, against a running coordinator.

mod common;

use ferry_cli::services::Services;
use std::process::Command;

fn ferry(server: &str, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(args)
        .env("FERRY_SERVER", server)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("the ferry binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_operator_runs_a_migration_from_the_command_line() {
    let services = Services::embedded();
    let environment = common::start(
        common::options(common::sim_config(3, 30), 2, "ferry"),
        services,
    )
    .await;
    let server = format!("http://{}", environment.grpc_address);
    let files = tempfile::tempdir().expect("temporary directory");
    let connection = files.path().join("sim.json");
    std::fs::write(
        &connection,
        serde_json::to_vec(&environment.sim.connection).expect("json"),
    )
    .expect("write");

    let server_for = server.clone();
    let run = move |args: Vec<String>| {
        let server = server_for.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                ferry(&server, &args)
            })
            .await
            .expect("command")
        }
    };
    let owned = |args: &[&str]| args.iter().map(|arg| arg.to_string()).collect::<Vec<_>>();

    let domain_of = |tenant: usize| {
        let address = &environment.sim.connection.tenants[tenant].mailboxes[0];
        address.split('@').nth(1).unwrap_or_default().to_string()
    };
    let mapping = format!("@{}->@{}", domain_of(0), domain_of(1));
    let (ok, out, err) = run(owned(&[
        "project",
        "create",
        "--from-sim",
        connection.to_str().unwrap_or_default(),
        "--recipient-mapping",
        "contoso.com=>fabrikam.com",
    ]))
    .await;
    assert!(!ok, "a bad mapping is refused: {out}");
    assert!(
        err.contains("options.recipient_mapping[0]") && err.contains("contoso.com=>fabrikam.com"),
        "the bad expression is named: {err}"
    );
    let (ok, out, err) = run(owned(&[
        "project",
        "create",
        "--from-sim",
        connection.to_str().unwrap_or_default(),
        "--name",
        "cli",
        "--recipient-mapping",
        &mapping,
        "--output",
        "json",
    ]))
    .await;
    assert!(ok, "{out}{err}");
    let project: serde_json::Value = serde_json::from_str(&out).expect("json");
    let project_id = project["id"].as_str().expect("an id").to_string();
    let secret = &environment.sim.connection.tenants[0].client_secret;
    assert!(!out.contains(secret.as_str()), "no secret is printed");

    let destination = &environment.sim.connection.tenants[1].mailboxes;
    let domain = destination[0].split('@').nth(1).unwrap_or_default();
    let mut csv = String::from("source,destination\n");
    for source in &environment.sim.connection.tenants[0].mailboxes {
        csv.push_str(&format!(
            "{source},{}@{domain}\n",
            source.split('@').next().unwrap_or_default()
        ));
    }
    csv.push_str("only-one-field@contoso.com\n");
    let csv_path = files.path().join("mailboxes.csv");
    std::fs::write(&csv_path, csv).expect("write");
    let (ok, out, err) = run(owned(&[
        "mailbox",
        "add",
        "--project",
        &project_id,
        "--csv",
        csv_path.to_str().unwrap_or_default(),
    ]))
    .await;
    assert!(!ok, "a skipped line makes the command fail");
    assert!(out.contains("3 mailboxes added, 1 lines skipped"), "{out}");
    assert!(
        err.contains("line 5: expected 2 fields"),
        "the bad line is named: {err}"
    );

    let (ok, out, err) = run(owned(&[
        "pass",
        "start",
        "--project",
        &project_id,
        "--pre-stage-before",
        "not a date",
    ]))
    .await;
    assert!(!ok && err.contains("not a date"), "{out}{err}");
    let (ok, out, err) = run(owned(&["pass", "start", "--project", &project_id])).await;
    assert!(ok, "{out}{err}");
    let (ok, out, err) = run(owned(&[
        "status",
        "--project",
        &project_id,
        "--watch",
        "--output",
        "json",
    ]))
    .await;
    assert!(ok, "{out}{err}");
    let last: serde_json::Value =
        serde_json::from_str(out.lines().last().unwrap_or_default()).expect("json lines");
    assert_eq!(last["pass_complete"], true);
    assert_eq!(last["mailboxes_by_state"]["completed"], 3);
    assert!(last["counters"]["items_copied"].as_u64().unwrap_or(0) > 0);
    assert!(
        last["counters"]["addresses_rewritten"]
            .as_u64()
            .unwrap_or(0)
            > 0,
        "the mapping given on the command line was applied: {last}"
    );

    let (ok, out, err) = run(owned(&["status", "--project", &project_id])).await;
    assert!(ok && out.contains("3 completed"), "{out}{err}");
    let (ok, out, err) = run(owned(&[
        "mailbox",
        "list",
        "--project",
        &project_id,
        "--output",
        "json",
    ]))
    .await;
    assert!(ok, "{out}{err}");
    let mailboxes: serde_json::Value = serde_json::from_str(&out).expect("json");
    let mailbox_id = mailboxes[0]["id"].as_str().expect("id").to_string();
    let (ok, out, err) = run(owned(&[
        "errors",
        "--project",
        &project_id,
        "--mailbox",
        &mailbox_id,
        "--output",
        "json",
    ]))
    .await;
    assert!(ok && out.trim() == "[]", "{out}{err}");
    let (ok, out, err) = run(owned(&["status", "--project", "nope"])).await;
    assert!(!ok && err.contains("NotFound"), "{out}{err}");

    environment.stop().await.expect("stop");
}
