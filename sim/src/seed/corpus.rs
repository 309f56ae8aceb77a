//! The message corpus seeded mail is made from: real-world `.eml` files, each converted once
//! into the store model (subject, bodies, attachments, nested messages, transport headers), a
//! template every item made from it clones and addresses anew.

use std::path::{Path, PathBuf};

use crate::mime::import::message_from_mime;
use crate::model::address::MESSAGE_GROUPS;
use crate::model::tags::tag;
use crate::model::{Message, PropertyKey};

/// One corpus message, prepared for reuse by many items.
#[derive(Debug, Clone)]
pub struct CorpusMessage {
    /// Where it came from, for logs.
    pub name: String,
    /// The message without its people: subject, bodies, attachments and headers. Values are
    /// shared, so a clone costs no copy of the content.
    pub template: Message,
}

impl CorpusMessage {
    /// The subject.
    pub fn subject(&self) -> &str {
        self.template.text(tag::SUBJECT).unwrap_or("")
    }
}

/// The corpus, in a stable order.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// The messages, sorted by file name.
    pub messages: Vec<CorpusMessage>,
}

/// The shared corpus beside the project root, if this is a checkout that has it.
pub fn default_corpus_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("FERRY_SHARED_DIR")
            .map(|shared| PathBuf::from(shared).join("corpora/eml"))
            .unwrap_or_default(),
        PathBuf::from("../shared/corpora/eml"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora/eml"),
    ];
    candidates
        .into_iter()
        .find(|path| !path.as_os_str().is_empty() && path.is_dir())
}

impl Corpus {
    /// Loads every `.eml` below `directory`, or a small built-in corpus if there is none.
    pub fn load(directory: Option<&Path>) -> Corpus {
        let mut files = Vec::new();
        if let Some(directory) = directory {
            collect_eml_files(directory, &mut files);
        }
        files.sort();
        let messages: Vec<CorpusMessage> = files
            .iter()
            .filter_map(|path| {
                let raw = std::fs::read(path).ok()?;
                let name = path
                    .strip_prefix(directory.unwrap_or(Path::new("")))
                    .unwrap_or(path)
                    .display()
                    .to_string();
                Some(prepare(name, &raw))
            })
            .collect();
        if messages.is_empty() {
            tracing::warn!("no message corpus found; seeding mail from the built-in samples");
            return Corpus::builtin();
        }
        Corpus { messages }
    }

    /// A few plain messages, for machines without the shared corpus.
    pub fn builtin() -> Corpus {
        let samples: [&[u8]; 3] = [
            b"Subject: Quarterly numbers\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHi all,\r\n\r\nthe quarterly numbers are attached to the wiki page.\r\n",
            b"Subject: =?utf-8?q?R=C3=A9union_de_lundi?=\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Bonjour,</p><p>la r\xc3\xa9union est d\xc3\xa9plac\xc3\xa9e.</p></body></html>\r\n",
            b"Subject: Lunch?\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nLunch at noon?\r\n--b1\r\nContent-Type: text/html\r\n\r\n<p>Lunch at noon?</p>\r\n--b1--\r\n",
        ];
        Corpus {
            messages: samples
                .iter()
                .enumerate()
                .map(|(index, raw)| prepare(format!("builtin-{index}"), raw))
                .collect(),
        }
    }
}

fn collect_eml_files(directory: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_eml_files(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "eml") {
            files.push(path);
        }
    }
}

/// Converts a raw message into a template: everything but its people, dates and ids, which
/// each seeded item sets for itself.
fn prepare(name: String, raw: &[u8]) -> CorpusMessage {
    let mut template = message_from_mime(raw, "IPM.Note");
    template.recipients.clear();
    for id in [
        tag::MESSAGE_DELIVERY_TIME,
        tag::CLIENT_SUBMIT_TIME,
        tag::INTERNET_MESSAGE_ID,
        tag::REPLY_RECIPIENT_ENTRIES,
        tag::REPLY_RECIPIENT_NAMES,
    ] {
        template.props.remove(&PropertyKey::Tag(id));
    }
    template
        .props
        .retain(|key, _| !MESSAGE_GROUPS.iter().any(|group| group.ids().contains(key)));
    CorpusMessage { name, template }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_keep_content_and_drop_people() {
        let message = prepare(
            "t".into(),
            b"From: a@b.example\r\nTo: c@d.example\r\nSubject: Hello\r\n there\r\nContent-Type: text/plain\r\nX-Other: 1\r\n\r\nbody\r\n",
        );
        assert_eq!(message.subject(), "Hello there");
        assert_eq!(message.template.text(tag::BODY), Some("body\r\n"));
        assert!(message.template.recipients.is_empty());
        assert!(message.template.text(tag::SENDER_NAME).is_none());
        assert!(message
            .template
            .text(tag::TRANSPORT_MESSAGE_HEADERS)
            .is_some_and(|headers| headers.contains("X-Other: 1")));
    }

    #[test]
    fn loads_the_shared_corpus_when_present() {
        let corpus = Corpus::load(default_corpus_dir().as_deref());
        assert!(corpus.messages.len() >= 3);
        assert!(Corpus::load(Some(Path::new("/nonexistent"))).messages.len() == 3);
    }
}
