//! Export data the in-memory service makes and reads: a real export stream (Exchange's framing
//! around a FastTransfer message) with the few properties a listing shows, and the reading of
//! those properties back, as a mail service derives its listings from what it stores.

use chrono::{DateTime, Utc};
use ferry_fasttransfer::name::property_set;
use ferry_fasttransfer::tag::{pid, prop_type};
use ferry_fasttransfer::{
    encode, Element, ExportData as Framed, PropName, PropTag, PropValue, Property, Reader,
};

use crate::mail::ExportData;
use crate::model::{ItemKey, STAMP_PROPERTY_NAME};

/// PidTagMessageDeliveryTime: when the item was received.
const DELIVERY_TIME: u16 = 0x0E06;
/// PidTagInternetMessageId.
const INTERNET_MESSAGE_ID: u16 = 0x1035;
/// FILETIME ticks between 1601-01-01 and 1970-01-01.
const UNIX_EPOCH_TICKS: i64 = 116_444_736_000_000_000;

/// What a listing shows of an item, read from its export data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Description {
    /// PidTagSubject.
    pub subject: String,
    /// PidTagMessageClass.
    pub item_class: String,
    /// PidTagMessageDeliveryTime.
    pub received: Option<DateTime<Utc>>,
    /// PidTagInternetMessageId.
    pub message_id: Option<String>,
    /// The Ferry stamp, if the item carries one.
    pub stamp: Option<ItemKey>,
}

/// Export data of a message with a subject, a class and (optionally) a received time; `body`
/// pads it to a size (as PidTagBody).
pub fn message(
    subject: &str,
    item_class: &str,
    received: Option<DateTime<Utc>>,
    body: &str,
) -> ExportData {
    let mut properties = vec![
        text(pid::MESSAGE_CLASS, item_class),
        text(pid::SUBJECT, subject),
        text(PropTag::new(0x1000, prop_type::STRING), body),
    ];
    if let Some(received) = received {
        let ticks = received.timestamp() * 10_000_000 + UNIX_EPOCH_TICKS;
        properties.push(property(
            PropTag::new(DELIVERY_TIME, prop_type::TIME),
            None,
            &PropValue::Time(u64::try_from(ticks).unwrap_or(0)),
        ));
    }
    let elements: Vec<Element> = properties
        .into_iter()
        .flatten()
        .map(Element::Property)
        .collect();
    Framed::with_exchange_header(encode(&elements))
        .to_chunks()
        .unwrap_or_default()
}

fn text(tag: PropTag, value: &str) -> Option<Property> {
    property(tag, None, &PropValue::Unicode(value.to_string()))
}

/// A property; only fixed, well-formed tags and values are built here, so none is ever lost.
fn property(tag: PropTag, name: Option<PropName>, value: &PropValue) -> Option<Property> {
    Property::new(tag, name, value).ok()
}

/// `data` with a stamp added to the message's own properties (seeding a destination that holds
/// a copy already). The worker writes stamps its own way; this is for tests' starting points.
pub fn with_stamp(data: &ExportData, key: ItemKey) -> Result<ExportData, String> {
    let mut framed = Framed::parse(data).map_err(|error| error.to_string())?;
    let message = framed.message().ok_or("no message block")?;
    let mut elements: Vec<Element> = Reader::new(message)
        .collect::<Result<_, _>>()
        .map_err(|error| error.to_string())?;
    let end = elements
        .iter()
        .position(|element| !matches!(element, Element::Property(_)))
        .unwrap_or(elements.len());
    let stamp = property(
        PropTag::new(0x8000, prop_type::STRING),
        Some(PropName::string(
            property_set::PS_PUBLIC_STRINGS,
            STAMP_PROPERTY_NAME,
        )),
        &PropValue::Unicode(key.to_hex()),
    )
    .ok_or("the stamp could not be encoded")?;
    elements.insert(end, Element::Property(stamp));
    framed.set_message(encode(&elements));
    framed.to_chunks().map_err(|error| error.to_string())
}

/// What a listing shows of `data`, or why the data is not an item.
pub fn describe(data: &ExportData) -> Result<Description, String> {
    let framed = Framed::parse(data).map_err(|error| error.to_string())?;
    let message = framed.message().ok_or("no message block")?;
    let mut description = Description::default();
    for element in Reader::new(message) {
        let element = element.map_err(|error| error.to_string())?;
        // The message's own properties come before its first recipient or attachment.
        let Element::Property(property) = element else {
            break;
        };
        let tag = property.tag();
        if let Some(name) = property.name() {
            if name.set == property_set::PS_PUBLIC_STRINGS
                && name.name_lossy().as_deref() == Some(STAMP_PROPERTY_NAME)
            {
                description.stamp = property
                    .text_lossy()
                    .and_then(|hex| ItemKey::from_hex(&hex));
            }
            continue;
        }
        match tag.id() {
            id if id == pid::SUBJECT.id() => {
                description.subject = property.text_lossy().unwrap_or_default();
            }
            id if id == pid::MESSAGE_CLASS.id() => {
                description.item_class = property.text_lossy().unwrap_or_default();
            }
            INTERNET_MESSAGE_ID => description.message_id = property.text_lossy(),
            DELIVERY_TIME => {
                if let Ok(PropValue::Time(ticks)) = property.decode() {
                    let seconds = (i64::try_from(ticks).unwrap_or(0) - UNIX_EPOCH_TICKS)
                        .div_euclid(10_000_000);
                    description.received = DateTime::from_timestamp(seconds, 0);
                }
            }
            _ => {}
        }
    }
    Ok(description)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_made_message_describes_itself() {
        let received = Utc.with_ymd_and_hms(2025, 3, 4, 5, 6, 7).single();
        let data = message("Quarterly", "IPM.Note", received, "body");
        let description = describe(&data).expect("a message");
        assert_eq!(description.subject, "Quarterly");
        assert_eq!(description.item_class, "IPM.Note");
        assert_eq!(description.received, received);
        assert_eq!(description.stamp, None);
        let key = ItemKey::of("a@contoso.com", "item-1");
        let stamped = with_stamp(&data, key).expect("stamped");
        let description = describe(&stamped).expect("still a message");
        assert_eq!(description.stamp, Some(key));
        assert_eq!(description.subject, "Quarterly");
    }

    #[test]
    fn garbage_is_not_an_item() {
        assert!(describe(&ExportData::from(b"not export data".to_vec())).is_err());
    }
}
