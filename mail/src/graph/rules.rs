//! Inbox rules between Graph's `messageRule` and the domain's [`InboxRule`], whose entry
//! names are Exchange's (EWS's) vocabulary.
//!
//! Graph names most of Exchange's rule entries (the table below); what it lacks (conditions
//! `FromConnectedAccounts`, `ItemClasses`, `MessageClassifications`, `WithinDateRange`;
//! actions `SendSMSAlertToRecipients`, `ServerReplyWithMessage`) a Graph endpoint cannot
//! carry: a rule using one is refused by name, not created without it. Entries are listed in
//! the schema's order, so a rule reads back as it was written whichever protocol wrote it.
//!
//! Folder references (`moveToFolder`, `copyToFolder`) are users-API REST ids on the wire and
//! mailbox-API folder ids in the domain; the conversion takes the bridge's maps (see
//! [`super::folder_bridge`]).

use std::collections::HashMap;

use ferry_core::mail::{FolderId, InboxRule, RuleAddress, RuleEntry, RuleFolder, RuleValue};
use ferry_graph::MessageRule;
use serde_json::{json, Map, Value};

/// How an entry's value is spelt in Graph's JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Flag,
    Strings,
    Addresses,
    Folder,
    SizeRange,
    /// A token from a list of (Exchange, Graph) spellings.
    Token(&'static [(&'static str, &'static str)]),
}

const IMPORTANCE: &[(&str, &str)] = &[("Low", "low"), ("Normal", "normal"), ("High", "high")];
const SENSITIVITY: &[(&str, &str)] = &[
    ("Normal", "normal"),
    ("Personal", "personal"),
    ("Private", "private"),
    ("Confidential", "confidential"),
];
const ACTION_FLAG: &[(&str, &str)] = &[
    ("Any", "any"),
    ("Call", "call"),
    ("DoNotForward", "doNotForward"),
    ("FollowUp", "followUp"),
    ("FYI", "fyi"),
    ("Forward", "forward"),
    ("NoResponseNecessary", "noResponseNecessary"),
    ("Read", "read"),
    ("Reply", "reply"),
    ("ReplyToAll", "replyToAll"),
    ("Review", "review"),
];

/// Conditions and exceptions: (Exchange name, Graph name, kind), in the schema's order.
const PREDICATES: &[(&str, &str, Kind)] = &[
    ("Categories", "categories", Kind::Strings),
    ("ContainsBodyStrings", "bodyContains", Kind::Strings),
    ("ContainsHeaderStrings", "headerContains", Kind::Strings),
    (
        "ContainsRecipientStrings",
        "recipientContains",
        Kind::Strings,
    ),
    ("ContainsSenderStrings", "senderContains", Kind::Strings),
    (
        "ContainsSubjectOrBodyStrings",
        "bodyOrSubjectContains",
        Kind::Strings,
    ),
    ("ContainsSubjectStrings", "subjectContains", Kind::Strings),
    (
        "FlaggedForAction",
        "messageActionFlag",
        Kind::Token(ACTION_FLAG),
    ),
    ("FromAddresses", "fromAddresses", Kind::Addresses),
    ("HasAttachments", "hasAttachments", Kind::Flag),
    ("Importance", "importance", Kind::Token(IMPORTANCE)),
    ("IsApprovalRequest", "isApprovalRequest", Kind::Flag),
    ("IsAutomaticForward", "isAutomaticForward", Kind::Flag),
    ("IsAutomaticReply", "isAutomaticReply", Kind::Flag),
    ("IsEncrypted", "isEncrypted", Kind::Flag),
    ("IsMeetingRequest", "isMeetingRequest", Kind::Flag),
    ("IsMeetingResponse", "isMeetingResponse", Kind::Flag),
    ("IsNDR", "isNonDeliveryReport", Kind::Flag),
    (
        "IsPermissionControlled",
        "isPermissionControlled",
        Kind::Flag,
    ),
    ("IsReadReceipt", "isReadReceipt", Kind::Flag),
    ("IsSigned", "isSigned", Kind::Flag),
    ("IsVoicemail", "isVoicemail", Kind::Flag),
    ("NotSentToMe", "notSentToMe", Kind::Flag),
    ("SentCcMe", "sentCcMe", Kind::Flag),
    ("SentOnlyToMe", "sentOnlyToMe", Kind::Flag),
    ("SentToAddresses", "sentToAddresses", Kind::Addresses),
    ("SentToMe", "sentToMe", Kind::Flag),
    ("SentToOrCcMe", "sentToOrCcMe", Kind::Flag),
    ("Sensitivity", "sensitivity", Kind::Token(SENSITIVITY)),
    ("WithinSizeRange", "withinSizeRange", Kind::SizeRange),
];

/// Actions: (Exchange name, Graph name, kind), in the schema's order.
const ACTIONS: &[(&str, &str, Kind)] = &[
    ("AssignCategories", "assignCategories", Kind::Strings),
    ("CopyToFolder", "copyToFolder", Kind::Folder),
    ("Delete", "delete", Kind::Flag),
    (
        "ForwardAsAttachmentToRecipients",
        "forwardAsAttachmentTo",
        Kind::Addresses,
    ),
    ("ForwardToRecipients", "forwardTo", Kind::Addresses),
    ("MarkImportance", "markImportance", Kind::Token(IMPORTANCE)),
    ("MarkAsRead", "markAsRead", Kind::Flag),
    ("MoveToFolder", "moveToFolder", Kind::Folder),
    ("PermanentDelete", "permanentDelete", Kind::Flag),
    ("RedirectToRecipients", "redirectTo", Kind::Addresses),
    ("StopProcessingRules", "stopProcessingRules", Kind::Flag),
];

/// The REST ids a Graph rule's folder actions name.
pub fn referenced_rest_ids(rule: &MessageRule) -> impl Iterator<Item = &str> {
    ["moveToFolder", "copyToFolder"]
        .into_iter()
        .filter_map(|name| rule.actions.get(name).and_then(Value::as_str))
}

/// A Graph rule in the domain's terms; `folders` maps users-API REST ids to mailbox-API folder
/// ids. What cannot be read (an entry this table lacks, a value of the wrong shape, a folder
/// the mailbox listing does not show, a rule the service reports broken) is listed in
/// [`InboxRule::unsupported`].
pub fn rule_from_graph(rule: &MessageRule, folders: &HashMap<String, FolderId>) -> InboxRule {
    let mut unsupported = Vec::new();
    if rule.has_error {
        unsupported.push("hasError (the service reports the rule broken)".to_string());
    }
    let conditions = entries_from_graph(&rule.conditions, PREDICATES, folders, &mut unsupported);
    let exceptions = entries_from_graph(&rule.exceptions, PREDICATES, folders, &mut unsupported);
    let actions = entries_from_graph(&rule.actions, ACTIONS, folders, &mut unsupported);
    InboxRule {
        id: rule.id.clone(),
        display_name: rule.display_name.clone(),
        priority: rule.sequence,
        is_enabled: rule.is_enabled,
        conditions,
        exceptions,
        actions,
        unsupported,
    }
}

fn entries_from_graph(
    object: &Map<String, Value>,
    table: &[(&str, &str, Kind)],
    folders: &HashMap<String, FolderId>,
    unsupported: &mut Vec<String>,
) -> Vec<RuleEntry> {
    let mut entries = Vec::new();
    for (exchange, graph, kind) in table {
        let Some(value) = object.get(*graph).filter(|value| !value.is_null()) else {
            continue;
        };
        match value_from_graph(value, *kind, folders) {
            Some(value) => entries.push(RuleEntry {
                name: exchange.to_string(),
                value,
            }),
            None => unsupported.push(format!("{exchange} (its value {value} cannot be read)")),
        }
    }
    for name in object.keys() {
        let known = table.iter().any(|(_, graph, _)| graph == name);
        if !known && !object[name].is_null() {
            unsupported.push(name.clone());
        }
    }
    entries
}

fn value_from_graph(
    value: &Value,
    kind: Kind,
    folders: &HashMap<String, FolderId>,
) -> Option<RuleValue> {
    Some(match kind {
        Kind::Flag => RuleValue::Flag(value.as_bool()?),
        Kind::Strings => RuleValue::Strings(
            value
                .as_array()?
                .iter()
                .map(|text| text.as_str().map(str::to_string))
                .collect::<Option<_>>()?,
        ),
        Kind::Addresses => RuleValue::Addresses(
            value
                .as_array()?
                .iter()
                .map(address_from_graph)
                .collect::<Option<_>>()?,
        ),
        Kind::Folder => RuleValue::Folder(RuleFolder::Id(folders.get(value.as_str()?)?.clone())),
        Kind::SizeRange => RuleValue::SizeRange {
            minimum: size(value.get("minimumSize"))?,
            maximum: size(value.get("maximumSize"))?,
        },
        Kind::Token(spellings) => {
            let graph = value.as_str()?;
            let (exchange, _) = spellings.iter().find(|(_, known)| *known == graph)?;
            RuleValue::Token(exchange.to_string())
        }
    })
}

/// A size bound: absent or `null` is none; a number must be a whole one.
fn size(value: Option<&Value>) -> Option<Option<u64>> {
    match value {
        None | Some(Value::Null) => Some(None),
        Some(value) => value.as_u64().map(Some),
    }
}

fn address_from_graph(recipient: &Value) -> Option<RuleAddress> {
    let email = recipient.get("emailAddress")?;
    let text = |name: &str| email.get(name).and_then(Value::as_str).map(str::to_string);
    Some(RuleAddress {
        name: text("name"),
        address: text("address"),
    })
}

/// A domain rule as a Graph rule to create; `folder` gives the users-API REST id of a folder
/// reference. The error names what Graph cannot carry.
pub fn rule_to_graph(
    rule: &InboxRule,
    folder: impl Fn(&RuleFolder) -> Option<String>,
) -> Result<MessageRule, String> {
    if !rule.unsupported.is_empty() {
        return Err(format!("it uses {}", rule.unsupported.join(", ")));
    }
    let mut problems = Vec::new();
    let conditions = entries_to_graph(&rule.conditions, PREDICATES, &folder, &mut problems);
    let exceptions = entries_to_graph(&rule.exceptions, PREDICATES, &folder, &mut problems);
    let actions = entries_to_graph(&rule.actions, ACTIONS, &folder, &mut problems);
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    Ok(MessageRule {
        id: None,
        display_name: rule.display_name.clone(),
        sequence: rule.priority,
        is_enabled: rule.is_enabled,
        has_error: false,
        is_read_only: false,
        conditions,
        exceptions,
        actions,
    })
}

fn entries_to_graph(
    entries: &[RuleEntry],
    table: &[(&str, &str, Kind)],
    folder: &impl Fn(&RuleFolder) -> Option<String>,
    problems: &mut Vec<String>,
) -> Map<String, Value> {
    let mut object = Map::new();
    for entry in entries {
        let Some((_, graph, kind)) = table.iter().find(|(name, ..)| *name == entry.name) else {
            problems.push(format!("{} has no Graph equivalent", entry.name));
            continue;
        };
        match value_to_graph(&entry.value, *kind, folder) {
            Some(value) => {
                object.insert(graph.to_string(), value);
            }
            None if *kind == Kind::Folder => problems.push(format!(
                "{}'s folder is not in the mailbox's folder listing",
                entry.name
            )),
            None => problems.push(format!("{} has a value Graph cannot take", entry.name)),
        }
    }
    object
}

fn value_to_graph(
    value: &RuleValue,
    kind: Kind,
    folder: &impl Fn(&RuleFolder) -> Option<String>,
) -> Option<Value> {
    Some(match (kind, value) {
        (Kind::Flag, RuleValue::Flag(flag)) => json!(flag),
        (Kind::Strings, RuleValue::Strings(strings)) => json!(strings),
        (Kind::Addresses, RuleValue::Addresses(list)) => Value::Array(
            list.iter()
                .map(|address| {
                    let mut email = Map::new();
                    if let Some(name) = &address.name {
                        email.insert("name".into(), json!(name));
                    }
                    if let Some(address) = &address.address {
                        email.insert("address".into(), json!(address));
                    }
                    json!({ "emailAddress": email })
                })
                .collect(),
        ),
        (Kind::Folder, RuleValue::Folder(reference)) => json!(folder(reference)?),
        (Kind::SizeRange, RuleValue::SizeRange { minimum, maximum }) => {
            let mut range = Map::new();
            if let Some(minimum) = minimum {
                range.insert("minimumSize".into(), json!(i32::try_from(*minimum).ok()?));
            }
            if let Some(maximum) = maximum {
                range.insert("maximumSize".into(), json!(i32::try_from(*maximum).ok()?));
            }
            Value::Object(range)
        }
        (Kind::Token(spellings), RuleValue::Token(token)) => {
            let (_, graph) = spellings
                .iter()
                .find(|(exchange, _)| exchange.eq_ignore_ascii_case(token))?;
            json!(graph)
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, value: RuleValue) -> RuleEntry {
        RuleEntry {
            name: name.into(),
            value,
        }
    }

    fn rule() -> InboxRule {
        InboxRule {
            id: None,
            display_name: "Invoices".into(),
            priority: 3,
            is_enabled: false,
            conditions: vec![
                entry(
                    "ContainsSubjectStrings",
                    RuleValue::Strings(vec!["invoice".into()]),
                ),
                entry("FlaggedForAction", RuleValue::Token("FYI".into())),
                entry(
                    "FromAddresses",
                    RuleValue::Addresses(vec![RuleAddress {
                        name: Some("Ann".into()),
                        address: Some("ann@contoso.com".into()),
                    }]),
                ),
                entry("Importance", RuleValue::Token("High".into())),
                entry("IsNDR", RuleValue::Flag(false)),
            ],
            exceptions: vec![entry(
                "WithinSizeRange",
                RuleValue::SizeRange {
                    minimum: Some(10),
                    maximum: None,
                },
            )],
            actions: vec![
                entry(
                    "MoveToFolder",
                    RuleValue::Folder(RuleFolder::Id(FolderId::new("mbx-folder"))),
                ),
                entry("StopProcessingRules", RuleValue::Flag(true)),
            ],
            unsupported: Vec::new(),
        }
    }

    #[test]
    fn a_rule_goes_to_graph_and_back_unchanged() {
        let written = rule_to_graph(&rule(), |reference| match reference {
            RuleFolder::Id(id) if id.as_str() == "mbx-folder" => Some("rest-folder".into()),
            _ => None,
        })
        .expect("Graph carries it");
        assert_eq!(written.conditions["messageActionFlag"], "fyi");
        assert_eq!(written.conditions["isNonDeliveryReport"], false);
        assert_eq!(
            written.exceptions["withinSizeRange"],
            json!({"minimumSize": 10})
        );
        assert_eq!(written.actions["moveToFolder"], "rest-folder");
        assert_eq!(
            referenced_rest_ids(&written).collect::<Vec<_>>(),
            ["rest-folder"]
        );
        let folders = HashMap::from([("rest-folder".to_string(), FolderId::new("mbx-folder"))]);
        let read = rule_from_graph(&written, &folders);
        assert_eq!(read, rule());
    }

    #[test]
    fn what_graph_lacks_is_named_not_dropped() {
        let mut with_classes = rule();
        with_classes.conditions.push(entry(
            "ItemClasses",
            RuleValue::Strings(vec!["IPM.Note".into()]),
        ));
        let refused = rule_to_graph(&with_classes, |_| Some("x".into())).expect_err("refused");
        assert!(refused.contains("ItemClasses"), "{refused}");
        let unknown_folder = rule_to_graph(&rule(), |_| None).expect_err("refused");
        assert!(unknown_folder.contains("MoveToFolder"), "{unknown_folder}");

        let mut odd = rule_to_graph(&rule(), |_| Some("rest-gone".into())).expect("carried");
        odd.conditions
            .insert("someFuturePredicate".into(), json!(true));
        odd.conditions.insert("hasAttachments".into(), json!("yes"));
        let read = rule_from_graph(&odd, &HashMap::new());
        assert!(read
            .unsupported
            .iter()
            .any(|name| name == "someFuturePredicate"));
        assert!(read
            .unsupported
            .iter()
            .any(|name| name.starts_with("HasAttachments")));
        assert!(read
            .unsupported
            .iter()
            .any(|name| name.starts_with("MoveToFolder")));
    }
}
