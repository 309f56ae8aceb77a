//! Inbox rules as EWS describes them (`RuleType`): conditions, exceptions and actions.

use super::item::Person;

pub use ferry_xml::schema::{RULE_ACTIONS as ACTION_ORDER, RULE_PREDICATES as PREDICATE_ORDER};

/// The value of one predicate or action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleValue {
    /// `xs:boolean` entries (`HasAttachments`, `MarkAsRead`, `StopProcessingRules`...).
    Flag(bool),
    /// Single-token entries (`Importance`, `Sensitivity`, `FlaggedForAction`, `MarkImportance`).
    Token(String),
    /// `ArrayOfStringsType` entries (`ContainsSubjectStrings`, `AssignCategories`...).
    Strings(Vec<String>),
    /// `ArrayOfEmailAddressesType` entries (`FromAddresses`, `ForwardToRecipients`...).
    Addresses(Vec<Person>),
    /// A folder in this mailbox (`MoveToFolder`, `CopyToFolder`).
    Folder(u64),
    /// A size range in kilobytes (`WithinSizeRange`).
    SizeRange {
        /// Minimum size, if any.
        minimum: Option<u64>,
        /// Maximum size, if any.
        maximum: Option<u64>,
    },
}

/// One named predicate or action of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleEntry {
    /// The element name (`ContainsSubjectStrings`, `MoveToFolder`...).
    pub name: String,
    /// Its value.
    pub value: RuleValue,
}

/// An inbox rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxRule {
    /// The server-assigned rule id.
    pub id: String,
    /// The name the user gave the rule.
    pub display_name: String,
    /// Order of evaluation, from 1.
    pub priority: i32,
    /// Whether the rule runs.
    pub is_enabled: bool,
    /// Conditions, in schema order.
    pub conditions: Vec<RuleEntry>,
    /// Exceptions, in schema order.
    pub exceptions: Vec<RuleEntry>,
    /// Actions, in schema order.
    pub actions: Vec<RuleEntry>,
}

impl InboxRule {
    /// Puts every entry list in the order the schema requires.
    pub fn normalise_order(&mut self) {
        use ferry_xml::schema::rule_entry_position as position;
        self.conditions
            .sort_by_key(|entry| position(PREDICATE_ORDER, &entry.name));
        self.exceptions
            .sort_by_key(|entry| position(PREDICATE_ORDER, &entry.name));
        self.actions
            .sort_by_key(|entry| position(ACTION_ORDER, &entry.name));
    }

    /// The folders the rule's actions point at.
    pub fn referenced_folders(&self) -> impl Iterator<Item = u64> + '_ {
        self.actions.iter().filter_map(|entry| match entry.value {
            RuleValue::Folder(seq) => Some(seq),
            _ => None,
        })
    }
}

/// The kind of value an entry name takes, or `None` if the name is not a known entry.
pub fn value_kind(name: &str) -> Option<RuleValueKind> {
    use RuleValueKind::*;
    Some(match name {
        "Categories"
        | "ContainsBodyStrings"
        | "ContainsHeaderStrings"
        | "ContainsRecipientStrings"
        | "ContainsSenderStrings"
        | "ContainsSubjectOrBodyStrings"
        | "ContainsSubjectStrings"
        | "FromConnectedAccounts"
        | "ItemClasses"
        | "MessageClassifications"
        | "AssignCategories" => Strings,
        "FromAddresses"
        | "SentToAddresses"
        | "ForwardAsAttachmentToRecipients"
        | "ForwardToRecipients"
        | "RedirectToRecipients"
        | "SendSMSAlertToRecipients" => Addresses,
        "HasAttachments"
        | "IsApprovalRequest"
        | "IsAutomaticForward"
        | "IsAutomaticReply"
        | "IsEncrypted"
        | "IsMeetingRequest"
        | "IsMeetingResponse"
        | "IsNDR"
        | "IsPermissionControlled"
        | "IsReadReceipt"
        | "IsSigned"
        | "IsVoicemail"
        | "NotSentToMe"
        | "SentCcMe"
        | "SentOnlyToMe"
        | "SentToMe"
        | "SentToOrCcMe"
        | "Delete"
        | "MarkAsRead"
        | "PermanentDelete"
        | "StopProcessingRules" => Flag,
        "Importance" | "Sensitivity" | "FlaggedForAction" | "MarkImportance" => Token,
        "CopyToFolder" | "MoveToFolder" => Folder,
        "WithinSizeRange" => SizeRange,
        _ => return None,
    })
}

/// The shape of a rule entry's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleValueKind {
    /// A boolean.
    Flag,
    /// One token.
    Token,
    /// A list of strings.
    Strings,
    /// A list of e-mail addresses.
    Addresses,
    /// A folder.
    Folder,
    /// A size range.
    SizeRange,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_put_in_schema_order() {
        let mut rule = InboxRule {
            id: "1".into(),
            display_name: "r".into(),
            priority: 1,
            is_enabled: true,
            conditions: vec![
                RuleEntry {
                    name: "HasAttachments".into(),
                    value: RuleValue::Flag(true),
                },
                RuleEntry {
                    name: "ContainsSubjectStrings".into(),
                    value: RuleValue::Strings(vec!["x".into()]),
                },
            ],
            exceptions: vec![],
            actions: vec![
                RuleEntry {
                    name: "StopProcessingRules".into(),
                    value: RuleValue::Flag(true),
                },
                RuleEntry {
                    name: "MoveToFolder".into(),
                    value: RuleValue::Folder(9),
                },
            ],
        };
        rule.normalise_order();
        assert_eq!(rule.conditions[0].name, "ContainsSubjectStrings");
        assert_eq!(rule.actions[0].name, "MoveToFolder");
        assert_eq!(rule.referenced_folders().collect::<Vec<_>>(), vec![9]);
    }
}
