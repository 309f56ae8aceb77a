//! `ResolveNames`: the directory's answer to "who is this address?". It resolves SMTP addresses
//! (primary and proxy), legacyExchangeDNs and `X500:` proxies, and, like Exchange's ambiguous
//! name resolution, the start of a display name or address.

use std::sync::Arc;

use super::context::OpContext;
use super::folder_ops::required;
use super::soap::{error_message, response_end, response_start, EwsError};
use super::OpError;
use crate::model::Mailbox;
use crate::xml::{Element, XmlWriter};

/// The most candidates Exchange returns for an ambiguous name.
const MAX_RESOLUTIONS: usize = 100;

/// `ResolveNames` in the tenant's directory.
pub fn resolve_names(
    ctx: &OpContext<'_>,
    request: &Element,
    writer: &mut XmlWriter,
) -> Result<(), OpError> {
    let entry = required(request, "UnresolvedEntry")?
        .trimmed_text()
        .to_string();
    if entry.is_empty() {
        return Err(EwsError::new("ErrorNameResolutionNoResults", "No results were found.").into());
    }
    let found = candidates(ctx, &entry);
    response_start(writer, "ResolveNames");
    let element = "m:ResolveNamesResponseMessage";
    if found.is_empty() {
        error_message(
            writer,
            element,
            &EwsError::new("ErrorNameResolutionNoResults", "No results were found."),
        );
    } else {
        if found.len() == 1 {
            writer.open(element, &[("ResponseClass", "Success")]);
            writer.leaf("m:ResponseCode", "NoError");
        } else {
            writer.open(element, &[("ResponseClass", "Warning")]);
            writer.leaf("m:MessageText", "Multiple results were found.");
            writer.leaf("m:ResponseCode", "ErrorNameResolutionMultipleResults");
            writer.leaf("m:DescriptiveLinkKey", "0");
        }
        writer.open(
            "m:ResolutionSet",
            &[
                ("TotalItemsInView", &found.len().to_string()),
                ("IncludesLastItemInRange", "true"),
            ],
        );
        for mailbox in &found {
            writer.open("t:Resolution", &[]);
            writer.open("t:Mailbox", &[]);
            writer.leaf("t:Name", &mailbox.display_name);
            writer.leaf("t:EmailAddress", &mailbox.primary_address);
            writer.leaf("t:RoutingType", "SMTP");
            writer.leaf("t:MailboxType", "Mailbox");
            writer.close("t:Mailbox");
            writer.close("t:Resolution");
        }
        writer.close("m:ResolutionSet");
        writer.close(element);
    }
    response_end(writer, "ResolveNames");
    Ok(())
}

/// The mailboxes an entry names: an exact address first, else every mailbox whose display name
/// or address starts with it.
fn candidates(ctx: &OpContext<'_>, entry: &str) -> Vec<Arc<Mailbox>> {
    let tenant = ctx.tenant();
    let strip = |prefix: &str| {
        entry
            .get(..prefix.len())
            .filter(|head| head.eq_ignore_ascii_case(prefix))
            .map(|_| &entry[prefix.len()..])
    };
    let exact = if let Some(address) = strip("smtp:") {
        tenant.mailbox_by_address(address)
    } else if let Some(address) = strip("ex:").or_else(|| strip("x500:")) {
        tenant.mailbox_by_exchange_address(address)
    } else if entry.starts_with('/') {
        tenant.mailbox_by_exchange_address(entry)
    } else {
        tenant.mailbox_by_address(entry)
    };
    if let Some(mailbox) = exact {
        return vec![Arc::clone(mailbox)];
    }
    let needle = entry.to_lowercase();
    tenant
        .mailboxes()
        .iter()
        .filter(|mailbox| {
            mailbox.display_name.to_lowercase().starts_with(&needle)
                || mailbox.primary_address.to_lowercase().starts_with(&needle)
        })
        .take(MAX_RESOLUTIONS)
        .cloned()
        .collect()
}
