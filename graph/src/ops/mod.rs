//! The calls a migration makes, one module per resource.

pub mod discovery;
pub mod export;
pub mod folders;
pub mod import;
pub mod items;

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
