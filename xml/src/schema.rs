//! Orderings Microsoft's EWS schema imposes that both the client and the simulator must honour.

/// Rule predicates (`RulePredicatesType`: conditions and exceptions), in schema order.
pub const RULE_PREDICATES: &[&str] = &[
    "Categories",
    "ContainsBodyStrings",
    "ContainsHeaderStrings",
    "ContainsRecipientStrings",
    "ContainsSenderStrings",
    "ContainsSubjectOrBodyStrings",
    "ContainsSubjectStrings",
    "FlaggedForAction",
    "FromAddresses",
    "FromConnectedAccounts",
    "HasAttachments",
    "Importance",
    "IsApprovalRequest",
    "IsAutomaticForward",
    "IsAutomaticReply",
    "IsEncrypted",
    "IsMeetingRequest",
    "IsMeetingResponse",
    "IsNDR",
    "IsPermissionControlled",
    "IsReadReceipt",
    "IsSigned",
    "IsVoicemail",
    "ItemClasses",
    "MessageClassifications",
    "NotSentToMe",
    "SentCcMe",
    "SentOnlyToMe",
    "SentToAddresses",
    "SentToMe",
    "SentToOrCcMe",
    "Sensitivity",
    "WithinDateRange",
    "WithinSizeRange",
];

/// Rule actions (`RuleActionsType`), in schema order.
pub const RULE_ACTIONS: &[&str] = &[
    "AssignCategories",
    "CopyToFolder",
    "Delete",
    "ForwardAsAttachmentToRecipients",
    "ForwardToRecipients",
    "MarkImportance",
    "MarkAsRead",
    "MoveToFolder",
    "PermanentDelete",
    "RedirectToRecipients",
    "SendSMSAlertToRecipients",
    "ServerReplyWithMessage",
    "StopProcessingRules",
];

/// The position of a rule entry name in its schema order (unknown names sort last).
pub fn rule_entry_position(order: &[&str], name: &str) -> usize {
    order
        .iter()
        .position(|entry| *entry == name)
        .unwrap_or(order.len())
}
