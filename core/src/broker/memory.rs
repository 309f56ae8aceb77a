//! An in-process broker with RabbitMQ's semantics: per-queue FIFO, prefetch, manual
//! acknowledgement, and redelivery (flagged) of what a dropped subscription had not acknowledged.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::Notify;

use super::{Acker, Broker, BrokerError, Delivery, Subscription};

#[derive(Debug, Clone)]
struct Message {
    id: u64,
    payload: Bytes,
    redelivered: bool,
}

#[derive(Debug, Default)]
struct Queue {
    ready: VecDeque<Message>,
    /// Unacknowledged messages by id, with the subscription holding them.
    unacked: HashMap<u64, (u64, Message)>,
}

#[derive(Debug, Default)]
struct State {
    queues: HashMap<String, Queue>,
    next_id: u64,
}

/// The in-memory broker. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct MemoryBroker {
    state: Arc<Mutex<State>>,
    changed: Arc<Notify>,
}

impl MemoryBroker {
    /// An empty broker.
    pub fn new() -> MemoryBroker {
        MemoryBroker::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Messages held by a queue's consumers and not yet acknowledged.
    pub fn unacked(&self, queue: &str) -> u64 {
        self.lock()
            .queues
            .get(queue)
            .map(|queue| queue.unacked.len() as u64)
            .unwrap_or(0)
    }
}

#[async_trait]
impl Broker for MemoryBroker {
    async fn declare(&self, queue: &str) -> Result<(), BrokerError> {
        self.lock().queues.entry(queue.to_string()).or_default();
        Ok(())
    }

    async fn publish(&self, queue: &str, payload: &[u8]) -> Result<(), BrokerError> {
        {
            let mut state = self.lock();
            state.next_id += 1;
            let id = state.next_id;
            let queue = state
                .queues
                .get_mut(queue)
                .ok_or_else(|| BrokerError::PublishNacked(format!("{queue} (not declared)")))?;
            queue.ready.push_back(Message {
                id,
                payload: Bytes::copy_from_slice(payload),
                redelivered: false,
            });
        }
        self.changed.notify_waiters();
        Ok(())
    }

    async fn subscribe(
        &self,
        queue: &str,
        prefetch: u16,
    ) -> Result<Box<dyn Subscription>, BrokerError> {
        self.declare(queue).await?;
        let id = {
            let mut state = self.lock();
            state.next_id += 1;
            state.next_id
        };
        Ok(Box::new(MemorySubscription {
            broker: self.clone(),
            queue: queue.to_string(),
            id,
            prefetch: prefetch.max(1) as usize,
        }))
    }

    async fn publish_later(
        &self,
        queue: &str,
        payload: &[u8],
        delay: std::time::Duration,
    ) -> Result<(), BrokerError> {
        if !self.lock().queues.contains_key(queue) {
            return Err(BrokerError::PublishNacked(format!(
                "{queue} (not declared)"
            )));
        }
        // Held by a task for the delay; like the rest of this broker it lives as long as
        // the process.
        let (broker, queue, payload) = (self.clone(), queue.to_string(), payload.to_vec());
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            if let Err(error) = broker.publish(&queue, &payload).await {
                tracing::warn!(%queue, %error, "a delayed message could not be delivered");
            }
        });
        Ok(())
    }

    async fn depth(&self, queue: &str) -> Result<u64, BrokerError> {
        Ok(self
            .lock()
            .queues
            .get(queue)
            .map(|queue| queue.ready.len() as u64)
            .unwrap_or(0))
    }
}

struct MemorySubscription {
    broker: MemoryBroker,
    queue: String,
    id: u64,
    prefetch: usize,
}

#[async_trait]
impl Subscription for MemorySubscription {
    async fn next(&mut self) -> Result<Option<Delivery>, BrokerError> {
        loop {
            let notified = self.broker.changed.notified();
            {
                let mut state = self.broker.lock();
                let queue = state.queues.entry(self.queue.clone()).or_default();
                let held = queue
                    .unacked
                    .values()
                    .filter(|(holder, _)| *holder == self.id)
                    .count();
                if held < self.prefetch {
                    if let Some(message) = queue.ready.pop_front() {
                        queue.unacked.insert(message.id, (self.id, message.clone()));
                        return Ok(Some(Delivery::new(
                            message.payload,
                            message.redelivered,
                            Box::new(MemoryAcker {
                                broker: self.broker.clone(),
                                queue: self.queue.clone(),
                                id: message.id,
                            }),
                        )));
                    }
                }
            }
            notified.await;
        }
    }
}

impl Drop for MemorySubscription {
    fn drop(&mut self) {
        {
            let mut state = self.broker.lock();
            if let Some(queue) = state.queues.get_mut(&self.queue) {
                let mut held: Vec<Message> = queue
                    .unacked
                    .iter()
                    .filter(|(_, (holder, _))| *holder == self.id)
                    .map(|(_, (_, message))| message.clone())
                    .collect();
                held.sort_by_key(|message| std::cmp::Reverse(message.id));
                for mut message in held {
                    queue.unacked.remove(&message.id);
                    message.redelivered = true;
                    queue.ready.push_front(message);
                }
            }
        }
        self.broker.changed.notify_waiters();
    }
}

struct MemoryAcker {
    broker: MemoryBroker,
    queue: String,
    id: u64,
}

#[async_trait]
impl Acker for MemoryAcker {
    async fn ack(&self) -> Result<(), BrokerError> {
        {
            let mut state = self.broker.lock();
            if let Some(queue) = state.queues.get_mut(&self.queue) {
                queue.unacked.remove(&self.id);
            }
        }
        self.broker.changed.notify_waiters();
        Ok(())
    }

    async fn nack(&self, requeue: bool) -> Result<(), BrokerError> {
        {
            let mut state = self.broker.lock();
            if let Some(queue) = state.queues.get_mut(&self.queue) {
                if let Some((_, mut message)) = queue.unacked.remove(&self.id) {
                    if requeue {
                        message.redelivered = true;
                        queue.ready.push_front(message);
                    }
                }
            }
        }
        self.broker.changed.notify_waiters();
        Ok(())
    }
}
