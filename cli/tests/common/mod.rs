//! What the pipeline tests share: the real RabbitMQ and Redis under a fresh namespace, and an
//! environment (simulator, coordinator, workers) on them.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use ferry_cli::demo::environment::{Environment, EnvironmentOptions};
use ferry_cli::services::Services;
use ferry_core::broker::amqp::AmqpBroker;
use ferry_core::model::{result_queue, unit_queue, ProjectId};
use ferry_core::store::redis::RedisStore;
use ferry_sim::SimConfig;
use ferry_tests::services;

pub mod extras;

/// The real services under a namespace no other run uses.
pub struct RealServices {
    /// The namespace (queue prefix and Redis key prefix).
    pub namespace: String,
    /// The broker.
    pub broker: Arc<AmqpBroker>,
    /// The store.
    pub store: Arc<RedisStore>,
}

impl RealServices {
    /// Connects, failing clearly if RabbitMQ or Redis do not answer.
    pub async fn connect() -> RealServices {
        let namespace = services::unique_name("pipeline");
        let broker = Arc::new(services::amqp_broker().await);
        let store = Arc::new(
            RedisStore::connect(&services::redis_url(), &namespace)
                .await
                .unwrap_or_else(|error| {
                    panic!(
                        "Redis at {} does not answer: {error}",
                        services::redacted(&services::redis_url())
                    )
                }),
        );
        RealServices {
            namespace,
            broker,
            store,
        }
    }

    /// As the CLI's services.
    pub fn services(&self) -> Services {
        Services {
            broker: self.broker.clone(),
            store: self.store.clone(),
            embedded: false,
        }
    }

    /// Deletes the run's queues and keys.
    pub async fn clean_up(&self, project: &ProjectId) {
        let _ = self
            .broker
            .delete(&unit_queue(&self.namespace, project))
            .await;
        let _ = self.broker.delete(&result_queue(&self.namespace)).await;
        let _ = self.store.delete_all().await;
    }
}

/// A simulator seeding `mailboxes` source mailboxes of about `items_median` items.
pub fn sim_config(mailboxes: usize, items_median: u32) -> SimConfig {
    ferry_tests::test_config(mailboxes, items_median)
}

/// Environment options for a test.
pub fn options(sim: SimConfig, workers: usize, namespace: &str) -> EnvironmentOptions {
    EnvironmentOptions {
        sim,
        workers,
        concurrency: 4,
        lease_ttl: Duration::from_secs(5),
        namespace: namespace.to_string(),
        grpc_listen: "127.0.0.1:0".parse().expect("address"),
        api: ferry_core::model::MailProtocol::Ews,
        destination_api: None,
        sim_runtime: None,
        planning_concurrency: None,
    }
}

/// Starts an environment, failing the test if it cannot.
pub async fn start(options: EnvironmentOptions, services: Services) -> Environment {
    Environment::start(options, services)
        .await
        .expect("the environment starts")
}

/// The simulator's per-mailbox counters summed over every tenant and mailbox
/// (`fault.connection_reset`, `throttled.graph_upload`...), so a test can show it exercised
/// what it claims to.
pub async fn sim_counter_totals(
    environment: &Environment,
) -> std::collections::BTreeMap<String, u64> {
    let tenants: serde_json::Value =
        reqwest::get(format!("{}/counters", environment.sim.connection.admin_url))
            .await
            .expect("counters")
            .json()
            .await
            .expect("json");
    let mut totals = std::collections::BTreeMap::new();
    for (name, value) in tenants
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|tenant| tenant["mailbox_totals"].as_object())
        .flat_map(|totals| totals.iter())
    {
        *totals.entry(name.clone()).or_default() += value.as_u64().unwrap_or(0);
    }
    totals
}

/// The sum of the counters whose names start with `prefix`.
pub fn total(totals: &std::collections::BTreeMap<String, u64>, prefix: &str) -> u64 {
    totals
        .iter()
        .filter(|(name, _)| name.starts_with(prefix))
        .map(|(_, value)| value)
        .sum()
}
