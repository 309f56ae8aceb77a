//! MIME and the store model, both ways, as Exchange converts them: [`import`] turns MIME content
//! (a client's `CreateItem` with `MimeContent`, or a corpus message being seeded) into a
//! [`Message`](crate::model::Message) of properties, recipients and attachments; [`render`]
//! generates an item's `MimeContent` from the model. [`calendar`] reads and writes the iCalendar
//! and vCard text involved.

pub mod calendar;
pub mod import;
pub mod render;

/// Removes characters XML 1.0 cannot carry, so a subject read from a broken message does not
/// make every later reply invalid.
pub fn clean_text(text: &str) -> String {
    text.chars()
        .filter(|character| {
            !matches!(*character as u32, 0..=8 | 0x0B | 0x0C | 0x0E..=0x1F | 0xFFFE | 0xFFFF)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_characters_xml_cannot_carry() {
        assert_eq!(clean_text("a\u{0}b\u{1b}c\td"), "abc\td");
    }
}
