"""An outside Microsoft Graph client against the simulator.

Microsoft's msgraph-sdk (from PyPI), pointed at `ferry sim`'s `graph_url` with tokens from the
simulator's token endpoint, discovers a mailbox, walks its folder tree, reads a folder by delta
(following next and delta links), exports items, creates an import session and imports them
into the destination (a raw POST to the importUrl, without an Authorization header, as the
SDK has no builder for it), and the admin API's digests prove the copies exact. Through the
users API it reads the Inbox's REST id, creates an inbox rule that moves to it and lists it,
and lists, adds and reads calendar permissions. Every Graph reply the simulator recorded is
finally checked against Graph's v1.0 metadata.

Run: pip install -r tests/python/requirements.txt && FERRY_BIN=<path to ferry> pytest tests/python
"""

import asyncio
import base64
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

import pytest
from azure.core.credentials import AccessToken
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.admin.exchange.mailboxes.item.export_items.export_items_post_request_body import (
    ExportItemsPostRequestBody,
)
from msgraph.generated.admin.exchange.mailboxes.item.folders.folders_request_builder import FoldersRequestBuilder
from msgraph.generated.models.calendar_permission import CalendarPermission
from msgraph.generated.models.calendar_role_type import CalendarRoleType
from msgraph.generated.models.email_address import EmailAddress
from msgraph.generated.models.importance import Importance
from msgraph.generated.models.message_rule import MessageRule
from msgraph.generated.models.message_rule_actions import MessageRuleActions
from msgraph.generated.models.message_rule_predicates import MessageRulePredicates

from conftest import REPO_ROOT

GRAPH_SCOPE = "https://graph.microsoft.com/.default"

# The SDK warns at import of its own request builders; nothing the test does causes it.
pytestmark = pytest.mark.filterwarnings("ignore:This class is deprecated:DeprecationWarning")


class SimulatorCredential:
    """A `TokenCredential` over the simulator's token endpoint (client credentials).

    azure-identity's credentials insist on an https authority, so the test asks the token
    endpoint itself, exactly as a confidential client asks Entra ID; the token is reused until
    shortly before it expires."""

    def __init__(self, tenant):
        self._tenant = tenant
        self._token = None
        self.scopes_asked = set()

    def get_token(self, *scopes, claims=None, tenant_id=None, enable_cae=False, **kwargs):
        self.scopes_asked.update(scopes)
        if self._token is None or self._token.expires_on - 60 < time.time():
            form = urllib.parse.urlencode(
                {
                    "grant_type": "client_credentials",
                    "client_id": self._tenant["client_id"],
                    "client_secret": self._tenant["client_secret"],
                    "scope": " ".join(scopes),
                }
            ).encode()
            request = urllib.request.Request(self._tenant["token_url"], data=form)
            with urllib.request.urlopen(request, timeout=30) as reply:
                body = json.load(reply)
            self._token = AccessToken(body["access_token"], int(time.time()) + int(body["expires_in"]))
        return self._token

    def close(self):
        pass


def graph_client(sim, tenant_name):
    """A GraphServiceClient whose base URL is the tenant's `graph_url`; the SDK's own middleware
    (retries, redirects, telemetry) stays as it ships."""
    credential = SimulatorCredential(sim.tenant(tenant_name))
    client = GraphServiceClient(credentials=credential, scopes=[GRAPH_SCOPE])
    client.request_adapter.base_url = sim.tenant(tenant_name)["graph_url"]
    return client, credential


def run(coroutine_function, *arguments):
    """Each test builds its client inside its own event loop (httpx clients belong to one)."""
    return asyncio.run(coroutine_function(*arguments))


def admin_mailbox(sim, tenant, address):
    matches = [m for m in sim.admin("tenants", tenant, "mailboxes") if m["address"] == address]
    assert len(matches) == 1
    return matches[0]


def ews_id(graph_id):
    """The admin API lists EWS ids; Graph writes the same id in URL-safe base64."""
    return graph_id.replace("-", "+").replace("_", "/")


@pytest.fixture(scope="module")
def mailbox(sim, source_address):
    return admin_mailbox(sim, "source", source_address)


def test_discovery_finds_the_mailbox_and_the_folder_tree_pages(sim, source_address, mailbox):
    async def walk():
        client, credential = graph_client(sim, "source")
        settings = await client.users.by_user_id(source_address.upper()).settings.exchange.get()
        assert settings.primary_mailbox_id == mailbox["graph_mailbox_id"]
        folders_builder = client.admin.exchange.mailboxes.by_mailbox_id(settings.primary_mailbox_id).folders
        page = await folders_builder.get(
            RequestConfiguration(query_parameters=FoldersRequestBuilder.FoldersRequestBuilderGetQueryParameters(top=4))
        )
        folders = list(page.value)
        while page.odata_next_link:
            page = await folders_builder.with_url(page.odata_next_link).get()
            folders.extend(page.value)
        inbox_children = await folders_builder.by_mailbox_folder_id("inbox").child_folders.get()
        assert credential.scopes_asked == {GRAPH_SCOPE}
        return folders, inbox_children.value

    folders, inbox_children = run(walk)
    admin_folders = sim.folders("source", mailbox["address"])
    assert len(folders) == len(admin_folders) - 1, "every folder but the mailbox root"
    ids = {folder.id for folder in folders}
    assert len(ids) == len(folders)
    assert len({folder.parent_folder_id for folder in folders} - ids) == 1, "only the root is not listed"
    by_name = {folder.well_known_name: folder for folder in folders if folder.well_known_name}
    assert {"inbox", "sentitems", "calendar", "contacts", "deleteditems"} <= set(by_name)
    inbox = by_name["inbox"]
    assert inbox.child_folder_count == len(inbox_children)
    assert all(child.parent_folder_id == inbox.id for child in inbox_children)
    admin_inbox = [f for f in admin_folders if f["distinguished_id"] == "inbox"][0]
    assert inbox.total_item_count == admin_inbox["items"]


def test_items_delta_follows_next_and_delta_links(sim, mailbox):
    async def sync():
        client, _ = graph_client(sim, "source")
        items = client.admin.exchange.mailboxes.by_mailbox_id(mailbox["graph_mailbox_id"]).folders.by_mailbox_folder_id("inbox").items
        configuration = RequestConfiguration()
        configuration.headers.add("Prefer", "odata.maxpagesize=7")
        page = await items.delta.get(configuration)
        seen, pages = [], 1
        while page.odata_next_link:
            assert page.odata_delta_link is None
            seen.extend(page.value)
            page = await items.delta.with_url(page.odata_next_link).get()
            pages += 1
        seen.extend(page.value)
        assert page.odata_delta_link, "the last page carries the delta link"
        again = await items.delta.with_url(page.odata_delta_link).get()
        return seen, pages, again

    seen, pages, again = run(sync)
    inbox_items = sim.items("source", mailbox["address"], "{inbox}")
    assert {ews_id(item.id) for item in seen} == {item["id"] for item in inbox_items}
    assert pages >= len(inbox_items) // 7
    assert all(item.size and item.type and item.change_key for item in seen)
    assert again.value == [] and again.odata_delta_link, "nothing changed since the last round"


def test_exported_items_import_into_the_destination_exactly(sim, mailbox, destination_address):
    source_items = sim.items("source", mailbox["address"], "{inbox}")[:5]
    assert source_items, "the source inbox has items"
    destination = admin_mailbox(sim, "destination", destination_address)

    async def export_and_open_session():
        client, _ = graph_client(sim, "source")
        exported = await client.admin.exchange.mailboxes.by_mailbox_id(mailbox["graph_mailbox_id"]).export_items.post(
            ExportItemsPostRequestBody(item_ids=[item["id"].replace("+", "-").replace("/", "_") for item in source_items])
        )
        destination_client, _ = graph_client(sim, "destination")
        session = await destination_client.admin.exchange.mailboxes.by_mailbox_id(
            destination["graph_mailbox_id"]
        ).create_import_session.post()
        return exported.value, session

    exported, session = run(export_and_open_session)
    assert [ews_id(entry.item_id) for entry in exported] == [item["id"] for item in source_items]
    assert all(entry.error is None and entry.data for entry in exported)
    assert session.expiration_date_time.timestamp() > time.time()
    assert "/importItem?authtoken=" in session.import_url

    imported = []
    for entry in exported:
        body = json.dumps({"FolderId": "inbox", "Mode": "create", "Data": base64.b64encode(entry.data).decode()}).encode()
        request = urllib.request.Request(session.import_url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as reply:
            assert reply.status == 200
            imported.append(json.load(reply))
    assert all(set(reply) == {"@odata.context", "itemId", "changeKey"} for reply in imported)

    copies = {item["id"]: item for item in sim.items("destination", destination_address, "{inbox}")}
    for reply, original in zip(imported, source_items):
        copy = copies[ews_id(reply["itemId"])]
        assert copy["digest"] == original["digest"], f"{original['subject']!r} was not copied exactly"

    wrong = session.import_url.rsplit("=", 1)[0] + "=not-the-token"
    request = urllib.request.Request(wrong, data=body, headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 401
    assert json.load(refused.value)["error"]["code"] == "InvalidAuthenticationToken"


def test_inbox_rules_and_calendar_permissions_through_the_users_api(sim, source_address):
    async def work():
        client, _ = graph_client(sim, "source")
        user = client.users.by_user_id(source_address)
        inbox = await user.mail_folders.by_mail_folder_id("inbox").get()
        rules = user.mail_folders.by_mail_folder_id("inbox").message_rules
        existing = await rules.get()
        created = await rules.post(
            MessageRule(
                display_name="Filed by msgraph-sdk",
                sequence=len(existing.value) + 1,
                is_enabled=True,
                conditions=MessageRulePredicates(subject_contains=["sdk report"], importance=Importance.High),
                actions=MessageRuleActions(move_to_folder=inbox.id, stop_processing_rules=True),
            )
        )
        listed = await rules.get()
        permissions = user.calendar.calendar_permissions
        before = await permissions.get()
        taken = {(entry.email_address.address or "").lower() for entry in before.value}
        colleague = next(
            m["address"] for m in sim.admin("tenants", "source", "mailboxes")
            if m["address"] != source_address and m["address"].lower() not in taken
        )
        added = await permissions.post(
            CalendarPermission(email_address=EmailAddress(address=colleague), role=CalendarRoleType.Read)
        )
        read_back = await permissions.by_calendar_permission_id(added.id).get()
        return inbox, created, listed.value, before.value, colleague, added, read_back

    inbox, created, listed, before, colleague, added, read_back = run(work)
    admin_inbox = [f for f in sim.folders("source", source_address) if f["distinguished_id"] == "inbox"][0]
    assert inbox.display_name == admin_inbox["display_name"]
    assert inbox.id and ews_id(inbox.id) != admin_inbox["id"], "the users API's REST id is its own"
    assert created.id and created.actions.move_to_folder == inbox.id
    assert created.conditions.subject_contains == ["sdk report"]
    assert created.conditions.importance == Importance.High
    found = [rule for rule in listed if rule.id == created.id]
    assert len(found) == 1 and found[0].display_name == "Filed by msgraph-sdk"
    assert found[0].actions.move_to_folder == inbox.id and found[0].actions.stop_processing_rules
    assert [rule.sequence for rule in listed] == sorted(rule.sequence for rule in listed)
    default = [entry for entry in before if entry.id == "RGVmYXVsdA=="]
    assert len(default) == 1 and default[0].is_removable is False
    assert added.role == CalendarRoleType.Read and added.is_inside_organization
    assert added.email_address.address.lower() == colleague.lower()
    assert read_back.id == added.id and read_back.role == CalendarRoleType.Read
    assert CalendarRoleType.DelegateWithPrivateEventAccess in read_back.allowed_roles
    calendar = [f for f in sim.folders("source", source_address) if f["distinguished_id"] == "calendar"][0]
    assert any(entry.lower() == f"{colleague.lower()}:reviewer" for entry in calendar["permissions"]), calendar["permissions"]


def graph_validator():
    if os.environ.get("FERRY_SHARED_DIR"):
        return Path(os.environ["FERRY_SHARED_DIR"]) / "graph" / "validate.py"
    return REPO_ROOT.parent / "shared" / "graph" / "validate.py"


# The metadata type of each recorded Graph operation; import and error replies are not CSDL
# types and are checked by shape instead.
REPLY_TYPES = {
    "listFolders": ("mailboxFolder", "--collection"),
    "listChildFolders": ("mailboxFolder", "--collection"),
    "folderDelta": ("mailboxFolder", "--collection"),
    "childFolderDelta": ("mailboxFolder", "--collection"),
    "getFolder": ("mailboxFolder", "--single"),
    "createFolder": ("mailboxFolder", "--single"),
    "updateFolder": ("mailboxFolder", "--single"),
    "listItems": ("mailboxItem", "--collection"),
    "itemDelta": ("mailboxItem", "--collection"),
    "getItem": ("mailboxItem", "--single"),
    "exportItems": ("exportItemResponse", "--collection"),
    "createImportSession": ("mailboxItemImportSession", "--single"),
    "exchangeSettings": ("exchangeSettings", "--single"),
    "getMailFolder": ("mailFolder", "--single"),
    "translateExchangeIds": ("convertIdResult", "--collection"),
    "listMessageRules": ("messageRule", "--collection"),
    "getMessageRule": ("messageRule", "--single"),
    "createMessageRule": ("messageRule", "--single"),
    "updateMessageRule": ("messageRule", "--single"),
    "listCalendarPermissions": ("calendarPermission", "--collection"),
    "getCalendarPermission": ("calendarPermission", "--single"),
    "createCalendarPermission": ("calendarPermission", "--single"),
    "updateCalendarPermission": ("calendarPermission", "--single"),
}


def test_every_recorded_graph_reply_conforms_to_the_metadata(sim):
    """Runs last in this file: checks every Graph reply the simulator recorded."""
    replies = sorted(p for p in sim.replies_dir.iterdir() if p.suffix == ".json")
    groups = defaultdict(list)
    for path in replies:
        operation = path.stem.split("-", 1)[-1]
        if operation in REPLY_TYPES:
            groups[REPLY_TYPES[operation]].append(path)
        elif operation == "importItem":
            assert set(json.loads(path.read_text())) == {"@odata.context", "itemId", "changeKey"}
        else:
            assert operation == "Error", f"no metadata type for {operation}"
            assert {"code", "message", "innerError"} <= set(json.loads(path.read_text())["error"])
    assert {
        "exchangeSettings",
        "listFolders",
        "itemDelta",
        "exportItems",
        "getMailFolder",
        "createMessageRule",
        "listMessageRules",
        "createCalendarPermission",
        "getCalendarPermission",
    } <= {
        p.stem.split("-", 1)[-1] for p in replies
    }
    script = graph_validator()
    assert script.exists(), f"Graph validator not found at {script}"
    for (type_name, shape), paths in sorted(groups.items()):
        result = subprocess.run(
            [sys.executable, str(script), "--allow-doc-extras", shape, type_name, *map(str, paths)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"{type_name} replies fail the v1.0 metadata:\n{result.stdout}{result.stderr}"
