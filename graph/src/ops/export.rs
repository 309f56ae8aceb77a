//! `exportItems`: up to 20 items a call, answered as one JSON document whose `data` members are
//! the items' streams in base64. The reply is read with a streaming JSON reader on a blocking
//! thread, and an item is decoded only when the caller asks for it: the reader waits for each
//! demand, so a call holds about one item in memory however large the reply (the rest waits in
//! the connection).

use std::io::Read;

use ferry_fasttransfer::{Base64Decoder, Chunks};
use futures_util::TryStreamExt;
use reqwest::Method;
use serde_json::json;
use struson::reader::{JsonReader, JsonStreamReader, ReaderError, ValueType};
use tokio::sync::mpsc;
use tokio_util::io::{StreamReader, SyncIoBridge};

use super::mailbox_path;
use crate::{GraphClient, GraphError, ItemError, MailboxId};

/// The most ids one `exportItems` call takes (Graph's documented limit).
pub const MAX_EXPORT_IDS: usize = 20;

/// Data text is read through a scratch buffer of this size (and decoded into chunks sized to
/// the item).
const PIECE_BYTES: usize = 256 * 1024;

/// One entry of an export reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedItem {
    /// The id asked for.
    pub item_id: String,
    /// Its change key, when Graph sent one.
    pub change_key: Option<String>,
    /// The item's data, or the error Graph reported for it.
    pub data: Result<Chunks, ItemError>,
}

/// The items of one `exportItems` reply, one at a time.
#[derive(Debug)]
pub struct ExportStream {
    demand: mpsc::Sender<()>,
    items: mpsc::Receiver<Result<ExportedItem, GraphError>>,
}

impl ExportStream {
    /// The next item; `None` after the last. An error ends the stream (the rest of the reply
    /// is lost; export those ids again).
    pub async fn next(&mut self) -> Result<Option<ExportedItem>, GraphError> {
        // The reader may have finished (and dropped its end): then the items channel says so.
        let _ = self.demand.send(()).await;
        self.items.recv().await.transpose()
    }
}

impl GraphClient {
    /// Exports up to [`MAX_EXPORT_IDS`] items of a mailbox. Entries come in the order Graph
    /// answers (the order asked, on every server seen); an id Graph cannot export comes with
    /// its error while the others export.
    pub async fn export_items(
        &self,
        mailbox: &MailboxId,
        ids: &[String],
    ) -> Result<ExportStream, GraphError> {
        if ids.is_empty() || ids.len() > MAX_EXPORT_IDS {
            return Err(GraphError::InvalidRequest(format!(
                "exportItems takes 1 to {MAX_EXPORT_IDS} ids, not {}",
                ids.len()
            )));
        }
        let url = self.url(&format!("{}/exportItems", mailbox_path(mailbox)));
        let body = json!({ "itemIds": ids });
        let response = self
            .send("exportItems", |token| {
                self.http
                    .request(Method::POST, &url)
                    .bearer_auth(token.expose())
                    .json(&body)
            })
            .await?;
        let bytes = response
            .bytes_stream()
            .map_err(|error| std::io::Error::other(error.without_url()));
        let reader = SyncIoBridge::new(StreamReader::new(bytes));
        let (sender, items) = mpsc::channel(1);
        let (demand, mut demands) = mpsc::channel(1);
        let max_item_bytes = self.max_item_bytes;
        tokio::task::spawn_blocking(move || {
            let mut parse = ReplyParser {
                json: JsonStreamReader::new(reader),
                max_item_bytes,
                sender: &sender,
                demands: &mut demands,
                scratch: vec![0; PIECE_BYTES],
            };
            if let Err(error) = parse.reply() {
                // The receiver may be gone (the caller stopped reading): nothing to tell.
                let _ = sender.blocking_send(Err(error));
            }
        });
        Ok(ExportStream { demand, items })
    }
}

/// Reads an export reply, sending each entry as soon as it is complete.
struct ReplyParser<'a, R: Read> {
    json: JsonStreamReader<R>,
    max_item_bytes: usize,
    sender: &'a mpsc::Sender<Result<ExportedItem, GraphError>>,
    /// One message per item the caller asks for; closed when the caller is gone.
    demands: &'a mut mpsc::Receiver<()>,
    /// Decoded data passes through here, one piece at a time, for every item of the reply.
    scratch: Vec<u8>,
}

impl<R: Read> ReplyParser<'_, R> {
    fn reply(&mut self) -> Result<(), GraphError> {
        self.json.begin_object().map_err(malformed)?;
        let mut saw_value = false;
        while self.json.has_next().map_err(malformed)? {
            let name = self.json.next_name_owned().map_err(malformed)?;
            if name != "value" {
                self.json.skip_value().map_err(malformed)?;
                continue;
            }
            saw_value = true;
            self.json.begin_array().map_err(malformed)?;
            while self.json.has_next().map_err(malformed)? {
                if self.demands.blocking_recv().is_none() {
                    return Ok(());
                }
                let entry = self.entry()?;
                if self.sender.blocking_send(Ok(entry)).is_err() {
                    return Ok(());
                }
            }
            self.json.end_array().map_err(malformed)?;
        }
        self.json.end_object().map_err(malformed)?;
        if !saw_value {
            return Err(GraphError::Malformed(
                "exportItems: the reply has no value array".into(),
            ));
        }
        Ok(())
    }

    /// One `exportItemResponse`.
    fn entry(&mut self) -> Result<ExportedItem, GraphError> {
        self.json.begin_object().map_err(malformed)?;
        let mut item_id = None;
        let mut change_key = None;
        let mut data = None;
        let mut error = None;
        while self.json.has_next().map_err(malformed)? {
            let name = self.json.next_name_owned().map_err(malformed)?;
            let is_null = self.json.peek().map_err(malformed)? == ValueType::Null;
            if is_null {
                self.json.next_null().map_err(malformed)?;
                continue;
            }
            match name.as_str() {
                "itemId" => item_id = Some(self.json.next_string().map_err(malformed)?),
                "changeKey" => change_key = Some(self.json.next_string().map_err(malformed)?),
                "data" => data = Some(self.data()?),
                "error" => error = Some(self.error()?),
                _ => self.json.skip_value().map_err(malformed)?,
            }
        }
        self.json.end_object().map_err(malformed)?;
        let item_id = item_id
            .ok_or_else(|| GraphError::Malformed("exportItems: an entry without itemId".into()))?;
        let data = match (data, error) {
            (_, Some(error)) => Err(error),
            (Some(Ok(data)), None) => Ok(data),
            (Some(Err(too_large)), None) => Err(too_large),
            (None, None) => {
                return Err(GraphError::Malformed(format!(
                    "exportItems: the entry for {item_id} has neither data nor error"
                )))
            }
        };
        Ok(ExportedItem {
            item_id,
            change_key,
            data,
        })
    }

    /// A `data` member, its text read piece by piece into the scratch buffer and decoded as it
    /// comes. An item over the size limit is read to its end (so the reply goes on) and
    /// reported as that item's error.
    fn data(&mut self) -> Result<Result<Chunks, ItemError>, GraphError> {
        let limit = self.max_item_bytes;
        let mut text = self.json.next_string_reader().map_err(malformed)?;
        let mut decoder = Some(Base64Decoder::new());
        let piece = &mut self.scratch;
        loop {
            let read = text.read(piece).map_err(|error| {
                GraphError::Malformed(format!("exportItems: an item's data broke off: {error}"))
            })?;
            if read == 0 {
                break;
            }
            let Some(active) = decoder.as_mut() else {
                continue;
            };
            active.push(&piece[..read]).map_err(|error| {
                GraphError::Malformed(format!("exportItems: an item's data: {error}"))
            })?;
            if active.decoded_len() > limit {
                decoder = None;
            }
        }
        let Some(decoder) = decoder else {
            return Ok(Err(ItemError {
                code: "ErrorMessageSizeExceeded".into(),
                message: format!("the item is larger than the client's limit of {limit} bytes"),
            }));
        };
        decoder
            .finish()
            .map(Ok)
            .map_err(|error| GraphError::Malformed(format!("exportItems: an item's data: {error}")))
    }

    /// A `mailTipsError` `{code, message}`.
    fn error(&mut self) -> Result<ItemError, GraphError> {
        let mut code = String::new();
        let mut message = String::new();
        self.json.begin_object().map_err(malformed)?;
        while self.json.has_next().map_err(malformed)? {
            let name = self.json.next_name_owned().map_err(malformed)?;
            match (name.as_str(), self.json.peek().map_err(malformed)?) {
                ("code", ValueType::String) => code = self.json.next_string().map_err(malformed)?,
                ("message", ValueType::String) => {
                    message = self.json.next_string().map_err(malformed)?
                }
                _ => self.json.skip_value().map_err(malformed)?,
            }
        }
        self.json.end_object().map_err(malformed)?;
        if code.is_empty() {
            code = "ErrorExportFailed".into();
        }
        Ok(ItemError { code, message })
    }
}

fn malformed(error: ReaderError) -> GraphError {
    match error {
        // A broken connection surfaces as the reader's I/O error.
        ReaderError::IoError { error, .. } => {
            GraphError::Transport(format!("exportItems: the reply broke off: {error}"))
        }
        other => GraphError::Malformed(format!("exportItems: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;

    fn parse(reply: &str, max_item_bytes: usize) -> Vec<Result<ExportedItem, GraphError>> {
        let (sender, mut receiver) = mpsc::channel(64);
        let (demand, mut demands) = mpsc::channel(64);
        for _ in 0..32 {
            demand.try_send(()).expect("room");
        }
        let mut parser = ReplyParser {
            json: JsonStreamReader::new(reply.as_bytes()),
            max_item_bytes,
            sender: &sender,
            demands: &mut demands,
            scratch: vec![0; PIECE_BYTES],
        };
        if let Err(error) = parser.reply() {
            sender.try_send(Err(error)).expect("room");
        }
        drop(sender);
        let mut all = Vec::new();
        while let Ok(entry) = receiver.try_recv() {
            all.push(entry);
        }
        all
    }

    #[test]
    fn entries_decode_in_order_with_their_errors_and_unknown_members_skipped() {
        let reply = r#"{"@odata.context":"x","value":[
            {"data":"aGk\/Pz8/","itemId":"a","changeKey":"k","extra":{"deep":[1,2]}},
            {"itemId":"b","changeKey":null,"data":null,"error":{"code":"ErrorItemNotFound","message":"gone"}}
        ]}"#;
        let entries = parse(reply, 1024);
        assert_eq!(entries.len(), 2);
        let first = entries[0].as_ref().expect("first");
        assert_eq!(first.item_id, "a");
        assert_eq!(first.change_key.as_deref(), Some("k"));
        let expected = base64::Engine::decode(&STANDARD, "aGk/Pz8/").expect("b64");
        assert_eq!(
            first.data.as_ref().expect("data").to_bytes().as_ref(),
            expected.as_slice()
        );
        let second = entries[1].as_ref().expect("second");
        assert_eq!(
            second.data.as_ref().expect_err("error").code,
            "ErrorItemNotFound"
        );
    }

    #[test]
    fn an_item_over_the_limit_is_its_own_error_and_the_rest_goes_on() {
        let big = base64::Engine::encode(&STANDARD, vec![7u8; 5000]);
        let reply = format!(
            r#"{{"value":[{{"itemId":"big","data":"{big}"}},{{"itemId":"small","data":"AAEC"}}]}}"#
        );
        let entries = parse(&reply, 4096);
        assert_eq!(
            entries[0]
                .as_ref()
                .expect("big")
                .data
                .as_ref()
                .expect_err("too large")
                .code,
            "ErrorMessageSizeExceeded"
        );
        assert_eq!(
            entries[1]
                .as_ref()
                .expect("small")
                .data
                .as_ref()
                .expect("data")
                .len(),
            3
        );
    }

    #[test]
    fn broken_replies_are_errors_not_panics() {
        for reply in [
            "",
            "[]",
            r#"{"value":{}}"#,
            r#"{"value":[{"data":"AAEC"}]}"#,
            r#"{"value":[{"itemId":"a"}]}"#,
            r#"{"value":[{"itemId":"a","data":"!!!!"}]}"#,
            r#"{"value":[{"itemId":"a","data":"AAEC"}"#,
            r#"{"other":1}"#,
            r#"{"value":[{"itemId":7,"data":"AAEC"}]}"#,
        ] {
            let entries = parse(reply, 1024);
            assert!(
                entries.iter().any(|entry| entry.is_err()),
                "{reply:?} gave {entries:?}"
            );
        }
    }
}
