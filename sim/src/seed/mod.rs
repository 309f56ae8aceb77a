//! Deterministic seeding: a source tenant full of realistic mailboxes and an empty destination
//! tenant with the same people.
//!
//! The same [`SeedConfig`](crate::config::SeedConfig) always yields the same data: each mailbox
//! draws from its own random stream derived from the seed and its position. Only secrets are
//! random, so they cannot be guessed.

pub mod content;
pub mod corpus;
pub mod items;
pub mod mailbox;
pub mod names;

use rand::distr::Alphanumeric;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};

use crate::config::{ConfigError, SimConfig};
use crate::model::{
    AdminAccount, AppRegistration, Directory, Locale, Mailbox, MailboxKind, MailboxState, Person,
    Secret, Tenant,
};
use content::{exchange_online_dn, AttachmentBlob, Colleague};
use corpus::{default_corpus_dir, Corpus};
use items::ItemFactory;
use mailbox::{populate, MailboxPlan};

/// Five years, the span seeded dates cover.
const FIVE_YEARS: i64 = 5 * 365 * 86_400;

/// One person of the seeded organisation.
struct Resident {
    kind: MailboxKind,
    display_name: String,
    local_part: String,
    locale: Locale,
    legacy_alias: Option<String>,
}

/// Builds the source and destination tenants.
pub fn seed_directory(config: &SimConfig) -> Result<Directory, ConfigError> {
    let seed = &config.seed;
    let anchor = chrono::NaiveDate::parse_from_str(&seed.anchor_date, "%Y-%m-%d")
        .map_err(|_| ConfigError {
            field: "seed.anchor_date",
            problem: "must be a date written YYYY-MM-DD".into(),
        })?
        .and_hms_opt(0, 0, 0)
        .map(|time| time.and_utc().timestamp())
        .unwrap_or_default();
    let corpus_dir = seed.corpus_dir.clone().or_else(default_corpus_dir);
    let corpus = Corpus::load(corpus_dir.as_deref());
    let blob = AttachmentBlob::new(seed.seed);
    let mut directory_rng = ChaCha8Rng::seed_from_u64(seed.seed);
    let residents = residents(seed.mailboxes, &mut directory_rng);

    let source_domain = "contoso.com";
    let source_people: Vec<Colleague> = residents
        .iter()
        .map(|resident| Colleague {
            name: resident.display_name.clone(),
            smtp: format!("{}@{source_domain}", resident.local_part),
            legacy_dn: exchange_online_dn(&mut directory_rng, &resident.local_part),
            old_dn: resident.legacy_alias.as_ref().map(|_| {
                format!(
                    "/o=Contoso Legacy/ou=First Administrative Group/cn=Recipients/cn={}",
                    resident.local_part
                )
            }),
        })
        .collect();
    let counts =
        LogNormal::new(f64::from(seed.items_median.max(1)).ln(), 1.0).map_err(|_| ConfigError {
            field: "seed.items_median",
            problem: "must be positive".into(),
        })?;
    let mut source_mailboxes = Vec::with_capacity(residents.len());
    for (index, resident) in residents.iter().enumerate() {
        let mut rng =
            ChaCha8Rng::seed_from_u64(seed.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index as u64);
        let median = f64::from(seed.items_median);
        let drawn = counts.sample(&mut rng).min(median * 15.0);
        let item_count = match resident.kind {
            MailboxKind::Room | MailboxKind::Equipment => (drawn / 4.0) as u32,
            _ => drawn as u32,
        };
        let share = |total: u32| -> u32 {
            let total = total as usize;
            let mailboxes = residents.len().max(1);
            (total / mailboxes + usize::from(index < total % mailboxes)) as u32
        };
        let owner = &source_people[index];
        let colleagues: Vec<Colleague> = source_people
            .iter()
            .enumerate()
            .filter(|(other, _)| *other != index && residents[*other].kind == MailboxKind::User)
            .map(|(_, person)| person.clone())
            .collect();
        let plan = MailboxPlan {
            kind: resident.kind,
            locale: resident.locale,
            item_count,
            large_attachments: share(seed.large_attachments),
            large_attachment_bytes: seed.large_attachment_bytes,
            oversize_items: share(seed.oversize_items),
            oversize_bytes: config.limits.max_item_bytes + 1024 * 1024,
            anchor,
            span_seconds: FIVE_YEARS,
            factory: ItemFactory {
                corpus: &corpus,
                blob: &blob,
                owner,
                colleagues: &colleagues,
            },
        };
        let state = populate(&plan, &mut rng);
        let mut aliases = vec![format!("{}@contoso.onmicrosoft.com", resident.local_part)];
        aliases.extend(resident.legacy_alias.clone());
        let person = Person {
            name: owner.name.clone(),
            address: owner.smtp.clone(),
        };
        let mailbox = new_mailbox(
            &mut directory_rng,
            &person,
            aliases,
            resident,
            state,
            config,
        )
        .with_exchange_addresses(
            owner.legacy_dn.clone(),
            owner.old_dn.clone().into_iter().collect(),
        );
        source_mailboxes.push(mailbox);
    }
    let mut tenants = vec![tenant(
        "source",
        "contoso.onmicrosoft.com",
        source_mailboxes,
        &mut directory_rng,
    )];
    if seed.destination {
        let mailboxes = residents
            .iter()
            .map(|resident| {
                let person = Person {
                    name: resident.display_name.clone(),
                    address: format!("{}@fabrikam.com", resident.local_part),
                };
                let aliases = vec![format!("{}@fabrikam.onmicrosoft.com", resident.local_part)];
                // A new tenant provisions every mailbox in its default language.
                let fresh = Resident {
                    locale: Locale::English,
                    legacy_alias: None,
                    display_name: resident.display_name.clone(),
                    local_part: resident.local_part.clone(),
                    kind: resident.kind,
                };
                let state = MailboxState::new(Locale::English, anchor);
                let legacy_dn = exchange_online_dn(&mut directory_rng, &resident.local_part)
                    .replace("/o=ExchangeLabs/", "/o=ExchangeLabs/ou=Fabrikam/");
                new_mailbox(&mut directory_rng, &person, aliases, &fresh, state, config)
                    .with_exchange_addresses(legacy_dn, Vec::new())
            })
            .collect();
        tenants.push(tenant(
            "destination",
            "fabrikam.onmicrosoft.com",
            mailboxes,
            &mut directory_rng,
        ));
    }
    Ok(Directory::new(tenants))
}

fn new_mailbox(
    rng: &mut ChaCha8Rng,
    person: &Person,
    aliases: Vec<String>,
    resident: &Resident,
    state: MailboxState,
    config: &SimConfig,
) -> Mailbox {
    let mailbox = Mailbox::new(
        uuid::Builder::from_random_bytes(rng.random()).into_uuid(),
        person.address.clone(),
        aliases,
        person.name.clone(),
        resident.kind,
        resident.locale,
        state,
    );
    mailbox.quota_bytes.store(
        config.limits.mailbox_quota_bytes,
        std::sync::atomic::Ordering::Relaxed,
    );
    mailbox
}

/// A tenant with its migration app and admin, plus what real tenants also have: an app whose
/// admin consent is missing and a help-desk admin with full access but no impersonation right.
fn tenant(name: &str, domain: &str, mailboxes: Vec<Mailbox>, rng: &mut ChaCha8Rng) -> Tenant {
    let mut new_id = || uuid::Builder::from_random_bytes(rng.random()).into_uuid();
    let tenant_id = new_id();
    let apps = vec![
        AppRegistration {
            client_id: new_id(),
            client_secret: Secret::new(random_secret(40)),
            full_access_as_app: true,
            graph_mailbox_access: true,
        },
        AppRegistration {
            client_id: new_id(),
            client_secret: Secret::new(random_secret(40)),
            full_access_as_app: false,
            graph_mailbox_access: false,
        },
    ];
    let admins = vec![
        AdminAccount {
            upn: format!("ferry.admin@{domain}"),
            password: Secret::new(random_secret(24)),
            can_impersonate: true,
            full_access: true,
        },
        AdminAccount {
            upn: format!("helpdesk@{domain}"),
            password: Secret::new(random_secret(24)),
            can_impersonate: false,
            full_access: true,
        },
    ];
    Tenant::new(
        name.into(),
        tenant_id,
        domain.into(),
        apps,
        admins,
        mailboxes,
    )
}

/// A secret from the operating system's random source (never from the seed).
fn random_secret(length: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(length)
        .map(char::from)
        .collect()
}

/// The organisation's people and resources; the first four are one of each kind.
fn residents(count: usize, rng: &mut ChaCha8Rng) -> Vec<Resident> {
    let mut taken = std::collections::HashSet::new();
    (0..count)
        .map(|index| {
            let kind = match index {
                1 => MailboxKind::Shared,
                2 => MailboxKind::Room,
                3 => MailboxKind::Equipment,
                _ if index % 17 == 5 => MailboxKind::Shared,
                _ if index % 23 == 7 => MailboxKind::Room,
                _ if index % 41 == 11 => MailboxKind::Equipment,
                _ => MailboxKind::User,
            };
            let (display_name, mut local_part) = match kind {
                MailboxKind::User => {
                    let given = names::GIVEN_NAMES.choose(rng).copied().unwrap_or("Alex");
                    let surname = names::SURNAMES.choose(rng).copied().unwrap_or("Doe");
                    (
                        format!("{given} {surname}"),
                        ascii_local_part(given, surname, index),
                    )
                }
                MailboxKind::Shared => {
                    let name = names::SHARED_MAILBOXES
                        .choose(rng)
                        .copied()
                        .unwrap_or("Team");
                    (name.to_string(), slug(name, index))
                }
                MailboxKind::Room => {
                    let name = names::ROOMS.choose(rng).copied().unwrap_or("Room");
                    (name.to_string(), slug(name, index))
                }
                MailboxKind::Equipment => {
                    let name = names::EQUIPMENT.choose(rng).copied().unwrap_or("Equipment");
                    (name.to_string(), slug(name, index))
                }
            };
            if !taken.insert(local_part.clone()) {
                local_part = format!("{local_part}{index}");
                taken.insert(local_part.clone());
            }
            let locale = match rng.random_range(0..100) {
                0..=74 => Locale::English,
                75..=84 => Locale::German,
                85..=94 => Locale::French,
                _ => Locale::Japanese,
            };
            let legacy_alias = (kind == MailboxKind::User && rng.random_bool(0.5))
                .then(|| format!("{local_part}@contoso-legacy.com"));
            Resident {
                kind,
                display_name,
                local_part,
                locale,
                legacy_alias,
            }
        })
        .collect()
}

/// `given.surname` folded to ASCII, or `user<index>` when nothing ASCII is left.
pub fn ascii_local_part(given: &str, surname: &str, index: usize) -> String {
    let folded = format!("{}.{}", fold(given), fold(surname));
    if folded.len() > 2 && folded.trim_matches('.').len() == folded.len() {
        folded
    } else {
        format!("user{index}")
    }
}

fn slug(name: &str, index: usize) -> String {
    let folded: String = fold(name).replace(' ', ".");
    let folded = folded.trim_matches('.');
    if folded.chars().filter(char::is_ascii_alphabetic).count() < 3 {
        format!("resource{index}")
    } else {
        folded.to_string()
    }
}

/// Lower-case ASCII letters of a name, accents removed, other characters dropped.
fn fold(text: &str) -> String {
    text.chars()
        .filter_map(|character| {
            let folded = match character {
                'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
                'é' | 'è' | 'ê' | 'ë' | 'ě' => 'e',
                'í' | 'ì' | 'î' | 'ï' => 'i',
                'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' => 'o',
                'ú' | 'ù' | 'û' | 'ü' => 'u',
                'ç' => 'c',
                'ñ' => 'n',
                'ř' => 'r',
                'ł' | 'Ł' => 'l',
                'ß' => 's',
                ' ' => ' ',
                other if other.is_ascii_alphanumeric() => other.to_ascii_lowercase(),
                _ => return None,
            };
            Some(folded)
        })
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SeedConfig;

    fn config(mailboxes: usize) -> SimConfig {
        SimConfig {
            seed: SeedConfig {
                mailboxes,
                items_median: 40,
                ..SeedConfig::default()
            },
            ..SimConfig::default()
        }
    }

    fn fingerprint(directory: &Directory, index: usize) -> Vec<String> {
        let mailbox = &directory.tenants()[0].mailboxes()[index];
        let state = mailbox.lock();
        let mut digests: Vec<String> = state
            .items
            .values()
            .map(|item| hex::encode(item.digest()))
            .collect();
        digests.sort();
        digests.insert(0, mailbox.primary_address.clone());
        digests
    }

    #[test]
    fn the_same_seed_gives_the_same_data() {
        let first = seed_directory(&config(6)).expect("seeded");
        let second = seed_directory(&config(6)).expect("seeded");
        for index in 0..6 {
            assert_eq!(fingerprint(&first, index), fingerprint(&second, index));
        }
        let mut other_seed = config(6);
        other_seed.seed.seed = 43;
        let other = seed_directory(&other_seed).expect("seeded");
        assert_ne!(fingerprint(&first, 0), fingerprint(&other, 0));
    }

    #[test]
    fn seeds_every_kind_and_a_matching_destination() {
        let directory = seed_directory(&config(8)).expect("seeded");
        let source = &directory.tenants()[0];
        let destination = &directory.tenants()[1];
        let kinds: std::collections::HashSet<_> = source
            .mailboxes()
            .iter()
            .map(|mailbox| mailbox.kind)
            .collect();
        assert_eq!(kinds.len(), 4, "user, shared, room and equipment");
        assert_eq!(source.mailboxes().len(), destination.mailboxes().len());
        for mailbox in destination.mailboxes() {
            assert_eq!(
                mailbox.lock().items.len(),
                0,
                "the destination starts empty"
            );
        }
        let classes: std::collections::HashSet<String> = source
            .mailboxes()
            .iter()
            .flat_map(|mailbox| {
                mailbox
                    .lock()
                    .items
                    .values()
                    .map(|item| item.item_class().to_string())
                    .collect::<Vec<_>>()
            })
            .collect();
        for class in ["IPM.Note", "IPM.Appointment", "IPM.Contact"] {
            assert!(classes.contains(class), "{class} missing from {classes:?}");
        }
    }

    #[test]
    fn local_parts_are_ascii() {
        assert_eq!(ascii_local_part("Zoë", "Müller", 3), "zoe.muller");
        assert_eq!(ascii_local_part("李", "王", 3), "user3");
        assert_eq!(slug("会議室 A", 4), "resource4");
    }
}
