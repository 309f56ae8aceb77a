//! A pull reader over a reply as it streams in.
//!
//! Replies are read event by event from the HTTP body, never buffered whole. Base64 content
//! (`MimeContent`, export `Data`) is decoded straight from the stream into the item's bytes, so
//! the only large allocation is the item itself. Exchange sends characters XML 1.0 forbids
//! (`&#x0;`, raw control bytes); they are kept (NUL becomes U+FFFD) rather than failing the reply.
//! There is no DTD processing: a `<!DOCTYPE` fails the reply.

use std::collections::VecDeque;
use std::pin::Pin;

use bytes::Bytes;
use ferry_fasttransfer::Base64Decoder;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use crate::data::ItemData;
use crate::EwsError;

/// The deepest nesting a reply may have.
const MAX_DEPTH: usize = 256;
/// The longest text node outside base64 content.
const MAX_TEXT: usize = 16 * 1024 * 1024;

/// The namespaces EWS replies use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ns {
    /// Unbound or unknown.
    #[default]
    Other,
    /// SOAP 1.1 envelope.
    Soap,
    /// EWS messages.
    Messages,
    /// EWS types.
    Types,
    /// EWS fault detail.
    Errors,
}

impl Ns {
    fn from_uri(uri: &str) -> Ns {
        match uri {
            ferry_xml::SOAP_NS => Ns::Soap,
            ferry_xml::MESSAGES_NS => Ns::Messages,
            ferry_xml::TYPES_NS => Ns::Types,
            ferry_xml::ERRORS_NS => Ns::Errors,
            _ => Ns::Other,
        }
    }
}

/// A start tag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tag {
    /// Namespace.
    pub ns: Ns,
    /// Local name.
    pub name: String,
    /// Attributes by local name.
    pub attrs: Vec<(String, String)>,
}

impl Tag {
    /// An attribute's value.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// One step of the reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// An element starts.
    Start(Tag),
    /// The current element ends.
    End,
    /// Character data (consecutive pieces merged).
    Text(String),
    /// The document ended.
    Eof,
}

/// A boxed buffered byte source, so the reader has one concrete type.
pub type Source = Pin<Box<dyn AsyncBufRead + Send>>;

/// Reads a reply as a sequence of [`Node`]s.
pub struct ReplyReader {
    reader: NsReader<Source>,
    buffer: Vec<u8>,
    pending: VecDeque<Node>,
    depth: usize,
}

fn malformed(problem: impl std::fmt::Display) -> EwsError {
    EwsError::MalformedReply(problem.to_string())
}

impl ReplyReader {
    /// A reader over a buffered source.
    pub fn new(source: Source) -> ReplyReader {
        let mut reader = NsReader::from_reader(source);
        reader.config_mut().expand_empty_elements = true;
        reader.config_mut().check_end_names = true;
        ReplyReader {
            reader,
            buffer: Vec::with_capacity(8 * 1024),
            pending: VecDeque::new(),
            depth: 0,
        }
    }

    /// A reader over bytes in memory (tests, recorded replies).
    pub fn from_bytes(bytes: Bytes) -> ReplyReader {
        ReplyReader::new(Box::pin(std::io::Cursor::new(bytes)))
    }

    /// The next node.
    pub async fn next(&mut self) -> Result<Node, EwsError> {
        if let Some(node) = self.pending.pop_front() {
            return Ok(node);
        }
        let mut text: Option<String> = None;
        loop {
            self.buffer.clear();
            let (resolved, event) = self
                .reader
                .read_resolved_event_into_async(&mut self.buffer)
                .await
                .map_err(read_error)?;
            let ns = match resolved {
                ResolveResult::Bound(namespace) => Ns::from_uri(namespace.0),
                _ => Ns::Other,
            };
            let node = match event {
                Event::Text(content) => {
                    push_text(&mut text, &content.xml10_content())?;
                    continue;
                }
                Event::CData(content) => {
                    push_text(&mut text, &content.xml10_content())?;
                    continue;
                }
                Event::GeneralRef(reference) => {
                    let resolved = resolve_reference(&reference)?;
                    push_text(&mut text, &resolved)?;
                    continue;
                }
                Event::Start(start) => {
                    if self.depth >= MAX_DEPTH {
                        return Err(malformed("the reply is nested too deeply"));
                    }
                    self.depth += 1;
                    Node::Start(tag(ns, &start)?)
                }
                Event::End(_) => {
                    self.depth = self.depth.saturating_sub(1);
                    Node::End
                }
                Event::Empty(start) => {
                    // Not produced with expand_empty_elements; handled as start and end anyway.
                    self.pending.push_back(Node::Start(tag(ns, &start)?));
                    self.pending.push_back(Node::End);
                    return Ok(match text {
                        Some(text) => Node::Text(text),
                        None => self.pending.pop_front().unwrap_or(Node::End),
                    });
                }
                Event::DocType(_) => {
                    return Err(malformed("the reply has a document type declaration"))
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => continue,
                Event::Eof => Node::Eof,
            };
            return Ok(match text {
                Some(text) => {
                    self.pending.push_back(node);
                    Node::Text(text)
                }
                None => node,
            });
        }
    }

    /// The next child element of the current element, or `None` at its end. Text is skipped.
    pub async fn next_child(&mut self) -> Result<Option<Tag>, EwsError> {
        loop {
            match self.next().await? {
                Node::Start(tag) => return Ok(Some(tag)),
                Node::End => return Ok(None),
                Node::Text(_) => continue,
                Node::Eof => return Err(malformed("the reply ended inside an element")),
            }
        }
    }

    /// The text of the element just started, up to its end; nested elements are skipped.
    pub async fn text(&mut self) -> Result<String, EwsError> {
        let mut collected = String::new();
        loop {
            match self.next().await? {
                Node::Text(text) => collected.push_str(&text),
                Node::Start(_) => self.skip().await?,
                Node::End => return Ok(collected),
                Node::Eof => return Err(malformed("the reply ended inside an element")),
            }
        }
    }

    /// Skips the rest of the element just started.
    pub async fn skip(&mut self) -> Result<(), EwsError> {
        let mut open = 1usize;
        loop {
            match self.next().await? {
                Node::Start(_) => open += 1,
                Node::End => {
                    open -= 1;
                    if open == 0 {
                        return Ok(());
                    }
                }
                Node::Text(_) => {}
                Node::Eof => return Err(malformed("the reply ended inside an element")),
            }
        }
    }

    /// Decodes the base64 content of the element just started, straight from the stream, up to
    /// `limit` decoded bytes, and consumes its end tag.
    pub async fn base64(&mut self, limit: usize) -> Result<ItemData, EwsError> {
        if let Some(node) = self.pending.pop_front() {
            // Only an element that was empty has something queued here: its end.
            return match node {
                Node::End => Ok(ItemData::default()),
                other => Err(malformed(format!(
                    "unexpected {other:?} before base64 content"
                ))),
            };
        }
        let mut decoded = Base64Decoder::new();
        loop {
            let source = self.reader.get_mut();
            let (consumed, end) = {
                let available = source
                    .fill_buf()
                    .await
                    .map_err(|error| EwsError::Transient {
                        message: format!("the reply stopped: {error}"),
                        retry_after: None,
                    })?;
                if available.is_empty() {
                    return Err(malformed("the reply ended inside base64 content"));
                }
                let end = memchr::memchr(b'<', available);
                let content = &available[..end.unwrap_or(available.len())];
                if memchr::memchr(b'&', content).is_some() {
                    return Err(malformed("an entity inside base64 content"));
                }
                decoded
                    .push(content)
                    .map_err(|error| malformed(error.to_string()))?;
                (content.len(), end)
            };
            AsyncBufReadExt::consume(source, consumed);
            if decoded.decoded_len() > limit {
                // The reply may be fine; the item is more than this client takes in.
                return Err(EwsError::ItemTooLarge(format!(
                    "the item's content exceeds this client's limit of {limit} bytes"
                )));
            }
            if end.is_some() {
                break;
            }
        }
        let decoded = decoded
            .finish()
            .map_err(|_| malformed("base64 content is truncated"))?;
        match self.next().await? {
            Node::End => Ok(decoded),
            other => Err(malformed(format!("base64 content followed by {other:?}"))),
        }
    }
}

/// A failure to read the reply: the connection dropping is transient, bad XML is not.
fn read_error(error: quick_xml::Error) -> EwsError {
    match error {
        quick_xml::Error::Io(io) => EwsError::Transient {
            message: format!("the reply stopped: {io}"),
            retry_after: None,
        },
        other => malformed(other),
    }
}

fn push_text(text: &mut Option<String>, piece: &str) -> Result<(), EwsError> {
    let collected = text.get_or_insert_with(String::new);
    if collected.len() + piece.len() > MAX_TEXT {
        return Err(malformed("a text node is larger than 16 MiB"));
    }
    collected.push_str(piece);
    Ok(())
}

/// Resolves `&name;` and `&#N;`. Character references to characters XML forbids are kept, as
/// Exchange sends them; NUL becomes U+FFFD.
fn resolve_reference(reference: &quick_xml::events::BytesRef<'_>) -> Result<String, EwsError> {
    let name = reference.xml10_content();
    if let Some(number) = name.strip_prefix('#') {
        let code = match number
            .strip_prefix('x')
            .or_else(|| number.strip_prefix('X'))
        {
            Some(hex) => u32::from_str_radix(hex, 16),
            None => number.parse::<u32>(),
        }
        .map_err(|_| malformed(format!("invalid character reference &{name};")))?;
        let character = match code {
            0 => '\u{FFFD}',
            other => char::from_u32(other).unwrap_or('\u{FFFD}'),
        };
        return Ok(character.to_string());
    }
    quick_xml::escape::resolve_predefined_entity(&name)
        .map(str::to_string)
        .ok_or_else(|| malformed(format!("undeclared entity &{name};")))
}

fn tag(ns: Ns, start: &BytesStart<'_>) -> Result<Tag, EwsError> {
    let mut attrs = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(malformed)?;
        let key = attribute.key.0;
        if key == "xmlns" || key.starts_with("xmlns:") {
            continue;
        }
        let local = key.rsplit(':').next().unwrap_or(key).to_string();
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(malformed)?;
        attrs.push((local, value.into_owned()));
    }
    Ok(Tag {
        ns,
        name: start.local_name().as_ref().to_string(),
        attrs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    async fn nodes(xml: &str) -> Vec<Node> {
        let mut reader = ReplyReader::from_bytes(Bytes::from(xml.to_string()));
        let mut nodes = Vec::new();
        loop {
            let node = reader.next().await.expect("node");
            if node == Node::Eof {
                return nodes;
            }
            nodes.push(node);
        }
    }

    #[tokio::test]
    async fn merges_text_and_keeps_forbidden_characters() {
        let nodes = nodes("<a>x &amp; &#x1;y&#x0;</a>").await;
        assert_eq!(nodes[1], Node::Text("x & \u{1}y\u{FFFD}".into()));
        assert_eq!(nodes[2], Node::End);
    }

    #[tokio::test]
    async fn expands_empty_elements_and_resolves_namespaces() {
        let nodes = nodes(r#"<m:a xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><m:b Id="1"/></m:a>"#).await;
        match &nodes[1] {
            Node::Start(tag) => {
                assert_eq!(
                    (tag.ns, tag.name.as_str(), tag.attr("Id")),
                    (Ns::Messages, "b", Some("1"))
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(nodes[2], Node::End);
    }

    #[tokio::test]
    async fn decodes_base64_from_the_stream() {
        let payload: Vec<u8> = (0..100_000u32).map(|n| (n * 7 % 256) as u8).collect();
        let encoded = base64::engine::general_purpose::STANDARD.encode(&payload);
        let wrapped: String = encoded
            .as_bytes()
            .chunks(76)
            .map(|line| format!("{}\r\n  ", std::str::from_utf8(line).unwrap_or("")))
            .collect();
        let xml = format!("<r><Data>\n  {wrapped}</Data><After>ok</After></r>");
        let mut reader = ReplyReader::from_bytes(Bytes::from(xml));
        assert!(matches!(reader.next().await.expect("r"), Node::Start(_)));
        assert!(
            matches!(reader.next().await.expect("data"), Node::Start(ref tag) if tag.name == "Data")
        );
        let decoded = reader.base64(1 << 20).await.expect("decodes");
        assert_eq!(decoded.to_bytes(), payload);
        let after = reader.next_child().await.expect("child").expect("After");
        assert_eq!(after.name, "After");
        assert_eq!(reader.text().await.expect("text"), "ok");
    }

    #[tokio::test]
    async fn refuses_doctype_entities_and_oversized_base64() {
        let mut reader = ReplyReader::from_bytes(Bytes::from_static(
            b"<!DOCTYPE x [<!ENTITY e \"e\">]><x>&e;</x>",
        ));
        assert!(reader.next().await.is_err());
        let mut reader =
            ReplyReader::from_bytes(Bytes::from_static(b"<r><Data>AAAAAAAA</Data></r>"));
        reader.next().await.expect("r");
        reader.next().await.expect("data");
        assert!(reader.base64(3).await.is_err());
    }
}
