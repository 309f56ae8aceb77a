//! Recurring series: `PidLidAppointmentRecur` (MS-OXOCAL 2.2.1.44), the binary recurrence
//! pattern with its deleted and modified occurrences and the per-exception overrides. The
//! simulator writes it for seeded series and reads back what iCalendar rendering needs.

use bytes::{BufMut, Bytes, BytesMut};

/// Minutes between 1601-01-01 and 1970-01-01.
const EPOCH_MINUTES: i64 = 11_644_473_600 / 60;
/// `EndDate` of a series that never ends.
const NEVER_ENDS: u32 = 0x5AE9_80DF;

const FREQUENCY_DAILY: u16 = 0x200A;
const FREQUENCY_WEEKLY: u16 = 0x200B;
const FREQUENCY_MONTHLY: u16 = 0x200C;
const FREQUENCY_YEARLY: u16 = 0x200D;
const END_AFTER_COUNT: u32 = 0x2022;
const END_AFTER_DATE: u32 = 0x2021;

/// `ARO_SUBJECT` and `ARO_LOCATION` override flags.
const OVERRIDE_SUBJECT: u16 = 0x0001;
const OVERRIDE_LOCATION: u16 = 0x0010;

/// Minutes since 1601 for a Unix time.
pub fn minutes_from_unix(seconds: i64) -> u32 {
    (seconds.div_euclid(60) + EPOCH_MINUTES).clamp(0, i64::from(u32::MAX)) as u32
}

/// A Unix time for minutes since 1601.
pub fn unix_from_minutes(minutes: u32) -> i64 {
    (i64::from(minutes) - EPOCH_MINUTES) * 60
}

/// One modified occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    /// Its new start, Unix seconds.
    pub start: i64,
    /// Its new end.
    pub end: i64,
    /// The start it replaces.
    pub original_start: i64,
    /// A changed subject.
    pub subject: Option<String>,
    /// A changed location.
    pub location: Option<String>,
}

/// A weekly (or daily) series as Outlook writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// Weekly if true, daily otherwise.
    pub weekly: bool,
    /// Every `interval` weeks (or days).
    pub interval: u32,
    /// Days of the week, bit 0 = Sunday.
    pub days_of_week: u32,
    /// How many occurrences; 0 for a series without end.
    pub occurrences: u32,
    /// The first occurrence's start, Unix seconds.
    pub first_start: i64,
    /// Its duration in seconds.
    pub duration: i64,
    /// Original starts of deleted occurrences.
    pub deleted: Vec<i64>,
    /// Modified occurrences.
    pub exceptions: Vec<Exception>,
}

fn midnight(seconds: i64) -> i64 {
    seconds - seconds.rem_euclid(86_400)
}

impl Pattern {
    /// The last occurrence's start (for a series with an end).
    fn last_start(&self) -> i64 {
        let step = if self.weekly { 7 * 86_400 } else { 86_400 } * i64::from(self.interval.max(1));
        self.first_start + step * i64::from(self.occurrences.saturating_sub(1))
    }

    /// The `PidLidAppointmentRecur` value.
    pub fn encode(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(256);
        out.put_u16_le(0x3004);
        out.put_u16_le(0x3004);
        if self.weekly {
            out.put_u16_le(FREQUENCY_WEEKLY);
            out.put_u16_le(0x0001);
        } else {
            out.put_u16_le(FREQUENCY_DAILY);
            out.put_u16_le(0x0000);
        }
        out.put_u16_le(0); // Gregorian
        let start_date = minutes_from_unix(midnight(self.first_start));
        let period_minutes = if self.weekly {
            self.interval.max(1) * 7 * 1440
        } else {
            self.interval.max(1) * 1440
        };
        out.put_u32_le(start_date % period_minutes);
        out.put_u32_le(if self.weekly {
            self.interval.max(1)
        } else {
            period_minutes
        });
        out.put_u32_le(0); // sliding flag
        if self.weekly {
            out.put_u32_le(self.days_of_week);
        }
        if self.occurrences > 0 {
            out.put_u32_le(END_AFTER_COUNT);
            out.put_u32_le(self.occurrences);
        } else {
            out.put_u32_le(0x2023);
            out.put_u32_le(10);
        }
        out.put_u32_le(0); // first day of the week: Sunday
        let mut deleted: Vec<u32> = self
            .deleted
            .iter()
            .chain(
                self.exceptions
                    .iter()
                    .map(|exception| &exception.original_start),
            )
            .map(|start| minutes_from_unix(midnight(*start)))
            .collect();
        deleted.sort_unstable();
        out.put_u32_le(deleted.len() as u32);
        for date in &deleted {
            out.put_u32_le(*date);
        }
        let mut modified: Vec<u32> = self
            .exceptions
            .iter()
            .map(|exception| minutes_from_unix(midnight(exception.start)))
            .collect();
        modified.sort_unstable();
        out.put_u32_le(modified.len() as u32);
        for date in &modified {
            out.put_u32_le(*date);
        }
        out.put_u32_le(start_date);
        out.put_u32_le(if self.occurrences > 0 {
            minutes_from_unix(midnight(self.last_start()))
        } else {
            NEVER_ENDS
        });
        out.put_u32_le(0x3006);
        out.put_u32_le(0x3009);
        let offset = (self.first_start - midnight(self.first_start)) / 60;
        out.put_u32_le(offset as u32);
        out.put_u32_le((offset + self.duration / 60) as u32);
        out.put_u16_le(self.exceptions.len() as u16);
        for exception in &self.exceptions {
            put_exception_times(&mut out, exception);
            out.put_u16_le(exception.flags());
            if let Some(subject) = &exception.subject {
                put_ansi(&mut out, subject);
            }
            if let Some(location) = &exception.location {
                put_ansi(&mut out, location);
            }
        }
        out.put_u32_le(0); // ReservedBlock1Size
        for exception in &self.exceptions {
            out.put_u32_le(4);
            out.put_u32_le(0); // ChangeHighlight
            out.put_u32_le(0); // ReservedBlockEE1Size
            if exception.flags() != 0 {
                put_exception_times(&mut out, exception);
                for text in [&exception.subject, &exception.location]
                    .into_iter()
                    .flatten()
                {
                    let units: Vec<u16> = text.encode_utf16().collect();
                    out.put_u16_le(units.len() as u16);
                    for unit in units {
                        out.put_u16_le(unit);
                    }
                }
                out.put_u32_le(0); // ReservedBlockEE2Size
            }
        }
        out.put_u32_le(0); // ReservedBlock2Size
        out.freeze()
    }

    /// Reads the parts of a pattern iCalendar needs; `None` if it is not one.
    pub fn decode(bytes: &[u8]) -> Option<Pattern> {
        let mut reader = Cursor { bytes, offset: 0 };
        reader.u16()?;
        reader.u16()?;
        let frequency = reader.u16()?;
        let pattern_type = reader.u16()?;
        reader.u16()?;
        reader.u32()?;
        let period = reader.u32()?;
        reader.u32()?;
        let days_of_week = match pattern_type {
            0x0001 => reader.u32()?,
            0x0002 | 0x0004 | 0x000A | 0x000C => {
                reader.u32()?;
                0
            }
            0x0003 | 0x000B => {
                reader.u32()?;
                reader.u32()?;
                0
            }
            _ => 0,
        };
        let end_type = reader.u32()?;
        let occurrences = reader.u32()?;
        reader.u32()?;
        let deleted_count = reader.u32()? as usize;
        let deleted: Vec<u32> = (0..deleted_count.min(bytes.len() / 4))
            .map(|_| reader.u32())
            .collect::<Option<_>>()?;
        let modified_count = reader.u32()? as usize;
        let modified: Vec<u32> = (0..modified_count.min(bytes.len() / 4))
            .map(|_| reader.u32())
            .collect::<Option<_>>()?;
        let start_date = reader.u32()?;
        reader.u32()?;
        reader.u32()?;
        reader.u32()?;
        let start_offset = reader.u32()?;
        let end_offset = reader.u32()?;
        let first_start = unix_from_minutes(start_date) + i64::from(start_offset) * 60;
        let weekly = frequency == FREQUENCY_WEEKLY;
        let interval = match frequency {
            FREQUENCY_DAILY => (period / 1440).max(1),
            FREQUENCY_MONTHLY | FREQUENCY_YEARLY => period.max(1),
            _ => period.max(1),
        };
        let _ = modified;
        Some(Pattern {
            weekly,
            interval,
            days_of_week,
            occurrences: if end_type == END_AFTER_COUNT || end_type == END_AFTER_DATE {
                occurrences
            } else {
                0
            },
            first_start,
            duration: i64::from(end_offset.saturating_sub(start_offset)) * 60,
            deleted: deleted
                .into_iter()
                .map(|date| unix_from_minutes(date) + i64::from(start_offset) * 60)
                .collect(),
            exceptions: Vec::new(),
        })
    }

    /// The `RRULE` value.
    pub fn rrule(&self) -> String {
        let mut rule = if self.weekly {
            let days: Vec<&str> = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"]
                .iter()
                .enumerate()
                .filter(|(bit, _)| self.days_of_week & (1 << bit) != 0)
                .map(|(_, day)| *day)
                .collect();
            format!(
                "FREQ=WEEKLY;INTERVAL={};BYDAY={}",
                self.interval,
                days.join(",")
            )
        } else {
            format!("FREQ=DAILY;INTERVAL={}", self.interval)
        };
        if self.occurrences > 0 {
            rule.push_str(&format!(";COUNT={}", self.occurrences));
        }
        rule
    }

    /// Starts of the occurrences removed from the series (deleted or moved), Unix seconds at
    /// the series' time of day.
    pub fn deleted_starts(&self, _series_start: i64) -> Vec<i64> {
        self.deleted.clone()
    }
}

impl Exception {
    fn flags(&self) -> u16 {
        let mut flags = 0;
        if self.subject.is_some() {
            flags |= OVERRIDE_SUBJECT;
        }
        if self.location.is_some() {
            flags |= OVERRIDE_LOCATION;
        }
        flags
    }
}

fn put_exception_times(out: &mut BytesMut, exception: &Exception) {
    out.put_u32_le(minutes_from_unix(exception.start));
    out.put_u32_le(minutes_from_unix(exception.end));
    out.put_u32_le(minutes_from_unix(exception.original_start));
}

/// An 8-bit string with its two lengths, as `ExceptionInfo` holds subject and location.
fn put_ansi(out: &mut BytesMut, text: &str) {
    let bytes: Vec<u8> = text
        .chars()
        .map(|character| {
            if character.is_ascii() {
                character as u8
            } else {
                b'?'
            }
        })
        .collect();
    out.put_u16_le(bytes.len() as u16 + 1);
    out.put_u16_le(bytes.len() as u16);
    out.put_slice(&bytes);
}

struct Cursor<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl Cursor<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let bytes = self.bytes.get(self.offset..self.offset + N)?;
        self.offset += N;
        bytes.try_into().ok()
    }

    fn u16(&mut self) -> Option<u16> {
        self.take().map(u16::from_le_bytes)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_weekly_series_round_trips_what_icalendar_needs() {
        let first_start = 1_700_042_400; // a Wednesday, 10:00 UTC
        let pattern = Pattern {
            weekly: true,
            interval: 1,
            days_of_week: 1 << 3,
            occurrences: 10,
            first_start,
            duration: 3600,
            deleted: vec![first_start + 2 * 7 * 86_400],
            exceptions: vec![Exception {
                start: first_start + 3 * 7 * 86_400 + 3600,
                end: first_start + 3 * 7 * 86_400 + 7200,
                original_start: first_start + 3 * 7 * 86_400,
                subject: Some("Moved review".into()),
                location: Some("Room 7".into()),
            }],
        };
        let decoded = Pattern::decode(&pattern.encode()).expect("decodes");
        assert_eq!(decoded.first_start, first_start);
        assert_eq!(decoded.duration, 3600);
        assert_eq!(decoded.rrule(), "FREQ=WEEKLY;INTERVAL=1;BYDAY=WE;COUNT=10");
        assert_eq!(
            decoded.deleted,
            vec![first_start + 2 * 7 * 86_400, first_start + 3 * 7 * 86_400],
            "deleted and moved occurrences leave the series"
        );
        assert!(Pattern::decode(b"short").is_none());
    }
}
