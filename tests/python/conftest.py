"""Fixtures for the Python interoperability tests: a running `ferry sim`, its admin API, and
exchangelib accounts authenticated with tokens from the simulator's own token endpoint.

The simulator binary comes from FERRY_BIN, else $CARGO_TARGET_DIR/debug/ferry, else
<repo>/target/debug/ferry.
"""

import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

# The simulator serves plain http on 127.0.0.1; oauthlib refuses to attach a bearer token to a
# non-https URL unless told that insecure transport is acceptable.
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

from exchangelib import (  # noqa: E402  (must come after the environment is set)
    IMPERSONATION,
    OAUTH2,
    Account,
    Configuration,
    Identity,
    OAuth2Credentials,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECS = 60
EWS_SCOPE = "https://outlook.office365.com/.default"


def ferry_binary():
    """Where the `ferry` binary is: FERRY_BIN, then $CARGO_TARGET_DIR/debug/ferry, then the repo's target/."""
    if os.environ.get("FERRY_BIN"):
        return Path(os.environ["FERRY_BIN"])
    if os.environ.get("CARGO_TARGET_DIR"):
        return Path(os.environ["CARGO_TARGET_DIR"]) / "debug" / "ferry"
    return REPO_ROOT / "target" / "debug" / "ferry"


def validate_script():
    """Microsoft-schema validator of whole SOAP envelopes, kept in shared/ beside the repository."""
    if os.environ.get("FERRY_EWS_VALIDATE"):
        return Path(os.environ["FERRY_EWS_VALIDATE"])
    if os.environ.get("FERRY_SHARED_DIR"):
        return Path(os.environ["FERRY_SHARED_DIR"]) / "ews" / "validate.sh"
    return REPO_ROOT.parent / "shared" / "ews" / "validate.sh"


class Simulator:
    """A running `ferry sim` process and what its connection file says about it."""

    def __init__(self, process, connection, replies_dir, log_path):
        self.process = process
        self.connection = connection
        self.replies_dir = replies_dir
        self.log_path = log_path
        self.admin_url = connection["admin_url"]
        # Operations whose replies the tests expect to find among the recorded replies.
        self.expected_operations = set()

    def tenant(self, name):
        matches = [t for t in self.connection["tenants"] if t["name"] == name]
        assert len(matches) == 1, f"connection file has no single tenant named {name!r}"
        return matches[0]

    def admin(self, *segments, **query):
        """GET a JSON document from the admin API; path segments are percent-encoded."""
        path = "/".join(urllib.parse.quote(str(s), safe="@") for s in segments)
        url = f"{self.admin_url}/{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        with urllib.request.urlopen(url, timeout=30) as reply:
            assert reply.status == 200, f"admin API {url} answered {reply.status}"
            return json.load(reply)

    def folders(self, tenant, address):
        return self.admin("tenants", tenant, "mailboxes", address, "folders")

    def items(self, tenant, address, folder_key=None):
        if folder_key is None:
            return self.admin("tenants", tenant, "mailboxes", address, "items")
        return self.admin("tenants", tenant, "mailboxes", address, "items", folder=folder_key)

    def mailbox_counters(self, tenant, address):
        for entry in self.admin("counters"):
            if entry["tenant"] == tenant:
                return dict(entry["mailboxes"].get(address, {}))
        raise AssertionError(f"counters have no tenant {tenant!r}")

    def log_tail(self, chars=4000):
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


@contextlib.contextmanager
def serving(arguments, workdir, what, timeout_secs):
    """Runs `ferry <arguments> --connection-file ... --record-replies ...` in `workdir` and yields a
    `Simulator` once the connection file is written; SIGTERM (then kill) when done."""
    binary = ferry_binary()
    if not binary.exists():
        pytest.fail(
            f"ferry binary not found at {binary}; build it with `cargo build -p ferry-cli` "
            "or point FERRY_BIN at it"
        )
    connection_file = workdir / "connection.json"
    replies_dir = workdir / "replies"
    replies_dir.mkdir()
    log_path = workdir / f"{arguments[0]}.log"
    log = open(log_path, "wb")
    command = [str(binary), *arguments, "--connection-file", str(connection_file), "--record-replies", str(replies_dir)]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        connection = None
        deadline = time.monotonic() + timeout_secs
        while connection is None:
            if process.poll() is not None:
                pytest.fail(f"ferry {arguments[0]} exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
            if time.monotonic() > deadline:
                pytest.fail(f"ferry {arguments[0]} {what} within {timeout_secs}s")
            if connection_file.exists():
                try:
                    connection = json.loads(connection_file.read_text())
                except ValueError:
                    connection = None  # still being written
            if connection is None:
                time.sleep(0.1)
        yield Simulator(process, connection, replies_dir, log_path)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


@pytest.fixture(scope="session")
def sim(tmp_path_factory):
    arguments = ["sim", "--listen", "127.0.0.1:0", "--mailboxes", "6", "--items-median", "40"]
    with serving(arguments, tmp_path_factory.mktemp("ferry-sim"), "wrote no connection file", STARTUP_TIMEOUT_SECS) as simulator:
        yield simulator


def fetch_token(tenant):
    """Client-credentials grant against the tenant's token endpoint, as Entra ID would be asked."""
    form = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": tenant["client_id"],
            "client_secret": tenant["client_secret"],
            "scope": EWS_SCOPE,
        }
    ).encode()
    request = urllib.request.Request(
        tenant["token_url"],
        data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        assert reply.status == 200
        return json.load(reply)


class SimulatorOAuth2Credentials(OAuth2Credentials):
    """exchangelib's client-credentials OAuth2, refreshing against the simulator's token endpoint
    instead of login.microsoftonline.com (the only thing that differs from a real tenant)."""

    def __init__(self, token_url, **kwargs):
        super().__init__(**kwargs)
        self._sim_token_url = token_url

    @property
    def token_url(self):
        return self._sim_token_url


def make_account(sim, tenant_name, address):
    """An exchangelib Account on `address`, authenticated app-only with a token we fetched ourselves.

    App-only tokens need EWS impersonation: the account uses IMPERSONATION, and the credentials
    carry the impersonated identity too, because exchangelib's first request (ConvertId, to learn
    the server version) is made before any account exists and Exchange Online refuses an app-only
    token without an ExchangeImpersonation header.
    """
    tenant = sim.tenant(tenant_name)
    token = fetch_token(tenant)
    credentials = SimulatorOAuth2Credentials(
        token_url=tenant["token_url"],
        client_id=tenant["client_id"],
        client_secret=tenant["client_secret"],
        tenant_id=tenant["tenant_id"],
        identity=Identity(primary_smtp_address=address),
        access_token=token,
    )
    config = Configuration(
        service_endpoint=tenant["ews_url"],
        credentials=credentials,
        auth_type=OAUTH2,
    )
    return Account(
        primary_smtp_address=address,
        config=config,
        autodiscover=False,
        access_type=IMPERSONATION,
    )


@pytest.fixture(scope="session")
def source_address(sim):
    """The source tenant's user mailbox with the most items."""
    mailboxes = sim.admin("tenants", "source", "mailboxes")
    users = [m for m in mailboxes if m["kind"] == "user"] or mailboxes
    return max(users, key=lambda m: (m["items"], m["folders"]))["address"]


@pytest.fixture(scope="session")
def source_account(sim, source_address):
    return make_account(sim, "source", source_address)


@pytest.fixture(scope="session")
def destination_address(sim, source_address):
    """The destination mailbox with the same local part as the source mailbox."""
    local = source_address.split("@")[0]
    matches = [a for a in sim.tenant("destination")["mailboxes"] if a.split("@")[0] == local]
    assert matches, f"destination tenant has no mailbox for {local}"
    return matches[0]


@pytest.fixture(scope="session")
def destination_account(sim, destination_address):
    return make_account(sim, "destination", destination_address)

