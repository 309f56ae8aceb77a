//! The mail boundary holds: the domain, the coordinator and the worker depend on no protocol
//! client, so every protocol reaches them only through `ferry-core`'s `MailApi` (adapters live
//! in `ferry-mail`).

use std::process::Command;

const PROTOCOL_CLIENTS: &[&str] = &["ferry-ews", "ferry-graph"];

fn dependencies(package: &str) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "--locked",
            "--prefix",
            "none",
            "-p",
            package,
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree -p {package} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn no_protocol_client_below_the_adapters() {
    for package in ["ferry-core", "ferry-coordinator", "ferry-worker"] {
        let tree = dependencies(package);
        for client in PROTOCOL_CLIENTS {
            let named = tree
                .lines()
                .any(|line| line.split_whitespace().next() == Some(client));
            assert!(!named, "{package} depends on {client}:\n{tree}");
        }
    }
    // The check can fail: the adapters do depend on the EWS client.
    let adapters = dependencies("ferry-mail");
    assert!(adapters.lines().any(|line| line.starts_with("ferry-ews ")));
}
