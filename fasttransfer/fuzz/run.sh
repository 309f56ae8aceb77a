#!/usr/bin/env bash
# Fuzzes export-data framing and the FastTransfer stream reader, seeded with the two real
# exports in ../shared (decoded into the fuzz work directory at run time, never into the
# repository): each whole export, and its message block alone as a bare stream.
#
#   bash fasttransfer/fuzz/run.sh [seconds]      (default 120)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`); RUSTC_BOOTSTRAP lets the stable toolchain build
# with the sanitizer flags cargo-fuzz passes.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-120}"
shared="${FERRY_SHARED_DIR:-$(cd ../../.. && pwd)/shared}"
fixture="$shared/ews/fixtures/export-upload/ExportItemsResponse.xml"
corpus="${CARGO_TARGET_DIR:-target}/fuzz-corpus/export_stream"
mkdir -p "$corpus"
n=0
# One <m:Data> element per line, then base64 without the tags and whitespace.
tr -d '\r\n' < "$fixture" | grep -o '<m:Data>[^<]*</m:Data>' | while read -r element; do
    n=$((n + 1))
    body="${element#<m:Data>}"
    body="${body%</m:Data>}"
    printf '%s' "$body" | tr -d ' \t' | base64 -d > "$corpus/real-export-$n"
    # Blocks 1, 3 and 4 and the message block's header take the first 70 bytes.
    tail -c +71 "$corpus/real-export-$n" > "$corpus/real-message-$n"
done
RUSTC_BOOTSTRAP=1 cargo fuzz run export_stream "$corpus" -- -max_total_time="$seconds" -rss_limit_mb=2048
