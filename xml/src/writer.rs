//! Writes response XML into segments that the HTTP layer streams out.
//!
//! Most of a reply is small markup written into a buffer. Item content (MIME, export streams) can be
//! tens of megabytes; it is kept as shared [`Bytes`] and base64-encoded only while the reply is sent,
//! so a large `ExportItems` reply never exists whole in memory.

use bytes::Bytes;

/// Content below this size is base64-encoded inline; larger content is streamed.
const INLINE_BASE64_LIMIT: usize = 64 * 1024;

/// One piece of a reply body.
#[derive(Debug, Clone)]
pub enum Segment {
    /// Markup, already serialised.
    Xml(Bytes),
    /// Raw content to be base64-encoded as it is sent (the parts are concatenated first).
    Base64(Vec<Bytes>),
}

impl Segment {
    /// The number of bytes this segment puts on the wire.
    pub fn encoded_len(&self) -> usize {
        match self {
            Segment::Xml(bytes) => bytes.len(),
            Segment::Base64(parts) => {
                let raw: usize = parts.iter().map(Bytes::len).sum();
                raw.div_ceil(3) * 4
            }
        }
    }
}

/// Builds a reply as markup plus streamed base64 segments.
#[derive(Debug, Default)]
pub struct XmlWriter {
    buffer: Vec<u8>,
    segments: Vec<Segment>,
}

impl XmlWriter {
    /// A writer with room for a typical reply.
    pub fn new() -> Self {
        XmlWriter {
            buffer: Vec::with_capacity(4096),
            segments: Vec::new(),
        }
    }

    /// Opens an element: `<name attr="value">`.
    pub fn open(&mut self, name: &str, attrs: &[(&str, &str)]) -> &mut Self {
        self.tag_start(name, attrs);
        self.buffer.push(b'>');
        self
    }

    /// Closes an element: `</name>`.
    pub fn close(&mut self, name: &str) -> &mut Self {
        self.buffer.extend_from_slice(b"</");
        self.buffer.extend_from_slice(name.as_bytes());
        self.buffer.push(b'>');
        self
    }

    /// Writes an empty element: `<name attr="value"/>`.
    pub fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) -> &mut Self {
        self.tag_start(name, attrs);
        self.buffer.extend_from_slice(b"/>");
        self
    }

    /// Writes `<name>text</name>` with the text escaped.
    pub fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name, &[]);
        self.text(text);
        self.close(name)
    }

    /// Writes `<name attr="value">text</name>` with the text escaped.
    pub fn leaf_with(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) -> &mut Self {
        self.open(name, attrs);
        self.text(text);
        self.close(name)
    }

    /// Writes escaped character data.
    ///
    /// Characters that XML 1.0 forbids are written as character references, which is what Exchange
    /// does (and why clients must tolerate `&#x0;`).
    pub fn text(&mut self, text: &str) -> &mut Self {
        escape_into(&mut self.buffer, text, false);
        self
    }

    /// Writes markup as it is; the caller guarantees it is well-formed.
    pub fn raw(&mut self, markup: &str) -> &mut Self {
        self.buffer.extend_from_slice(markup.as_bytes());
        self
    }

    /// Writes content as base64 text, inline when small, streamed when large.
    pub fn base64(&mut self, parts: &[Bytes]) -> &mut Self {
        let total: usize = parts.iter().map(Bytes::len).sum();
        if total <= INLINE_BASE64_LIMIT {
            let mut joined = Vec::with_capacity(total);
            for part in parts {
                joined.extend_from_slice(part);
            }
            append_base64(&mut self.buffer, &joined);
        } else {
            self.flush_buffer();
            self.segments.push(Segment::Base64(parts.to_vec()));
        }
        self
    }

    /// Finishes the reply and returns its segments.
    pub fn finish(mut self) -> Vec<Segment> {
        self.flush_buffer();
        self.segments
    }

    fn flush_buffer(&mut self) {
        if !self.buffer.is_empty() {
            let markup = std::mem::replace(&mut self.buffer, Vec::with_capacity(4096));
            self.segments.push(Segment::Xml(Bytes::from(markup)));
        }
    }

    fn tag_start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.buffer.push(b'<');
        self.buffer.extend_from_slice(name.as_bytes());
        for (key, value) in attrs {
            self.buffer.push(b' ');
            self.buffer.extend_from_slice(key.as_bytes());
            self.buffer.extend_from_slice(b"=\"");
            escape_into(&mut self.buffer, value, true);
            self.buffer.push(b'"');
        }
    }
}

/// Appends the base64 encoding of `data` to `buffer` without an intermediate `String`.
pub fn append_base64(buffer: &mut Vec<u8>, data: &[u8]) {
    base64_simd::STANDARD.encode_append(data, buffer);
}

/// Escapes text for XML content or attribute values.
pub fn escape_into(buffer: &mut Vec<u8>, text: &str, in_attribute: bool) {
    let mut start = 0;
    for (index, character) in text.char_indices() {
        let replacement: Option<std::borrow::Cow<'static, str>> = match character {
            '&' => Some("&amp;".into()),
            '<' => Some("&lt;".into()),
            '>' => Some("&gt;".into()),
            '"' if in_attribute => Some("&quot;".into()),
            '\t' | '\n' | '\r' if in_attribute => {
                Some(format!("&#x{:X};", character as u32).into())
            }
            '\t' | '\n' | '\r' => None,
            control
                if (control as u32) < 0x20 || control == '\u{FFFE}' || control == '\u{FFFF}' =>
            {
                Some(format!("&#x{:X};", control as u32).into())
            }
            _ => None,
        };
        if let Some(replacement) = replacement {
            buffer.extend_from_slice(&text.as_bytes()[start..index]);
            buffer.extend_from_slice(replacement.as_bytes());
            start = index + character.len_utf8();
        }
    }
    buffer.extend_from_slice(&text.as_bytes()[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn render(segments: Vec<Segment>) -> String {
        let mut out = String::new();
        for segment in segments {
            match segment {
                Segment::Xml(bytes) => out.push_str(std::str::from_utf8(&bytes).expect("utf-8")),
                Segment::Base64(parts) => {
                    let joined: Vec<u8> = parts.iter().flat_map(|p| p.iter().copied()).collect();
                    out.push_str(&base64::engine::general_purpose::STANDARD.encode(joined));
                }
            }
        }
        out
    }

    #[test]
    fn escapes_text_and_attributes() {
        let mut writer = XmlWriter::new();
        writer.leaf_with("t:A", &[("Name", "x\"<&>")], "a<b & c>\u{1}");
        assert_eq!(
            render(writer.finish()),
            "<t:A Name=\"x&quot;&lt;&amp;&gt;\">a&lt;b &amp; c&gt;&#x1;</t:A>"
        );
    }

    #[test]
    fn streams_large_content_and_inlines_small_content() {
        let mut writer = XmlWriter::new();
        writer
            .open("m:Data", &[])
            .base64(&[Bytes::from_static(b"hi")])
            .close("m:Data");
        let large = Bytes::from(vec![7u8; INLINE_BASE64_LIMIT + 1]);
        writer
            .open("m:Data", &[])
            .base64(std::slice::from_ref(&large))
            .close("m:Data");
        let segments = writer.finish();
        assert_eq!(segments.len(), 3, "markup, streamed data, markup");
        assert!(matches!(&segments[1], Segment::Base64(parts) if parts[0] == large));
        let text = render(segments);
        assert!(text.starts_with("<m:Data>aGk=</m:Data><m:Data>"));
    }
}
