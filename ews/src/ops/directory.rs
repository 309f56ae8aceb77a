//! Directory operations: resolving an address to the mailbox it names.

use crate::reply::Status;
use crate::request::{self, MailboxTarget};
use crate::types::Resolution;
use crate::{EwsClient, EwsError};

impl EwsClient {
    /// `ResolveNames` in the directory: the mailboxes `entry` (an SMTP address, a
    /// legacyExchangeDN or an `X500:` proxy, a name) names. No match is an empty list, not an
    /// error; several matches are all returned.
    pub async fn resolve_names(
        &self,
        mailbox: &MailboxTarget,
        entry: &str,
    ) -> Result<Vec<Resolution>, EwsError> {
        let request = request::resolve_names(mailbox, &self.schema_version, entry);
        let mut reply = self.send(&request).await?;
        let message = reply.next_message().await?.ok_or_else(|| {
            EwsError::MalformedReply("ResolveNames reply has no response message".into())
        })?;
        let status = Status::of(&message);
        match status.code.as_deref() {
            Some("ErrorNameResolutionNoResults") => return Ok(Vec::new()),
            // Ambiguous names come back as a warning with every candidate.
            Some("ErrorNameResolutionMultipleResults") => {}
            _ => status.check()?,
        }
        Ok(message
            .child("ResolutionSet")
            .map(|set| {
                set.children_named("Resolution")
                    .filter_map(|resolution| resolution.child("Mailbox"))
                    .map(|mailbox| Resolution {
                        name: mailbox.child_text("Name").unwrap_or_default().to_string(),
                        email_address: mailbox
                            .child_text("EmailAddress")
                            .unwrap_or_default()
                            .to_string(),
                        routing_type: mailbox
                            .child_text("RoutingType")
                            .unwrap_or("SMTP")
                            .to_string(),
                        mailbox_type: mailbox
                            .child_text("MailboxType")
                            .unwrap_or_default()
                            .to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default())
    }
}
