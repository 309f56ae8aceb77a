//! The RabbitMQ and Redis of the machine the tests run on: where they are, and a clear failure
//! when they do not answer (tests never silently skip them).

use std::time::Duration;

/// RabbitMQ: `FERRY_TEST_AMQP_URL`, or the local default.
pub fn amqp_url() -> String {
    std::env::var("FERRY_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// Redis: `FERRY_TEST_REDIS_URL`, or the local default.
pub fn redis_url() -> String {
    std::env::var("FERRY_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into())
}

/// A name no other test run uses (queues, key prefixes).
pub fn unique_name(what: &str) -> String {
    format!("ferry-test-{what}-{}", uuid::Uuid::new_v4().simple())
}

/// Connects to RabbitMQ, or panics saying how to start it.
pub async fn amqp_broker() -> ferry_core::broker::amqp::AmqpBroker {
    let url = amqp_url();
    match tokio::time::timeout(Duration::from_secs(10), ferry_core::broker::amqp::AmqpBroker::connect(&url)).await {
        Ok(Ok(broker)) => broker,
        Ok(Err(error)) => panic!(
            "RabbitMQ does not answer at {} ({error}); start it with `rabbitmq-server -detached` or set FERRY_TEST_AMQP_URL",
            redacted(&url)
        ),
        Err(_) => panic!("RabbitMQ at {} did not answer within 10 s", redacted(&url)),
    }
}

/// Connects to Redis with a fresh key prefix, or panics saying how to start it.
pub async fn redis_store() -> ferry_core::store::redis::RedisStore {
    let url = redis_url();
    let prefix = unique_name("store");
    let connect = ferry_core::store::redis::RedisStore::connect(&url, &prefix);
    match tokio::time::timeout(Duration::from_secs(10), connect).await {
        Ok(Ok(store)) => store,
        Ok(Err(error)) => panic!(
            "Redis does not answer at {} ({error}); start it with `redis-server --daemonize yes` or set FERRY_TEST_REDIS_URL",
            redacted(&url)
        ),
        Err(_) => panic!("Redis at {} did not answer within 10 s", redacted(&url)),
    }
}

/// A URL without its password, for messages.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}
