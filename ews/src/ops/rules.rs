//! Inbox rule operations.

use crate::reply::any::rules;
use crate::reply::Status;
use crate::request::{self, MailboxTarget};
use crate::types::{InboxRule, RuleOperation};
use crate::{EwsClient, EwsError};

impl EwsClient {
    /// `GetInboxRules` of the mailbox.
    pub async fn inbox_rules(&self, mailbox: &MailboxTarget) -> Result<Vec<InboxRule>, EwsError> {
        let request = request::get_inbox_rules(mailbox, &self.schema_version);
        let message = self.send(&request).await?.single_message().await?;
        Status::of(&message).check()?;
        Ok(rules(&message))
    }

    /// `UpdateInboxRules`: applies every operation, or none. A validation failure names the
    /// operation and field the server objected to.
    pub async fn update_inbox_rules(
        &self,
        mailbox: &MailboxTarget,
        operations: &[RuleOperation],
    ) -> Result<(), EwsError> {
        let request = request::update_inbox_rules(mailbox, &self.schema_version, operations);
        let message = self.send(&request).await?.single_message().await?;
        let status = Status::of(&message);
        match status.error() {
            None => Ok(()),
            Some(error) => {
                let details: Vec<String> = message
                    .child("RuleOperationErrors")
                    .map(|errors| {
                        errors
                            .children_named("RuleOperationError")
                            .flat_map(|operation| {
                                let index = operation
                                    .child_text("OperationIndex")
                                    .unwrap_or("?")
                                    .to_string();
                                operation
                                    .child("ValidationErrors")
                                    .map(|list| list.children_named("Error").collect::<Vec<_>>())
                                    .unwrap_or_default()
                                    .into_iter()
                                    .map(move |detail| {
                                        format!(
                                            "operation {index}: {} {} ({})",
                                            detail.child_text("FieldURI").unwrap_or(""),
                                            detail.child_text("ErrorCode").unwrap_or(""),
                                            detail.child_text("ErrorMessage").unwrap_or("")
                                        )
                                    })
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                if details.is_empty() {
                    Err(error)
                } else {
                    Err(EwsError::Permanent {
                        code: error.code(),
                        message: details.join("; "),
                    })
                }
            }
        }
    }
}
