//! Directory requests: `ResolveNames`.

use super::{envelope, MailboxTarget, Request};

/// `ResolveNames` of one entry (an SMTP address, a legacyExchangeDN, a name) in the directory
/// only, without contact data: what resolving an `EX` address to its mailbox needs.
pub fn resolve_names(mailbox: &MailboxTarget, version: &str, entry: &str) -> Request {
    envelope("ResolveNames", mailbox, version, |writer| {
        writer.open(
            "m:ResolveNames",
            &[
                ("ReturnFullContactData", "false"),
                ("SearchScope", "ActiveDirectory"),
            ],
        );
        writer.leaf("m:UnresolvedEntry", entry);
        writer.close("m:ResolveNames");
    })
}
