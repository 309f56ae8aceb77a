//! Live progress bars (`indicatif`) for a project: one for the whole pass and one per mailbox
//! still at work (at most [`MAX_MAILBOX_BARS`], the busiest first).

use std::collections::HashMap;

use ferry_proto::v1;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::render::{bytes, duration, processed, state_name};

/// Mailbox bars shown at once.
pub const MAX_MAILBOX_BARS: usize = 12;

/// Progress bars on standard error (hidden when it is not a terminal).
pub struct ProgressView {
    multi: MultiProgress,
    total: ProgressBar,
    mailboxes: HashMap<String, ProgressBar>,
}

impl std::fmt::Debug for ProgressView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgressView")
            .field("mailboxes", &self.mailboxes.len())
            .finish()
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

impl ProgressView {
    /// Bars drawn on standard error if it is a terminal.
    pub fn new() -> ProgressView {
        let target = ProgressDrawTarget::stderr();
        ProgressView::with_target(target)
    }

    /// Bars that draw nothing (scripts, tests).
    pub fn hidden() -> ProgressView {
        ProgressView::with_target(ProgressDrawTarget::hidden())
    }

    fn with_target(target: ProgressDrawTarget) -> ProgressView {
        let multi = MultiProgress::with_draw_target(target);
        let total = multi.add(ProgressBar::new(0));
        total.set_style(style(
            "{prefix:>12.bold} [{bar:40.cyan/blue}] {pos}/{len} {msg}",
        ));
        total.set_prefix("all");
        ProgressView {
            multi,
            total,
            mailboxes: HashMap::new(),
        }
    }

    /// Whether the bars are drawn.
    pub fn is_visible(&self) -> bool {
        !self.multi.is_hidden()
    }

    /// Shows `status`.
    pub fn update(&mut self, status: &v1::ProjectStatus) {
        let counters = status.counters.clone().unwrap_or_default();
        self.total
            .set_length(counters.items_planned.max(processed(&counters)));
        self.total.set_position(processed(&counters));
        let eta = if status.pass_complete {
            "done".to_string()
        } else if counters.items_planned == 0 || processed(&counters) == 0 {
            "planning".to_string()
        } else {
            format!("~{} left", duration(status.estimated_seconds_left))
        };
        self.total.set_message(format!(
            "{} copied ({}), {} present, {} failed, {:.0}/s, {} throttled, {eta}",
            counters.items_copied,
            bytes(counters.bytes_copied),
            counters.items_already_present,
            counters.items_failed,
            status.items_per_second,
            counters.throttle_events,
        ));

        let mut active: Vec<&v1::MailboxStatus> = status
            .mailboxes
            .iter()
            .filter(|mailbox| {
                matches!(
                    v1::MailboxState::try_from(mailbox.state),
                    Ok(v1::MailboxState::Queued | v1::MailboxState::Running)
                )
            })
            .collect();
        active.sort_by_key(|mailbox| {
            std::cmp::Reverse(mailbox.counters.as_ref().map_or(0, processed))
        });
        active.truncate(MAX_MAILBOX_BARS);
        let shown: Vec<String> = active
            .iter()
            .filter_map(|mailbox| mailbox.mailbox.as_ref().map(|mailbox| mailbox.id.clone()))
            .collect();
        self.mailboxes.retain(|id, bar| {
            let keep = shown.contains(id);
            if !keep {
                bar.finish_and_clear();
            }
            keep
        });
        for mailbox in active {
            let Some(record) = &mailbox.mailbox else {
                continue;
            };
            let bar = self.mailboxes.entry(record.id.clone()).or_insert_with(|| {
                let bar = self.multi.add(ProgressBar::new(0));
                bar.set_style(style("{prefix:>12} [{bar:40}] {pos}/{len} {msg}"));
                let name = record.source_address.split('@').next().unwrap_or_default();
                bar.set_prefix(name.chars().take(12).collect::<String>());
                bar
            });
            let counters = mailbox.counters.clone().unwrap_or_default();
            bar.set_length(counters.items_planned.max(processed(&counters)));
            bar.set_position(processed(&counters));
            bar.set_message(format!(
                "{} {}",
                state_name(mailbox.state),
                bytes(counters.bytes_copied)
            ));
        }
    }

    /// Clears the bars.
    pub fn finish(&self) {
        for bar in self.mailboxes.values() {
            bar.finish_and_clear();
        }
        self.total.finish_and_clear();
    }
}

impl Default for ProgressView {
    fn default() -> Self {
        ProgressView::new()
    }
}
