//! Failures the in-memory service injects on demand: what real services do to a migration.

use std::collections::HashMap;

use crate::mail::MailError;

/// A call of the [`MailApi`](crate::mail::MailApi).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `verify`.
    Verify,
    /// `root_folder`.
    RootFolder,
    /// `folders`.
    Folders,
    /// `create_folder`.
    CreateFolder,
    /// `items`.
    Items,
    /// `stamped_items`.
    StampedItems,
    /// `export`.
    Export,
    /// `upload`.
    Upload,
    /// `resolve_exchange_address`.
    ResolveAddress,
    /// `permissions`.
    Permissions,
    /// `set_permissions`.
    SetPermissions,
    /// `rules`.
    Rules,
    /// `create_rules`.
    CreateRules,
}

/// What happens to a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The call fails with this error before it does anything (throttling, an outage, a
    /// refused token).
    Fail(MailError),
    /// The call takes effect but its reply is lost: the caller sees a transient failure, as
    /// after a connection reset once the server had committed.
    LoseReply,
    /// The call takes effect and never returns, as if the caller's process died the moment
    /// the service committed (a test drops the pending call to play the crash).
    HangAfterEffect,
    /// An upload makes every item but reports the first one's outcome as unknown, as when
    /// Graph's reply to one item-by-item import is cut off.
    LoseFirstItemReply,
    /// A listing (`items`) returns, and then its first item is deleted at the source, as a
    /// user deleting mail during a migration.
    VanishFirstListed,
}

/// Faults waiting for their calls, in order per operation, and how often each was called.
#[derive(Debug, Default)]
pub(super) struct FaultPlan {
    waiting: HashMap<Operation, Vec<Fault>>,
    calls: HashMap<Operation, usize>,
}

impl FaultPlan {
    pub(super) fn inject(&mut self, operation: Operation, fault: Fault, times: usize) {
        let queue = self.waiting.entry(operation).or_default();
        queue.extend(std::iter::repeat_n(fault, times));
    }

    /// Counts a call and hands it its fault, if one waits.
    pub(super) fn take(&mut self, operation: Operation) -> Option<Fault> {
        *self.calls.entry(operation).or_default() += 1;
        let queue = self.waiting.get_mut(&operation)?;
        (!queue.is_empty()).then(|| queue.remove(0))
    }

    pub(super) fn calls(&self, operation: Operation) -> usize {
        self.calls.get(&operation).copied().unwrap_or(0)
    }
}
