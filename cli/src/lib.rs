//! The `ferry` command's library: each subcommand's flags and what it runs, so end-to-end tests
//! can drive the same code the binary does.
//!
//! - [`demo`]: `ferry demo`, everything in one process, with proof of an exact copy ([`verify`]);
//! - [`coordinator_command`], [`worker_command`]: the cluster's two processes;
//! - [`client`]: the operator subcommands over gRPC ([`project_file`], [`mailbox_csv`],
//!   [`render`], [`progress`]);
//! - [`sim_command`]: the simulator.

pub mod client;
pub mod coordinator_command;
pub mod demo;
pub mod mailbox_csv;
pub mod progress;
pub mod project_file;
pub mod render;
pub mod services;
pub mod shutdown;
pub mod sim_command;
pub mod verify;
pub mod worker_command;
