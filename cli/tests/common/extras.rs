//! Checks that a pass carried the extras (inbox rules and calendar permissions) to the
//! destination, read back through the project's own endpoints.

use ferry_cli::demo::environment::{DemoProject, Environment};
use ferry_core::mail::{Grantee, MailApiFactory, MailFolder};
use ferry_mail::ProtocolFactory;

/// What the check found, summed over the project's mailboxes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ExtrasCopied {
    /// Source rules.
    pub source_rules: usize,
    /// Of those, rules the destination has by name.
    pub rules_at_destination: usize,
    /// User entries of the source's default calendars.
    pub source_calendar_users: usize,
    /// User entries of the destination's default calendars.
    pub destination_calendar_users: usize,
}

fn calendar(folders: &[MailFolder]) -> &MailFolder {
    folders
        .iter()
        .find(|folder| folder.well_known.as_deref() == Some("calendar"))
        .expect("a calendar")
}

/// Rules and default-calendar user entries at both ends of every mailbox of the project.
pub async fn extras_copied(environment: &Environment, project: &DemoProject) -> ExtrasCopied {
    let record = environment
        .coordinator
        .project(&project.id)
        .await
        .expect("the project");
    let factory = ProtocolFactory::new();
    let source = factory.connect(&record.source).expect("source api");
    let destination = factory
        .connect(&record.destination)
        .expect("destination api");
    let mut found = ExtrasCopied::default();
    for mailbox in &project.mailboxes {
        let (from, to) = (&mailbox.source_address, &mailbox.destination_address);
        let source_rules = source.rules(from).await.expect("source rules");
        let destination_rules = destination.rules(to).await.expect("destination rules");
        found.source_rules += source_rules.len();
        found.rules_at_destination += source_rules
            .iter()
            .filter(|rule| {
                destination_rules.iter().any(|copy| {
                    copy.display_name == rule.display_name
                        && copy.actions.len() == rule.actions.len()
                })
            })
            .count();
        for (api, address, users) in [
            (&source, from, &mut found.source_calendar_users),
            (&destination, to, &mut found.destination_calendar_users),
        ] {
            let folders = api.folders(address).await.expect("folders");
            let permissions = api
                .permissions(address, calendar(&folders))
                .await
                .expect("calendar permissions");
            *users += permissions
                .entries
                .iter()
                .filter(|entry| matches!(entry.grantee, Grantee::User { .. }))
                .count();
        }
    }
    found
}
