//! Content for seeded items: attachment data shared by every attachment, and the people items
//! name, in the address shapes real tenants hold.

use bytes::Bytes;
use rand::seq::IndexedRandom;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::model::{Address, Blob};

/// Bytes of random data behind every attachment; larger attachments repeat it.
const BLOB_BYTES: usize = 4 * 1024 * 1024;

/// Pseudo-random attachment data, generated once and shared by every attachment (each takes a
/// prefix, repeated for large ones), so a mailbox of large attachments costs no memory per item.
#[derive(Debug, Clone)]
pub struct AttachmentBlob {
    data: Bytes,
}

impl AttachmentBlob {
    /// Generates the data from a seed.
    pub fn new(seed: u64) -> AttachmentBlob {
        let mut raw = vec![0u8; BLOB_BYTES];
        ChaCha8Rng::seed_from_u64(seed ^ 0xA77A_C4ED).fill_bytes(&mut raw);
        AttachmentBlob {
            data: Bytes::from(raw),
        }
    }

    /// `length` bytes of attachment data, as shared slices.
    pub fn data(&self, length: u64) -> Blob {
        let mut left = length as usize;
        let mut segments = Vec::new();
        while left > 0 {
            let take = left.min(self.data.len());
            segments.push(self.data.slice(..take));
            left -= take;
        }
        Blob::new(segments)
    }
}

/// Someone in the seeded organisation: how items can name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Colleague {
    /// Display name.
    pub name: String,
    /// Primary SMTP address.
    pub smtp: String,
    /// The mailbox's legacyExchangeDN.
    pub legacy_dn: String,
    /// An `X500:` proxy from an earlier organisation, if the mailbox has one.
    pub old_dn: Option<String>,
}

impl Colleague {
    /// How an item names them, in the shapes real mailboxes hold: mostly `EX` with the SMTP
    /// address beside it; sometimes `EX` alone (older items), the earlier organisation's DN, or
    /// plain SMTP (mail sent from outside clients).
    pub fn address(&self, rng: &mut ChaCha8Rng) -> Address {
        match rng.random_range(0..100) {
            0..=74 => Address::exchange(&self.name, &self.legacy_dn, Some(&self.smtp)),
            75..=84 => Address::exchange(&self.name, &self.legacy_dn, None),
            85..=89 => match &self.old_dn {
                Some(old_dn) => Address::exchange(&self.name, old_dn, None),
                None => Address::exchange(&self.name, &self.legacy_dn, None),
            },
            _ => Address::smtp(&self.name, &self.smtp),
        }
    }

    /// The `EX` address with its SMTP companion (how a store names its own mailbox).
    pub fn exchange_address(&self) -> Address {
        Address::exchange(&self.name, &self.legacy_dn, Some(&self.smtp))
    }
}

/// A legacyExchangeDN as Exchange Online gives one.
pub fn exchange_online_dn(rng: &mut ChaCha8Rng, local_part: &str) -> String {
    let alias: String = local_part
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    format!(
        "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn={:032x}-{alias}",
        rng.random::<u128>()
    )
}

/// An outside correspondent.
pub fn outsider(rng: &mut ChaCha8Rng, given: &str, surname: &str, domains: &[&str]) -> Address {
    let domain = domains.choose(rng).copied().unwrap_or("example.org");
    let local = super::ascii_local_part(given, surname, rng.random_range(0..1000));
    Address::smtp(&format!("{given} {surname}"), &format!("{local}@{domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_data_is_shared_and_sized() {
        let blob = AttachmentBlob::new(1);
        assert_eq!(blob.data(1000).len(), 1000);
        let large = blob.data(10 * 1024 * 1024);
        assert_eq!(large.len(), 10 * 1024 * 1024);
        assert_eq!(
            large.segments().len(),
            3,
            "repeats the data for large attachments"
        );
        assert_eq!(
            large.segments()[0].as_ptr(),
            blob.data(1).segments()[0].as_ptr()
        );
    }

    #[test]
    fn colleagues_are_named_in_every_shape() {
        let colleague = Colleague {
            name: "Ann Lee".into(),
            smtp: "ann@contoso.com".into(),
            legacy_dn: "/o=ExchangeLabs/cn=ann".into(),
            old_dn: Some("/o=Old/cn=ann".into()),
        };
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let shapes: std::collections::HashSet<(String, bool)> = (0..200)
            .map(|_| {
                let address = colleague.address(&mut rng);
                (address.email, address.smtp.is_some())
            })
            .collect();
        assert!(shapes.contains(&("/o=ExchangeLabs/cn=ann".into(), true)));
        assert!(shapes.contains(&("/o=ExchangeLabs/cn=ann".into(), false)));
        assert!(shapes.contains(&("/o=Old/cn=ann".into(), false)));
        assert!(shapes.contains(&("ann@contoso.com".into(), true)));
    }
}
