//! Ferry's worker: consumes work units from the broker and copies each unit's items from the
//! source tenant to the destination, exactly once, at the pace Microsoft allows.
//!
//! - [`Worker`] runs the consumer loop: a subscription per project queue, units as tasks sharing
//!   a number of slots, a lease per unit, results published before acknowledgement;
//! - [`unit`] copies one unit and explains how duplicates are prevented;
//! - [`batch`] bounds export/upload batches by count and bytes, and [`byte_budget`] the bytes
//!   all of a worker's units hold at once;
//! - [`import_pacing`] paces uploads to each destination mailbox's import window, and
//!   [`mailbox_places`] keeps each mailbox's running units within Exchange's concurrency
//!   limit, both shared by every worker through the store;
//! - [`outbound`] prepares each exported item for upload: the stamp written into its stream,
//!   its addresses mapped.

pub mod batch;
pub mod byte_budget;
pub mod config;
pub mod import_pacing;
pub mod mailbox_places;
pub mod outbound;
pub mod recipients;
pub mod unit;
mod worker;

pub use config::WorkerConfig;
pub use worker::Worker;
