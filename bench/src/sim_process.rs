//! A `ferry sim` in its own process, so a benchmark measures its client's memory alone.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use ferry_sim::ConnectionInfo;

/// The simulator's process; stopped when dropped, however the benchmark ends.
pub struct SimProcess {
    child: Child,
    /// Its connection file, read once it started.
    pub connection: ConnectionInfo,
    _workdir: tempfile::TempDir,
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `ferry` binary: `explicit`, or the one beside the running benchmark.
pub fn ferry_binary(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    match explicit {
        Some(path) => Ok(path.to_path_buf()),
        None => Ok(std::env::current_exe()?
            .parent()
            .context("benchmark directory")?
            .join("ferry")),
    }
}

impl SimProcess {
    /// Starts `ferry sim` with throttling off, one small mailbox and `large_items` items
    /// carrying an attachment of `attachment_mb` MiB each; waits for its connection file.
    pub fn start_with_large_items(
        ferry: &Path,
        large_items: u32,
        attachment_mb: u64,
    ) -> anyhow::Result<SimProcess> {
        let workdir = tempfile::tempdir()?;
        let connection_file = workdir.path().join("sim.json");
        let child = Command::new(ferry)
            .args([
                "sim",
                "--listen",
                "127.0.0.1:0",
                "--mailboxes",
                "1",
                "--items-median",
                "20",
                "--no-throttling",
            ])
            .args(["--large-attachments", &large_items.to_string()])
            .args(["--large-attachment-mb", &attachment_mb.to_string()])
            .arg("--connection-file")
            .arg(&connection_file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", ferry.display()))?;
        let mut child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(120);
        let connection = loop {
            if let Ok(connection) = ConnectionInfo::read(&connection_file) {
                break connection;
            }
            if Instant::now() >= deadline {
                if let Some(mut child) = child.take() {
                    let _ = child.kill();
                }
                anyhow::bail!("the simulator did not start");
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        Ok(SimProcess {
            child: child.take().context("simulator process")?,
            connection,
            _workdir: workdir,
        })
    }
}
