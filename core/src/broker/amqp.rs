//! RabbitMQ through `lapin`: durable queues, persistent messages, publisher confirms, one channel
//! per subscription with `basic.qos` prefetch. A dropped subscription closes its channel, so
//! RabbitMQ redelivers what it had not acknowledged. The connection is re-established on demand
//! after it drops.

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use tokio::sync::Mutex;

use super::{Acker, Broker, BrokerError, Delivery, Subscription};

/// Persistent delivery mode: messages survive a broker restart.
const PERSISTENT: u8 = 2;

fn unavailable(error: lapin::Error) -> BrokerError {
    BrokerError::Unavailable(error.to_string())
}

/// A RabbitMQ broker.
pub struct AmqpBroker {
    url: String,
    connection: Mutex<Option<Connection>>,
    publisher: Mutex<Option<Channel>>,
}

impl std::fmt::Debug for AmqpBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL can carry a password.
        f.debug_struct("AmqpBroker").finish_non_exhaustive()
    }
}

impl AmqpBroker {
    /// Connects to `url` (`amqp://user:password@host:5672/%2f`).
    pub async fn connect(url: &str) -> Result<AmqpBroker, BrokerError> {
        let broker = AmqpBroker {
            url: url.to_string(),
            connection: Mutex::new(None),
            publisher: Mutex::new(None),
        };
        broker.channel().await?;
        Ok(broker)
    }

    /// A new channel, reconnecting first if the connection dropped.
    async fn channel(&self) -> Result<Channel, BrokerError> {
        let mut connection = self.connection.lock().await;
        let usable = connection
            .as_ref()
            .is_some_and(|connection| connection.status().connected());
        if !usable {
            let fresh = Connection::connect(&self.url, ConnectionProperties::default())
                .await
                .map_err(unavailable)?;
            *connection = Some(fresh);
        }
        match connection.as_ref() {
            Some(connection) => connection.create_channel().await.map_err(unavailable),
            None => Err(BrokerError::Unavailable("no connection".into())),
        }
    }

    async fn publisher(&self) -> Result<Channel, BrokerError> {
        let mut publisher = self.publisher.lock().await;
        if let Some(channel) = publisher.as_ref() {
            if channel.status().connected() {
                return Ok(channel.clone());
            }
        }
        let channel = self.channel().await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(unavailable)?;
        *publisher = Some(channel.clone());
        Ok(channel)
    }

    /// Deletes a queue and its messages (tests clean up with it).
    pub async fn delete(&self, queue: &str) -> Result<(), BrokerError> {
        let channel = self.publisher().await?;
        channel
            .queue_delete(queue.into(), QueueDeleteOptions::default())
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    /// Publishes to `queue` through the default exchange and waits for the broker's confirm.
    async fn publish_confirmed(
        channel: &Channel,
        queue: &str,
        payload: &[u8],
        properties: BasicProperties,
    ) -> Result<(), BrokerError> {
        let confirm = channel
            .basic_publish(
                "".into(),
                queue.into(),
                BasicPublishOptions::default(),
                payload,
                properties,
            )
            .await
            .map_err(unavailable)?
            .await
            .map_err(unavailable)?;
        if confirm.is_ack() {
            Ok(())
        } else {
            Err(BrokerError::PublishNacked(queue.to_string()))
        }
    }

    async fn declare_on(channel: &Channel, queue: &str) -> Result<lapin::Queue, BrokerError> {
        channel
            .queue_declare(
                queue.into(),
                QueueDeclareOptions {
                    durable: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .map_err(unavailable)
    }
}

#[async_trait]
impl Broker for AmqpBroker {
    async fn declare(&self, queue: &str) -> Result<(), BrokerError> {
        let channel = self.publisher().await?;
        AmqpBroker::declare_on(&channel, queue).await.map(|_| ())
    }

    async fn publish(&self, queue: &str, payload: &[u8]) -> Result<(), BrokerError> {
        let channel = self.publisher().await?;
        let persistent = BasicProperties::default().with_delivery_mode(PERSISTENT);
        AmqpBroker::publish_confirmed(&channel, queue, payload, persistent).await
    }

    async fn publish_later(
        &self,
        queue: &str,
        payload: &[u8],
        delay: std::time::Duration,
    ) -> Result<(), BrokerError> {
        // Messages wait in `<queue>.later`, each with its own expiry, and are dead-lettered to
        // the tail of `queue` when it passes. RabbitMQ expires messages from a queue's head
        // only, so a message behind a longer delay waits for it; callers use one delay.
        let later = format!("{queue}.later");
        let channel = self.publisher().await?;
        let mut arguments = FieldTable::default();
        arguments.insert(
            "x-dead-letter-exchange".into(),
            lapin::types::AMQPValue::LongString("".into()),
        );
        arguments.insert(
            "x-dead-letter-routing-key".into(),
            lapin::types::AMQPValue::LongString(queue.into()),
        );
        channel
            .queue_declare(
                later.as_str().into(),
                QueueDeclareOptions {
                    durable: true,
                    ..QueueDeclareOptions::default()
                },
                arguments,
            )
            .await
            .map_err(unavailable)?;
        let expiration = delay.as_millis().max(1).to_string();
        let expiring = BasicProperties::default()
            .with_delivery_mode(PERSISTENT)
            .with_expiration(expiration.as_str().into());
        AmqpBroker::publish_confirmed(&channel, &later, payload, expiring).await
    }

    async fn subscribe(
        &self,
        queue: &str,
        prefetch: u16,
    ) -> Result<Box<dyn Subscription>, BrokerError> {
        let channel = self.channel().await?;
        AmqpBroker::declare_on(&channel, queue).await?;
        channel
            .basic_qos(prefetch.max(1), BasicQosOptions::default())
            .await
            .map_err(unavailable)?;
        let consumer = channel
            .basic_consume(
                queue.into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(unavailable)?;
        Ok(Box::new(AmqpSubscription { channel, consumer }))
    }

    async fn depth(&self, queue: &str) -> Result<u64, BrokerError> {
        let channel = self.publisher().await?;
        let declared = AmqpBroker::declare_on(&channel, queue).await?;
        Ok(u64::from(declared.message_count()))
    }
}

struct AmqpSubscription {
    channel: Channel,
    consumer: lapin::Consumer,
}

#[async_trait]
impl Subscription for AmqpSubscription {
    async fn next(&mut self) -> Result<Option<Delivery>, BrokerError> {
        match self.consumer.next().await {
            None => Ok(None),
            Some(Err(error)) => Err(unavailable(error)),
            Some(Ok(delivery)) => Ok(Some(Delivery::new(
                Bytes::from(delivery.data),
                delivery.redelivered,
                Box::new(AmqpAcker(delivery.acker)),
            ))),
        }
    }
}

impl Drop for AmqpSubscription {
    fn drop(&mut self) {
        // Closing the channel returns its unacknowledged deliveries to the queue.
        let channel = self.channel.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = channel.close(200, "subscription dropped".into()).await;
            });
        }
    }
}

struct AmqpAcker(lapin::Acker);

#[async_trait]
impl Acker for AmqpAcker {
    async fn ack(&self) -> Result<(), BrokerError> {
        self.0
            .ack(BasicAckOptions::default())
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn nack(&self, requeue: bool) -> Result<(), BrokerError> {
        self.0
            .nack(BasicNackOptions {
                requeue,
                ..BasicNackOptions::default()
            })
            .await
            .map(|_| ())
            .map_err(unavailable)
    }
}
