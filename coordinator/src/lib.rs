//! Ferry's coordinator: keeps projects, mailboxes and passes in the store; plans each mailbox
//! of a pass into folder-level work units on the broker; applies the workers' unit results and
//! moves mailboxes through their states; serves the operator API over gRPC.
//!
//! - [`Coordinator`]: the operations and the background work ([`coordinator`]);
//! - planning: [`folders`] (tree mapping), [`split`] (large folders), [`extras`] (permissions and
//!   rules), `planner` (plans and publishing);
//! - `results`: unit results and mailbox states;
//! - [`status`]: progress, rates and estimates;
//! - [`requests`]: API requests validated into domain values;
//! - [`grpc`]: the tonic service, health and reflection.

pub mod coordinator;
pub mod error;
pub mod extras;
pub mod folders;
pub mod grpc;
mod planner;
pub mod requests;
mod results;
pub mod split;
pub mod status;

pub use coordinator::{Coordinator, CoordinatorConfig};
pub use error::CoordinatorError;
pub use results::next_state;
