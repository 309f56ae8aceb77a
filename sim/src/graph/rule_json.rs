//! A `messageRule` and the model's inbox rule (EWS vocabulary), both ways.
//!
//! Each Graph predicate and action maps to one EWS rule entry (`subjectContains` =
//! `ContainsSubjectStrings`, `moveToFolder` = `MoveToFolder`...; the table is [`PREDICATES`]
//! and [`ACTIONS`]); enums are Graph's lowerCamel names for EWS's tokens. Entries Graph cannot
//! express (`FromConnectedAccounts`, `ItemClasses`, `ServerReplyWithMessage`...) are left out
//! of the Graph view and kept in the model when Graph rewrites a rule's other entries.
//! Folders are the users API's REST ids ([`super::mail_folders`]).

use serde_json::{json, Map, Value};

use super::body;
use super::context::MailboxContext;
use super::error::GraphError;
use super::json::JsonObject;
use super::mail_folders::{resolve_rest_id, rest_folder_id};
use crate::model::{InboxRule, MailboxState, Person, RuleEntry, RuleValue};

/// How a Graph property's value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Strings,
    Addresses,
    Flag,
    Importance,
    Sensitivity,
    ActionFlag,
    SizeRange,
    Folder,
}

/// Graph predicate name, EWS entry name, kind.
const PREDICATES: &[(&str, &str, Kind)] = &[
    ("bodyContains", "ContainsBodyStrings", Kind::Strings),
    (
        "bodyOrSubjectContains",
        "ContainsSubjectOrBodyStrings",
        Kind::Strings,
    ),
    ("categories", "Categories", Kind::Strings),
    ("fromAddresses", "FromAddresses", Kind::Addresses),
    ("hasAttachments", "HasAttachments", Kind::Flag),
    ("headerContains", "ContainsHeaderStrings", Kind::Strings),
    ("importance", "Importance", Kind::Importance),
    ("isApprovalRequest", "IsApprovalRequest", Kind::Flag),
    ("isAutomaticForward", "IsAutomaticForward", Kind::Flag),
    ("isAutomaticReply", "IsAutomaticReply", Kind::Flag),
    ("isEncrypted", "IsEncrypted", Kind::Flag),
    ("isMeetingRequest", "IsMeetingRequest", Kind::Flag),
    ("isMeetingResponse", "IsMeetingResponse", Kind::Flag),
    ("isNonDeliveryReport", "IsNDR", Kind::Flag),
    (
        "isPermissionControlled",
        "IsPermissionControlled",
        Kind::Flag,
    ),
    ("isReadReceipt", "IsReadReceipt", Kind::Flag),
    ("isSigned", "IsSigned", Kind::Flag),
    ("isVoicemail", "IsVoicemail", Kind::Flag),
    ("messageActionFlag", "FlaggedForAction", Kind::ActionFlag),
    ("notSentToMe", "NotSentToMe", Kind::Flag),
    (
        "recipientContains",
        "ContainsRecipientStrings",
        Kind::Strings,
    ),
    ("senderContains", "ContainsSenderStrings", Kind::Strings),
    ("sensitivity", "Sensitivity", Kind::Sensitivity),
    ("sentCcMe", "SentCcMe", Kind::Flag),
    ("sentOnlyToMe", "SentOnlyToMe", Kind::Flag),
    ("sentToAddresses", "SentToAddresses", Kind::Addresses),
    ("sentToMe", "SentToMe", Kind::Flag),
    ("sentToOrCcMe", "SentToOrCcMe", Kind::Flag),
    ("subjectContains", "ContainsSubjectStrings", Kind::Strings),
    ("withinSizeRange", "WithinSizeRange", Kind::SizeRange),
];

/// Graph action name, EWS entry name, kind.
const ACTIONS: &[(&str, &str, Kind)] = &[
    ("assignCategories", "AssignCategories", Kind::Strings),
    ("copyToFolder", "CopyToFolder", Kind::Folder),
    ("delete", "Delete", Kind::Flag),
    (
        "forwardAsAttachmentTo",
        "ForwardAsAttachmentToRecipients",
        Kind::Addresses,
    ),
    ("forwardTo", "ForwardToRecipients", Kind::Addresses),
    ("markAsRead", "MarkAsRead", Kind::Flag),
    ("markImportance", "MarkImportance", Kind::Importance),
    ("moveToFolder", "MoveToFolder", Kind::Folder),
    ("permanentDelete", "PermanentDelete", Kind::Flag),
    ("redirectTo", "RedirectToRecipients", Kind::Addresses),
    ("stopProcessingRules", "StopProcessingRules", Kind::Flag),
];

/// Graph's enum members and EWS's tokens, position for position.
const IMPORTANCE: (&[&str], &[&str]) = (&["low", "normal", "high"], &["Low", "Normal", "High"]);
const SENSITIVITY: (&[&str], &[&str]) = (
    &["normal", "personal", "private", "confidential"],
    &["Normal", "Personal", "Private", "Confidential"],
);
const ACTION_FLAG: (&[&str], &[&str]) = (
    &[
        "any",
        "call",
        "doNotForward",
        "followUp",
        "fyi",
        "forward",
        "noResponseNecessary",
        "read",
        "reply",
        "replyToAll",
        "review",
    ],
    &[
        "Any",
        "Call",
        "DoNotForward",
        "FollowUp",
        "FYI",
        "Forward",
        "NoResponseNecessary",
        "Read",
        "Reply",
        "ReplyToAll",
        "Review",
    ],
);

/// Which part of a rule a list of entries is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// `conditions`.
    Conditions,
    /// `exceptions`.
    Exceptions,
    /// `actions`.
    Actions,
}

impl Part {
    /// The Graph property name.
    pub fn name(self) -> &'static str {
        match self {
            Part::Conditions => "conditions",
            Part::Exceptions => "exceptions",
            Part::Actions => "actions",
        }
    }

    fn table(self) -> &'static [(&'static str, &'static str, Kind)] {
        match self {
            Part::Actions => ACTIONS,
            _ => PREDICATES,
        }
    }

    fn type_name(self) -> &'static str {
        match self {
            Part::Actions => "microsoft.graph.messageRuleActions",
            _ => "microsoft.graph.messageRulePredicates",
        }
    }

    /// Whether Graph can express an entry of this part.
    pub fn expresses(self, entry: &RuleEntry) -> bool {
        self.table().iter().any(|(_, ews, _)| *ews == entry.name)
    }
}

fn recipients(people: &[Person]) -> Value {
    Value::from(
        people
            .iter()
            .map(|person| {
                let mut address = Map::new();
                if !person.name.is_empty() {
                    address.insert("name".into(), Value::from(person.name.as_str()));
                }
                address.insert("address".into(), Value::from(person.address.as_str()));
                json!({ "emailAddress": address })
            })
            .collect::<Vec<_>>(),
    )
}

fn token_to_graph(token: &str, (graph, ews): (&[&str], &[&str])) -> Option<Value> {
    ews.iter()
        .position(|known| known.eq_ignore_ascii_case(token))
        .map(|index| Value::from(graph[index]))
}

/// The Graph value of an entry, if Graph can express it.
fn entry_value(ctx: &MailboxContext<'_>, kind: Kind, value: &RuleValue) -> Option<Value> {
    Some(match (kind, value) {
        (Kind::Strings, RuleValue::Strings(strings)) => Value::from(strings.clone()),
        (Kind::Addresses, RuleValue::Addresses(people)) => recipients(people),
        (Kind::Flag, RuleValue::Flag(flag)) => Value::from(*flag),
        (Kind::Importance, RuleValue::Token(token)) => token_to_graph(token, IMPORTANCE)?,
        (Kind::Sensitivity, RuleValue::Token(token)) => token_to_graph(token, SENSITIVITY)?,
        (Kind::ActionFlag, RuleValue::Token(token)) => token_to_graph(token, ACTION_FLAG)?,
        (Kind::SizeRange, RuleValue::SizeRange { minimum, maximum }) => {
            let mut range = Map::new();
            if let Some(minimum) = minimum {
                range.insert("minimumSize".into(), Value::from(*minimum));
            }
            if let Some(maximum) = maximum {
                range.insert("maximumSize".into(), Value::from(*maximum));
            }
            Value::Object(range)
        }
        (Kind::Folder, RuleValue::Folder(seq)) => Value::from(rest_folder_id(ctx, *seq)),
        _ => return None,
    })
}

/// The Graph object of a rule part; `None` when Graph sees nothing in it.
fn part_json(ctx: &MailboxContext<'_>, part: Part, entries: &[RuleEntry]) -> Option<Value> {
    let mut object = Map::new();
    for (graph, ews, kind) in part.table() {
        if let Some(entry) = entries.iter().find(|entry| entry.name == *ews) {
            if let Some(value) = entry_value(ctx, *kind, &entry.value) {
                object.insert((*graph).to_string(), value);
            }
        }
    }
    (!object.is_empty()).then_some(Value::Object(object))
}

/// A rule as a `messageRule` object.
pub fn rule_json(ctx: &MailboxContext<'_>, rule: &InboxRule) -> JsonObject {
    let mut object = JsonObject::new()
        .string("id", &rule.id)
        .string("displayName", &rule.display_name)
        .value("sequence", Value::from(rule.priority))
        .value("isEnabled", Value::from(rule.is_enabled))
        .value("hasError", Value::from(false))
        .value("isReadOnly", Value::from(false));
    for (part, entries) in [
        (Part::Conditions, &rule.conditions),
        (Part::Exceptions, &rule.exceptions),
    ] {
        if let Some(value) = part_json(ctx, part, entries) {
            object = object.value(part.name(), value);
        }
    }
    object.value(
        "actions",
        part_json(ctx, Part::Actions, &rule.actions).unwrap_or_else(|| json!({})),
    )
}

fn token_from_graph(
    value: &Value,
    name: &str,
    (graph, ews): (&[&str], &[&str]),
) -> Result<RuleValue, GraphError> {
    let index = body::enum_member(value, name, graph)?;
    Ok(RuleValue::Token(ews[index].to_string()))
}

fn people(value: &Value, name: &str) -> Result<Vec<Person>, GraphError> {
    let list = value
        .as_array()
        .ok_or_else(|| body::wrong_type(name, "an array of recipients"))?;
    let mut people = Vec::with_capacity(list.len());
    for recipient in list {
        let recipient = body::object_value(recipient, name)?;
        let mut person = Person {
            name: String::new(),
            address: String::new(),
        };
        for (property, value) in body::members(
            recipient,
            &["emailAddress"],
            "microsoft.graph.recipient",
            name,
        )? {
            let path = body::qualified(name, property);
            let address = body::object_value(value, &path)?;
            for (member, value) in body::members(
                address,
                &["name", "address"],
                "microsoft.graph.emailAddress",
                &path,
            )? {
                let member_path = body::qualified(&path, member);
                if value.is_null() {
                    continue;
                }
                let text = body::string(value, &member_path)?.to_string();
                match member {
                    "name" => person.name = text,
                    _ => person.address = text,
                }
            }
        }
        if person.address.trim().is_empty() {
            return Err(GraphError::bad_request(format!(
                "A recipient of '{name}' has no emailAddress.address."
            )));
        }
        people.push(person);
    }
    Ok(people)
}

fn size_range(value: &Value, name: &str) -> Result<RuleValue, GraphError> {
    let object = body::object_value(value, name)?;
    let (mut minimum, mut maximum) = (None, None);
    for (member, value) in body::members(
        object,
        &["minimumSize", "maximumSize"],
        "microsoft.graph.sizeRange",
        name,
    )? {
        if value.is_null() {
            continue;
        }
        let path = body::qualified(name, member);
        let size = u64::try_from(body::int32(value, &path)?)
            .map_err(|_| body::wrong_type(&path, "a size in kilobytes, 0 or more"))?;
        match member {
            "minimumSize" => minimum = Some(size),
            _ => maximum = Some(size),
        }
    }
    Ok(RuleValue::SizeRange { minimum, maximum })
}

/// The model's entries for a Graph part object (`null` is an empty part).
pub fn parse_part(
    ctx: &MailboxContext<'_>,
    state: &MailboxState,
    part: Part,
    value: &Value,
) -> Result<Vec<RuleEntry>, GraphError> {
    if value.is_null() {
        return Ok(Vec::new());
    }
    let object = body::object_value(value, part.name())?;
    let names: Vec<&'static str> = part.table().iter().map(|(graph, _, _)| *graph).collect();
    let mut entries = Vec::new();
    for (graph, value) in body::members(object, &names, part.type_name(), part.name())? {
        if value.is_null() {
            continue;
        }
        let path = body::qualified(part.name(), graph);
        let (_, ews, kind) = part
            .table()
            .iter()
            .find(|(name, _, _)| *name == graph)
            .copied()
            .unwrap_or(("", "", Kind::Flag));
        let value = match kind {
            Kind::Strings => RuleValue::Strings(body::strings(value, &path)?),
            Kind::Addresses => RuleValue::Addresses(people(value, &path)?),
            Kind::Flag => RuleValue::Flag(body::boolean(value, &path)?),
            Kind::Importance => token_from_graph(value, &path, IMPORTANCE)?,
            Kind::Sensitivity => token_from_graph(value, &path, SENSITIVITY)?,
            Kind::ActionFlag => token_from_graph(value, &path, ACTION_FLAG)?,
            Kind::SizeRange => size_range(value, &path)?,
            Kind::Folder => RuleValue::Folder(resolve_rest_id(
                ctx,
                state,
                body::string(value, &path)?,
                &path,
            )?),
        };
        entries.push(RuleEntry {
            name: ews.to_string(),
            value,
        });
    }
    Ok(entries)
}
