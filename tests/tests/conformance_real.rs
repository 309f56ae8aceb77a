//! The broker and store conformance suites against the real RabbitMQ and Redis; the in-memory
//! implementations pass the same suites in `ferry-core`.

use ferry_tests::services;

#[tokio::test]
async fn rabbitmq_broker_conforms() {
    let broker = services::amqp_broker().await;
    let namespace = services::unique_name("conformance");
    ferry_core::conformance::broker_suite(&broker, &namespace).await;
    for queue in [
        "order",
        "prefetch",
        "redeliver",
        "nack",
        "depth",
        "later",
        "later.later",
    ] {
        broker
            .delete(&format!("{namespace}.{queue}"))
            .await
            .expect("delete test queue");
    }
}

#[tokio::test]
async fn redis_store_conforms() {
    let store = services::redis_store().await;
    ferry_core::conformance::store_suite(&store).await;
    store.delete_all().await.expect("delete test keys");
}
