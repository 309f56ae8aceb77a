//! `ferry worker` processes started by a benchmark, so what a benchmark measures of a worker
//! (requests, memory) is that process's alone.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::Context;

/// Worker processes; killed when dropped, however the benchmark ends.
#[derive(Default)]
pub struct WorkerProcesses(Vec<Child>);

/// Where the workers find the broker and the store, and the namespace they share with the
/// benchmark's coordinator.
pub struct WorkerServices<'a> {
    /// RabbitMQ URL.
    pub amqp: &'a str,
    /// Redis URL.
    pub redis: &'a str,
    /// Queue and key namespace.
    pub namespace: &'a str,
}

impl WorkerProcesses {
    /// Starts `ferry worker` named `name` with `extra` flags (`--concurrency 32`...); its
    /// logs at `warn` go to this process's stderr.
    pub fn spawn(
        &mut self,
        ferry: &Path,
        services: &WorkerServices<'_>,
        name: &str,
        extra: &[String],
    ) -> anyhow::Result<u32> {
        let child = Command::new(ferry)
            .args(["worker", "--amqp", services.amqp, "--redis", services.redis])
            .args(["--namespace", services.namespace, "--name", name])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", ferry.display()))?;
        let pid = child.id();
        self.0.push(child);
        Ok(pid)
    }
}

impl Drop for WorkerProcesses {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A process's resident memory now and at its peak, in KiB (Linux `VmRSS`, `VmHWM`); `None`
/// once it has exited.
pub fn resident_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse::<u64>()
            .ok()
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_resident_memory_at_most_its_peak() {
        let (now, peak) = resident_kib(std::process::id()).expect("own status");
        assert!(now > 0 && now <= peak, "{now} KiB now, {peak} KiB peak");
        assert_eq!(resident_kib(u32::MAX), None);
    }
}
