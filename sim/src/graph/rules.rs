//! Inbox rules of the users API: `…/users/{id | upn}/mailFolders/inbox/messageRules[/{id}]`,
//! over the model's rules, the ones EWS `GetInboxRules` serves and `UpdateInboxRules` writes.
//!
//! List and get (ordered by sequence, which is the model's priority); create (201, with the
//! server's id; `displayName` and `sequence` required, `isEnabled` true unless given; a name
//! another rule has is allowed, as in Exchange); update (the given properties only; a given
//! `conditions`, `exceptions` or `actions` replaces what Graph sees of that part, keeping the
//! entries Graph cannot express); delete (204). Sequences are stored as given (1 or more,
//! EWS's lowest priority) and rules kept ordered by them; EWS renumbers them 1, 2, … on its
//! next `UpdateInboxRules`. `hasError` and `isReadOnly` are always false. See
//! [`super::rule_json`] for the property mapping.

use serde_json::Value;

use super::body;
use super::collection::collection_json;
use super::context::{GraphReply, MailboxContext};
use super::error::GraphError;
use super::json::JsonObject;
use super::mail_folders::user_key;
use super::rule_json::{parse_part, rule_json, Part};
use crate::model::{InboxRule, MailboxState, RuleEntry};

const RULE_TYPE: &str = "microsoft.graph.messageRule";

/// What a create or update body may carry (`id`, `hasError` and `isReadOnly` are the server's).
const WRITABLE: &[&str] = &[
    "displayName",
    "sequence",
    "isEnabled",
    "conditions",
    "exceptions",
    "actions",
    "hasError",
    "isReadOnly",
];

fn fragment(user: &str) -> String {
    format!(
        "users('{}')/mailFolders('inbox')/messageRules",
        user_key(user)
    )
}

fn not_found(id: &str) -> GraphError {
    GraphError::new(
        404,
        "ErrorItemNotFound",
        format!("The rule '{id}' was not found in the store."),
    )
}

fn entity(ctx: &MailboxContext<'_>, user: &str, rule: &InboxRule) -> String {
    let context = JsonObject::new()
        .string(
            "@odata.context",
            &ctx.metadata(&format!("{}/$entity", fragment(user))),
        )
        .finish();
    let rule = rule_json(ctx, rule).finish();
    format!("{},{}", &context[..context.len() - 1], &rule[1..])
}

/// `GET …/messageRules`.
pub fn list(ctx: &MailboxContext<'_>, user: &str) -> Result<GraphReply, GraphError> {
    ctx.request.query.allow_only(&[])?;
    let state = ctx.mailbox.lock();
    let mut rules: Vec<&InboxRule> = state.rules.iter().collect();
    rules.sort_by_key(|rule| rule.priority);
    let values: Vec<String> = rules
        .iter()
        .map(|rule| rule_json(ctx, rule).finish())
        .collect();
    Ok(GraphReply::json(
        200,
        "listMessageRules",
        collection_json(&ctx.metadata(&fragment(user)), &values, None, None, None),
    ))
}

/// `GET …/messageRules/{id}`.
pub fn get(ctx: &MailboxContext<'_>, user: &str, id: &str) -> Result<GraphReply, GraphError> {
    ctx.request.query.allow_only(&[])?;
    let state = ctx.mailbox.lock();
    let rule = state
        .rules
        .iter()
        .find(|rule| rule.id == id)
        .ok_or_else(|| not_found(id))?;
    Ok(GraphReply::json(
        200,
        "getMessageRule",
        entity(ctx, user, rule),
    ))
}

/// Applies the body's members to `rule`.
fn apply(
    ctx: &MailboxContext<'_>,
    state: &MailboxState,
    rule: &mut InboxRule,
    members: &[(&'static str, &Value)],
) -> Result<(), GraphError> {
    for (name, value) in members {
        match *name {
            "displayName" => {
                let text = body::string(value, name)?.trim();
                if text.is_empty() {
                    return Err(GraphError::bad_request(
                        "The property 'displayName' is empty.",
                    ));
                }
                rule.display_name = text.to_string();
            }
            "sequence" => {
                let sequence = body::int32(value, name)?;
                if sequence < 1 {
                    return Err(GraphError::bad_request(format!(
                        "The value {sequence} of property 'sequence' is not valid: sequences start at 1."
                    )));
                }
                rule.priority = sequence;
            }
            "isEnabled" => rule.is_enabled = body::boolean(value, name)?,
            // Read-only; a client that writes back a rule it read sends them.
            "hasError" | "isReadOnly" => {
                if !value.is_null() && body::boolean(value, name)? {
                    return Err(GraphError::bad_request(format!(
                        "The property '{name}' is read-only and can only be false."
                    )));
                }
            }
            part_name => {
                let part = match part_name {
                    "conditions" => Part::Conditions,
                    "exceptions" => Part::Exceptions,
                    _ => Part::Actions,
                };
                let parsed = parse_part(ctx, state, part, value)?;
                let entries = match part {
                    Part::Conditions => &mut rule.conditions,
                    Part::Exceptions => &mut rule.exceptions,
                    Part::Actions => &mut rule.actions,
                };
                let kept: Vec<RuleEntry> = entries
                    .drain(..)
                    .filter(|entry| !part.expresses(entry))
                    .collect();
                entries.extend(parsed);
                entries.extend(kept);
            }
        }
    }
    rule.normalise_order();
    Ok(())
}

fn read_members(ctx: &MailboxContext<'_>) -> Result<serde_json::Map<String, Value>, GraphError> {
    let object = body::object(ctx.request)?;
    if let Some(key) = object.keys().find(|key| key.eq_ignore_ascii_case("id")) {
        return Err(GraphError::bad_request(format!(
            "The property '{key}' cannot be written: the server assigns a rule's id."
        )));
    }
    Ok(object)
}

fn store(state: &mut MailboxState, rule: InboxRule) {
    match state
        .rules
        .iter()
        .position(|existing| existing.id == rule.id)
    {
        Some(position) => state.rules[position] = rule,
        None => state.rules.push(rule),
    }
    state.rules.sort_by_key(|rule| rule.priority);
}

/// `POST …/messageRules`: 201 and the rule as stored.
pub fn create(ctx: &MailboxContext<'_>, user: &str) -> Result<GraphReply, GraphError> {
    ctx.request.query.allow_only(&[])?;
    let object = read_members(ctx)?;
    let members = body::members(&object, WRITABLE, RULE_TYPE, "")?;
    for required in ["displayName", "sequence"] {
        if !members
            .iter()
            .any(|(name, value)| *name == required && !value.is_null())
        {
            return Err(GraphError::bad_request(format!(
                "The property '{required}' is required to create a messageRule."
            )));
        }
    }
    let mut state = ctx.mailbox.lock();
    let mut rule = InboxRule {
        id: String::new(),
        display_name: String::new(),
        priority: 1,
        is_enabled: true,
        conditions: Vec::new(),
        exceptions: Vec::new(),
        actions: Vec::new(),
    };
    apply(ctx, &state, &mut rule, &members)?;
    rule.id = state.next_rule_id();
    let body = entity(ctx, user, &rule);
    store(&mut state, rule);
    ctx.count("graph.rules_created");
    Ok(GraphReply::json(201, "createMessageRule", body))
}

/// `PATCH …/messageRules/{id}`: 200 and the rule.
pub fn update(ctx: &MailboxContext<'_>, user: &str, id: &str) -> Result<GraphReply, GraphError> {
    ctx.request.query.allow_only(&[])?;
    let object = read_members(ctx)?;
    let members = body::members(&object, WRITABLE, RULE_TYPE, "")?;
    let mut state = ctx.mailbox.lock();
    let mut rule = state
        .rules
        .iter()
        .find(|rule| rule.id == id)
        .cloned()
        .ok_or_else(|| not_found(id))?;
    apply(ctx, &state, &mut rule, &members)?;
    let body = entity(ctx, user, &rule);
    store(&mut state, rule);
    ctx.count("graph.rules_updated");
    Ok(GraphReply::json(200, "updateMessageRule", body))
}

/// `DELETE …/messageRules/{id}`: 204.
pub fn delete(ctx: &MailboxContext<'_>, id: &str) -> Result<GraphReply, GraphError> {
    ctx.request.query.allow_only(&[])?;
    let mut state = ctx.mailbox.lock();
    let before = state.rules.len();
    state.rules.retain(|rule| rule.id != id);
    if state.rules.len() == before {
        return Err(not_found(id));
    }
    ctx.count("graph.rules_deleted");
    Ok(GraphReply::no_content("deleteMessageRule"))
}
