//! A project's recipient mapping as a worker applies it: the project's expressions with its
//! mailbox pairs, and what the source directory answered for `EX` addresses items name without
//! their SMTP address, cached for every unit of the project this worker runs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use ferry_core::mapping::RecipientMapping;
use ferry_core::model::{ProjectId, ProjectRecord};
use ferry_core::store::{Store, StoreError};
use tokio::time::Instant;

/// How long a project's mailbox pairs are used before they are read again (mailboxes can be
/// added while a pass runs).
const REFRESH: Duration = Duration::from_secs(60);

/// The mapping of one project.
#[derive(Debug)]
pub struct ProjectAddresses {
    /// Expressions and mailbox pairs.
    pub mapping: RecipientMapping,
    /// Source directory answers by lower-case DN: the SMTP address, or `None` if it knows none.
    exchange: Arc<Mutex<HashMap<String, Option<String>>>>,
    loaded_at: Instant,
}

impl ProjectAddresses {
    fn answers(&self) -> MutexGuard<'_, HashMap<String, Option<String>>> {
        self.exchange
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The SMTP addresses already known for `legacy_dns`, and the DNs still to ask about.
    pub fn known(&self, legacy_dns: &[String]) -> (HashMap<String, String>, Vec<String>) {
        let answers = self.answers();
        let mut known = HashMap::new();
        let mut unknown = Vec::new();
        for dn in legacy_dns {
            match answers.get(&dn.to_lowercase()) {
                Some(Some(smtp)) => {
                    known.insert(dn.to_lowercase(), smtp.clone());
                }
                Some(None) => {}
                None => unknown.push(dn.clone()),
            }
        }
        (known, unknown)
    }

    /// Keeps the directory's answer for a DN.
    pub fn remember(&self, legacy_dn: &str, smtp: Option<String>) {
        self.answers().insert(legacy_dn.to_lowercase(), smtp);
    }
}

/// Every project's mapping this worker has met.
#[derive(Debug, Default)]
pub struct AddressBooks {
    projects: Mutex<HashMap<ProjectId, Arc<ProjectAddresses>>>,
}

impl AddressBooks {
    fn projects(&self) -> MutexGuard<'_, HashMap<ProjectId, Arc<ProjectAddresses>>> {
        self.projects
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The project's mapping, or `None` if it maps no item addresses (no expressions).
    pub async fn for_project(
        &self,
        store: &dyn Store,
        project: &ProjectRecord,
    ) -> Result<Option<Arc<ProjectAddresses>>, StoreError> {
        // Only projects that map item addresses are cached, so a fresh entry answers at once.
        let cached = self.projects().get(&project.id).cloned();
        if let Some(cached) = &cached {
            if cached.loaded_at.elapsed() < REFRESH {
                return Ok(Some(cached.clone()));
            }
        }
        // Expressions were checked when the project was created; a record that no longer
        // parses (edited by hand) maps nothing rather than something unintended.
        let Ok(expressions) = RecipientMapping::parse(&project.options.recipient_mapping) else {
            tracing::warn!(project = %project.id.0, "the project's recipient mapping does not parse; addresses are left as they are");
            return Ok(None);
        };
        if !expressions.maps_items() {
            return Ok(None);
        }
        let mailboxes = store.mailboxes(&project.id).await?;
        let mapping = expressions.with_mailbox_records(&mailboxes);
        let fresh = Arc::new(ProjectAddresses {
            mapping,
            exchange: cached
                .map(|cached| cached.exchange.clone())
                .unwrap_or_default(),
            loaded_at: Instant::now(),
        });
        self.projects().insert(project.id.clone(), fresh.clone());
        Ok(Some(fresh))
    }
}
