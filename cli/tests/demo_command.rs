//! `ferry demo`, the README's first command, run as a user runs it: embedded, and on the real
//! RabbitMQ and Redis with a delta pass.

use std::process::Command;

use ferry_tests::services;

fn demo(extra: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args([
            "demo",
            "--mailboxes",
            "4",
            "--items-median",
            "40",
            "--oversize-items",
            "1",
        ])
        .args(extra)
        .output()
        .expect("the ferry binary runs");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn the_embedded_demo_migrates_and_proves_the_copy() {
    let (success, output) = demo(&[]);
    assert!(success, "{output}");
    assert!(
        output.contains("Verification: the destination holds exactly the source's items"),
        "{output}"
    );
    assert!(
        output.contains("item_too_large"),
        "the oversize item is reported: {output}"
    );
}

fn redis_keys(pattern: &str) -> usize {
    let client = redis::Client::open(services::redis_url()).expect("a Redis URL");
    let mut connection = client.get_connection().expect("Redis answers");
    redis::cmd("KEYS")
        .arg(pattern)
        .query::<Vec<String>>(&mut connection)
        .expect("KEYS")
        .len()
}

#[test]
fn the_demo_runs_on_rabbitmq_and_redis_and_its_delta_pass_copies_nothing() {
    let (amqp, redis) = (services::amqp_url(), services::redis_url());
    let (success, output) = demo(&["--amqp", &amqp, "--redis", &redis, "--delta-pass"]);
    assert!(success, "{output}");
    let namespace = output
        .split("(namespace ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .expect("the demo names its namespace");
    assert!(
        namespace.starts_with("ferry-demo-"),
        "a demo never uses a deployment's namespace: {namespace}"
    );
    assert_eq!(
        redis_keys(&format!("{namespace}:*")),
        0,
        "the demo deletes its keys"
    );
    assert!(output.contains("Delta pass"), "{output}");
    assert!(output.contains("0 copied (0 B)"), "{output}");
    assert!(
        output.contains("Verification: the destination holds exactly"),
        "{output}"
    );
    assert!(
        !output.contains("guest:guest"),
        "the broker's password is never printed"
    );
}
