//! The calls a migration makes, one module per resource.

pub mod calendar;
pub mod discovery;
pub mod export;
pub mod folders;
pub mod ids;
pub mod import;
pub mod items;
pub mod rules;

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

/// What a path segment must escape: everything but RFC 3986's `pchar` (so mailbox ids keep their
/// `:` and `@`, as Graph's own documentation writes them, while a `/` or `?` in an id cannot
/// change the path).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// An id or name as one path segment.
pub(crate) fn segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// `$expand` for single-value extended properties with these ids.
pub(crate) fn expand(properties: &[&str]) -> Option<String> {
    if properties.is_empty() {
        return None;
    }
    let filter = properties
        .iter()
        .map(|id| format!("id eq '{}'", id.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(" or ");
    Some(format!("singleValueExtendedProperties($filter={filter})"))
}

/// `users/{user}`: the users API (rules, calendar permissions, id translation), which names
/// a mailbox by its user (object id or user principal name), not by its mailbox id.
pub(crate) fn user_path(user: &str) -> Result<String, crate::GraphError> {
    if user.is_empty() {
        return Err(crate::GraphError::InvalidRequest("no user named".into()));
    }
    Ok(format!("users/{}", segment(user)))
}

/// `admin/exchange/mailboxes/{mailbox}`.
pub(crate) fn mailbox_path(mailbox: &crate::MailboxId) -> String {
    format!("admin/exchange/mailboxes/{}", segment(mailbox.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_stay_one_segment() {
        assert_eq!(segment("MBX:e0643f21@a7809c93"), "MBX:e0643f21@a7809c93");
        assert_eq!(segment("AAMk/a+b=="), "AAMk%2Fa+b==");
        assert_eq!(segment("x?y#z"), "x%3Fy%23z");
    }
}
