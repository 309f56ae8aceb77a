//! How a property's value is laid out on the wire, from its tag alone (MS-OXCFXICS 2.2.4.1.1):
//! the one place that knows which types are fixed-size, which are counted, and the quirks.

use crate::cursor::Cursor;
use crate::error::FxError;
use crate::tag::{meta, prop_type, PropTag};

/// The layout of one value (a single value, or one element of a multi-valued one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Single {
    /// Exactly this many bytes.
    Fixed(usize),
    /// A `u32` byte length, then that many bytes.
    Counted,
}

/// The layout of a property's whole value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// One value.
    Single(Single),
    /// A `u32` count, then that many values.
    Multiple(Single),
}

/// The layout of a base (not multi-valued) type, or `None` if it cannot be sized.
fn single(base: u16) -> Option<Single> {
    use prop_type::*;
    Some(match base {
        INTEGER16 | BOOLEAN => Single::Fixed(2),
        INTEGER32 | FLOATING32 | ERROR_CODE => Single::Fixed(4),
        FLOATING64 | CURRENCY | FLOATING_TIME | INTEGER64 | TIME => Single::Fixed(8),
        GUID => Single::Fixed(16),
        STRING | STRING8 | BINARY | SERVER_ID | OBJECT | RESTRICTION | RULE_ACTION => {
            Single::Counted
        }
        _ => return None,
    })
}

/// The layout of a property's value, or `None` if its type cannot be sized.
pub(crate) fn layout(tag: PropTag) -> Option<Layout> {
    // IdsetGiven is declared Integer32 but Exchange writes it as binary.
    if tag == meta::IDSET_GIVEN {
        return Some(Layout::Single(Single::Counted));
    }
    let prop_type = tag.prop_type();
    if prop_type & prop_type::CODE_PAGE_FLAG != 0 {
        return Some(Layout::Single(Single::Counted));
    }
    if prop_type & prop_type::MULTIPLE_FLAG != 0 {
        return single(prop_type & !prop_type::MULTIPLE_FLAG).map(Layout::Multiple);
    }
    single(prop_type).map(Layout::Single)
}

/// Moves `cursor` past one value laid out as `layout`, returning its length in bytes. A length
/// or count larger than what is left fails at once, before anything is read or allocated.
pub(crate) fn measure(
    layout: Layout,
    tag: PropTag,
    cursor: &mut Cursor<'_>,
) -> Result<usize, FxError> {
    let start = cursor.offset();
    match layout {
        Layout::Single(single) => measure_single(single, tag, cursor)?,
        Layout::Multiple(element) => {
            let offset = cursor.offset();
            let count = cursor.read_u32().ok_or(FxError::Truncated {
                what: "value count",
                offset,
            })?;
            // Each element takes at least its fixed size or its 4-byte length.
            let least_element = match element {
                Single::Fixed(size) => size,
                Single::Counted => 4,
            };
            let available = cursor.remaining();
            if u64::from(count) * least_element as u64 > available as u64 {
                return Err(FxError::DeclaredSizeTooLarge {
                    what: "count",
                    declared: u64::from(count),
                    tag,
                    offset,
                    available,
                });
            }
            for _ in 0..count {
                measure_single(element, tag, cursor)?;
            }
        }
    }
    Ok(cursor.offset() - start)
}

fn measure_single(single: Single, tag: PropTag, cursor: &mut Cursor<'_>) -> Result<(), FxError> {
    let offset = cursor.offset();
    match single {
        Single::Fixed(size) => {
            if !cursor.skip(size) {
                return Err(FxError::Truncated {
                    what: "property value",
                    offset,
                });
            }
        }
        Single::Counted => {
            let length = cursor.read_u32().ok_or(FxError::Truncated {
                what: "value length",
                offset,
            })?;
            let available = cursor.remaining();
            let fits = usize::try_from(length).is_ok_and(|length| cursor.skip(length));
            if !fits {
                return Err(FxError::DeclaredSizeTooLarge {
                    what: "length",
                    declared: u64::from(length),
                    tag,
                    offset,
                    available,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunks::Chunks;

    #[test]
    fn layouts_follow_the_type() {
        assert_eq!(
            layout(PropTag(0x0E21_0003)),
            Some(Layout::Single(Single::Fixed(4)))
        );
        assert_eq!(
            layout(PropTag(0x0063_000B)),
            Some(Layout::Single(Single::Fixed(2)))
        );
        assert_eq!(
            layout(PropTag(0x0037_84B0)),
            Some(Layout::Single(Single::Counted))
        );
        assert_eq!(
            layout(meta::IDSET_GIVEN),
            Some(Layout::Single(Single::Counted))
        );
        assert_eq!(
            layout(PropTag(0x8001_1048)),
            Some(Layout::Multiple(Single::Fixed(16)))
        );
        assert_eq!(
            layout(PropTag(0x8001_1102)),
            Some(Layout::Multiple(Single::Counted))
        );
        assert_eq!(layout(PropTag(0x0001_0001)), None);
        assert_eq!(layout(PropTag(0x0001_1001)), None);
        assert_eq!(layout(PropTag(0x0001_0049)), None);
    }

    #[test]
    fn hostile_count_fails_before_reading() {
        let mut bytes = u32::MAX.to_le_bytes().to_vec();
        bytes.extend_from_slice(&[0; 10]);
        let input = Chunks::from(bytes);
        let tag = PropTag(0x0001_1102);
        let error = measure(
            Layout::Multiple(Single::Counted),
            tag,
            &mut Cursor::new(&input),
        );
        assert_eq!(
            error,
            Err(FxError::DeclaredSizeTooLarge {
                what: "count",
                declared: u64::from(u32::MAX),
                tag,
                offset: 0,
                available: 10
            })
        );
    }

    #[test]
    fn multi_valued_counted_values_are_measured_one_by_one() {
        let mut bytes = 2u32.to_le_bytes().to_vec();
        bytes.extend_from_slice(&1u32.to_le_bytes());
        bytes.push(7);
        bytes.extend_from_slice(&0u32.to_le_bytes());
        bytes.extend_from_slice(b"after");
        let input = Chunks::from(bytes);
        let mut cursor = Cursor::new(&input);
        let length = measure(
            Layout::Multiple(Single::Counted),
            PropTag(0x0001_1102),
            &mut cursor,
        );
        assert_eq!(length, Ok(13));
        assert_eq!(cursor.remaining(), 5);
    }
}
