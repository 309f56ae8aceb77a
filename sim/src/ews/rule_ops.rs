//! Inbox rules: `GetInboxRules` and `UpdateInboxRules`.

use super::context::{folder_id_attrs, resolve_folder, OpContext};
use super::soap::{EwsError, SoapFault};
use super::OpError;
use crate::model::rules::{value_kind, RuleValueKind};
use crate::model::{InboxRule, MailboxState, Person, RuleEntry, RuleValue};
use crate::xml::{Element, XmlWriter, MESSAGES_NS, TYPES_NS};

/// `GetInboxRules`: the mailbox's rules in priority order.
pub fn get_inbox_rules(
    ctx: &OpContext<'_>,
    request: &Element,
    writer: &mut XmlWriter,
) -> Result<(), OpError> {
    check_mailbox_address(ctx, request)?;
    let state = ctx.mailbox.lock();
    writer.open(
        "m:GetInboxRulesResponse",
        &[
            ("ResponseClass", "Success"),
            ("xmlns:m", MESSAGES_NS),
            ("xmlns:t", TYPES_NS),
        ],
    );
    writer.leaf("m:ResponseCode", "NoError");
    writer.leaf("m:OutlookRuleBlobExists", "false");
    writer.open("m:InboxRules", &[]);
    for rule in &state.rules {
        write_rule(ctx, &state, rule, writer);
    }
    writer.close("m:InboxRules");
    writer.close("m:GetInboxRulesResponse");
    Ok(())
}

/// One failed rule operation: its index and what was wrong.
struct RuleOperationError {
    index: usize,
    field: &'static str,
    code: &'static str,
    message: String,
}

/// `UpdateInboxRules`: creates, changes and deletes rules, all or nothing.
pub fn update_inbox_rules(
    ctx: &OpContext<'_>,
    request: &Element,
    writer: &mut XmlWriter,
) -> Result<(), OpError> {
    check_mailbox_address(ctx, request)?;
    let operations = request
        .child("Operations")
        .ok_or_else(|| SoapFault::schema("UpdateInboxRules has no Operations."))?;
    let mut state = ctx.mailbox.lock();
    let mut rules = state.rules.clone();
    let mut errors = Vec::new();
    for (index, operation) in operations.children.iter().enumerate() {
        if let Err((field, code, message)) = apply_operation(ctx, &mut state, &mut rules, operation)
        {
            errors.push(RuleOperationError {
                index,
                field,
                code,
                message,
            });
        }
    }
    if errors.is_empty() {
        // A rule given priority N goes before the rule that held N, which moves down (as in
        // Outlook and Exchange); untouched rules keep their relative order.
        let touched: std::collections::HashSet<String> = rules
            .iter()
            .filter(|rule| !state.rules.contains(rule))
            .map(|rule| rule.id.clone())
            .collect();
        rules.sort_by_key(|rule| (rule.priority, !touched.contains(&rule.id)));
        for (position, rule) in rules.iter_mut().enumerate() {
            rule.priority = position as i32 + 1;
        }
        state.rules = rules;
        writer.open(
            "m:UpdateInboxRulesResponse",
            &[
                ("ResponseClass", "Success"),
                ("xmlns:m", MESSAGES_NS),
                ("xmlns:t", TYPES_NS),
            ],
        );
        writer.leaf("m:ResponseCode", "NoError");
        writer.close("m:UpdateInboxRulesResponse");
        return Ok(());
    }
    writer.open(
        "m:UpdateInboxRulesResponse",
        &[
            ("ResponseClass", "Error"),
            ("xmlns:m", MESSAGES_NS),
            ("xmlns:t", TYPES_NS),
        ],
    );
    writer.leaf(
        "m:MessageText",
        "Validation error occurred when executing inbox rules operations.",
    );
    writer.leaf("m:ResponseCode", "ErrorInboxRulesValidationError");
    writer.leaf("m:DescriptiveLinkKey", "0");
    writer.open("m:RuleOperationErrors", &[]);
    for error in errors {
        writer.open("t:RuleOperationError", &[]);
        writer.leaf("t:OperationIndex", &error.index.to_string());
        writer.open("t:ValidationErrors", &[]);
        writer.open("t:Error", &[]);
        writer.leaf("t:FieldURI", error.field);
        writer.leaf("t:ErrorCode", error.code);
        writer.leaf("t:ErrorMessage", &error.message);
        writer.leaf("t:FieldValue", "");
        writer.close("t:Error");
        writer.close("t:ValidationErrors");
        writer.close("t:RuleOperationError");
    }
    writer.close("m:RuleOperationErrors");
    writer.close("m:UpdateInboxRulesResponse");
    Ok(())
}

type OperationFailure = (&'static str, &'static str, String);

fn apply_operation(
    ctx: &OpContext<'_>,
    state: &mut MailboxState,
    rules: &mut Vec<InboxRule>,
    operation: &Element,
) -> Result<(), OperationFailure> {
    match operation.name.as_str() {
        "CreateRuleOperation" => {
            let rule_element = operation.child("Rule").ok_or((
                "Actions",
                "MissingParameter",
                "The operation has no Rule.".into(),
            ))?;
            if rule_element.child("RuleId").is_some() {
                return Err((
                    "RuleId",
                    "CreateWithRuleId",
                    "A new rule can't have a RuleId.".into(),
                ));
            }
            let mut rule = parse_rule(ctx, state, rule_element)?;
            rule.id = state.next_rule_id();
            if rule_element.child("Priority").is_none() {
                rule.priority = rules.len() as i32 + 1;
            }
            rules.push(rule);
            Ok(())
        }
        "SetRuleOperation" => {
            let rule_element = operation.child("Rule").ok_or((
                "Actions",
                "MissingParameter",
                "The operation has no Rule.".into(),
            ))?;
            let id = rule_element
                .child_text("RuleId")
                .ok_or((
                    "RuleId",
                    "MissingParameter",
                    "The rule has no RuleId.".into(),
                ))?
                .to_string();
            let position = rules.iter().position(|rule| rule.id == id).ok_or((
                "RuleId",
                "RuleNotFound",
                format!("No rule has the id '{id}'."),
            ))?;
            let mut rule = parse_rule(ctx, state, rule_element)?;
            rule.id = id;
            rules[position] = rule;
            Ok(())
        }
        "DeleteRuleOperation" => {
            let id = operation.child_text("RuleId").ok_or((
                "RuleId",
                "MissingParameter",
                "The operation has no RuleId.".into(),
            ))?;
            let before = rules.len();
            rules.retain(|rule| rule.id != id);
            if rules.len() == before {
                return Err((
                    "RuleId",
                    "RuleNotFound",
                    format!("No rule has the id '{id}'."),
                ));
            }
            Ok(())
        }
        other => Err((
            "Actions",
            "UnsupportedRule",
            format!("'{other}' is not a rule operation."),
        )),
    }
}

fn parse_rule(
    ctx: &OpContext<'_>,
    state: &MailboxState,
    element: &Element,
) -> Result<InboxRule, OperationFailure> {
    let display_name = element
        .child_text("DisplayName")
        .filter(|name| !name.is_empty())
        .ok_or((
            "DisplayName",
            "EmptyValueFound",
            "The rule has no DisplayName.".into(),
        ))?
        .to_string();
    let priority = match element.child_text("Priority") {
        Some(text) => text
            .parse::<i32>()
            .ok()
            .filter(|priority| *priority >= 1)
            .ok_or((
                "Priority",
                "InvalidValue",
                format!("'{text}' is not a valid priority."),
            ))?,
        None => i32::MAX,
    };
    let mut rule = InboxRule {
        id: String::new(),
        display_name,
        priority,
        is_enabled: element.child_text("IsEnabled") != Some("false"),
        conditions: parse_entries(ctx, state, element.child("Conditions"), "Condition")?,
        exceptions: parse_entries(ctx, state, element.child("Exceptions"), "Exception")?,
        actions: parse_entries(ctx, state, element.child("Actions"), "Action")?,
    };
    if rule.actions.is_empty() {
        return Err((
            "Actions",
            "MissingAction",
            "A rule needs at least one action.".into(),
        ));
    }
    rule.normalise_order();
    Ok(rule)
}

fn parse_entries(
    ctx: &OpContext<'_>,
    state: &MailboxState,
    list: Option<&Element>,
    part: &'static str,
) -> Result<Vec<RuleEntry>, OperationFailure> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    let mut entries = Vec::new();
    for child in &list.children {
        let kind = value_kind(&child.name).ok_or((
            part_field(part),
            "UnsupportedRule",
            format!(
                "The simulator does not support the rule {} '{}'.",
                part.to_lowercase(),
                child.name
            ),
        ))?;
        let value = match kind {
            RuleValueKind::Flag => RuleValue::Flag(child.trimmed_text() == "true"),
            RuleValueKind::Token => RuleValue::Token(child.trimmed_text().to_string()),
            RuleValueKind::Strings => RuleValue::Strings(
                child
                    .children_named("String")
                    .map(|string| string.text.clone())
                    .collect(),
            ),
            RuleValueKind::Addresses => RuleValue::Addresses(
                child
                    .children_named("Address")
                    .map(|address| Person {
                        name: address.child_text("Name").unwrap_or_default().to_string(),
                        address: address
                            .child_text("EmailAddress")
                            .unwrap_or_default()
                            .to_string(),
                    })
                    .collect(),
            ),
            RuleValueKind::Folder => {
                let seq = resolve_folder(ctx.mailbox, state, child).map_err(|_: EwsError| {
                    (
                        part_field(part),
                        "FolderDoesNotExist",
                        "The rule's folder does not exist.".to_string(),
                    )
                })?;
                RuleValue::Folder(seq)
            }
            RuleValueKind::SizeRange => {
                let number = |name: &str| {
                    child
                        .child_text(name)
                        .and_then(|text| text.parse::<u64>().ok())
                };
                RuleValue::SizeRange {
                    minimum: number("MinimumSize"),
                    maximum: number("MaximumSize"),
                }
            }
        };
        entries.push(RuleEntry {
            name: child.name.clone(),
            value,
        });
    }
    Ok(entries)
}

fn part_field(part: &str) -> &'static str {
    match part {
        "Condition" => "Conditions",
        "Exception" => "Exceptions",
        _ => "Actions",
    }
}

fn write_rule(ctx: &OpContext<'_>, state: &MailboxState, rule: &InboxRule, writer: &mut XmlWriter) {
    writer.open("t:Rule", &[]);
    writer.leaf("t:RuleId", &rule.id);
    writer.leaf("t:DisplayName", &rule.display_name);
    writer.leaf("t:Priority", &rule.priority.to_string());
    writer.leaf(
        "t:IsEnabled",
        if rule.is_enabled { "true" } else { "false" },
    );
    for (element, entries) in [
        ("t:Conditions", &rule.conditions),
        ("t:Exceptions", &rule.exceptions),
        ("t:Actions", &rule.actions),
    ] {
        if entries.is_empty() {
            continue;
        }
        writer.open(element, &[]);
        for entry in entries {
            write_entry(ctx, state, entry, writer);
        }
        writer.close(element);
    }
    writer.close("t:Rule");
}

fn write_entry(
    ctx: &OpContext<'_>,
    state: &MailboxState,
    entry: &RuleEntry,
    writer: &mut XmlWriter,
) {
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
        RuleValue::Addresses(people) => {
            writer.open(&name, &[]);
            for person in people {
                writer.open("t:Address", &[]);
                if !person.name.is_empty() {
                    writer.leaf("t:Name", &person.name);
                }
                writer.leaf("t:EmailAddress", &person.address);
                writer.leaf("t:RoutingType", "SMTP");
                writer.leaf("t:MailboxType", "OneOff");
                writer.close("t:Address");
            }
            writer.close(&name);
        }
        RuleValue::Folder(seq) => {
            writer.open(&name, &[]);
            let (id, change_key) = folder_id_attrs(ctx.mailbox, state, *seq);
            writer.empty("t:FolderId", &[("Id", &id), ("ChangeKey", &change_key)]);
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

/// `MailboxSmtpAddress`, when given, must name the mailbox the request acts on.
fn check_mailbox_address(ctx: &OpContext<'_>, request: &Element) -> Result<(), OpError> {
    if let Some(address) = request.child_text("MailboxSmtpAddress") {
        let mailbox = ctx.mailbox;
        let matches = mailbox.primary_address.eq_ignore_ascii_case(address)
            || mailbox
                .aliases
                .iter()
                .any(|alias| alias.eq_ignore_ascii_case(address));
        if !matches {
            return Err(SoapFault::new(
                "ErrorAccessDenied",
                "Access is denied. Check credentials and try again.",
            )
            .into());
        }
    }
    Ok(())
}
