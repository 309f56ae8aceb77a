//! `GET /v1.0/users/{id | userPrincipalName}/settings/exchange`: the id of a user's mailbox.
//!
//! The user is named by the directory object id (the admin API lists it as `graph_user_id`)
//! or by the user principal name, which for the simulator's users is their primary SMTP
//! address; any of the mailbox's SMTP addresses is accepted, compared without regard to case.
//! Every kind of mailbox (user, shared, room, equipment) has a user object, as in Exchange
//! Online, so a shared mailbox's id is found the same way. The reply has `primaryMailboxId`
//! only, as the docs' example does.

use super::context::{GraphReply, GraphRequest};
use super::error::GraphError;
use super::ids::display_mailbox_id;
use super::json::JsonObject;
use crate::model::Mailbox;
use crate::server::SimState;

/// 404 for a user the directory does not have, in Entra ID's words.
pub fn user_not_found(user: &str) -> GraphError {
    GraphError::new(
        404,
        "Request_ResourceNotFound",
        format!("Resource '{user}' does not exist or one of its queried reference-property objects are not present."),
    )
}

/// The `exchangeSettings` of the user whose mailbox is `mailbox`.
pub fn exchange_settings(
    sim: &SimState,
    request: &GraphRequest,
    user: &str,
    mailbox: &Mailbox,
) -> Result<GraphReply, GraphError> {
    request.query.allow_only(&[])?;
    let id = display_mailbox_id(sim.graph.mailboxes.id_of(&mailbox.guid).unwrap_or_default());
    // The context names the user as the client wrote it (the path already decoded), encoded
    // as Graph writes it (`megan%40contoso.com`).
    let encoded: String = serde_urlencoded::to_string([("", user)])
        .unwrap_or_default()
        .trim_start_matches('=')
        .replace('+', "%20");
    let body = JsonObject::new()
        .string(
            "@odata.context",
            &format!(
                "{}/$metadata#users('{encoded}')/settings/exchange/$entity",
                request.graph_base()
            ),
        )
        .string("primaryMailboxId", &id)
        .finish();
    Ok(GraphReply::json(200, "exchangeSettings", body))
}
