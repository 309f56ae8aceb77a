//! Inbox rules, portable between protocols: conditions, exceptions and actions by name, their
//! addresses and folder references typed, so the engine maps addresses and remaps folders
//! without knowing how a protocol spells a rule.
//!
//! Entry names are Exchange's rule vocabulary (`ContainsSubjectStrings`, `FromAddresses`,
//! `MoveToFolder`...), the names EWS uses; an adapter translates its protocol's names to and
//! from them and lists what it cannot represent in [`InboxRule::unsupported`].

use super::FolderId;

/// An address in a rule (`FromAddresses`, `ForwardToRecipients`...).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RuleAddress {
    /// Display name.
    pub name: Option<String>,
    /// SMTP address.
    pub address: Option<String>,
}

/// A folder a rule names (`MoveToFolder`, `CopyToFolder`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RuleFolder {
    /// A folder of the mailbox by id.
    Id(FolderId),
    /// A well-known folder by name (`deleteditems`...).
    WellKnown(String),
}

/// The value of a rule entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleValue {
    /// A boolean (`HasAttachments`, `MarkAsRead`, `StopProcessingRules`...).
    Flag(bool),
    /// A single token (`Importance`, `Sensitivity`, `MarkImportance`, `FlaggedForAction`).
    Token(String),
    /// Strings (`ContainsSubjectStrings`, `AssignCategories`...).
    Strings(Vec<String>),
    /// Addresses (`FromAddresses`, `ForwardToRecipients`...).
    Addresses(Vec<RuleAddress>),
    /// A folder (`MoveToFolder`, `CopyToFolder`).
    Folder(RuleFolder),
    /// `WithinSizeRange`, in kilobytes.
    SizeRange {
        /// Minimum.
        minimum: Option<u64>,
        /// Maximum.
        maximum: Option<u64>,
    },
}

/// One named condition, exception or action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleEntry {
    /// Its name in Exchange's vocabulary.
    pub name: String,
    /// Its value.
    pub value: RuleValue,
}

/// An inbox rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxRule {
    /// The service's id; `None` for a rule to create.
    pub id: Option<String>,
    /// Name.
    pub display_name: String,
    /// Evaluation order, from 1.
    pub priority: i32,
    /// Whether it runs.
    pub is_enabled: bool,
    /// Conditions.
    pub conditions: Vec<RuleEntry>,
    /// Exceptions.
    pub exceptions: Vec<RuleEntry>,
    /// Actions.
    pub actions: Vec<RuleEntry>,
    /// Entries the adapter could not represent, by name: a rule with any cannot be recreated
    /// faithfully, so the engine reports it instead of copying half of it.
    pub unsupported: Vec<String>,
}

impl InboxRule {
    /// Every entry, conditions first, for changes that apply to all of them.
    pub fn entries_mut(&mut self) -> impl Iterator<Item = &mut RuleEntry> {
        self.conditions
            .iter_mut()
            .chain(self.exceptions.iter_mut())
            .chain(self.actions.iter_mut())
    }
}
