"""An outside EWS client against the simulator.

exchangelib (the real one, from PyPI), pointed at `ferry sim` with a token from the simulator's
token endpoint, walks the folder tree, reads items with MIME content, creates a folder, creates an
item from MIME, exports and uploads items, and sees what the admin API says is there. Every SOAP
reply the simulator sent is finally validated against Microsoft's EWS schemas.

Run: pip install -r tests/python/requirements.txt && FERRY_BIN=<path to ferry> pytest tests/python
"""

import base64
import email
import email.policy
import email.utils
import subprocess
import uuid
from collections import Counter, defaultdict
from email.message import EmailMessage

import pytest
from exchangelib import Folder, FolderCollection, Message

from conftest import fetch_token, validate_script


def admin_path(account, folder):
    """The admin API's `path` of an exchangelib folder: names below the message-folder root, or
    [""] followed by names below the root for folders outside it; the root itself is [""]."""
    names = []
    current = folder
    while current.id != account.root.id:
        if current.id == account.msg_folder_root.id:
            return list(reversed(names))
        names.append(current.name)
        current = current.parent
        assert current is not None, f"folder {folder.name!r} has no way up to the root"
    return [""] + list(reversed(names))


def by_id(records):
    result = {r["id"]: r for r in records}
    assert len(result) == len(records), "admin API listed an id twice"
    return result


def folder_key(sim, tenant, address, folder_id):
    matches = [f for f in sim.folders(tenant, address) if f["id"] == folder_id]
    assert len(matches) == 1, f"admin API lists {len(matches)} folders with id {folder_id}"
    return matches[0]["key"]


def test_token_endpoint_issues_bearer_tokens(sim):
    for tenant in sim.connection["tenants"]:
        token = fetch_token(tenant)
        assert token["token_type"] == "Bearer"
        assert token["access_token"].count(".") == 2, "the access token is not a JWT"
        assert int(token["expires_in"]) > 300


def test_admin_api_lists_the_connection_files_mailboxes(sim):
    tenants = {t["name"]: t for t in sim.admin("tenants")}
    assert set(tenants) == {"source", "destination"}
    for tenant in sim.connection["tenants"]:
        listed = sim.admin("tenants", tenant["name"], "mailboxes")
        assert sorted(m["address"] for m in listed) == sorted(tenant["mailboxes"])
        assert tenants[tenant["name"]]["mailboxes"] == len(tenant["mailboxes"]) == 6
    source = sim.admin("tenants", "source", "mailboxes")
    assert sum(m["items"] for m in source) > 0, "the source tenant was seeded empty"


def test_walks_the_folder_tree_like_the_admin_api(sim, source_account, source_address):
    sim.expected_operations.update({"ConvertId", "GetFolder", "FindFolder", "FindItem"})
    account = source_account
    assert account.version.build is not None and account.version.build.major_version == 15

    admin_folders = by_id(sim.folders("source", source_address))
    admin_items = sim.items("source", source_address)
    items_by_key = defaultdict(set)
    for item in admin_items:
        items_by_key[item["folder_key"]].add(item["id"])

    walked = [account.root] + list(account.root.walk())
    walked_ids = [f.id for f in walked]
    assert len(walked_ids) == len(set(walked_ids)), "exchangelib saw a folder twice"
    assert set(walked_ids) == set(admin_folders), (
        f"only in EWS: {[f.name for f in walked if f.id not in admin_folders]}; "
        f"only in admin API: {[f['path'] for i, f in admin_folders.items() if i not in set(walked_ids)]}"
    )

    total_items = 0
    for folder in walked:
        expected = admin_folders[folder.id]
        label = "/".join(expected["path"]) if expected["path"] != [""] else "(root)"
        if folder.id == account.root.id:
            # Exchange gives the root an empty DisplayName; exchangelib then names it after its
            # distinguished id. The simulator must send the empty name, not a made-up one.
            assert expected["display_name"] == "" and folder.name == "root", label
        else:
            assert (folder.name or "") == expected["display_name"], label
        assert admin_path(account, folder) == expected["path"], label
        assert (folder.folder_class or "") == (expected["folder_class"] or ""), label
        assert folder.total_count == expected["items"], f"{label}: TotalCount"
        children = [f for f in walked if f.parent_folder_id and f.parent_folder_id.id == folder.id]
        if folder.child_folder_count is not None:
            assert folder.child_folder_count == len(children), f"{label}: ChildFolderCount"
        # FindItem in every folder must list exactly the items the admin API puts there.
        found = [item.id for item in folder.all().only("id")]
        assert len(found) == len(set(found)), f"{label}: FindItem listed an item twice"
        assert set(found) == items_by_key[expected["key"]], f"{label}: FindItem"
        total_items += len(found)
    assert total_items == len(admin_items) > 0

    # The well-known folders exchangelib knows by their distinguished ids are where the admin API says.
    distinguished = {f["distinguished_id"]: i for i, f in admin_folders.items() if f["distinguished_id"]}
    assert account.inbox.id == distinguished["inbox"]
    assert account.sent.id == distinguished["sentitems"]
    assert account.calendar.id == distinguished["calendar"]
    assert account.msg_folder_root.id == distinguished["msgfolderroot"]
    assert account.root.id == distinguished["root"]


def test_reads_inbox_items_with_mime_content(sim, source_account, source_address):
    sim.expected_operations.update({"FindItem", "GetItem"})
    account = source_account
    inbox_key = folder_key(sim, "source", source_address, account.inbox.id)
    expected = by_id(sim.items("source", source_address, inbox_key))
    assert expected, "the inbox of the source mailbox is empty"

    items = list(account.inbox.all().only("mime_content", "subject", "item_class", "size"))
    assert len(items) == len(expected)
    assert {item.id for item in items} == set(expected)
    for item in items:
        want = expected[item.id]
        assert item.item_class == want["item_class"]
        assert (item.subject or "") == want["subject"]
        assert item.size == want["size"]
        assert isinstance(item.mime_content, bytes) and item.mime_content, f"{item.id}: no MIME content"
        # The seeded corpus holds deliberately odd real-world MIME (unterminated multiparts, bare
        # LF line ends), so parser defects are expected; the headers must still come through.
        parsed = email.message_from_bytes(item.mime_content, policy=email.policy.default)
        assert parsed["Message-ID"] == want["internet_message_id"]
        assert (parsed["Subject"] or "") == want["subject"]
        assert parsed["Date"] is not None and parsed.get_content_type()
        for part in parsed.walk():
            if not part.is_multipart():
                part.get_payload(decode=True)  # every leaf part decodes


@pytest.fixture(scope="module")
def created_folder(source_account):
    name = f"Ferry interop ✈ {uuid.uuid4().hex[:8]}"
    folder = Folder(parent=source_account.inbox, name=name)
    folder.save()
    return folder


def test_creates_a_folder(sim, source_account, source_address, created_folder):
    sim.expected_operations.add("CreateFolder")
    assert created_folder.id, "CreateFolder returned no FolderId"
    admin_folders = by_id(sim.folders("source", source_address))
    assert created_folder.id in admin_folders, "the admin API does not list the new folder"
    listed = admin_folders[created_folder.id]
    assert listed["display_name"] == created_folder.name
    assert listed["path"] == ["Inbox", created_folder.name]
    assert listed["items"] == 0

    # A fresh FindFolder under the inbox sees it too.
    children = list(FolderCollection(account=source_account, folders=[source_account.inbox]).find_folders())
    assert [f.id for f in children if f.name == created_folder.name] == [created_folder.id]


def test_creates_an_item_from_mime(sim, source_account, source_address, created_folder):
    sim.expected_operations.update({"CreateItem", "GetItem"})
    token = uuid.uuid4().hex
    subject = f"Ferry interop – Grüße ✓ {token[:8]}"
    message_id = f"<{token}@interop.ferry.test>"
    mime = EmailMessage()
    mime["From"] = email.utils.formataddr(("Ferry Interop", "interop@example.org"))
    mime["To"] = source_address
    mime["Subject"] = subject
    mime["Message-ID"] = message_id
    mime["Date"] = email.utils.formatdate(localtime=False)
    mime.set_content(f"Created by exchangelib from MIME. {token}\n")
    mime.add_attachment(b"\x00\x01ferry\xff", maintype="application", subtype="octet-stream", filename="probe.bin")
    mime_bytes = mime.as_bytes(policy=email.policy.SMTP)

    message = Message(account=source_account, folder=created_folder, mime_content=mime_bytes)
    message.save()
    assert message.id, "CreateItem returned no ItemId"

    key = folder_key(sim, "source", source_address, created_folder.id)
    listed = sim.items("source", source_address, key)
    assert [i["id"] for i in listed] == [message.id]
    assert listed[0]["subject"] == subject
    assert listed[0]["internet_message_id"] == message_id
    assert listed[0]["item_class"] == "IPM.Note"

    fetched = list(source_account.fetch(ids=[message], only_fields=["mime_content", "subject"]))
    assert len(fetched) == 1 and not isinstance(fetched[0], Exception), fetched
    assert fetched[0].subject == subject
    parsed = email.message_from_bytes(fetched[0].mime_content, policy=email.policy.default)
    assert parsed["Message-ID"] == message_id
    assert parsed["Subject"] == subject
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None and token in body.get_content()
    attachments = [(p.get_filename(), p.get_payload(decode=True)) for p in parsed.iter_attachments()]
    assert attachments == [("probe.bin", b"\x00\x01ferry\xff")]


def test_exports_and_uploads_items_into_the_destination(
    sim, source_account, source_address, destination_account, destination_address
):
    sim.expected_operations.update({"FindItem", "ExportItems", "CreateFolder", "UploadItems"})
    source_items = list(source_account.inbox.all().only("id", "changekey"))
    assert source_items, "nothing to export"
    source_admin = by_id(sim.items("source", source_address))
    before_source = sim.mailbox_counters("source", source_address)
    before_destination = sim.mailbox_counters("destination", destination_address)

    exported = source_account.export(source_items)
    assert len(exported) == len(source_items)
    for blob in exported:
        assert isinstance(blob, str) and blob, f"ExportItems gave {blob!r}"
        assert base64.b64decode(blob, validate=True), "export data is not base64"

    target = Folder(parent=destination_account.inbox, name=f"Ferry upload {uuid.uuid4().hex[:8]}")
    target.save()
    results = destination_account.upload([(target, blob) for blob in exported])
    failures = [r for r in results if isinstance(r, Exception)]
    assert not failures, f"UploadItems failed: {failures[:3]}"
    assert len(results) == len(exported)
    new_ids = [item_id for item_id, _change_key in results]
    assert all(new_ids) and all(change_key for _item_id, change_key in results)

    key = folder_key(sim, "destination", destination_address, target.id)
    uploaded = by_id(sim.items("destination", destination_address, key))
    assert set(uploaded) == set(new_ids)
    want = [source_admin[item.id] for item in source_items]
    assert sorted(i["digest"] for i in uploaded.values()) == sorted(i["digest"] for i in want)
    assert Counter(i["internet_message_id"] for i in uploaded.values()) == Counter(
        i["internet_message_id"] for i in want
    )
    assert Counter(i["item_class"] for i in uploaded.values()) == Counter(i["item_class"] for i in want)

    # exchangelib sees them in the destination folder as well.
    assert {item.id for item in target.all().only("id")} == set(new_ids)

    after_source = sim.mailbox_counters("source", source_address)
    after_destination = sim.mailbox_counters("destination", destination_address)
    exported_delta = after_source.get("export.items", 0) - before_source.get("export.items", 0)
    imported_delta = after_destination.get("import.items", 0) - before_destination.get("import.items", 0)
    assert exported_delta == len(source_items)
    assert imported_delta == len(source_items)


def test_every_recorded_reply_validates_against_the_ews_schemas(sim):
    """Runs last (pytest keeps file order): validates every SOAP reply the simulator sent (the
    `.json` files beside them are Graph replies, which test_msgraph_sdk.py checks)."""
    replies = sorted(p for p in sim.replies_dir.iterdir() if p.is_file() and p.suffix == ".xml")
    assert replies, "the simulator recorded no replies"
    recorded_operations = {p.stem.split("-", 1)[-1] for p in replies}
    missing = sim.expected_operations - recorded_operations
    assert not missing, f"no recorded reply for {sorted(missing)} (recorded: {sorted(recorded_operations)})"

    script = validate_script()
    assert script.exists(), f"schema validator not found at {script}"
    result = subprocess.run(
        ["sh", str(script), *map(str, replies)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    problems = [line for line in (result.stdout + result.stderr).splitlines() if not line.endswith(" validates")]
    assert result.returncode == 0, (
        f"validate.sh exited {result.returncode} on {len(replies)} replies "
        "(xmllint comes from the Debian package libxml2-utils):\n" + "\n".join(problems[:60])
    )
    validated = [line for line in result.stderr.splitlines() if line.endswith(" validates")]
    assert len(validated) == len(replies)
