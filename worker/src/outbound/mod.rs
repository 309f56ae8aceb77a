//! An exported item on its way to the destination: its export data read once into FastTransfer
//! elements (values left encoded and shared with the exported chunks), stamped with the key of
//! its source item, its addresses mapped when the project asks for it, and written back.
//!
//! The stamp is written into the stream, so it exists the moment the copy does: no second
//! request, and no window in which a crash leaves an unstamped copy behind.

pub mod addresses;
pub mod entry_id;

use ferry_core::mail::ExportData;
use ferry_core::mail::MailError;
use ferry_core::model::{ItemKey, STAMP_PROPERTY_NAME};
use ferry_fasttransfer::name::property_set;
use ferry_fasttransfer::tag::{marker, meta, prop_type};
use ferry_fasttransfer::{
    encode, Element, ExportData as Framed, Location, PropName, PropTag, PropValue, Property,
    Reader, Scope, ScopeTracker,
};

pub use addresses::AddressMapper;
use addresses::PropertyList;

/// The id written for the stamp's named property; receivers map named properties by name.
const STAMP_ID: u16 = 0x8000;

/// An exported item, read.
pub struct OutboundItem {
    export: Framed,
    elements: Vec<Element>,
    /// Where each element sits, when the stream's structure is sound.
    locations: Option<Vec<Location>>,
    /// The stream's property lists, indexed once (after the stamp, which moves elements).
    lists: Option<Vec<(List, PropertyList)>>,
}

/// Export data that cannot be read, as the error logged for the item.
fn corrupt(problem: String) -> MailError {
    MailError::Permanent {
        code: "export_data_corrupt".into(),
        message: format!("the exported item could not be read: {problem}"),
    }
}

impl OutboundItem {
    /// Reads export data. Content the codec cannot size is kept as it is; only data that breaks
    /// the format (truncated, a bad name) is refused.
    pub fn read(data: &ExportData) -> Result<OutboundItem, MailError> {
        let export = Framed::parse(data).map_err(|error| corrupt(error.to_string()))?;
        let message = export
            .message()
            .ok_or_else(|| corrupt("it has no message block".into()))?;
        let elements: Vec<Element> = Reader::new(message)
            .collect::<Result<_, _>>()
            .map_err(|error| corrupt(error.to_string()))?;
        let mut tracker = ScopeTracker::new();
        let locations: Result<Vec<Location>, _> = elements
            .iter()
            .map(|element| tracker.observe(element))
            .collect();
        let locations = locations
            .and_then(|locations| tracker.finish().map(|()| locations))
            .map_err(|error| {
                tracing::warn!(%error, "the exported item's structure is unusual; its addresses are left as they are");
            })
            .ok();
        Ok(OutboundItem {
            export,
            elements,
            locations,
            lists: None,
        })
    }

    /// Where the top-level message's own property list ends: before its first recipient or
    /// attachment (or the `MetaTagFXDelProp` announcing them), or content that could not be
    /// read. Property lists are unordered, so anything may be added there.
    fn top_level_end(&self) -> usize {
        self.elements
            .iter()
            .position(|element| match element {
                Element::Marker(_) | Element::Unparsed(_) => true,
                Element::Property(property) => property.tag() == meta::FX_DEL_PROP,
            })
            .unwrap_or(self.elements.len())
    }

    /// Writes the stamp (the source item's key) into the message's own properties, replacing a
    /// stamp the source item already had (it was itself migrated once).
    pub fn stamp(&mut self, key: ItemKey) {
        let end = self.top_level_end();
        let is_stamp = |element: &Element| {
            element.as_property().is_some_and(|property| {
                property.name().is_some_and(|name| {
                    name.set == property_set::PS_PUBLIC_STRINGS
                        && name.name_lossy().as_deref() == Some(STAMP_PROPERTY_NAME)
                })
            })
        };
        let old: Vec<usize> = (0..end)
            .filter(|index| is_stamp(&self.elements[*index]))
            .collect();
        for index in old.iter().rev() {
            self.elements.remove(*index);
            if let Some(locations) = &mut self.locations {
                locations.remove(*index);
            }
        }
        let end = end - old.len();
        self.lists = None;
        let stamp = Property::new(
            PropTag::new(STAMP_ID, prop_type::STRING),
            Some(PropName::string(
                property_set::PS_PUBLIC_STRINGS,
                STAMP_PROPERTY_NAME,
            )),
            &PropValue::Unicode(key.to_hex()),
        );
        // Both the tag and the name are well formed, so the property always builds.
        if let Ok(stamp) = stamp {
            self.elements.insert(end, Element::Property(stamp));
            if let Some(locations) = &mut self.locations {
                locations.insert(
                    end,
                    Location {
                        scope: Scope::Message,
                        depth: 0,
                    },
                );
            }
        }
    }

    /// The property lists of the stream: each message's own properties (up to its first child)
    /// and each recipient row, with the index ranges they span and, for a row, the start of
    /// the message it belongs to. Empty when the stream's structure is unsound.
    fn lists(&self) -> Vec<List> {
        if self.locations.is_none() {
            return Vec::new();
        }
        let mut lists = Vec::new();
        // Open scopes: (is a message, start, the owning message's start, whose list is open).
        let mut stack: Vec<Frame> = vec![Frame::message(0)];
        let close = |stack: &mut Vec<Frame>, lists: &mut Vec<List>, index: usize| {
            if let Some(frame) = stack.last_mut().filter(|frame| frame.message && frame.open) {
                frame.open = false;
                lists.push(List {
                    start: frame.start,
                    end: index,
                    owner: frame.start,
                    recipient: false,
                });
            }
        };
        for (index, element) in self.elements.iter().enumerate() {
            match element {
                Element::Marker(marker::START_RECIP) => {
                    close(&mut stack, &mut lists, index);
                    let owner = stack.last().map_or(0, |frame| frame.start);
                    stack.push(Frame {
                        message: false,
                        start: index + 1,
                        owner,
                        open: true,
                    });
                }
                Element::Marker(marker::END_TO_RECIP) => {
                    if let Some(frame) = stack.pop() {
                        lists.push(List {
                            start: frame.start,
                            end: index,
                            owner: frame.owner,
                            recipient: true,
                        });
                    }
                }
                Element::Marker(marker::NEW_ATTACH) => {
                    close(&mut stack, &mut lists, index);
                    stack.push(Frame {
                        message: false,
                        start: index + 1,
                        owner: 0,
                        open: false,
                    });
                }
                Element::Marker(marker::START_EMBED) => stack.push(Frame::message(index + 1)),
                Element::Marker(marker::END_EMBED | marker::END_ATTACH) => {
                    close(&mut stack, &mut lists, index);
                    stack.pop();
                }
                Element::Marker(_) | Element::Unparsed(_) => close(&mut stack, &mut lists, index),
                Element::Property(property) if property.tag() == meta::FX_DEL_PROP => {
                    close(&mut stack, &mut lists, index)
                }
                Element::Property(_) => {}
            }
        }
        close(&mut stack, &mut lists, self.elements.len());
        lists
    }

    /// The `EX` addresses the stream names without an SMTP address beside them, for the source
    /// directory to resolve before [`OutboundItem::map_addresses`].
    pub fn unresolved_exchange_addresses(&mut self) -> Vec<String> {
        let lists = self.indexed();
        let mut found = Vec::new();
        for (list, properties) in &lists {
            addresses::unresolved_exchange_addresses(
                &self.elements,
                properties,
                list.recipient,
                &mut found,
            );
        }
        self.lists = Some(lists);
        found.sort();
        found.dedup();
        found
    }

    /// Rewrites every address the mapping names; returns how many it rewrote. A stream whose
    /// structure is unsound is left as it is.
    pub fn map_addresses(&mut self, mapper: &AddressMapper<'_>) -> u32 {
        let lists = self.indexed();
        let mut rewritten = 0u32;
        // Recipient rows first, so each message's display caches can follow its rows.
        let mut rows: Vec<(usize, i32, addresses::Rewrite)> = Vec::new();
        for (list, properties) in lists.iter().filter(|(list, _)| list.recipient) {
            if let Some((recipient_type, rewrite)) = addresses::map_recipient(
                &mut self.elements,
                properties,
                list.start..list.end,
                mapper,
            ) {
                rewritten += 1;
                rows.push((list.owner, recipient_type, rewrite));
            }
        }
        for (list, properties) in lists.iter().filter(|(list, _)| !list.recipient) {
            let own: Vec<(i32, &addresses::Rewrite)> = rows
                .iter()
                .filter(|(owner, _, _)| *owner == list.start)
                .map(|(_, recipient_type, rewrite)| (*recipient_type, rewrite))
                .collect();
            rewritten += addresses::map_message(
                &mut self.elements,
                properties,
                list.start..list.end,
                &own,
                mapper,
            );
        }
        self.lists = Some(lists);
        rewritten
    }

    /// The property lists with their properties indexed, computed once per stamped stream.
    fn indexed(&mut self) -> Vec<(List, PropertyList)> {
        match self.lists.take() {
            Some(lists) => lists,
            None => self
                .lists()
                .into_iter()
                .map(|list| {
                    let properties = PropertyList::of(&self.elements, list.start..list.end);
                    (list, properties)
                })
                .collect(),
        }
    }

    /// The export data to upload.
    pub fn into_data(mut self) -> Result<ExportData, MailError> {
        self.export.set_message(encode(&self.elements));
        self.export
            .to_chunks()
            .map_err(|error| corrupt(error.to_string()))
    }
}

/// A property list of the stream.
#[derive(Debug, Clone, Copy)]
struct List {
    start: usize,
    end: usize,
    /// For a recipient row, the start of its message's list; for a message, its own start.
    owner: usize,
    recipient: bool,
}

/// A scope open while the stream is walked.
struct Frame {
    message: bool,
    start: usize,
    owner: usize,
    /// Whether a message's own property list is still being read.
    open: bool,
}

impl Frame {
    fn message(start: usize) -> Frame {
        Frame {
            message: true,
            start,
            owner: start,
            open: true,
        }
    }
}

#[cfg(test)]
mod tests;
