//! Ferry's domain: projects, mailboxes, passes and work units ([`model`]), and the boundaries to
//! the outside, each a trait with adapters:
//!
//! - [`broker`]: the work and result queues, over RabbitMQ ([`broker::amqp`]) or in memory;
//! - [`store`]: the coordinator's state and the workers' bookkeeping, in Redis ([`store::redis`])
//!   or in memory;
//! - [`mail`]: the mailbox service, over EWS ([`mail::ews`]) and later Microsoft Graph.
//!
//! [`conformance`] holds the test suites every broker and store implementation must pass.

pub mod broker;
pub mod conformance;
pub mod mail;
pub mod mapping;
pub mod model;
pub mod pacing;
pub mod store;
pub mod units;
pub mod wire;
