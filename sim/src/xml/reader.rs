//! A small, bounded XML tree for SOAP requests.
//!
//! Requests are parsed into an owned tree because handlers look at them out of document order (the
//! SOAP header decides which mailbox the body acts on). The reader refuses what Exchange refuses: a
//! DTD, entity declarations or references other than the five predefined ones and character
//! references, and documents deeper or larger than the limits below.

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::Ns;

/// The deepest element nesting a request may have; EWS requests stay well under 30.
const MAX_DEPTH: usize = 64;
/// The most elements a request may hold; 100 000 is far above any request a client sends.
const MAX_ELEMENTS: usize = 100_000;

/// Why a request body is not acceptable XML.
#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    /// The body is not well-formed XML.
    #[error("request is not well-formed xml: {0}")]
    Malformed(String),
    /// The body carries a document type declaration, which EWS never accepts.
    #[error("request contains a document type declaration, which is not allowed")]
    Dtd,
    /// The body references an entity that is neither predefined nor a character reference.
    #[error("request references the undeclared entity '&{0};'")]
    UnknownEntity(String),
    /// The body is larger than the parser's structural limits.
    #[error("request exceeds the parser limit: {0}")]
    TooLarge(&'static str),
}

/// One element of a parsed request: its namespace, local name, attributes, text and children.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Element {
    /// The element's namespace.
    pub ns: Ns,
    /// The local name, without prefix.
    pub name: String,
    /// Attributes by local name (EWS attributes are unqualified).
    pub attrs: Vec<(String, String)>,
    /// Character data directly inside the element, entity references resolved.
    pub text: String,
    /// Child elements in document order.
    pub children: Vec<Element>,
}

impl Element {
    /// The first child with this local name, in any namespace.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.name == name)
    }

    /// All children with this local name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |child| child.name == name)
    }

    /// Follows a path of local names from this element.
    pub fn path(&self, names: &[&str]) -> Option<&Element> {
        names
            .iter()
            .try_fold(self, |element, name| element.child(name))
    }

    /// The value of an attribute by local name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The element's text with surrounding whitespace removed.
    pub fn trimmed_text(&self) -> &str {
        self.text.trim()
    }

    /// The trimmed text of a child, if the child exists.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(Element::trimmed_text)
    }
}

/// Parses a whole document and returns its root element.
pub fn parse_document(input: &str) -> Result<Element, XmlError> {
    let mut reader = NsReader::from_str(input);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut element_count = 0usize;

    loop {
        let (resolved, event) = reader
            .read_resolved_event()
            .map_err(|error| XmlError::Malformed(error.to_string()))?;
        let ns = namespace_of(&resolved);
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(XmlError::Malformed("content after the root element".into()));
            }
            Event::Start(start) => {
                element_count += 1;
                if element_count > MAX_ELEMENTS {
                    return Err(XmlError::TooLarge("too many elements"));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::TooLarge("elements nested too deeply"));
                }
                stack.push(element_from_start(ns, &start)?);
            }
            Event::Empty(start) => {
                element_count += 1;
                if element_count > MAX_ELEMENTS {
                    return Err(XmlError::TooLarge("too many elements"));
                }
                let element = element_from_start(ns, &start)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Event::End(_) => {
                let element = stack
                    .pop()
                    .ok_or_else(|| XmlError::Malformed("unbalanced end tag".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Event::Text(text) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&text.xml10_content());
                } else if !text.xml10_content().trim().is_empty() {
                    return Err(XmlError::Malformed("text outside the root element".into()));
                }
            }
            Event::CData(data) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&data.xml10_content());
                }
            }
            Event::GeneralRef(reference) => {
                let resolved_char = resolve_reference(&reference)?;
                if let Some(current) = stack.last_mut() {
                    current.text.push(resolved_char);
                }
            }
            Event::DocType(_) => return Err(XmlError::Dtd),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed(
            "document ended inside an element".into(),
        ));
    }
    root.ok_or_else(|| XmlError::Malformed("document has no root element".into()))
}

fn resolve_reference(reference: &quick_xml::events::BytesRef<'_>) -> Result<char, XmlError> {
    if reference.is_char_ref() {
        return match reference.resolve_char_ref() {
            Ok(Some(resolved)) => Ok(resolved),
            _ => Err(XmlError::Malformed(format!(
                "invalid character reference '&{};'",
                reference.xml10_content()
            ))),
        };
    }
    let name = reference.xml10_content();
    match quick_xml::escape::resolve_predefined_entity(&name) {
        Some(text) => text
            .chars()
            .next()
            .ok_or_else(|| XmlError::UnknownEntity(name.to_string())),
        None => Err(XmlError::UnknownEntity(name.to_string())),
    }
}

fn namespace_of(resolved: &ResolveResult<'_>) -> Ns {
    match resolved {
        ResolveResult::Bound(namespace) => Ns::from_uri(namespace.0),
        _ => Ns::None,
    }
}

fn element_from_start(ns: Ns, start: &BytesStart<'_>) -> Result<Element, XmlError> {
    let mut attrs = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|error| XmlError::Malformed(error.to_string()))?;
        let key = attribute.key.0;
        if key == "xmlns" || key.starts_with("xmlns:") {
            continue;
        }
        let local = key.rsplit(':').next().unwrap_or(key).to_string();
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|error| XmlError::Malformed(error.to_string()))?;
        attrs.push((local, value.into_owned()));
    }
    Ok(Element {
        ns,
        name: start.local_name().as_ref().to_string(),
        attrs,
        text: String::new(),
        children: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_namespaces_attributes_and_text() {
        let root = parse_document(
            r#"<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"
               xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
               <s:Body><t:Subject Id="a&amp;b">Fish &amp; chips &#x263A;</t:Subject></s:Body></s:Envelope>"#,
        )
        .expect("valid document");
        assert_eq!(root.ns, Ns::Soap);
        let subject = root.path(&["Body", "Subject"]).expect("subject");
        assert_eq!(subject.ns, Ns::Types);
        assert_eq!(subject.text, "Fish & chips \u{263A}");
        assert_eq!(subject.attr("Id"), Some("a&b"));
    }

    #[test]
    fn refuses_a_dtd() {
        let error =
            parse_document(r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>"#)
                .expect_err("dtd must be refused");
        assert!(matches!(error, XmlError::Dtd), "{error:?}");
    }

    #[test]
    fn refuses_undeclared_entities() {
        let error = parse_document("<x>&lol;</x>").expect_err("entity must be refused");
        assert!(matches!(error, XmlError::UnknownEntity(name) if name == "lol"));
    }

    #[test]
    fn refuses_deep_nesting() {
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert!(matches!(parse_document(&deep), Err(XmlError::TooLarge(_))));
    }

    #[test]
    fn refuses_mismatched_tags() {
        assert!(matches!(
            parse_document("<a><b></a></b>"),
            Err(XmlError::Malformed(_))
        ));
    }
}
