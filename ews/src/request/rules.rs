//! Inbox rule requests: `GetInboxRules` and `UpdateInboxRules`.

use ferry_xml::schema::{rule_entry_position, RULE_ACTIONS, RULE_PREDICATES};
use ferry_xml::XmlWriter;

use super::common::write_folder_ref;
use super::{envelope, MailboxTarget, Request};
use crate::types::{InboxRule, RuleEntry, RuleOperation, RuleValue};

/// `GetInboxRules` of the mailbox.
pub fn get_inbox_rules(mailbox: &MailboxTarget, version: &str) -> Request {
    envelope("GetInboxRules", mailbox, version, |writer| {
        writer.open("m:GetInboxRules", &[]);
        writer.leaf("m:MailboxSmtpAddress", &mailbox.address);
        writer.close("m:GetInboxRules");
    })
}

/// `UpdateInboxRules`: all operations apply, or none.
pub fn update_inbox_rules(
    mailbox: &MailboxTarget,
    version: &str,
    operations: &[RuleOperation],
) -> Request {
    envelope("UpdateInboxRules", mailbox, version, |writer| {
        writer.open("m:UpdateInboxRules", &[]);
        writer.leaf("m:MailboxSmtpAddress", &mailbox.address);
        writer.leaf("m:RemoveOutlookRuleBlob", "true");
        writer.open("m:Operations", &[]);
        for operation in operations {
            match operation {
                RuleOperation::Create(rule) => {
                    writer.open("t:CreateRuleOperation", &[]);
                    write_rule(writer, rule, mailbox);
                    writer.close("t:CreateRuleOperation");
                }
                RuleOperation::Set(rule) => {
                    writer.open("t:SetRuleOperation", &[]);
                    write_rule(writer, rule, mailbox);
                    writer.close("t:SetRuleOperation");
                }
                RuleOperation::Delete(id) => {
                    writer.open("t:DeleteRuleOperation", &[]);
                    writer.leaf("t:RuleId", id);
                    writer.close("t:DeleteRuleOperation");
                }
            }
        }
        writer.close("m:Operations");
        writer.close("m:UpdateInboxRules");
    })
}

fn write_rule(writer: &mut XmlWriter, rule: &InboxRule, mailbox: &MailboxTarget) {
    writer.open("t:Rule", &[]);
    if let Some(id) = &rule.id {
        writer.leaf("t:RuleId", id);
    }
    writer.leaf("t:DisplayName", &rule.display_name);
    writer.leaf("t:Priority", &rule.priority.to_string());
    writer.leaf(
        "t:IsEnabled",
        if rule.is_enabled { "true" } else { "false" },
    );
    for (element, entries, order) in [
        ("t:Conditions", &rule.conditions, RULE_PREDICATES),
        ("t:Exceptions", &rule.exceptions, RULE_PREDICATES),
        ("t:Actions", &rule.actions, RULE_ACTIONS),
    ] {
        if entries.is_empty() {
            continue;
        }
        let mut ordered: Vec<&RuleEntry> = entries.iter().collect();
        ordered.sort_by_key(|entry| rule_entry_position(order, &entry.name));
        writer.open(element, &[]);
        for entry in ordered {
            write_entry(writer, entry, mailbox);
        }
        writer.close(element);
    }
    writer.close("t:Rule");
}

fn write_entry(writer: &mut XmlWriter, entry: &RuleEntry, mailbox: &MailboxTarget) {
    let name = format!("t:{}", entry.name);
    match &entry.value {
        RuleValue::Flag(flag) => {
            writer.leaf(&name, if *flag { "true" } else { "false" });
        }
        RuleValue::Token(token) => {
            writer.leaf(&name, token);
        }
        RuleValue::Strings(strings) => {
            writer.open(&name, &[]);
            for string in strings {
                writer.leaf("t:String", string);
            }
            writer.close(&name);
        }
        RuleValue::Addresses(addresses) => {
            writer.open(&name, &[]);
            for address in addresses {
                writer.open("t:Address", &[]);
                if let Some(display) = &address.name {
                    writer.leaf("t:Name", display);
                }
                if let Some(smtp) = &address.address {
                    writer.leaf("t:EmailAddress", smtp);
                    writer.leaf("t:RoutingType", "SMTP");
                }
                writer.close("t:Address");
            }
            writer.close(&name);
        }
        RuleValue::Folder(folder) => {
            writer.open(&name, &[]);
            write_folder_ref(writer, folder, mailbox);
            writer.close(&name);
        }
        RuleValue::SizeRange { minimum, maximum } => {
            writer.open(&name, &[]);
            if let Some(minimum) = minimum {
                writer.leaf("t:MinimumSize", &minimum.to_string());
            }
            if let Some(maximum) = maximum {
                writer.leaf("t:MaximumSize", &maximum.to_string());
            }
            writer.close(&name);
        }
    }
}
