//! Proof that a migration is exact, from the simulator's admin API: for every mailbox, the
//! destination holds each source item (by content digest, in the same folder) exactly once,
//! except items the error log names, and nothing else.
//!
//! When the project maps recipients, items are compared by their digest without address
//! properties, and every address a migrated item names is checked: none may still name a source
//! mailbox the mapping maps.

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use ferry_core::mapping::RecipientMapping;
use ferry_sim::admin::{ItemSummary, MailboxSummary};

/// One mailbox to check.
#[derive(Debug, Clone)]
pub struct MailboxToVerify {
    /// Source address.
    pub source: String,
    /// Destination address.
    pub destination: String,
    /// Source item ids the error log says could not be migrated.
    pub failed_item_ids: HashSet<String>,
}

/// What the check found.
#[derive(Debug, Default, Clone)]
pub struct Verification {
    /// Mailboxes checked.
    pub mailboxes: usize,
    /// Items in the source mailboxes.
    pub source_items: u64,
    /// Items in the destination mailboxes.
    pub destination_items: u64,
    /// Source items the error log accounts for.
    pub logged_failures: u64,
    /// Source items missing at the destination and not in the error log.
    pub missing: Vec<String>,
    /// Source items present more than once.
    pub duplicated: Vec<String>,
    /// Destination items that are no source item.
    pub unexpected: Vec<String>,
    /// Items logged as failed that are at the destination anyway.
    pub failed_but_present: Vec<String>,
    /// Addresses in migrated items that still name a mapped source mailbox.
    pub unmapped_addresses: Vec<String>,
    /// Addresses checked in migrated items (when the project maps recipients).
    pub addresses_checked: u64,
}

impl Verification {
    /// Whether the destination holds exactly what it should.
    pub fn is_exact(&self) -> bool {
        self.missing.is_empty()
            && self.duplicated.is_empty()
            && self.unexpected.is_empty()
            && self.failed_but_present.is_empty()
            && self.unmapped_addresses.is_empty()
    }

    /// One line for people.
    pub fn summary(&self) -> String {
        let mapped = if self.addresses_checked > 0 {
            format!(
                "; {} addresses checked, none naming a mapped source mailbox",
                self.addresses_checked
            )
        } else {
            String::new()
        };
        if self.is_exact() {
            format!(
                "the destination holds exactly the source's items: {} of {} in {} mailboxes, each once ({} accounted for in the error log){mapped}",
                self.destination_items,
                self.source_items,
                self.mailboxes,
                self.logged_failures
            )
        } else {
            format!(
                "MISMATCH: {} missing, {} duplicated, {} unexpected, {} logged as failed yet present, {} addresses still naming a mapped source mailbox",
                self.missing.len(),
                self.duplicated.len(),
                self.unexpected.len(),
                self.failed_but_present.len(),
                self.unmapped_addresses.len()
            )
        }
    }
}

/// Reads the simulator's view of a mailbox's items (`admin_url` is the admin API base, `…/admin`).
async fn items(
    client: &reqwest::Client,
    admin_url: &str,
    tenant: &str,
    address: &str,
) -> anyhow::Result<Vec<ItemSummary>> {
    let mut url = reqwest::Url::parse(admin_url).context("the admin URL")?;
    url.path_segments_mut()
        .map_err(|_| anyhow::anyhow!("the admin URL cannot have a path"))?
        .pop_if_empty()
        .extend(["tenants", tenant, "mailboxes", address, "items"]);
    let response = client.get(url).send().await?.error_for_status()?;
    Ok(response.json().await?)
}

/// A tenant's mailboxes as the admin API lists them.
async fn tenant_mailboxes(
    client: &reqwest::Client,
    admin_url: &str,
    tenant: &str,
) -> anyhow::Result<Vec<MailboxSummary>> {
    let mut url = reqwest::Url::parse(admin_url).context("the admin URL")?;
    url.path_segments_mut()
        .map_err(|_| anyhow::anyhow!("the admin URL cannot have a path"))?
        .pop_if_empty()
        .extend(["tenants", tenant, "mailboxes"]);
    let response = client.get(url).send().await?.error_for_status()?;
    Ok(response.json().await?)
}

/// The source mailboxes a mapping maps, by every address they have (SMTP addresses, their
/// legacyExchangeDN and `X500:` proxies), lower case, to their primary address.
pub struct MappedSource {
    addresses: HashMap<String, String>,
}

impl MappedSource {
    /// The mailboxes of `mailboxes` whose primary address `mapping` maps.
    pub fn new(mailboxes: &[MailboxSummary], mapping: &RecipientMapping) -> MappedSource {
        let mut addresses = HashMap::new();
        for mailbox in mailboxes {
            if mapping.map(&mailbox.address).is_none() {
                continue;
            }
            for address in std::iter::once(&mailbox.address)
                .chain(&mailbox.aliases)
                .chain(std::iter::once(&mailbox.legacy_dn))
                .chain(&mailbox.x500_addresses)
                .filter(|address| !address.is_empty())
            {
                addresses.insert(address.to_lowercase(), mailbox.address.clone());
            }
        }
        MappedSource { addresses }
    }

    /// The mapped source mailbox an address names, if any.
    pub fn names(&self, address: &str) -> Option<&str> {
        self.addresses
            .get(&address.trim().to_lowercase())
            .map(String::as_str)
    }
}

/// Compares each source mailbox with its destination; with `mapping`, as a migration that maps
/// recipients (see the module documentation).
pub async fn verify(
    admin_url: &str,
    source_tenant: &str,
    destination_tenant: &str,
    mailboxes: &[MailboxToVerify],
    mapping: Option<&RecipientMapping>,
) -> anyhow::Result<Verification> {
    let client = reqwest::Client::new();
    let mut verification = Verification::default();
    let mapped = match mapping {
        Some(mapping) => Some(MappedSource::new(
            &tenant_mailboxes(&client, admin_url, source_tenant)
                .await
                .context("reading the source mailboxes from the simulator")?,
            mapping,
        )),
        None => None,
    };
    for mailbox in mailboxes {
        let source = items(&client, admin_url, source_tenant, &mailbox.source)
            .await
            .with_context(|| format!("reading {} from the simulator", mailbox.source))?;
        let destination = items(&client, admin_url, destination_tenant, &mailbox.destination)
            .await
            .with_context(|| format!("reading {} from the simulator", mailbox.destination))?;
        compare(
            mailbox,
            &source,
            &destination,
            mapped.as_ref(),
            &mut verification,
        );
    }
    Ok(verification)
}

/// Compares one mailbox, adding to `verification`.
pub fn compare(
    mailbox: &MailboxToVerify,
    source: &[ItemSummary],
    destination: &[ItemSummary],
    mapped: Option<&MappedSource>,
    verification: &mut Verification,
) {
    type Key = (String, String);
    let key = |item: &ItemSummary| {
        let digest = match mapped {
            Some(_) => &item.digest_without_addresses,
            None => &item.digest,
        };
        (item.folder_key.clone(), digest.clone())
    };
    if let Some(mapped) = mapped {
        for item in destination {
            for address in &item.addresses {
                verification.addresses_checked += 1;
                let named = [
                    Some(&address.email),
                    address.smtp.as_ref(),
                    Some(&address.name),
                ]
                .into_iter()
                .flatten()
                .find_map(|text| mapped.names(text));
                if let Some(source_mailbox) = named {
                    verification.unmapped_addresses.push(format!(
                        "{}: {} {:?} {} still names {source_mailbox}",
                        mailbox.destination, item.folder_key, item.subject, address.role
                    ));
                }
            }
        }
    }
    let mut expected: HashMap<Key, u64> = HashMap::new();
    let mut failed: HashMap<Key, u64> = HashMap::new();
    let mut subjects: HashMap<Key, String> = HashMap::new();
    for item in source {
        subjects
            .entry(key(item))
            .or_insert_with(|| item.subject.clone());
        if mailbox.failed_item_ids.contains(&item.id) {
            *failed.entry(key(item)).or_default() += 1;
        } else {
            *expected.entry(key(item)).or_default() += 1;
        }
    }
    let mut present: HashMap<Key, u64> = HashMap::new();
    for item in destination {
        subjects
            .entry(key(item))
            .or_insert_with(|| item.subject.clone());
        *present.entry(key(item)).or_default() += 1;
    }
    verification.mailboxes += 1;
    verification.source_items += source.len() as u64;
    verification.destination_items += destination.len() as u64;
    verification.logged_failures += failed.values().sum::<u64>();

    let keys: HashSet<&Key> = expected
        .keys()
        .chain(present.keys())
        .chain(failed.keys())
        .collect();
    for key in keys {
        let (wanted, found, logged) = (
            expected.get(key).copied().unwrap_or(0),
            present.get(key).copied().unwrap_or(0),
            failed.get(key).copied().unwrap_or(0),
        );
        let describe = |count: u64| {
            format!(
                "{}: {} {:?} ({count})",
                mailbox.source,
                key.0,
                subjects.get(key).map(String::as_str).unwrap_or_default()
            )
        };
        if found < wanted {
            verification.missing.push(describe(wanted - found));
        } else if found > wanted {
            let extra = found - wanted;
            let explained = extra.min(logged);
            if explained > 0 {
                verification.failed_but_present.push(describe(explained));
            }
            if extra > explained {
                if wanted + logged > 0 {
                    verification.duplicated.push(describe(extra - explained));
                } else {
                    verification.unexpected.push(describe(extra - explained));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, folder: &str, digest: &str) -> ItemSummary {
        ItemSummary {
            id: id.into(),
            folder_key: folder.into(),
            item_class: "IPM.Note".into(),
            subject: format!("subject of {id}"),
            size: 1,
            digest: digest.into(),
            digest_without_addresses: digest.into(),
            internet_message_id: None,
            extended_properties: Vec::new(),
            addresses: Vec::new(),
            recipients: 0,
            attachments: 0,
        }
    }

    fn check(failed: &[&str], source: &[ItemSummary], destination: &[ItemSummary]) -> Verification {
        let mailbox = MailboxToVerify {
            source: "ann@contoso.com".into(),
            destination: "ann@fabrikam.com".into(),
            failed_item_ids: failed.iter().map(|id| id.to_string()).collect(),
        };
        let mut verification = Verification::default();
        compare(&mailbox, source, destination, None, &mut verification);
        verification
    }

    #[test]
    fn an_exact_copy_passes_even_with_identical_items() {
        let source = [
            item("1", "{inbox}", "a"),
            item("2", "{inbox}", "a"),
            item("3", "{sentitems}", "b"),
        ];
        let destination = [
            item("x", "{inbox}", "a"),
            item("y", "{inbox}", "a"),
            item("z", "{sentitems}", "b"),
        ];
        assert!(check(&[], &source, &destination).is_exact());
    }

    #[test]
    fn missing_duplicated_misplaced_and_unexplained_items_fail() {
        let source = [item("1", "{inbox}", "a"), item("2", "{inbox}", "b")];
        let missing = check(&[], &source, &[item("x", "{inbox}", "a")]);
        assert_eq!(missing.missing.len(), 1);
        let logged = check(&["2"], &source, &[item("x", "{inbox}", "a")]);
        assert!(
            logged.is_exact(),
            "a logged failure accounts for the missing item"
        );
        let twice = check(
            &[],
            &source,
            &[
                item("x", "{inbox}", "a"),
                item("y", "{inbox}", "a"),
                item("z", "{inbox}", "b"),
            ],
        );
        assert_eq!(twice.duplicated.len(), 1);
        let misplaced = check(
            &[],
            &source,
            &[item("x", "{inbox}", "a"), item("z", "{drafts}", "b")],
        );
        assert_eq!(
            (misplaced.missing.len(), misplaced.unexpected.len()),
            (1, 1)
        );
        let lying = check(
            &["2"],
            &source,
            &[item("x", "{inbox}", "a"), item("z", "{inbox}", "b")],
        );
        assert_eq!(lying.failed_but_present.len(), 1);
    }
}
