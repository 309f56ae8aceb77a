//! The message corpus seeded mail is made from: real-world `.eml` files, split once into the
//! headers a generated copy keeps (`Subject`, `Content-*`) and the body it shares.

use std::path::{Path, PathBuf};

use bytes::Bytes;

use crate::mime::{clean_text, summarise};

/// One corpus message, prepared for reuse by many items.
#[derive(Debug, Clone)]
pub struct CorpusMessage {
    /// Where it came from, for logs.
    pub name: String,
    /// The raw `Subject` header line(s) as found, CRLF-terminated; empty if it had none.
    pub subject_header: Bytes,
    /// The MIME headers (`MIME-Version`, `Content-*`) as found, CRLF-terminated.
    pub content_headers: Bytes,
    /// Everything after the header block, shared by every item made from this message.
    pub body: Bytes,
    /// The subject as a mail client decodes it.
    pub subject: String,
    /// Whether a parser finds attachments in it.
    pub has_attachments: bool,
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

/// Splits a raw message into the parts a generated item reuses.
fn prepare(name: String, raw: &[u8]) -> CorpusMessage {
    let (header_end, body_start) = header_block_end(raw);
    let mut subject_header = Vec::new();
    let mut content_headers = Vec::new();
    for field in header_fields(&raw[..header_end]) {
        let field_name = field
            .split(|byte| *byte == b':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let target = if field_name == b"subject" {
            &mut subject_header
        } else if field_name.starts_with(b"content-") || field_name == b"mime-version" {
            &mut content_headers
        } else {
            continue;
        };
        target.extend_from_slice(&field);
        target.extend_from_slice(b"\r\n");
    }
    if !content_headers
        .windows(12)
        .any(|window| window.eq_ignore_ascii_case(b"mime-version"))
    {
        let mut with_version = b"MIME-Version: 1.0\r\n".to_vec();
        with_version.extend_from_slice(&content_headers);
        content_headers = with_version;
    }
    let summary = summarise(raw);
    CorpusMessage {
        name,
        subject_header: Bytes::from(subject_header),
        content_headers: Bytes::from(content_headers),
        body: Bytes::copy_from_slice(&raw[body_start.min(raw.len())..]),
        subject: clean_text(summary.subject.as_deref().unwrap_or("")),
        has_attachments: summary.has_attachments,
    }
}

/// The end of the header block and the start of the body (after the blank line).
fn header_block_end(raw: &[u8]) -> (usize, usize) {
    for index in 0..raw.len() {
        if raw[index..].starts_with(b"\r\n\r\n") {
            return (index + 2, index + 4);
        }
        if raw[index..].starts_with(b"\n\n") {
            return (index + 1, index + 2);
        }
    }
    (raw.len(), raw.len())
}

/// The header fields, each with its folded continuation lines, without line terminators.
fn header_fields(block: &[u8]) -> Vec<Vec<u8>> {
    let mut fields: Vec<Vec<u8>> = Vec::new();
    for line in block.split(|byte| *byte == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if matches!(line[0], b' ' | b'\t') {
            if let Some(last) = fields.last_mut() {
                last.extend_from_slice(b"\r\n");
                last.extend_from_slice(line);
                continue;
            }
        }
        fields.push(line.to_vec());
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_subject_and_content_headers_and_shares_the_body() {
        let message = prepare(
            "t".into(),
            b"From: a@b\r\nSubject: Hello\r\n there\r\nContent-Type: text/plain\r\nX-Other: 1\r\n\r\nbody\r\n",
        );
        assert_eq!(&message.subject_header[..], b"Subject: Hello\r\n there\r\n");
        assert_eq!(
            &message.content_headers[..],
            b"MIME-Version: 1.0\r\nContent-Type: text/plain\r\n"
        );
        assert_eq!(&message.body[..], b"body\r\n");
        assert_eq!(message.subject, "Hello there");
    }

    #[test]
    fn loads_the_shared_corpus_when_present() {
        let corpus = Corpus::load(default_corpus_dir().as_deref());
        assert!(corpus.messages.len() >= 3);
        assert!(Corpus::load(Some(Path::new("/nonexistent"))).messages.len() == 3);
    }
}
