//! Property test: the reply parser, fed real replies mutated at random (bytes flipped, ranges cut
//! or repeated, markup and forbidden characters inserted, truncation), returns a result or an
//! error and never panics. `ews/fuzz` runs the same parser under libFuzzer for longer.

use bytes::Bytes;
use ferry_ews::reply::any::parse_reply;
use ferry_tests::shared_dir;
use proptest::prelude::*;

fn corpus() -> &'static [Vec<u8>] {
    static CORPUS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    CORPUS.get_or_init(load_corpus)
}

fn load_corpus() -> Vec<Vec<u8>> {
    let mut replies = Vec::new();
    for folder in [
        "exchange-online",
        "export-upload",
        "throttling",
        "malformed",
    ] {
        let directory = shared_dir().join("ews/fixtures").join(folder);
        let mut paths: Vec<_> = std::fs::read_dir(directory)
            .expect("fixtures")
            .flatten()
            .map(|entry| entry.path())
            .collect();
        paths.sort();
        replies.extend(
            paths
                .into_iter()
                .filter_map(|path| std::fs::read(path).ok()),
        );
    }
    replies
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, byte: u8 },
    Cut { at: usize, len: usize },
    Repeat { at: usize, len: usize },
    Insert { at: usize, text: &'static str },
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let inserts = prop::sample::select(vec![
        "<",
        ">",
        "&",
        "&#x0;",
        "&#x1F;",
        "&bogus;",
        "\u{1}",
        "</m:Items>",
        "<t:Item>",
        "<![CDATA[",
        "]]>",
        "<!DOCTYPE x>",
        "\"",
        "=",
        "xmlns:t=\"urn:x\"",
        "AAAA====",
        "\u{FFFF}",
    ]);
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Flip { at, byte }),
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Cut { at, len }),
        (any::<usize>(), 1usize..256).prop_map(|(at, len)| Mutation::Repeat { at, len }),
        (any::<usize>(), inserts).prop_map(|(at, text)| Mutation::Insert { at, text }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for mutation in mutations {
        if bytes.is_empty() {
            break;
        }
        let position = |at: usize, len: usize| at % len;
        match *mutation {
            Mutation::Flip { at, byte } => {
                let index = position(at, bytes.len());
                bytes[index] = byte;
            }
            Mutation::Cut { at, len } => {
                let start = position(at, bytes.len());
                let end = (start + len).min(bytes.len());
                bytes.drain(start..end);
            }
            Mutation::Repeat { at, len } => {
                let start = position(at, bytes.len());
                let end = (start + len).min(bytes.len());
                let copy = bytes[start..end].to_vec();
                bytes.splice(end..end, copy);
            }
            Mutation::Insert { at, text } => {
                let index = position(at, bytes.len() + 1);
                bytes.splice(index..index, text.bytes());
            }
            Mutation::Truncate { at } => {
                let index = position(at, bytes.len());
                bytes.truncate(index);
            }
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 768, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_real_replies_never_panic(
        index in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let replies = corpus();
        let original = replies[index.index(replies.len())].clone();
        let mutated = apply(original, &mutations);
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        // A result or an error: both are fine; a panic fails the property.
        let _ = runtime.block_on(parse_reply(Bytes::from(mutated)));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        let _ = runtime.block_on(parse_reply(Bytes::from(bytes)));
    }
}
