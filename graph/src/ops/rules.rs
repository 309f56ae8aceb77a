//! Inbox rules: `users/{user}/mailFolders/inbox/messageRules` (list, create, delete).
//!
//! A rule's conditions, exceptions and actions are kept as Graph's JSON objects
//! (`messageRulePredicates`, `messageRuleActions`): the adapter that maps them to another
//! vocabulary reads them by name, and whatever this client does not know passes through.
//! `moveToFolder`/`copyToFolder` hold users-API REST ids (see [`super::ids`]).

use reqwest::Method;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::{segment, user_path};
use crate::client::read_json;
use crate::{GraphClient, GraphError};

/// `messageRule`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageRule {
    /// The service's id; left out when creating.
    #[serde(default, skip_serializing)]
    pub id: Option<String>,
    /// Name.
    #[serde(default)]
    pub display_name: String,
    /// Evaluation order.
    #[serde(default)]
    pub sequence: i32,
    /// Whether it runs.
    #[serde(default = "enabled")]
    pub is_enabled: bool,
    /// The service found the rule broken.
    #[serde(default, skip_serializing)]
    pub has_error: bool,
    /// Made by a client the service cannot change it for.
    #[serde(default, skip_serializing)]
    pub is_read_only: bool,
    /// `messageRulePredicates` for when the rule applies.
    #[serde(
        default,
        deserialize_with = "object_or_null",
        skip_serializing_if = "Map::is_empty"
    )]
    pub conditions: Map<String, Value>,
    /// `messageRulePredicates` for when it does not.
    #[serde(
        default,
        deserialize_with = "object_or_null",
        skip_serializing_if = "Map::is_empty"
    )]
    pub exceptions: Map<String, Value>,
    /// `messageRuleActions`.
    #[serde(
        default,
        deserialize_with = "object_or_null",
        skip_serializing_if = "Map::is_empty"
    )]
    pub actions: Map<String, Value>,
}

fn enabled() -> bool {
    true
}

/// An object, with `null` read as an empty one (Graph writes `"exceptions": null`).
fn object_or_null<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Map<String, Value>, D::Error> {
    Ok(Option::<Map<String, Value>>::deserialize(deserializer)?.unwrap_or_default())
}

impl GraphClient {
    fn rules_url(&self, user: &str) -> Result<String, GraphError> {
        Ok(self.url(&format!(
            "{}/mailFolders/inbox/messageRules",
            user_path(user)?
        )))
    }

    /// The user's inbox rules.
    pub async fn message_rules(&self, user: &str) -> Result<Vec<MessageRule>, GraphError> {
        let url = self.rules_url(user)?;
        self.get_all("listMessageRules", &url, &[]).await
    }

    /// Creates an inbox rule; the rule as the service stored it.
    pub async fn create_message_rule(
        &self,
        user: &str,
        rule: &MessageRule,
    ) -> Result<MessageRule, GraphError> {
        let url = self.rules_url(user)?;
        let response = self
            .send_json("createMessageRule", Method::POST, &url, rule)
            .await?;
        read_json("createMessageRule", response).await
    }

    /// Deletes an inbox rule.
    pub async fn delete_message_rule(&self, user: &str, id: &str) -> Result<(), GraphError> {
        let url = format!("{}/{}", self.rules_url(user)?, segment(id));
        self.call("deleteMessageRule", Method::DELETE, &url, &[])
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_reads_with_null_parts_and_writes_without_service_fields() {
        let rule: MessageRule = serde_json::from_value(serde_json::json!({
            "id": "AQAAAJ5dZp8=",
            "displayName": "From partner",
            "sequence": 2,
            "isEnabled": true,
            "hasError": false,
            "isReadOnly": false,
            "conditions": {"senderContains": ["adele"]},
            "exceptions": null,
            "actions": {"moveToFolder": "AAMkADA=", "stopProcessingRules": true}
        }))
        .expect("a messageRule");
        assert!(rule.exceptions.is_empty());
        let written = serde_json::to_value(&rule).expect("serialises");
        assert!(written.get("id").is_none() && written.get("hasError").is_none());
        assert!(written.get("exceptions").is_none());
        assert_eq!(written["actions"]["moveToFolder"], "AAMkADA=");
    }
}
