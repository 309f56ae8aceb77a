//! A unit's places at its source and destination mailboxes, shared by every worker.
//!
//! Exchange limits the requests one application has in flight at one mailbox (27 for EWS, 4
//! for Graph; [`Capabilities::mailbox_concurrency`]), whatever the number of processes making
//! them. A unit makes one call at a time to each of its two mailboxes, so a unit that runs holds
//! one place at each through the store ([`Store::try_slot`]), and a mailbox never has more
//! units running over the whole cluster than Exchange lets it serve: the others wait in the
//! queue (set aside) instead of drawing concurrency refusals. Places are renewed while the
//! unit runs and expire on their own when a worker dies with them.

use std::sync::Arc;
use std::time::Duration;

use ferry_core::mail::Capabilities;
use ferry_core::store::{Store, StoreError};
use tokio::task::JoinHandle;

/// One mailbox's shared slots and how many units it takes.
#[derive(Debug, Clone)]
pub struct MailboxSlots {
    /// The slot set's name: the tenant's key and the mailbox's address.
    pub name: String,
    /// Units it runs at once over every worker.
    pub limit: u32,
}

impl MailboxSlots {
    /// The slots of `address` at the tenant keyed `tenant`, for the protocol of `capabilities`.
    pub fn of(tenant: &str, address: &str, capabilities: &Capabilities) -> MailboxSlots {
        MailboxSlots {
            name: format!("mailbox:{tenant}#{}", address.to_ascii_lowercase()),
            limit: capabilities.mailbox_concurrency.max(1),
        }
    }
}

/// Places a unit holds; renewed until [`MailboxPlaces::release`].
pub struct MailboxPlaces {
    store: Arc<dyn Store>,
    holder: String,
    slots: Vec<MailboxSlots>,
    renewal: JoinHandle<()>,
}

impl MailboxPlaces {
    /// Takes a place in each of `slots` for `holder`, all or none: `None` when one of them is
    /// full (the places already taken are given back).
    pub async fn take(
        store: Arc<dyn Store>,
        holder: &str,
        slots: Vec<MailboxSlots>,
        ttl: Duration,
    ) -> Result<Option<MailboxPlaces>, StoreError> {
        for (taken, slot) in slots.iter().enumerate() {
            let granted = match store.try_slot(&slot.name, holder, slot.limit, ttl).await {
                Ok(granted) => granted,
                Err(error) => {
                    give_back(store.as_ref(), holder, &slots[..taken]).await;
                    return Err(error);
                }
            };
            if !granted {
                give_back(store.as_ref(), holder, &slots[..taken]).await;
                return Ok(None);
            }
        }
        let renewal = tokio::spawn(renew(store.clone(), holder.to_string(), slots.clone(), ttl));
        Ok(Some(MailboxPlaces {
            store,
            holder: holder.to_string(),
            slots,
            renewal,
        }))
    }

    /// Gives the places back.
    pub async fn release(self) {
        self.renewal.abort();
        give_back(self.store.as_ref(), &self.holder, &self.slots).await;
    }
}

impl std::fmt::Debug for MailboxPlaces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailboxPlaces")
            .field("holder", &self.holder)
            .field("slots", &self.slots)
            .finish_non_exhaustive()
    }
}

impl Drop for MailboxPlaces {
    fn drop(&mut self) {
        // A unit that ends without `release` (its task aborted at shutdown) stops renewing;
        // its places expire within their time to live.
        self.renewal.abort();
    }
}

async fn give_back(store: &dyn Store, holder: &str, slots: &[MailboxSlots]) {
    for slot in slots {
        if let Err(error) = store.release_slot(&slot.name, holder).await {
            // Not lost: the place expires within its time to live.
            tracing::debug!(slots = %slot.name, %error, "could not give a mailbox place back");
        }
    }
}

/// Renews the places at a third of their time to live, so one missed renewal loses none.
async fn renew(store: Arc<dyn Store>, holder: String, slots: Vec<MailboxSlots>, ttl: Duration) {
    loop {
        tokio::time::sleep(ttl / 3).await;
        for slot in &slots {
            match store.try_slot(&slot.name, &holder, slot.limit, ttl).await {
                Ok(true) => {}
                // The place expired (this process stalled) and others filled the mailbox: the
                // unit goes on, and throttling replies pace it if Exchange minds.
                Ok(false) => {
                    tracing::warn!(slots = %slot.name, "lost a mailbox place; the unit goes on")
                }
                Err(error) => {
                    tracing::warn!(slots = %slot.name, %error, "could not renew a mailbox place")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_core::store::memory::MemoryStore;

    /// Takes places for `holder` at both mailboxes of [`slots`], limit 1.
    async fn take(store: &Arc<dyn Store>, holder: &str, ttl: Duration) -> Option<MailboxPlaces> {
        MailboxPlaces::take(store.clone(), holder, slots(1), ttl)
            .await
            .expect("store")
    }

    fn slots(limit: u32) -> Vec<MailboxSlots> {
        let mut capabilities = Capabilities::ALL;
        capabilities.mailbox_concurrency = limit;
        vec![
            MailboxSlots::of("source", "Ann@Example.com", &capabilities),
            MailboxSlots::of("destination", "ann@example.net", &capabilities),
        ]
    }

    #[tokio::test]
    async fn units_take_places_at_both_mailboxes_or_none() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let ttl = Duration::from_secs(30);
        let [source, destination] = <[MailboxSlots; 2]>::try_from(slots(1)).expect("two");
        assert!(store
            .try_slot(&destination.name, "other-unit", 1, ttl)
            .await
            .expect("store"));
        assert!(
            take(&store, "unit", ttl).await.is_none(),
            "a full destination refuses the unit"
        );
        assert!(
            store
                .try_slot(&source.name, "third-unit", 1, ttl)
                .await
                .expect("store"),
            "the source place taken before the refusal was given back"
        );
        store
            .release_slot(&source.name, "third-unit")
            .await
            .expect("store");
        store
            .release_slot(&destination.name, "other-unit")
            .await
            .expect("store");
        let held = take(&store, "unit", ttl).await.expect("free mailboxes");
        held.release().await;
        assert!(
            store
                .try_slot(&destination.name, "other-unit", 1, ttl)
                .await
                .expect("store"),
            "released places are free"
        );
    }

    #[tokio::test]
    async fn places_are_renewed_while_held() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let ttl = Duration::from_millis(150);
        let held = take(&store, "unit-1", ttl).await.expect("free mailboxes");
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(
            take(&store, "unit-2", ttl).await.is_none(),
            "renewed places outlive their time to live"
        );
        drop(held);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            take(&store, "unit-2", ttl).await.is_some(),
            "places dropped without release expire"
        );
    }

    #[test]
    fn addresses_name_one_slot_set_whatever_their_case() {
        let capabilities = Capabilities::ALL;
        assert_eq!(
            MailboxSlots::of("t", "Ann@X", &capabilities).name,
            MailboxSlots::of("t", "ann@x", &capabilities).name
        );
        assert_eq!(MailboxSlots::of("t", "a@x", &capabilities).limit, 27);
    }
}
