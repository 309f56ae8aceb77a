//! Ferry's domain: projects, mailboxes, passes and work units ([`model`]), and the boundaries to
//! the outside, each a trait with adapters:
//!
//! - [`broker`]: the work and result queues, over RabbitMQ ([`broker::amqp`]) or in memory;
//! - [`store`]: the coordinator's state and the workers' bookkeeping, in Redis ([`store::redis`])
//!   or in memory;
//! - [`mail`]: the mailbox service in the domain's own types; EWS and Microsoft Graph adapt to
//!   it in `ferry-mail`, and [`mail::memory`] implements it in memory with injectable faults.
//!
//! [`conformance`] holds the test suites every broker and store implementation must pass;
//! [`mail::conformance`] the one every mail service passes.

pub mod broker;
pub mod conformance;
pub mod mail;
pub mod mapping;
pub mod model;
pub mod pacing;
pub mod store;
pub mod units;
pub mod wire;
