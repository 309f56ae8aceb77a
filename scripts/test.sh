#!/usr/bin/env bash
# Runs Ferry's whole test suite on a fresh machine. It installs what the tests need itself
# (xmllint from Debian's libxml2-utils, exchangelib in a virtual environment), then checks
# formatting and lints, runs the Rust tests, and runs the Python interoperability tests.
#
#   bash scripts/test.sh
#
# CARGO_TARGET_DIR and FERRY_TEST_VENV choose where builds and the virtual environment live.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
venv="${FERRY_TEST_VENV:-$HOME/.cache/ferry-test-venv}"

step() { printf '\n==> %s\n' "$*"; }

if ! command -v xmllint >/dev/null 2>&1; then
    step "installing xmllint (libxml2-utils) for schema validation"
    sudo_cmd=""
    if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get install -y -q libxml2-utils >/dev/null 2>&1 ||
        { $sudo_cmd apt-get update -q >/dev/null && $sudo_cmd apt-get install -y -q libxml2-utils >/dev/null; }
fi

requirements="tests/python/requirements.txt"
stamp="$venv/.requirements.sha256"
wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    step "preparing the Python environment in $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements"
    echo "$wanted" >"$stamp"
fi

# The pipeline tests use the machine's RabbitMQ and Redis (FERRY_TEST_AMQP_URL and
# FERRY_TEST_REDIS_URL point elsewhere); say at once if they are not there.
answers() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
if [ -z "${FERRY_TEST_AMQP_URL:-}" ] && ! answers 127.0.0.1 5672; then
    echo "RabbitMQ does not answer on 127.0.0.1:5672; start it with: rabbitmq-server -detached" >&2
    exit 1
fi
if [ -z "${FERRY_TEST_REDIS_URL:-}" ] && ! answers 127.0.0.1 6379; then
    echo "Redis does not answer on 127.0.0.1:6379; start it with: redis-server --daemonize yes --save '' --appendonly no" >&2
    exit 1
fi

step "formatting"
cargo fmt --all -- --check

step "lints"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust tests"
cargo test --workspace --locked

step "Python interoperability tests (exchangelib against ferry sim)"
cargo build -p ferry-cli --locked
FERRY_BIN="$CARGO_TARGET_DIR/debug/ferry" "$venv/bin/python" -m pytest -q tests/python

step "all tests passed"
