//! One seeded mailbox: its folder tree, items, folder permissions and inbox rules.

use rand::seq::IndexedRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::content::Colleague;
use super::items::{ordinary_attachment_bytes, Common, ItemFactory};
use super::names;
use crate::model::{
    InboxRule, Locale, MailboxKind, MailboxState, Permission, PermissionUser, Person, RuleEntry,
    RuleValue, WellKnownFolder,
};

/// What to put in one mailbox.
pub struct MailboxPlan<'a> {
    /// User, shared, room or equipment.
    pub kind: MailboxKind,
    /// Its language.
    pub locale: Locale,
    /// How many items.
    pub item_count: u32,
    /// Items that get a large attachment.
    pub large_attachments: u32,
    /// Size of those attachments.
    pub large_attachment_bytes: u64,
    /// Items larger than the destination accepts.
    pub oversize_items: u32,
    /// Size of those items' attachments.
    pub oversize_bytes: u64,
    /// Item dates end here (seconds since the Unix epoch)...
    pub anchor: i64,
    /// ...and start this many seconds earlier.
    pub span_seconds: i64,
    /// Generators.
    pub factory: ItemFactory<'a>,
}

/// Where seeded mail can be filed.
struct MailFolders {
    inbox: u64,
    sent: u64,
    deleted: u64,
    archive: u64,
    junk: u64,
    drafts: u64,
    user: Vec<u64>,
}

/// Builds a mailbox's contents from its plan.
pub fn populate(plan: &MailboxPlan<'_>, rng: &mut ChaCha8Rng) -> MailboxState {
    let mut state = MailboxState::new(plan.locale, plan.anchor - plan.span_seconds);
    let user_folders = create_user_folders(&mut state, plan, rng);
    let folders = MailFolders {
        inbox: state.well_known_folder(WellKnownFolder::Inbox),
        sent: state.well_known_folder(WellKnownFolder::SentItems),
        deleted: state.well_known_folder(WellKnownFolder::DeletedItems),
        archive: state.well_known_folder(WellKnownFolder::Archive),
        junk: state.well_known_folder(WellKnownFolder::JunkEmail),
        drafts: state.well_known_folder(WellKnownFolder::Drafts),
        user: user_folders.mail.clone(),
    };
    let mut message_ids: Vec<String> = Vec::new();
    let mut special_budget = (plan.large_attachments, plan.oversize_items);
    for _ in 0..plan.item_count {
        let received = received_time(plan, rng);
        let message_id = if !message_ids.is_empty() && rng.random_bool(0.02) {
            // Real mailboxes hold the same message more than once (filed twice, re-sent).
            message_ids.choose(rng).cloned().unwrap_or_default()
        } else {
            format!(
                "<{:016x}.{:08x}@{}>",
                rng.random::<u64>(),
                rng.random::<u32>(),
                domain_of(plan.factory.owner)
            )
        };
        message_ids.push(message_id.clone());
        let roll = rng.random::<f64>();
        let item = match plan.kind {
            MailboxKind::Room | MailboxKind::Equipment => {
                if roll < 0.85 {
                    plan.factory.appointment(
                        rng,
                        common(
                            state.well_known_folder(WellKnownFolder::Calendar),
                            received,
                            message_id,
                        ),
                    )
                } else if roll < 0.9 {
                    plan.factory
                        .meeting_response(rng, common(folders.inbox, received, message_id))
                } else {
                    mail(
                        plan,
                        &folders,
                        rng,
                        received,
                        message_id,
                        &mut special_budget,
                    )
                }
            }
            MailboxKind::User | MailboxKind::Shared => {
                let mix: &[f64] = if plan.kind == MailboxKind::User {
                    &[0.80, 0.87, 0.89, 0.94, 0.965, 0.98, 0.99]
                } else {
                    &[0.92, 0.95, 0.95, 0.98, 1.0, 1.0, 1.0]
                };
                if roll < mix[0] {
                    mail(
                        plan,
                        &folders,
                        rng,
                        received,
                        message_id,
                        &mut special_budget,
                    )
                } else if roll < mix[1] {
                    let folder = user_folders
                        .calendar
                        .filter(|_| rng.random_bool(0.2))
                        .unwrap_or_else(|| state.well_known_folder(WellKnownFolder::Calendar));
                    plan.factory
                        .appointment(rng, common(folder, received, message_id))
                } else if roll < mix[2] {
                    plan.factory
                        .meeting_response(rng, common(folders.inbox, received, message_id))
                } else if roll < mix[3] {
                    let folder = user_folders
                        .contacts
                        .filter(|_| rng.random_bool(0.3))
                        .unwrap_or_else(|| state.well_known_folder(WellKnownFolder::Contacts));
                    plan.factory
                        .contact(rng, common(folder, received, message_id))
                } else if roll < mix[4] {
                    plan.factory.task(
                        rng,
                        common(
                            state.well_known_folder(WellKnownFolder::Tasks),
                            received,
                            message_id,
                        ),
                    )
                } else if roll < mix[5] {
                    let notes = state.well_known_folder(WellKnownFolder::Notes);
                    plan.factory
                        .note_or_journal(rng, common(notes, received, message_id), false)
                } else if roll < mix[6] {
                    let journal = state.well_known_folder(WellKnownFolder::Journal);
                    plan.factory
                        .note_or_journal(rng, common(journal, received, message_id), true)
                } else {
                    plan.factory
                        .post(rng, common(user_folders.posts, received, message_id))
                }
            }
        };
        state.insert_item(item);
    }
    grant_permissions(&mut state, plan, rng);
    if plan.kind == MailboxKind::User {
        add_rules(&mut state, plan, &user_folders.mail, rng);
    }
    state
}

fn common(folder: u64, received: i64, message_id: String) -> Common {
    Common {
        folder,
        received,
        message_id,
    }
}

/// Mail in one of the mail folders, sometimes with an attachment; the plan's large and oversize
/// attachments go to the first mail items until they are used up.
fn mail(
    plan: &MailboxPlan<'_>,
    folders: &MailFolders,
    rng: &mut ChaCha8Rng,
    received: i64,
    message_id: String,
    special_budget: &mut (u32, u32),
) -> crate::model::Item {
    let roll = rng.random_range(0..100);
    let (folder, sent_by_owner) = match roll {
        0..=19 => (folders.sent, true),
        20..=59 => (folders.inbox, false),
        60..=81 if !folders.user.is_empty() => {
            (*folders.user.choose(rng).unwrap_or(&folders.inbox), false)
        }
        60..=81 => (folders.inbox, false),
        82..=87 => (folders.archive, false),
        88..=93 => (folders.deleted, false),
        94..=96 => (folders.junk, false),
        _ => (folders.drafts, true),
    };
    let attachment = if special_budget.0 > 0 {
        special_budget.0 -= 1;
        Some(plan.large_attachment_bytes)
    } else if special_budget.1 > 0 {
        special_budget.1 -= 1;
        Some(plan.oversize_bytes)
    } else if rng.random_bool(0.25) {
        Some(ordinary_attachment_bytes(rng))
    } else {
        None
    };
    let mut item = plan.factory.mail(
        rng,
        common(folder, received, message_id),
        sent_by_owner,
        attachment,
    );
    if folder == folders.drafts {
        super::items::mark_unsent(&mut item);
    }
    item
}

/// Dates over the span, more of them recent, as in a real mailbox.
fn received_time(plan: &MailboxPlan<'_>, rng: &mut ChaCha8Rng) -> i64 {
    let age = (rng.random::<f64>().powf(1.7) * plan.span_seconds as f64) as i64;
    plan.anchor - age - rng.random_range(0..3600)
}

fn domain_of(person: &Colleague) -> &str {
    person.smtp.split('@').nth(1).unwrap_or("example.com")
}

fn person(colleague: Option<&Colleague>) -> Person {
    colleague
        .map(|colleague| Person {
            name: colleague.name.clone(),
            address: colleague.smtp.clone(),
        })
        .unwrap_or_default()
}

/// The user folders created in a mailbox.
struct UserFolders {
    mail: Vec<u64>,
    calendar: Option<u64>,
    contacts: Option<u64>,
    posts: u64,
}

fn create_user_folders(
    state: &mut MailboxState,
    plan: &MailboxPlan<'_>,
    rng: &mut ChaCha8Rng,
) -> UserFolders {
    let now = plan.anchor - plan.span_seconds;
    let inbox = state.well_known_folder(WellKnownFolder::Inbox);
    let top = state.well_known_folder(WellKnownFolder::MsgFolderRoot);
    let archive = state.well_known_folder(WellKnownFolder::Archive);
    let mut mail_folders: Vec<(u64, usize)> = Vec::new();
    let count = match plan.kind {
        MailboxKind::User => rng.random_range(3..=10),
        MailboxKind::Shared => rng.random_range(1..=4),
        _ => 0,
    };
    for _ in 0..count {
        let (parent, depth) = if !mail_folders.is_empty() && rng.random_bool(0.35) {
            let (parent, depth) = *mail_folders.choose(rng).unwrap_or(&(inbox, 0));
            if depth >= 3 {
                (inbox, 0)
            } else {
                (parent, depth)
            }
        } else {
            (*[inbox, top, archive].choose(rng).unwrap_or(&inbox), 0)
        };
        let base = names::FOLDER_NAMES.choose(rng).copied().unwrap_or("Folder");
        if let Some(seq) = create_unique(state, parent, base, "IPF.Note", now) {
            mail_folders.push((seq, depth + 1));
        }
    }
    if plan.kind == MailboxKind::User && rng.random_bool(0.3) {
        // Exchange allows names up to 255 characters; migrations that truncate lose the folder.
        let long_name = format!(
            "{} {}",
            "Very long folder name for the records of".repeat(5),
            rng.random_range(0..100)
        );
        if let Some(seq) = create_unique(state, inbox, &long_name, "IPF.Note", now) {
            mail_folders.push((seq, 1));
        }
    }
    let calendar = (plan.kind == MailboxKind::User && rng.random_bool(0.25))
        .then(|| {
            create_unique(
                state,
                state.well_known_folder(WellKnownFolder::Calendar),
                "Team Calendar",
                "IPF.Appointment",
                now,
            )
        })
        .flatten();
    let contacts = (plan.kind == MailboxKind::User && rng.random_bool(0.25))
        .then(|| {
            create_unique(
                state,
                state.well_known_folder(WellKnownFolder::Contacts),
                "Suppliers",
                "IPF.Contact",
                now,
            )
        })
        .flatten();
    let posts = create_unique(state, top, "Team Posts", "IPF.Note", now).unwrap_or(inbox);
    UserFolders {
        mail: mail_folders.into_iter().map(|(seq, _)| seq).collect(),
        calendar,
        contacts,
        posts,
    }
}

/// Creates a folder, numbering the name if a sibling already has it.
fn create_unique(
    state: &mut MailboxState,
    parent: u64,
    name: &str,
    class: &str,
    now: i64,
) -> Option<u64> {
    (1..10).find_map(|attempt| {
        let candidate = if attempt == 1 {
            name.to_string()
        } else {
            format!("{name} {attempt}")
        };
        state.create_folder(parent, &candidate, class, now).ok()
    })
}

fn grant_permissions(state: &mut MailboxState, plan: &MailboxPlan<'_>, rng: &mut ChaCha8Rng) {
    let colleagues = plan.factory.colleagues;
    if colleagues.is_empty() {
        return;
    }
    let user = |person: &Person| PermissionUser::User {
        address: person.address.clone(),
        display_name: person.name.clone(),
    };
    let calendar = state.well_known_folder(WellKnownFolder::Calendar);
    let inbox = state.well_known_folder(WellKnownFolder::Inbox);
    let grant = |state: &mut MailboxState, folder: u64, permission: Permission| {
        if let Some(target) = state.folders.get_mut(&folder) {
            if !target
                .permissions
                .iter()
                .any(|existing| existing.user == permission.user)
            {
                target.permissions.push(permission);
            }
        }
    };
    match plan.kind {
        MailboxKind::User => {
            if rng.random_bool(0.3) {
                let colleague = person(colleagues.choose(rng));
                grant(
                    state,
                    calendar,
                    Permission::with_level(user(&colleague), "Reviewer"),
                );
            }
            if rng.random_bool(0.1) {
                let colleague = person(colleagues.choose(rng));
                grant(
                    state,
                    inbox,
                    Permission::with_level(user(&colleague), "Editor"),
                );
            }
        }
        MailboxKind::Shared => {
            for level in ["Owner", "Editor", "Author"] {
                let colleague = person(colleagues.choose(rng));
                grant(
                    state,
                    inbox,
                    Permission::with_level(user(&colleague), level),
                );
            }
        }
        MailboxKind::Room | MailboxKind::Equipment => {
            if let Some(folder) = state.folders.get_mut(&calendar) {
                folder.permissions[0] = Permission::with_level(
                    PermissionUser::Default,
                    "FreeBusyTimeAndSubjectAndLocation",
                );
            }
        }
    }
}

fn add_rules(
    state: &mut MailboxState,
    plan: &MailboxPlan<'_>,
    user_folders: &[u64],
    rng: &mut ChaCha8Rng,
) {
    let count = rng.random_range(0..=4);
    for index in 0..count {
        let (name, conditions, actions) = match (index, user_folders.choose(rng)) {
            (0, Some(folder)) => (
                "Newsletters",
                vec![entry(
                    "ContainsSubjectStrings",
                    RuleValue::Strings(vec!["Newsletter".into(), "Digest".into()]),
                )],
                vec![
                    entry("MoveToFolder", RuleValue::Folder(*folder)),
                    entry("StopProcessingRules", RuleValue::Flag(true)),
                ],
            ),
            (1, _) => (
                "From the boss",
                vec![entry(
                    "FromAddresses",
                    RuleValue::Addresses(
                        plan.factory
                            .colleagues
                            .choose(rng)
                            .map(|colleague| person(Some(colleague)))
                            .into_iter()
                            .collect(),
                    ),
                )],
                vec![entry("MarkImportance", RuleValue::Token("High".into()))],
            ),
            (2, _) => (
                "Invoices to accounts",
                vec![entry(
                    "ContainsSubjectStrings",
                    RuleValue::Strings(vec!["Invoice".into(), "Rechnung".into()]),
                )],
                vec![entry(
                    "ForwardToRecipients",
                    RuleValue::Addresses(vec![Person {
                        name: "Accounts Payable".into(),
                        address: format!("accounts.payable@{}", domain_of(plan.factory.owner)),
                    }]),
                )],
            ),
            _ => (
                "Tag attachments",
                vec![entry("HasAttachments", RuleValue::Flag(true))],
                vec![entry(
                    "AssignCategories",
                    RuleValue::Strings(vec!["Attachments".into()]),
                )],
            ),
        };
        let mut rule = InboxRule {
            id: state.next_rule_id(),
            display_name: name.into(),
            priority: index + 1,
            is_enabled: rng.random_bool(0.9),
            conditions,
            exceptions: Vec::new(),
            actions,
        };
        rule.normalise_order();
        state.rules.push(rule);
    }
}

fn entry(name: &str, value: RuleValue) -> RuleEntry {
    RuleEntry {
        name: name.into(),
        value,
    }
}
