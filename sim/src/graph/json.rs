//! Writing Graph's JSON replies: objects whose keys keep the order Graph writes them in
//! (`@odata.*` annotations first), and bodies whose large binary values (export data) are
//! base64-encoded chunk by chunk while the reply streams instead of being built in memory.

use bytes::Bytes;
use serde_json::Value;

use crate::xml::Segment;

/// A JSON object under construction, keys in insertion order.
#[derive(Debug, Default)]
pub struct JsonObject {
    text: String,
}

impl JsonObject {
    /// An empty object.
    pub fn new() -> JsonObject {
        JsonObject::default()
    }

    fn key(&mut self, key: &str) {
        self.text.push(if self.text.is_empty() { '{' } else { ',' });
        self.text.push_str(&Value::from(key).to_string());
        self.text.push(':');
    }

    /// Adds a member with a JSON value.
    pub fn value(mut self, key: &str, value: Value) -> JsonObject {
        self.key(key);
        self.text.push_str(&value.to_string());
        self
    }

    /// Adds a string member.
    pub fn string(self, key: &str, value: &str) -> JsonObject {
        self.value(key, Value::from(value))
    }

    /// Adds a member whose value is already JSON text.
    pub fn raw(mut self, key: &str, json: &str) -> JsonObject {
        self.key(key);
        self.text.push_str(json);
        self
    }

    /// The object's text.
    pub fn finish(mut self) -> String {
        if self.text.is_empty() {
            self.text.push('{');
        }
        self.text.push('}');
        self.text
    }
}

/// A reply body of JSON text and base64 segments, in order.
#[derive(Debug, Default)]
pub struct JsonBody {
    pending: String,
    segments: Vec<Segment>,
}

impl JsonBody {
    /// An empty body.
    pub fn new() -> JsonBody {
        JsonBody::default()
    }

    /// Appends JSON text.
    pub fn text(&mut self, text: &str) {
        self.pending.push_str(text);
    }

    /// Appends a JSON string whose content is `parts` in base64, encoded as the reply streams.
    pub fn base64_string(&mut self, parts: Vec<Bytes>) {
        self.pending.push('"');
        self.flush();
        self.segments.push(Segment::Base64(parts));
        self.pending.push('"');
    }

    fn flush(&mut self) {
        if !self.pending.is_empty() {
            let text = std::mem::take(&mut self.pending);
            self.segments.push(Segment::Xml(Bytes::from(text)));
        }
    }

    /// The segments to stream.
    pub fn finish(mut self) -> Vec<Segment> {
        self.flush();
        self.segments
    }
}

/// A body of one JSON text.
pub fn text_body(text: String) -> Vec<Segment> {
    vec![Segment::Xml(Bytes::from(text))]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::SegmentChunks;

    #[test]
    fn objects_keep_their_order_and_escape() {
        let text = JsonObject::new()
            .string("@odata.type", "#x")
            .string("name", "a \"quoted\" /")
            .value("count", Value::from(3))
            .raw("nothing", "null")
            .finish();
        assert_eq!(
            text,
            r##"{"@odata.type":"#x","name":"a \"quoted\" /","count":3,"nothing":null}"##
        );
        assert_eq!(JsonObject::new().finish(), "{}");
    }

    #[test]
    fn base64_strings_stream_as_valid_json() {
        let mut body = JsonBody::new();
        body.text(r#"{"data":"#);
        body.base64_string(vec![Bytes::from_static(b"hi"), Bytes::from_static(b"!")]);
        body.text("}");
        let joined: Vec<u8> = SegmentChunks::new(body.finish())
            .flat_map(|chunk| chunk.to_vec())
            .collect();
        let parsed: Value = serde_json::from_slice(&joined).expect("json");
        assert_eq!(parsed["data"], "aGkh");
    }
}
