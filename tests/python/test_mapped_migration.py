"""exchangelib reads a migration that mapped recipients.

`ferry demo` migrates a seeded contoso.com tenant to fabrikam.com with the mapping
`@contoso.com->@fabrikam.com` (and the tenant's earlier domain), then keeps its simulator serving.
exchangelib, on the destination tenant, reads every migrated item's people (sender, From, To,
Cc, Bcc, Reply-To, organiser, attendees, contact e-mail addresses) and MIME headers: none names a
contoso address or a contoso mailbox's legacyExchangeDN, outside addresses are kept, and a reply
created at the destination to a migrated mail is addressed to the sender's destination mailbox.
"""

import email
import email.policy
import subprocess

import pytest
from exchangelib import CalendarItem, Contact, Message

from conftest import make_account, serving, validate_script

MAPPING = ["@contoso.com->@fabrikam.com", "@contoso-legacy.com->@fabrikam.com"]
SOURCE_DOMAINS = ("@contoso.com", "@contoso-legacy.com")
MIGRATION_TIMEOUT_SECS = 600


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    arguments = ["demo", "--mailboxes", "5", "--items-median", "40", "--workers", "2", "--keep-serving"]
    for expression in MAPPING:
        arguments += ["--recipient-mapping", expression]
    # The demo writes the connection file once the migration is done and verified.
    with serving(arguments, tmp_path_factory.mktemp("ferry-demo"), "did not finish", MIGRATION_TIMEOUT_SECS) as demo:
        output = demo.log_path.read_text(errors="replace")
        assert "none naming a mapped source mailbox" in output, output
        yield demo


def users(migrated, tenant):
    return [m for m in migrated.admin("tenants", tenant, "mailboxes") if m["kind"] == "user"]


def source_exchange_addresses(migrated):
    """Every legacyExchangeDN and X500 proxy of the source tenant's mailboxes, lower case."""
    found = set()
    for mailbox in migrated.admin("tenants", "source", "mailboxes"):
        found.add(mailbox["legacy_dn"].lower())
        found.update(x500.lower() for x500 in mailbox.get("x500_addresses", []))
    return found


def people(item):
    """(role, Mailbox) for everyone an exchangelib item names."""
    named = []
    if isinstance(item, Message):
        for role in ("sender", "author"):
            if getattr(item, role, None) is not None:
                named.append((role, getattr(item, role)))
        for role in ("to_recipients", "cc_recipients", "bcc_recipients", "reply_to"):
            named.extend((role, mailbox) for mailbox in getattr(item, role, None) or [])
    elif isinstance(item, CalendarItem):
        if item.organizer is not None:
            named.append(("organizer", item.organizer))
        for role in ("required_attendees", "optional_attendees", "resources"):
            named.extend((role, attendee.mailbox) for attendee in getattr(item, role, None) or [])
    elif isinstance(item, Contact):
        named.extend(("email_addresses", entry) for entry in item.email_addresses or [])
    return named


def address_of(mailbox):
    return (getattr(mailbox, "email_address", None) or getattr(mailbox, "email", None) or "").lower()


def read_people(account):
    named = []
    for folder in (account.inbox, account.sent, account.drafts, account.calendar, account.contacts):
        for item in folder.all():
            named.extend(people(item))
    return named


def test_migrated_items_name_only_destination_and_outside_addresses(migrated):
    exchange_dns = source_exchange_addresses(migrated)
    checked = mapped = outside = 0
    for mailbox in users(migrated, "destination"):
        account = make_account(migrated, "destination", mailbox["address"])
        for role, person in read_people(account):
            address = address_of(person)
            if not address:
                continue
            checked += 1
            assert not address.endswith(SOURCE_DOMAINS), f"{mailbox['address']} {role}: {address}"
            assert address not in exchange_dns, f"{mailbox['address']} {role} is a source EX address"
            if address.endswith("@fabrikam.com"):
                mapped += 1
            else:
                outside += 1
    assert checked > 200, f"only {checked} addresses read"
    assert mapped > 50, f"only {mapped} addresses are the destination's"
    assert outside > 10, f"only {outside} outside addresses: they must be kept"


def test_the_source_named_contoso_so_the_check_above_means_something(migrated):
    mailbox = users(migrated, "source")[0]
    account = make_account(migrated, "source", mailbox["address"])
    addresses = [address_of(person) for _, person in read_people(account)]
    assert any(address.endswith(SOURCE_DOMAINS) for address in addresses), addresses[:20]


def test_mime_headers_name_the_destination(migrated):
    checked = 0
    for mailbox in users(migrated, "destination"):
        account = make_account(migrated, "destination", mailbox["address"])
        for item in account.inbox.all().only("mime_content")[:25]:
            headers = email.message_from_bytes(item.mime_content, policy=email.policy.default)
            for name in ("From", "Sender", "To", "Cc"):
                value = str(headers.get(name) or "").lower()
                assert "contoso" not in value, f"{name}: {value}"
            checked += 1
    assert checked > 20


def test_a_reply_at_the_destination_goes_to_the_destination_mailbox(migrated):
    destination_addresses = {m["address"].lower() for m in migrated.admin("tenants", "destination", "mailboxes")}
    for mailbox in users(migrated, "destination"):
        account = make_account(migrated, "destination", mailbox["address"])
        original = next(
            (
                message
                for message in account.inbox.all()
                if isinstance(message, Message)
                and message.author is not None
                and address_of(message.author) in destination_addresses
                and address_of(message.author) != mailbox["address"].lower()
            ),
            None,
        )
        if original is None:
            continue
        subject = f"RE: {original.subject} ({mailbox['address']})"
        original.create_reply(subject=subject, body="Thanks, on it.").save(account.drafts)
        drafts = [draft for draft in account.drafts.all() if draft.subject == subject]
        assert len(drafts) == 1, f"{len(drafts)} drafts with the reply's subject"
        recipients = [address_of(person) for person in drafts[0].to_recipients or []]
        assert recipients == [address_of(original.author)], recipients
        assert recipients[0] in destination_addresses, "the reply goes to a destination mailbox"
        return
    pytest.fail("no migrated mail from a colleague to reply to")


def test_every_recorded_reply_validates_against_the_ews_schemas(migrated):
    replies = sorted(migrated.replies_dir.glob("*.xml"))
    assert len(replies) > 100, f"only {len(replies)} replies recorded"
    for start in range(0, len(replies), 200):
        batch = [str(path) for path in replies[start : start + 200]]
        result = subprocess.run(["bash", str(validate_script()), *batch], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
