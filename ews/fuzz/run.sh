#!/usr/bin/env bash
# Fuzzes the EWS reply parser, seeded with the real replies in ../shared (copied into the fuzz
# work directory, never into the repository).
#
#   bash ews/fuzz/run.sh [seconds]      (default 120)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`); RUSTC_BOOTSTRAP lets the stable toolchain build
# with the sanitizer flags cargo-fuzz passes.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-120}"
shared="${FERRY_SHARED_DIR:-$(cd ../../.. && pwd)/shared}"
corpus="${CARGO_TARGET_DIR:-target}/fuzz-corpus/reply_parser"
mkdir -p "$corpus"
find "$shared/ews/fixtures" -name '*.xml' -exec cp -n {} "$corpus/" \;
RUSTC_BOOTSTRAP=1 cargo fuzz run reply_parser "$corpus" -- -max_total_time="$seconds" -rss_limit_mb=2048
