//! The message broker the coordinator and workers share: durable queues, publishing with
//! confirms, consuming with a prefetch limit and manual acknowledgement, redelivery of what a
//! consumer did not acknowledge.
//!
//! Two implementations with the same semantics: [`amqp::AmqpBroker`] (RabbitMQ) and
//! [`memory::MemoryBroker`] (one process). `conformance` checks both the same way.

pub mod amqp;
pub mod memory;

use async_trait::async_trait;
use bytes::Bytes;

/// A broker failure.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BrokerError {
    /// The broker could not be reached or the connection dropped.
    #[error("broker unavailable: {0}")]
    Unavailable(String),
    /// The broker refused a published message.
    #[error("the broker did not confirm a message to {0}")]
    PublishNacked(String),
    /// Any other failure.
    #[error("broker error: {0}")]
    Other(String),
}

/// Acknowledges or rejects one delivery.
#[async_trait]
pub trait Acker: Send + Sync {
    /// The message is done with; it will not be delivered again.
    async fn ack(&self) -> Result<(), BrokerError>;
    /// The message was not handled; with `requeue` it goes back to the queue for redelivery.
    async fn nack(&self, requeue: bool) -> Result<(), BrokerError>;
}

/// One message handed to a consumer.
pub struct Delivery {
    /// The message body.
    pub payload: Bytes,
    /// Whether it was delivered before and not acknowledged.
    pub redelivered: bool,
    acker: Box<dyn Acker>,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("bytes", &self.payload.len())
            .field("redelivered", &self.redelivered)
            .finish()
    }
}

impl Delivery {
    /// A delivery with its acknowledger.
    pub fn new(payload: Bytes, redelivered: bool, acker: Box<dyn Acker>) -> Delivery {
        Delivery {
            payload,
            redelivered,
            acker,
        }
    }

    /// Acknowledges: call only once the message's effects are durable.
    pub async fn ack(self) -> Result<(), BrokerError> {
        self.acker.ack().await
    }

    /// Rejects, returning it to the queue if `requeue`.
    pub async fn nack(self, requeue: bool) -> Result<(), BrokerError> {
        self.acker.nack(requeue).await
    }
}

/// A consumer of one queue.
#[async_trait]
pub trait Subscription: Send {
    /// The next delivery; `Ok(None)` once the subscription is closed.
    async fn next(&mut self) -> Result<Option<Delivery>, BrokerError>;
}

/// A message broker.
#[async_trait]
pub trait Broker: Send + Sync + 'static {
    /// Declares a durable queue (idempotent).
    async fn declare(&self, queue: &str) -> Result<(), BrokerError>;
    /// Publishes a persistent message and waits until the broker confirms it.
    async fn publish(&self, queue: &str, payload: &[u8]) -> Result<(), BrokerError>;
    /// Publishes a persistent message that reaches `queue` (at its tail) only after `delay`,
    /// confirmed like [`Broker::publish`]. Used to set work aside without holding it.
    async fn publish_later(
        &self,
        queue: &str,
        payload: &[u8],
        delay: std::time::Duration,
    ) -> Result<(), BrokerError>;
    /// Consumes a queue, with at most `prefetch` unacknowledged deliveries. Deliveries not
    /// acknowledged when the subscription ends are redelivered.
    async fn subscribe(
        &self,
        queue: &str,
        prefetch: u16,
    ) -> Result<Box<dyn Subscription>, BrokerError>;
    /// Messages waiting in a queue (not counting unacknowledged ones).
    async fn depth(&self, queue: &str) -> Result<u64, BrokerError>;
}
