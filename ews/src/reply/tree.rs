//! One response message read into a small tree, to be turned into typed results.
//!
//! A reply is streamed message by message; each message (one folder, one item, one page of a
//! listing) is small enough to hold, except for base64 content, which is decoded into `binary`
//! as it streams in instead of being kept as text.

use super::reader::{Node, Ns, ReplyReader, Tag};
use crate::EwsError;

/// Elements whose content is base64 and decoded into [`Element::binary`].
const BINARY_ELEMENTS: &[&str] = &["MimeContent", "Data"];
/// The most elements one message may hold.
const MAX_ELEMENTS: usize = 2_000_000;

/// An element of a response message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// Namespace.
    pub ns: Ns,
    /// Local name.
    pub name: String,
    /// Attributes by local name.
    pub attrs: Vec<(String, String)>,
    /// Character data.
    pub text: String,
    /// Decoded base64 content (`MimeContent`, `Data`).
    pub binary: Option<crate::data::ItemData>,
    /// Children.
    pub children: Vec<Element>,
}

impl Element {
    fn from_tag(tag: Tag) -> Element {
        Element {
            ns: tag.ns,
            name: tag.name,
            attrs: tag.attrs,
            ..Element::default()
        }
    }

    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.name == name)
    }

    /// Children with this local name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |child| child.name == name)
    }

    /// An attribute's value.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The trimmed text of a child.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|child| child.text.trim())
    }

    /// Follows a path of local names.
    pub fn path(&self, names: &[&str]) -> Option<&Element> {
        names
            .iter()
            .try_fold(self, |element, name| element.child(name))
    }
}

/// Reads the rest of the element `tag` (just started) into a tree.
pub async fn read_element(
    reader: &mut ReplyReader,
    tag: Tag,
    binary_limit: usize,
) -> Result<Element, EwsError> {
    if BINARY_ELEMENTS.contains(&tag.name.as_str()) {
        let mut element = Element::from_tag(tag);
        element.binary = Some(reader.base64(binary_limit).await?);
        return Ok(element);
    }
    let mut stack = vec![Element::from_tag(tag)];
    let mut count = 1usize;
    loop {
        match reader.next().await? {
            Node::Start(tag) => {
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(EwsError::MalformedReply(
                        "a response message has too many elements".into(),
                    ));
                }
                if BINARY_ELEMENTS.contains(&tag.name.as_str()) {
                    let mut element = Element::from_tag(tag);
                    element.binary = Some(reader.base64(binary_limit).await?);
                    if let Some(parent) = stack.last_mut() {
                        parent.children.push(element);
                    }
                } else {
                    stack.push(Element::from_tag(tag));
                }
            }
            Node::Text(text) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&text);
                }
            }
            Node::End => {
                let finished = stack.pop().unwrap_or_default();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(finished),
                    None => return Ok(finished),
                }
            }
            Node::Eof => {
                return Err(EwsError::MalformedReply(
                    "the reply ended inside a message".into(),
                ))
            }
        }
    }
}
