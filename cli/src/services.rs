//! Opening the broker and the store a command runs on: RabbitMQ and Redis when given URLs, the
//! embedded in-memory ones otherwise.

use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use ferry_core::broker::amqp::AmqpBroker;
use ferry_core::broker::memory::MemoryBroker;
use ferry_core::broker::Broker;
use ferry_core::model::DEFAULT_NAMESPACE;
use ferry_core::store::memory::MemoryStore;
use ferry_core::store::redis::RedisStore;
use ferry_core::store::Store;

/// Where the queues and the state live. The URLs can hold passwords, so `Debug` leaves them out.
#[derive(Clone, Args)]
pub struct ServiceArgs {
    /// RabbitMQ URL (`amqp://user:password@host:5672/%2f`).
    #[arg(long = "amqp", env = "FERRY_AMQP_URL", hide_env_values = true)]
    pub amqp_url: Option<String>,
    /// Redis URL (`redis://host:6379/0`).
    #[arg(long = "redis", env = "FERRY_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Prefix of this deployment's queues and Redis keys, so several can share the services.
    #[arg(long, env = "FERRY_NAMESPACE", default_value = DEFAULT_NAMESPACE)]
    pub namespace: String,
}

impl std::fmt::Debug for ServiceArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceArgs")
            .field("amqp_url", &self.amqp_url.as_ref().map(|_| "<redacted>"))
            .field("redis_url", &self.redis_url.as_ref().map(|_| "<redacted>"))
            .field("namespace", &self.namespace)
            .finish()
    }
}

/// The opened services.
#[derive(Clone)]
pub struct Services {
    /// The broker.
    pub broker: Arc<dyn Broker>,
    /// The store.
    pub store: Arc<dyn Store>,
    /// Whether both are the embedded in-memory ones.
    pub embedded: bool,
}

impl Services {
    /// The embedded in-memory broker and store.
    pub fn embedded() -> Services {
        Services {
            broker: Arc::new(MemoryBroker::new()),
            store: Arc::new(MemoryStore::new()),
            embedded: true,
        }
    }
}

impl ServiceArgs {
    /// Whether neither RabbitMQ nor Redis is given (the embedded services will be used).
    pub fn is_embedded(&self) -> bool {
        self.amqp_url.is_none() && self.redis_url.is_none()
    }

    /// The same services under another namespace.
    pub fn with_namespace(&self, namespace: &str) -> ServiceArgs {
        ServiceArgs {
            namespace: namespace.to_string(),
            ..self.clone()
        }
    }

    /// Opens RabbitMQ and Redis; both must be given.
    pub async fn open_real(&self) -> anyhow::Result<Services> {
        let (Some(amqp), Some(redis)) = (&self.amqp_url, &self.redis_url) else {
            anyhow::bail!(
                "--amqp and --redis (or FERRY_AMQP_URL and FERRY_REDIS_URL) are both required"
            );
        };
        let broker = AmqpBroker::connect(amqp)
            .await
            .context("connecting to RabbitMQ")?;
        let store = RedisStore::connect(redis, &self.namespace)
            .await
            .context("connecting to Redis")?;
        Ok(Services {
            broker: Arc::new(broker),
            store: Arc::new(store),
            embedded: false,
        })
    }

    /// Opens RabbitMQ and Redis if both are given, the in-memory ones if neither is.
    pub async fn open_or_embedded(&self) -> anyhow::Result<Services> {
        match (&self.amqp_url, &self.redis_url) {
            (None, None) => Ok(Services::embedded()),
            _ => self.open_real().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_with_passwords_never_print() {
        let args = ServiceArgs {
            amqp_url: Some("amqp://ferry:hunter2@rabbit:5672/%2f".into()),
            redis_url: Some("redis://:hunter3@redis:6379/0".into()),
            namespace: "ferry".into(),
        };
        let printed = format!("{args:?}");
        assert!(
            !printed.contains("hunter2") && !printed.contains("hunter3"),
            "{printed}"
        );
    }
}
