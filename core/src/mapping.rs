//! Recipient mapping: which source addresses become which destination addresses, so migrated
//! mail stays repliable after the source domain is retired.
//!
//! An operator writes expressions: `@contoso.com->@fabrikam.com` maps a whole domain (several
//! source domains may be given, all to one destination domain) and `ann@contoso.com->
//! ann.lee@fabrikam.com` one address. The project's own mailboxes map to their destination
//! mailboxes. An address is mapped by, in this order: a single-address expression, the
//! project's mailbox pairs, a domain expression; an address none of them names stays as it is.
//! Rules, folder permissions and item contents are all mapped with the same [`RecipientMapping`].

use std::collections::HashMap;

use crate::model::MailboxRecord;

/// Why a mapping expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("recipient mapping '{expression}' is not valid: {problem}")]
pub struct MappingError {
    /// The expression as given.
    pub expression: String,
    /// Which one, counting from zero.
    pub index: usize,
    /// What is wrong with it.
    pub problem: String,
}

/// Source addresses to destination addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecipientMapping {
    /// Single addresses, lower case.
    addresses: HashMap<String, String>,
    /// The project's mailbox pairs, lower case source.
    mailboxes: HashMap<String, String>,
    /// Source domains (lower case, without `@`) to the destination domain.
    domains: HashMap<String, String>,
}

impl RecipientMapping {
    /// Parses expressions, refusing a bad one with an error that names it. An empty list
    /// maps nothing.
    pub fn parse(expressions: &[String]) -> Result<RecipientMapping, MappingError> {
        let mut mapping = RecipientMapping::default();
        let mut destination_domain: Option<String> = None;
        for (index, expression) in expressions.iter().enumerate() {
            let refuse = |problem: &str| MappingError {
                expression: expression.clone(),
                index,
                problem: problem.to_string(),
            };
            let (from, to) = expression
                .split_once("->")
                .ok_or_else(|| refuse("write it as 'source->destination'"))?;
            let (from, to) = (from.trim(), to.trim());
            match (from.strip_prefix('@'), to.strip_prefix('@')) {
                (Some(from_domain), Some(to_domain)) => {
                    let from_domain = checked_domain(from_domain).map_err(|p| refuse(&p))?;
                    let to_domain = checked_domain(to_domain).map_err(|p| refuse(&p))?;
                    if from_domain == to_domain {
                        return Err(refuse("the source and destination domains are the same"));
                    }
                    match &destination_domain {
                        Some(existing) if *existing != to_domain => {
                            return Err(refuse(&format!(
                                "a project maps to one destination domain, and an earlier expression maps to '{existing}'"
                            )))
                        }
                        _ => destination_domain = Some(to_domain.clone()),
                    }
                    if mapping.domains.insert(from_domain, to_domain).is_some() {
                        return Err(refuse("an earlier expression maps the same domain"));
                    }
                }
                (None, None) => {
                    let from = checked_address(from).map_err(|p| refuse(&p))?;
                    let to = checked_address(to).map_err(|p| refuse(&p))?;
                    if mapping.addresses.insert(from.to_lowercase(), to).is_some() {
                        return Err(refuse("an earlier expression maps the same address"));
                    }
                }
                _ => {
                    return Err(refuse(
                        "map a domain to a domain ('@a.com->@b.com') or an address to an address",
                    ))
                }
            }
        }
        Ok(mapping)
    }

    /// The mapping with the project's mailbox pairs (source address, destination address).
    pub fn with_mailboxes<'a>(
        mut self,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> RecipientMapping {
        for (source, destination) in pairs {
            self.mailboxes
                .insert(source.trim().to_lowercase(), destination.trim().to_string());
        }
        self
    }

    /// The mapping with a project's mailboxes, each source address to its destination.
    pub fn with_mailbox_records(self, mailboxes: &[MailboxRecord]) -> RecipientMapping {
        self.with_mailboxes(mailboxes.iter().map(|mailbox| {
            (
                mailbox.source_address.as_str(),
                mailbox.destination_address.as_str(),
            )
        }))
    }

    /// Whether any expression was given (item contents are mapped only then).
    pub fn maps_items(&self) -> bool {
        !self.addresses.is_empty() || !self.domains.is_empty()
    }

    /// The destination address of an SMTP address, or `None` if nothing maps it.
    pub fn map(&self, address: &str) -> Option<String> {
        let address = address.trim();
        let lower = address.to_lowercase();
        if let Some(mapped) = self
            .addresses
            .get(&lower)
            .or_else(|| self.mailboxes.get(&lower))
        {
            return Some(mapped.clone());
        }
        let (local, domain) = address.rsplit_once('@')?;
        let mapped_domain = self.domains.get(&domain.to_lowercase())?;
        Some(format!("{local}@{mapped_domain}"))
    }
}

fn checked_domain(domain: &str) -> Result<String, String> {
    let domain = domain.trim().to_lowercase();
    let valid_label = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .chars()
                .all(|character| character.is_ascii_alphanumeric() || character == '-')
    };
    if domain.len() > 253 || !domain.contains('.') || !domain.split('.').all(valid_label) {
        return Err(format!("'{domain}' is not a domain name"));
    }
    Ok(domain)
}

fn checked_address(address: &str) -> Result<String, String> {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err(format!("'{address}' is not an e-mail address"));
    };
    if local.is_empty()
        || local.len() > 64
        || local
            .chars()
            .any(|character| character.is_whitespace() || character == '@')
    {
        return Err(format!("'{address}' is not an e-mail address"));
    }
    checked_domain(domain).map_err(|_| format!("'{address}' is not an e-mail address"))?;
    Ok(address.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(expressions: &[&str]) -> Result<RecipientMapping, MappingError> {
        RecipientMapping::parse(
            &expressions
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn addresses_map_by_expression_then_mailbox_then_domain() {
        let mapping = parse(&[
            "@contoso.com->@fabrikam.com",
            "@contoso-legacy.com -> @fabrikam.com",
            "boss@contoso.com->ceo@fabrikam.com",
        ])
        .expect("valid")
        .with_mailboxes([("Ann@Contoso.com", "ann.lee@fabrikam.com")]);
        assert!(mapping.maps_items());
        assert_eq!(
            mapping.map("BOSS@contoso.com").as_deref(),
            Some("ceo@fabrikam.com")
        );
        assert_eq!(
            mapping.map("ann@contoso.com").as_deref(),
            Some("ann.lee@fabrikam.com")
        );
        assert_eq!(
            mapping.map("Zoe@CONTOSO.com").as_deref(),
            Some("Zoe@fabrikam.com")
        );
        assert_eq!(
            mapping.map("x@contoso-legacy.com").as_deref(),
            Some("x@fabrikam.com")
        );
        assert_eq!(mapping.map("bob@example.org"), None);
        assert_eq!(mapping.map("/o=ExchangeLabs/cn=ann"), None);
        assert!(!RecipientMapping::default().maps_items());
    }

    #[test]
    fn bad_expressions_are_refused_by_name() {
        for (expressions, index, problem) in [
            (vec!["contoso.com=>fabrikam.com"], 0, "source->destination"),
            (vec!["@contoso.com->fabrikam.com"], 0, "domain to a domain"),
            (vec!["@contoso->@fabrikam.com"], 0, "not a domain"),
            (
                vec!["@a.com->@b.com", "@c.com->@d.com"],
                1,
                "one destination domain",
            ),
            (vec!["@a.com->@b.com", "@a.com->@b.com"], 1, "same domain"),
            (vec!["ann@->bob@b.com"], 0, "not an e-mail address"),
            (vec!["@b.com->@b.com"], 0, "the same"),
        ] {
            let error = parse(&expressions).expect_err("refused");
            assert_eq!(error.index, index, "{expressions:?}");
            assert_eq!(error.expression, expressions[index]);
            assert!(error.problem.contains(problem), "{}", error.problem);
        }
    }
}
