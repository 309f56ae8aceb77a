//! Finding a user's mailbox id: `GET /users/{id | userPrincipalName}/settings/exchange`.

use super::segment;
use crate::types::ExchangeSettings;
use crate::{GraphClient, GraphError, MailboxId};

impl GraphClient {
    /// The primary mailbox id of a user, named by object id or user principal name (for a
    /// mailbox whose UPN is its primary address, that address).
    pub async fn mailbox_id(&self, user: &str) -> Result<MailboxId, GraphError> {
        if user.is_empty() {
            return Err(GraphError::InvalidRequest("no user named".into()));
        }
        let url = self.url(&format!("users/{}/settings/exchange", segment(user)));
        let settings: ExchangeSettings = self.get_json("getExchangeSettings", &url, &[]).await?;
        Ok(settings.primary_mailbox_id)
    }
}
