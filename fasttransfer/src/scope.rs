//! Where each element of a message stream sits: in a message, a recipient or an attachment,
//! and how deeply embedded.
//!
//! Convention: a start marker (StartRecip, NewAttach, StartEmbed) belongs to the scope that
//! encloses what it opens; an end marker (EndToRecip, EndAttach, EndEmbed) belongs to the scope
//! it closes. So a start marker and its end marker are each at the level of the property list
//! they sit next to on the outside and the inside respectively.

use crate::error::FxError;
use crate::reader::Element;
use crate::tag::marker;

/// The kind of object an element belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// A message: the top-level one or one embedded in an attachment.
    Message,
    /// A recipient of a message.
    Recipient,
    /// An attachment of a message.
    Attachment,
}

/// Where an element sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    /// The object it belongs to.
    pub scope: Scope,
    /// The embedding level: 0 for the top-level message and its recipients and attachments,
    /// 1 inside a message embedded in one of its attachments, and so on.
    pub depth: u32,
}

/// Tracks the nesting of recipients, attachments and embedded messages, fed one element at a
/// time in stream order. Other markers (folders, messages in lists, incremental sync) pass
/// without changing the scope.
#[derive(Clone, Debug, Default)]
pub struct ScopeTracker {
    open: Vec<Scope>,
    depth: u32,
    index: usize,
}

impl ScopeTracker {
    /// The deepest embedding accepted: a bound against hostile input (real messages rarely
    /// nest more than a few levels).
    pub const MAX_DEPTH: u32 = 32;

    /// A tracker at the start of a top-level message.
    pub fn new() -> ScopeTracker {
        ScopeTracker::default()
    }

    /// Where the next element would sit if it is not a structural marker.
    pub fn location(&self) -> Location {
        Location {
            scope: self.scope(),
            depth: self.depth,
        }
    }

    /// Where `element` sits, moving into or out of a scope for structural markers.
    pub fn observe(&mut self, element: &Element) -> Result<Location, FxError> {
        let index = self.index;
        self.index += 1;
        let here = self.location();
        let unbalanced = |what| FxError::Unbalanced { index, what };
        let Element::Marker(tag) = element else {
            return Ok(here);
        };
        match *tag {
            marker::START_RECIP => {
                if here.scope != Scope::Message {
                    return Err(unbalanced("recipient start outside a message"));
                }
                self.open.push(Scope::Recipient);
            }
            marker::NEW_ATTACH => {
                if here.scope != Scope::Message {
                    return Err(unbalanced("attachment start outside a message"));
                }
                self.open.push(Scope::Attachment);
            }
            marker::START_EMBED => {
                if here.scope != Scope::Attachment {
                    return Err(unbalanced("embedded message start outside an attachment"));
                }
                if self.depth >= Self::MAX_DEPTH {
                    return Err(FxError::NestingTooDeep {
                        index,
                        limit: Self::MAX_DEPTH,
                    });
                }
                self.open.push(Scope::Message);
                self.depth += 1;
            }
            marker::END_TO_RECIP => {
                if here.scope != Scope::Recipient {
                    return Err(unbalanced("recipient end outside a recipient"));
                }
                self.open.pop();
            }
            marker::END_ATTACH => {
                if here.scope != Scope::Attachment {
                    return Err(unbalanced("attachment end outside an attachment"));
                }
                self.open.pop();
            }
            marker::END_EMBED => {
                if here.scope != Scope::Message || self.depth == 0 {
                    return Err(unbalanced(
                        "embedded message end outside an embedded message",
                    ));
                }
                self.open.pop();
                self.depth -= 1;
            }
            _ => {}
        }
        Ok(here)
    }

    /// Checks the stream ended with every recipient, attachment and embedded message closed.
    pub fn finish(&self) -> Result<(), FxError> {
        let what = match self.open.last() {
            None => return Ok(()),
            Some(Scope::Recipient) => "stream ends inside a recipient",
            Some(Scope::Attachment) => "stream ends inside an attachment",
            Some(Scope::Message) => "stream ends inside an embedded message",
        };
        Err(FxError::Unbalanced {
            index: self.index,
            what,
        })
    }

    fn scope(&self) -> Scope {
        self.open.last().copied().unwrap_or(Scope::Message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locations(markers: &[u32]) -> Result<Vec<Location>, FxError> {
        let mut tracker = ScopeTracker::new();
        let located = markers
            .iter()
            .map(|tag| tracker.observe(&Element::Marker(*tag)))
            .collect::<Result<Vec<_>, _>>()?;
        tracker.finish()?;
        Ok(located)
    }

    fn at(scope: Scope, depth: u32) -> Location {
        Location { scope, depth }
    }

    #[test]
    fn start_markers_belong_outside_and_end_markers_inside() {
        use marker::*;
        let located = locations(&[
            START_RECIP,
            END_TO_RECIP,
            NEW_ATTACH,
            START_EMBED,
            START_RECIP,
            END_TO_RECIP,
            END_EMBED,
            END_ATTACH,
        ]);
        assert_eq!(
            located,
            Ok(vec![
                at(Scope::Message, 0),
                at(Scope::Recipient, 0),
                at(Scope::Message, 0),
                at(Scope::Attachment, 0),
                at(Scope::Message, 1),
                at(Scope::Recipient, 1),
                at(Scope::Message, 1),
                at(Scope::Attachment, 0),
            ])
        );
    }

    #[test]
    fn misplaced_markers_are_unbalanced() {
        use marker::*;
        let cases: &[(&[u32], usize)] = &[
            (&[END_TO_RECIP], 0),
            (&[START_EMBED], 0),
            (&[START_RECIP, NEW_ATTACH], 1),
            (&[NEW_ATTACH, START_RECIP], 1),
            (&[NEW_ATTACH, END_EMBED], 1),
            (&[END_EMBED], 0),
            (&[NEW_ATTACH, START_EMBED, END_ATTACH], 2),
            (&[START_RECIP], 1),
            (&[NEW_ATTACH], 1),
            (&[NEW_ATTACH, START_EMBED], 2),
        ];
        for (markers, index) in cases {
            match locations(markers) {
                Err(FxError::Unbalanced { index: got, .. }) => {
                    assert_eq!(got, *index, "{markers:x?}")
                }
                other => panic!("{markers:x?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn other_markers_pass() {
        use marker::*;
        assert!(locations(&[START_MESSAGE, INCR_SYNC_CHG, END_MESSAGE]).is_ok());
    }

    #[test]
    fn nesting_is_bounded() {
        let mut markers = Vec::new();
        for _ in 0..=ScopeTracker::MAX_DEPTH {
            markers.extend([marker::NEW_ATTACH, marker::START_EMBED]);
        }
        assert!(matches!(
            locations(&markers),
            Err(FxError::NestingTooDeep { limit: 32, .. })
        ));
        markers.truncate(2 * ScopeTracker::MAX_DEPTH as usize);
        let mut tracker = ScopeTracker::new();
        for tag in &markers {
            assert!(tracker.observe(&Element::Marker(*tag)).is_ok());
        }
        assert_eq!(
            tracker.location(),
            at(Scope::Message, ScopeTracker::MAX_DEPTH)
        );
    }
}
