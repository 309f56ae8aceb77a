//! Progress as operators see it: per mailbox and per project, counts, bytes, errors, state,
//! times, a rate and an estimate of the time left.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use ferry_core::model::{
    counter, ApiSettings, Counters, EndpointConfig, ItemErrorRecord, MailboxId, MailboxRecord,
    ProjectId, ProjectRecord,
};
use ferry_core::store::CounterKey;
use ferry_core::wire::{
    cloud_to_proto, counters_to_proto, optional_timestamp, pass_kind_to_proto, protocol_to_proto,
    state_to_proto, timestamp,
};
use ferry_proto::v1;

use crate::coordinator::Coordinator;
use crate::error::CoordinatorError;

/// Items a mailbox or project has dealt with so far (copied, found present, failed).
fn processed(counters: &Counters) -> u64 {
    counters.get(counter::ITEMS_COPIED)
        + counters.get(counter::ITEMS_ALREADY_PRESENT)
        + counters.get(counter::ITEMS_FAILED)
}

/// Items per second since `started`, and the seconds left at that rate (0 when unknown).
pub fn rate_and_estimate(
    counters: &Counters,
    started: Option<DateTime<Utc>>,
    ended: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> (f64, f64) {
    let Some(started) = started else {
        return (0.0, 0.0);
    };
    let elapsed = ((ended.unwrap_or(now) - started).num_milliseconds() as f64 / 1000.0).max(0.001);
    let done = processed(counters);
    let rate = done as f64 / elapsed;
    let left = counters.get(counter::ITEMS_PLANNED).saturating_sub(done);
    let estimate = if ended.is_some() || left == 0 || rate <= 0.0 {
        0.0
    } else {
        left as f64 / rate
    };
    (rate, estimate)
}

/// An endpoint without its secrets.
pub fn endpoint_summary(endpoint: &EndpointConfig) -> v1::EndpointSummary {
    v1::EndpointSummary {
        cloud: cloud_to_proto(endpoint.cloud) as i32,
        tenant: endpoint.tenant.clone(),
        api: protocol_to_proto(endpoint.protocol()) as i32,
        ews_url: match &endpoint.api {
            ApiSettings::Ews { ews_url, .. } => ews_url.clone(),
            ApiSettings::Graph { .. } => String::new(),
        },
        graph_url: match &endpoint.api {
            ApiSettings::Graph { graph_url, .. } => graph_url.clone(),
            ApiSettings::Ews { .. } => String::new(),
        },
        credential_kind: endpoint.credentials.kind().to_string(),
        client_id: endpoint.credentials.client_id().to_string(),
        username: endpoint
            .credentials
            .username()
            .unwrap_or_default()
            .to_string(),
    }
}

/// A project as the API shows it.
pub fn project_message(project: &ProjectRecord) -> v1::Project {
    let options = &project.options;
    v1::Project {
        id: project.id.0.clone(),
        name: project.name.clone(),
        source: Some(endpoint_summary(&project.source)),
        destination: Some(endpoint_summary(&project.destination)),
        options: Some(v1::ProjectOptions {
            batch_items: options.batch_items,
            batch_bytes: options.batch_bytes,
            unit_items: options.unit_items,
            requests_per_second: options.requests_per_second,
            skip_permissions: options.skip_permissions,
            skip_rules: options.skip_rules,
            recipient_mapping: options.recipient_mapping.clone(),
            import_bytes_per_window: options.import_bytes_per_window,
            import_window_secs: options.import_window_secs,
        }),
        created_at: Some(timestamp(project.created_at)),
    }
}

/// A mailbox as the API shows it.
pub fn mailbox_message(mailbox: &MailboxRecord) -> v1::Mailbox {
    v1::Mailbox {
        id: mailbox.id.0.clone(),
        project_id: mailbox.project_id.0.clone(),
        source_address: mailbox.source_address.clone(),
        destination_address: mailbox.destination_address.clone(),
    }
}

/// A pass as the API shows it.
pub fn pass_message(pass: &ferry_core::model::PassRecord) -> v1::Pass {
    v1::Pass {
        id: pass.id.0.clone(),
        project_id: pass.project_id.0.clone(),
        kind: pass_kind_to_proto(pass.kind) as i32,
        mailbox_ids: pass.mailbox_ids.iter().map(|id| id.0.clone()).collect(),
        started_at: Some(timestamp(pass.started_at)),
        received_before: optional_timestamp(pass.received_before),
    }
}

/// A mailbox's status from its record and counters.
pub fn mailbox_status(
    mailbox: &MailboxRecord,
    counters: &Counters,
    now: DateTime<Utc>,
) -> v1::MailboxStatus {
    let (rate, estimate) = rate_and_estimate(counters, mailbox.started_at, mailbox.ended_at, now);
    v1::MailboxStatus {
        mailbox: Some(mailbox_message(mailbox)),
        state: state_to_proto(mailbox.state) as i32,
        pass_id: mailbox
            .pass_id
            .as_ref()
            .map(|pass| pass.0.clone())
            .unwrap_or_default(),
        counters: Some(counters_to_proto(counters)),
        started_at: optional_timestamp(mailbox.started_at),
        ended_at: optional_timestamp(mailbox.ended_at),
        items_per_second: rate,
        estimated_seconds_left: estimate,
        failure: mailbox.failure.clone().unwrap_or_default(),
        folders: Vec::new(),
    }
}

impl Coordinator {
    async fn mailbox_counters(
        &self,
        mailbox: &MailboxRecord,
    ) -> Result<Counters, CoordinatorError> {
        match &mailbox.pass_id {
            Some(pass) => Ok(self
                .store
                .counters(&CounterKey {
                    project: mailbox.project_id.clone(),
                    mailbox: mailbox.id.clone(),
                    pass: pass.clone(),
                })
                .await?),
            None => Ok(Counters::default()),
        }
    }

    /// One mailbox's status, with its folders.
    pub async fn get_mailbox_status(
        &self,
        project: &ProjectId,
        mailbox: &MailboxId,
    ) -> Result<v1::MailboxStatus, CoordinatorError> {
        self.project(project).await?;
        let record = self.store.mailbox(project, mailbox).await?.ok_or_else(|| {
            CoordinatorError::NotFound(format!("project {project} has no mailbox {mailbox}"))
        })?;
        let counters = self.mailbox_counters(&record).await?;
        let mut status = mailbox_status(&record, &counters, Utc::now());
        if let Some(pass) = &record.pass_id {
            let key = CounterKey {
                project: project.clone(),
                mailbox: mailbox.clone(),
                pass: pass.clone(),
            };
            status.folders = self
                .store
                .folder_counters(&key)
                .await?
                .into_iter()
                .map(|(path, counters)| v1::FolderStatus {
                    path,
                    items_seen: counters.get(counter::ITEMS_SEEN),
                    items_copied: counters.get(counter::ITEMS_COPIED),
                    bytes_copied: counters.get(counter::BYTES_COPIED),
                    items_already_present: counters.get(counter::ITEMS_ALREADY_PRESENT),
                    items_failed: counters.get(counter::ITEMS_FAILED),
                    units_done: counters.get(counter::UNITS_DONE),
                })
                .collect();
        }
        Ok(status)
    }

    /// Every mailbox's status.
    pub async fn list_mailbox_statuses(
        &self,
        project: &ProjectId,
    ) -> Result<Vec<v1::MailboxStatus>, CoordinatorError> {
        self.project(project).await?;
        self.mailbox_statuses(project, Utc::now()).await
    }

    /// Every mailbox's status, their counters read together.
    async fn mailbox_statuses(
        &self,
        project: &ProjectId,
        now: DateTime<Utc>,
    ) -> Result<Vec<v1::MailboxStatus>, CoordinatorError> {
        let mailboxes = self.store.mailboxes(project).await?;
        let in_a_pass: Vec<CounterKey> = mailboxes
            .iter()
            .filter_map(|mailbox| {
                Some(CounterKey {
                    project: mailbox.project_id.clone(),
                    mailbox: mailbox.id.clone(),
                    pass: mailbox.pass_id.clone()?,
                })
            })
            .collect();
        let mut counters = self.store.counters_many(&in_a_pass).await?.into_iter();
        let mut statuses = Vec::with_capacity(mailboxes.len());
        for mailbox in &mailboxes {
            let counters = if mailbox.pass_id.is_some() {
                counters.next().unwrap_or_default()
            } else {
                Counters::default()
            };
            statuses.push(mailbox_status(mailbox, &counters, now));
        }
        Ok(statuses)
    }

    /// A project's status for its latest pass. Without `include_mailboxes` it reads the
    /// summary the store keeps as results arrive, so it costs the same at any number of
    /// mailboxes; with them, each mailbox's counters are read too.
    pub async fn get_project_status(
        &self,
        project_id: &ProjectId,
        include_mailboxes: bool,
    ) -> Result<v1::ProjectStatus, CoordinatorError> {
        let project = self.project(project_id).await?;
        let pass = self.latest_pass(project_id).await?;
        let summary = self
            .store
            .project_summary(project_id, pass.as_ref().map(|pass| &pass.id))
            .await?;
        let now = Utc::now();
        let mut statuses = Vec::new();
        if include_mailboxes {
            statuses = self.mailbox_statuses(project_id, now).await?;
        }
        let total = summary.pass_counters;
        let complete = pass.is_some() && summary.pass_open == 0;
        let started = pass.as_ref().map(|pass| pass.started_at);
        let ended = if complete {
            summary.pass_ended_at.or(started)
        } else {
            None
        };
        let (rate, estimate) = rate_and_estimate(&total, started, ended, now);
        Ok(v1::ProjectStatus {
            project: Some(project_message(&project)),
            pass_id: pass
                .as_ref()
                .map(|pass| pass.id.0.clone())
                .unwrap_or_default(),
            counters: Some(counters_to_proto(&total)),
            mailboxes_by_state: summary
                .by_state
                .into_iter()
                .map(|(state, count)| (state, count as u32))
                .collect::<HashMap<String, u32>>(),
            mailboxes_total: summary.mailboxes as u32,
            started_at: optional_timestamp(started),
            ended_at: optional_timestamp(ended),
            items_per_second: rate,
            estimated_seconds_left: estimate,
            pass_complete: complete,
            mailboxes: statuses,
        })
    }

    /// A page of a mailbox's error log.
    pub async fn mailbox_errors(
        &self,
        project: &ProjectId,
        mailbox: &MailboxId,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<ItemErrorRecord>, u64), CoordinatorError> {
        self.project(project).await?;
        if self.store.mailbox(project, mailbox).await?.is_none() {
            return Err(CoordinatorError::NotFound(format!(
                "project {project} has no mailbox {mailbox}"
            )));
        }
        Ok(self.store.errors(project, mailbox, offset, limit).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn rate_and_estimate_follow_progress() {
        let started = Utc.timestamp_opt(1_700_000_000, 0).single();
        let now = Utc
            .timestamp_opt(1_700_000_010, 0)
            .single()
            .unwrap_or_default();
        let mut counters = Counters::default();
        counters.add(counter::ITEMS_PLANNED, 100);
        counters.add(counter::ITEMS_COPIED, 15);
        counters.add(counter::ITEMS_ALREADY_PRESENT, 5);
        let (rate, estimate) = rate_and_estimate(&counters, started, None, now);
        assert!((rate - 2.0).abs() < 1e-9, "20 items in 10 s");
        assert!((estimate - 40.0).abs() < 1e-9, "80 left at 2 per second");
        let (_, estimate) = rate_and_estimate(&counters, started, Some(now), now);
        assert_eq!(estimate, 0.0, "nothing is left once finished");
        assert_eq!(rate_and_estimate(&counters, None, None, now), (0.0, 0.0));
    }
}
