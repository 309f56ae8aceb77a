//! Which mailbox a request acts on, and whether the caller may: `ExchangeImpersonation` for
//! app-only tokens and impersonating admins, full access for delegating admins.

use std::sync::Arc;

use super::soap::SoapFault;
use crate::identity::{Principal, Subject};
use crate::ids::ObjectId;
use crate::model::{Mailbox, Tenant};
use crate::xml::Element;

/// The versions of `RequestServerVersion`, oldest first (`ExchangeVersionType`).
pub const VERSIONS: [&str; 19] = [
    "Exchange2007",
    "Exchange2007_SP1",
    "Exchange2009",
    "Exchange2010",
    "Exchange2010_SP1",
    "Exchange2010_SP2",
    "Exchange2012",
    "Exchange2013",
    "Exchange2013_SP1",
    "Exchange2015",
    "Exchange2016",
    "V2015_10_05",
    "V2016_01_06",
    "V2016_04_13",
    "V2016_07_13",
    "V2016_10_10",
    "V2017_01_07",
    "V2017_04_14",
    "V2017_07_11",
];

/// The requested schema version, as an index into [`VERSIONS`].
pub fn requested_version(header: Option<&Element>) -> Result<usize, SoapFault> {
    let Some(version) = header.and_then(|header| header.child("RequestServerVersion")) else {
        // Exchange assumes the first service pack of Exchange 2007 when none is given.
        return Ok(1);
    };
    let name = version.attr("Version").unwrap_or("");
    VERSIONS
        .iter()
        .position(|known| *known == name)
        .ok_or_else(|| {
            SoapFault::new(
                "ErrorInvalidServerVersion",
                format!("The specified server version '{name}' is invalid."),
            )
        })
}

/// The mailbox the request acts on, after checking that the caller may act on it.
pub fn acting_mailbox(
    principal: &Principal,
    header: Option<&Element>,
    operation: &Element,
) -> Result<Arc<Mailbox>, SoapFault> {
    let tenant = &principal.tenant;
    let impersonated = header
        .and_then(|header| header.child("ExchangeImpersonation"))
        .map(impersonated_address)
        .transpose()?;
    match (&principal.subject, impersonated) {
        (Subject::App { .. }, None) => Err(SoapFault::new(
            "ErrorInvalidExchangeImpersonationHeaderData",
            "ExchangeImpersonation SOAP header must be present for this type of OAuth token.",
        )),
        (Subject::App { .. }, Some(address)) => find_mailbox(tenant, &address),
        (Subject::User { upn }, Some(address)) => {
            let may_impersonate = tenant.admin(upn).is_some_and(|admin| admin.can_impersonate);
            let mailbox = find_mailbox(tenant, &address)?;
            if !may_impersonate {
                return Err(SoapFault::new(
                    "ErrorImpersonateUserDenied",
                    "The account does not have permission to impersonate the requested user.",
                ));
            }
            Ok(mailbox)
        }
        (Subject::User { upn }, None) => {
            let own = tenant.mailbox_by_address(upn).cloned();
            let target = mailbox_named_in(tenant, operation)?
                .or(own)
                .ok_or_else(|| {
                    SoapFault::new(
                        "ErrorNonExistentMailbox",
                        "The SMTP address has no mailbox associated with it.",
                    )
                })?;
            let is_own = target.primary_address.eq_ignore_ascii_case(upn);
            let has_full_access = tenant.admin(upn).is_some_and(|admin| admin.full_access);
            if !is_own && !has_full_access {
                return Err(SoapFault::new(
                    "ErrorAccessDenied",
                    "Access is denied. Check credentials and try again.",
                ));
            }
            Ok(target)
        }
    }
}

fn impersonated_address(impersonation: &Element) -> Result<String, SoapFault> {
    let sid = impersonation.child("ConnectingSID").ok_or_else(|| {
        SoapFault::new(
            "ErrorInvalidExchangeImpersonationHeaderData",
            "The ExchangeImpersonation header has no ConnectingSID.",
        )
    })?;
    ["PrimarySmtpAddress", "SmtpAddress", "PrincipalName"]
        .iter()
        .find_map(|name| sid.child_text(name))
        .filter(|address| !address.is_empty())
        .map(str::to_string)
        .ok_or_else(|| {
            SoapFault::new(
                "ErrorInvalidExchangeImpersonationHeaderData",
                "ConnectingSID must name the user by PrimarySmtpAddress, SmtpAddress or PrincipalName.",
            )
        })
}

fn find_mailbox(tenant: &Tenant, address: &str) -> Result<Arc<Mailbox>, SoapFault> {
    tenant.mailbox_by_address(address).cloned().ok_or_else(|| {
        SoapFault::new(
            "ErrorNonExistentMailbox",
            "The SMTP address has no mailbox associated with it.",
        )
    })
}

/// For delegate access: the mailbox a request names, by a `Mailbox` element, an id, or
/// `MailboxSmtpAddress`.
fn mailbox_named_in(
    tenant: &Tenant,
    operation: &Element,
) -> Result<Option<Arc<Mailbox>>, SoapFault> {
    let mut stack = vec![operation];
    while let Some(element) = stack.pop() {
        match element.name.as_str() {
            "DistinguishedFolderId" => {
                if let Some(address) = element.path(&["Mailbox", "EmailAddress"]) {
                    return find_mailbox(tenant, address.trimmed_text()).map(Some);
                }
            }
            "FolderId" | "ItemId" | "ParentFolderId" => {
                if let Some(mailbox) = element
                    .attr("Id")
                    .and_then(|id| ObjectId::decode(id).ok())
                    .and_then(|id| tenant.mailbox_by_guid(&id.mailbox))
                {
                    return Ok(Some(Arc::clone(mailbox)));
                }
            }
            "MailboxSmtpAddress" => return find_mailbox(tenant, element.trimmed_text()).map(Some),
            _ => {}
        }
        stack.extend(element.children.iter().rev());
    }
    Ok(None)
}
