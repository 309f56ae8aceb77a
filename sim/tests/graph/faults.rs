//! The simulator's faults on Graph requests: internal errors, token expiry, vanishing items,
//! connection resets.

use serde_json::json;

use crate::common::Sim;
use crate::items::source_inbox_exports;

async fn set_faults(sim: &Sim, settings: serde_json::Value) {
    let reply = sim
        .http
        .put(format!("{}/faults", sim.sim.connection.admin_url))
        .json(&settings)
        .send()
        .await
        .expect("faults set");
    assert!(reply.status().is_success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_apply_to_graph_requests() {
    let sim = Sim::start(|_| {}).await;
    let exports = source_inbox_exports(&sim, 2).await;
    let (_, mailbox_id) = sim.user_mailbox("source").await;
    let token = sim.graph_token("source").await;
    let folders = sim.mailbox_url("source", &mailbox_id, "/folders");

    set_faults(
        &sim,
        json!({"internal_error_rate": 1.0, "tenants": ["source"]}),
    )
    .await;
    let failed = sim.get(&folders, &token).await;
    assert_eq!(
        (failed.status, failed.code()),
        (500, "ErrorInternalServerError")
    );
    let other_tenant = sim
        .get(
            &sim.mailbox_url(
                "destination",
                &sim.user_mailbox("destination").await.1,
                "/folders",
            ),
            &sim.graph_token("destination").await,
        )
        .await;
    assert_eq!(
        other_tenant.status, 200,
        "faults apply to the tenants named"
    );

    set_faults(&sim, json!({"token_expiry_rate": 1.0})).await;
    let expired = sim.get(&folders, &token).await;
    assert_eq!(
        (expired.status, expired.code()),
        (401, "InvalidAuthenticationToken")
    );
    assert!(expired.text.contains("expired"), "{}", expired.text);

    set_faults(&sim, json!({"connection_reset_rate": 1.0})).await;
    let reset = sim.http.get(&folders).bearer_auth(&token).send().await;
    let body = match reset {
        Ok(response) => response.bytes().await.map(|bytes| bytes.len()),
        Err(error) => Err(error),
    };
    assert!(body.is_err(), "the reply is cut off: {body:?}");

    set_faults(&sim, json!({"item_vanish_rate": 1.0})).await;
    let export = sim
        .post(
            &sim.mailbox_url("source", &mailbox_id, "/exportItems"),
            Some(&token),
            &json!({"itemIds": [exports[0].0]}),
        )
        .await;
    assert_eq!(
        export.json["value"][0]["error"]["code"], "ErrorItemNotFound",
        "{}",
        export.text
    );
    let got = sim
        .get(
            &sim.mailbox_url(
                "source",
                &mailbox_id,
                &format!("/folders/inbox/items/{}", exports[1].0),
            ),
            &token,
        )
        .await;
    assert_eq!((got.status, got.code()), (404, "ErrorItemNotFound"));

    set_faults(&sim, json!({})).await;
    let gone = sim
        .get(
            &sim.mailbox_url(
                "source",
                &mailbox_id,
                &format!("/folders/inbox/items/{}", exports[1].0),
            ),
            &token,
        )
        .await;
    assert_eq!(gone.status, 404, "a vanished item is gone for good");
    assert_eq!(sim.get(&folders, &token).await.status, 200);
    sim.finish().await;
}
