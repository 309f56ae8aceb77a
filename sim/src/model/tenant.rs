//! Tenants: their app registrations, admin accounts and mailboxes.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use uuid::Uuid;

use super::folder::Locale;
use super::mailbox::MailboxState;

/// A secret (client secret, password). Never printed: `Debug` shows a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the connection file and for comparison only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Compares without an early exit, so timing does not reveal how much of a guess was right.
    pub fn matches(&self, candidate: &str) -> bool {
        let expected = self.0.as_bytes();
        let candidate = candidate.as_bytes();
        let mut difference = expected.len() ^ candidate.len();
        for (index, byte) in expected.iter().enumerate() {
            difference |= usize::from(byte ^ candidate.get(index).copied().unwrap_or(0));
        }
        difference == 0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// An application registered in the tenant, granted `full_access_as_app`.
#[derive(Debug, Clone)]
pub struct AppRegistration {
    /// The application (client) id.
    pub client_id: Uuid,
    /// Its client secret.
    pub client_secret: Secret,
    /// Whether the tenant admin consented to `full_access_as_app` (app-only EWS access).
    pub full_access_as_app: bool,
    /// Whether the tenant admin consented to the Graph application permissions of the mailbox
    /// import/export API (`MailboxItem.ImportExport.All`, `MailboxFolder.ReadWrite.All`,
    /// `MailboxItem.Read.All`, `MailboxItem.ReadWrite.All`, `User.Read.All`) and of the users
    /// API's inbox rules, calendar permissions and mail folders (`MailboxSettings.ReadWrite`,
    /// `Calendars.ReadWrite`, `Mail.ReadBasic.All`): the roles in
    /// [`crate::identity::GRAPH_APP_ROLES`].
    pub graph_mailbox_access: bool,
}

/// An administrator account that can sign in with a password (delegated access).
#[derive(Debug, Clone)]
pub struct AdminAccount {
    /// User principal name.
    pub upn: String,
    /// Password.
    pub password: Secret,
    /// Holds the `ApplicationImpersonation` role over every mailbox.
    pub can_impersonate: bool,
    /// Holds full-access permission on every mailbox (delegate access without impersonation).
    pub full_access: bool,
}

/// What a mailbox is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailboxKind {
    /// A person's mailbox.
    User,
    /// A shared mailbox.
    Shared,
    /// A room resource.
    Room,
    /// An equipment resource.
    Equipment,
}

/// Named event counters (throttled requests, injected faults...), readable through the admin API.
#[derive(Debug, Default)]
pub struct Counters(Mutex<BTreeMap<String, u64>>);

impl Counters {
    /// Adds `amount` to the named counter.
    pub fn add(&self, name: &str, amount: u64) {
        let mut counters = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *counters.entry(name.to_string()).or_default() += amount;
    }

    /// Adds one to the named counter.
    pub fn bump(&self, name: &str) {
        self.add(name, 1);
    }

    /// A copy of every counter.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// A mailbox: who it is, and its contents behind a lock.
#[derive(Debug)]
pub struct Mailbox {
    /// The mailbox GUID, also encoded in every id it issues.
    pub guid: Uuid,
    /// Primary SMTP address.
    pub primary_address: String,
    /// Other SMTP addresses that deliver here.
    pub aliases: Vec<String>,
    /// Display name.
    pub display_name: String,
    /// The mailbox's legacyExchangeDN, which `EX` addresses in items name it by.
    pub legacy_dn: String,
    /// Its `X500:` proxy addresses (legacyExchangeDNs it had before, such as in an earlier
    /// organisation), which also resolve to it.
    pub x500_addresses: Vec<String>,
    /// User, shared, room or equipment.
    pub kind: MailboxKind,
    /// The language the mailbox was provisioned in.
    pub locale: Locale,
    /// The storage quota; imports beyond it fail with `ErrorQuotaExceeded`.
    pub quota_bytes: AtomicU64,
    /// Throttling and fault counters for this mailbox.
    pub counters: Counters,
    state: Mutex<MailboxState>,
}

impl Mailbox {
    /// A mailbox with the given contents.
    pub fn new(
        guid: Uuid,
        primary_address: String,
        aliases: Vec<String>,
        display_name: String,
        kind: MailboxKind,
        locale: Locale,
        state: MailboxState,
    ) -> Mailbox {
        let legacy_dn = format!(
            "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn={}-{}",
            guid.simple(),
            primary_address.split('@').next().unwrap_or("user")
        );
        Mailbox {
            guid,
            primary_address,
            aliases,
            legacy_dn,
            x500_addresses: Vec::new(),
            display_name,
            kind,
            locale,
            quota_bytes: AtomicU64::new(u64::MAX),
            counters: Counters::default(),
            state: Mutex::new(state),
        }
    }

    /// The mailbox with this legacyExchangeDN and these `X500:` proxies instead of the defaults.
    pub fn with_exchange_addresses(
        mut self,
        legacy_dn: String,
        x500_addresses: Vec<String>,
    ) -> Mailbox {
        self.legacy_dn = legacy_dn;
        self.x500_addresses = x500_addresses;
        self
    }

    /// Whether an Exchange (`EX`) address names this mailbox: its legacyExchangeDN or an `X500:`
    /// proxy, compared case-insensitively as Exchange does.
    pub fn has_exchange_address(&self, address: &str) -> bool {
        let address = address.trim();
        self.legacy_dn.eq_ignore_ascii_case(address)
            || self
                .x500_addresses
                .iter()
                .any(|x500| x500.eq_ignore_ascii_case(address))
    }

    /// Locks the contents. Handlers hold the guard only while reading or changing the model, never
    /// across an `.await`.
    pub fn lock(&self) -> MutexGuard<'_, MailboxState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The storage quota in bytes.
    pub fn quota(&self) -> u64 {
        self.quota_bytes.load(Ordering::Relaxed)
    }
}

/// A tenant: its identity configuration and its mailboxes.
#[derive(Debug)]
pub struct Tenant {
    /// Short name used in the connection file and admin API (`source`, `destination`).
    pub name: String,
    /// The directory (tenant) id.
    pub tenant_id: Uuid,
    /// The initial domain, `<name>.onmicrosoft.com`-like.
    pub domain: String,
    /// Registered applications.
    pub apps: Vec<AppRegistration>,
    /// Administrator accounts.
    pub admins: Vec<AdminAccount>,
    /// Counters not tied to one mailbox (sign-ins, unauthorised requests).
    pub counters: Counters,
    mailboxes: Vec<Arc<Mailbox>>,
    by_address: HashMap<String, usize>,
    by_exchange_address: HashMap<String, usize>,
    by_guid: HashMap<Uuid, usize>,
}

impl Tenant {
    /// A tenant with the given mailboxes.
    pub fn new(
        name: String,
        tenant_id: Uuid,
        domain: String,
        apps: Vec<AppRegistration>,
        admins: Vec<AdminAccount>,
        mailboxes: Vec<Mailbox>,
    ) -> Tenant {
        let mailboxes: Vec<Arc<Mailbox>> = mailboxes.into_iter().map(Arc::new).collect();
        let mut by_address = HashMap::new();
        let mut by_guid = HashMap::new();
        let mut by_exchange_address = HashMap::new();
        for (index, mailbox) in mailboxes.iter().enumerate() {
            by_address.insert(mailbox.primary_address.to_lowercase(), index);
            for alias in &mailbox.aliases {
                by_address.insert(alias.to_lowercase(), index);
            }
            by_exchange_address.insert(mailbox.legacy_dn.to_lowercase(), index);
            for x500 in &mailbox.x500_addresses {
                by_exchange_address.insert(x500.to_lowercase(), index);
            }
            by_guid.insert(mailbox.guid, index);
        }
        Tenant {
            name,
            tenant_id,
            domain,
            apps,
            admins,
            counters: Counters::default(),
            mailboxes,
            by_address,
            by_exchange_address,
            by_guid,
        }
    }

    /// The mailbox an SMTP address (primary or alias) delivers to.
    pub fn mailbox_by_address(&self, address: &str) -> Option<&Arc<Mailbox>> {
        self.by_address
            .get(&address.trim().to_lowercase())
            .map(|index| &self.mailboxes[*index])
    }

    /// The mailbox an Exchange address (a legacyExchangeDN or `X500:` proxy) names.
    pub fn mailbox_by_exchange_address(&self, address: &str) -> Option<&Arc<Mailbox>> {
        self.by_exchange_address
            .get(&address.trim().to_lowercase())
            .map(|index| &self.mailboxes[*index])
    }

    /// The mailbox an address of either type names.
    pub fn mailbox_by_any_address(
        &self,
        address_type: &str,
        address: &str,
    ) -> Option<&Arc<Mailbox>> {
        if address_type.eq_ignore_ascii_case("EX") {
            self.mailbox_by_exchange_address(address)
        } else {
            self.mailbox_by_address(address)
        }
    }

    /// The mailbox with this GUID.
    pub fn mailbox_by_guid(&self, guid: &Uuid) -> Option<&Arc<Mailbox>> {
        self.by_guid.get(guid).map(|index| &self.mailboxes[*index])
    }

    /// Every mailbox, in provisioning order.
    pub fn mailboxes(&self) -> &[Arc<Mailbox>] {
        &self.mailboxes
    }

    /// The app registration with this client id.
    pub fn app(&self, client_id: &str) -> Option<&AppRegistration> {
        let client_id = Uuid::parse_str(client_id.trim()).ok()?;
        self.apps.iter().find(|app| app.client_id == client_id)
    }

    /// The admin account with this UPN.
    pub fn admin(&self, upn: &str) -> Option<&AdminAccount> {
        self.admins
            .iter()
            .find(|admin| admin.upn.eq_ignore_ascii_case(upn.trim()))
    }
}

/// Every tenant the simulator hosts.
#[derive(Debug, Default)]
pub struct Directory {
    tenants: Vec<Arc<Tenant>>,
}

impl Directory {
    /// A directory of the given tenants.
    pub fn new(tenants: Vec<Tenant>) -> Directory {
        Directory {
            tenants: tenants.into_iter().map(Arc::new).collect(),
        }
    }

    /// Every tenant.
    pub fn tenants(&self) -> &[Arc<Tenant>] {
        &self.tenants
    }

    /// A tenant by name, tenant id or domain, as the token endpoint's `{tenant}` segment allows.
    pub fn tenant(&self, key: &str) -> Option<&Arc<Tenant>> {
        let key = key.trim();
        self.tenants.iter().find(|tenant| {
            tenant.name.eq_ignore_ascii_case(key)
                || tenant.domain.eq_ignore_ascii_case(key)
                || tenant.tenant_id.to_string().eq_ignore_ascii_case(key)
        })
    }

    /// The tenant with this id.
    pub fn tenant_by_id(&self, tenant_id: &Uuid) -> Option<&Arc<Tenant>> {
        self.tenants
            .iter()
            .find(|tenant| tenant.tenant_id == *tenant_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("hunter2");
        assert!(!format!("{secret:?}").contains("hunter2"));
        assert!(secret.matches("hunter2"));
        assert!(!secret.matches("hunter"));
        assert!(!secret.matches("hunter22"));
    }

    #[test]
    fn mailboxes_are_found_by_any_address() {
        let mailbox = Mailbox::new(
            Uuid::from_u128(1),
            "Ann.Lee@contoso.example".into(),
            vec!["ann@oldbrand.example".into()],
            "Ann Lee".into(),
            MailboxKind::User,
            Locale::English,
            MailboxState::new(Locale::English, 0),
        );
        let tenant = Tenant::new(
            "source".into(),
            Uuid::from_u128(2),
            "contoso.example".into(),
            vec![],
            vec![],
            vec![mailbox],
        );
        assert!(tenant
            .mailbox_by_address("ann.lee@CONTOSO.example")
            .is_some());
        assert!(tenant.mailbox_by_address("ANN@oldbrand.example").is_some());
        assert!(tenant.mailbox_by_address("bob@contoso.example").is_none());
    }
}
