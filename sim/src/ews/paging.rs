//! Indexed paging (`IndexedPageItemView`, `IndexedPageFolderView`).

use super::soap::EwsError;
use crate::xml::{Element, XmlWriter};

/// A requested page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// Most entries to return (already capped at the server's page limit).
    pub max_entries: usize,
    /// Offset from the base point.
    pub offset: usize,
    /// Whether the offset counts from the end.
    pub from_end: bool,
    /// Whether the request had a view (Exchange then writes the next page's offset).
    pub indexed: bool,
}

/// The page a view selects, and what the reply says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Index of the first entry returned.
    pub start: usize,
    /// Index after the last entry returned.
    pub end: usize,
    /// `IndexedPagingOffset`: where the next page starts.
    pub next_offset: usize,
    /// `IncludesLastItemInRange`.
    pub includes_last: bool,
    /// `TotalItemsInView`: entries in the whole result.
    pub total: usize,
    /// Whether `IndexedPagingOffset` is written: only for an indexed view, as Exchange does.
    pub indexed: bool,
}

impl Paging {
    /// Reads a view element; without one, the whole result up to the page limit.
    pub fn parse(view: Option<&Element>, page_limit: usize) -> Result<Paging, EwsError> {
        let Some(view) = view else {
            return Ok(Paging {
                max_entries: page_limit,
                offset: 0,
                from_end: false,
                indexed: false,
            });
        };
        let number = |name: &str, default: usize| -> Result<usize, EwsError> {
            match view.attr(name) {
                None => Ok(default),
                Some(text) => text.trim().parse::<usize>().map_err(|_| {
                    EwsError::new(
                        "ErrorInvalidIndexedPagingParameters",
                        format!("{name} '{text}' is not a non-negative number."),
                    )
                }),
            }
        };
        let max_entries = number("MaxEntriesReturned", page_limit)?;
        if max_entries == 0 {
            return Err(EwsError::new(
                "ErrorInvalidIndexedPagingParameters",
                "MaxEntriesReturned must be greater than zero.",
            ));
        }
        let from_end = match view.attr("BasePoint").unwrap_or("Beginning") {
            "Beginning" => false,
            "End" => true,
            other => {
                return Err(EwsError::new(
                    "ErrorInvalidIndexedPagingParameters",
                    format!("BasePoint '{other}' is not valid."),
                ))
            }
        };
        Ok(Paging {
            max_entries: max_entries.min(page_limit),
            offset: number("Offset", 0)?,
            from_end,
            indexed: true,
        })
    }

    /// Selects the page of a result of `total` entries.
    pub fn select(&self, total: usize) -> Page {
        if self.from_end {
            let end = total.saturating_sub(self.offset);
            let start = end.saturating_sub(self.max_entries);
            Page {
                start,
                end,
                next_offset: total - start,
                includes_last: start == 0,
                total,
                indexed: self.indexed,
            }
        } else {
            let start = self.offset.min(total);
            let end = (start + self.max_entries).min(total);
            Page {
                start,
                end,
                next_offset: end,
                includes_last: end == total,
                total,
                indexed: self.indexed,
            }
        }
    }
}

impl Page {
    /// Opens the reply's `m:RootFolder` with the paging attributes Exchange writes.
    pub fn open_root_folder(&self, writer: &mut XmlWriter) {
        let next_offset = self.next_offset.to_string();
        let total = self.total.to_string();
        let mut attrs = Vec::with_capacity(3);
        if self.indexed {
            attrs.push(("IndexedPagingOffset", next_offset.as_str()));
        }
        attrs.push(("TotalItemsInView", total.as_str()));
        attrs.push((
            "IncludesLastItemInRange",
            if self.includes_last { "true" } else { "false" },
        ));
        writer.open("m:RootFolder", &attrs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse_document;

    #[test]
    fn pages_through_a_result_with_a_cap() {
        let view = parse_document(r#"<IndexedPageItemView MaxEntriesReturned="5000" Offset="1000" BasePoint="Beginning"/>"#)
            .expect("xml");
        let paging = Paging::parse(Some(&view), 1000).expect("valid");
        assert_eq!(paging.max_entries, 1000, "capped at the server limit");
        let page = paging.select(2500);
        assert_eq!(
            (page.start, page.end, page.next_offset, page.includes_last),
            (1000, 2000, 2000, false)
        );
        let last = Paging {
            offset: 2000,
            ..paging
        }
        .select(2500);
        assert_eq!(
            (last.start, last.end, last.includes_last),
            (2000, 2500, true)
        );
        let beyond = Paging {
            offset: 9000,
            ..paging
        }
        .select(2500);
        assert_eq!(
            (beyond.start, beyond.end, beyond.includes_last),
            (2500, 2500, true)
        );
    }

    #[test]
    fn pages_from_the_end_and_rejects_bad_numbers() {
        let paging = Paging {
            max_entries: 10,
            offset: 5,
            from_end: true,
            indexed: true,
        };
        let page = paging.select(30);
        assert_eq!((page.start, page.end), (15, 25));
        let view = parse_document(
            r#"<IndexedPageItemView MaxEntriesReturned="-1" Offset="0" BasePoint="Beginning"/>"#,
        )
        .expect("xml");
        assert!(Paging::parse(Some(&view), 1000).is_err());
    }
}
