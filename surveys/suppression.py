"""The suppression list: people erased on request, never imported or surveyed again.

An entry holds a hash of the normalised email address, not the address: the list must
not keep what the erasure removed. The hash is SHA-256 with a fixed pepper, so that the
same address always gives the same entry (whatever SECRET_KEY is, and after it rotates)
while a list of plain SHA-256 hashes of common addresses does not match it.
The customer file import leaves these people out (surveys.book_import), and wave
planning skips them (surveys.planning), even in a contact an administrator added by hand.
"""

import hashlib
from collections.abc import Iterable

from .batching import chunks
from .models import Contact, Suppression

_PEPPER = b"pulse-suppression-v1:"
_LOOKUP_CHUNK = 5000


def suppression_hash(email: str) -> str:
    return hashlib.sha256(_PEPPER + email.strip().lower().encode("utf-8")).hexdigest()


def email_suppress(email: str) -> None:
    """Add a person to the list (again: nothing changes)."""
    Suppression.objects.get_or_create(email_hash=suppression_hash(email))


def emails_suppressed(emails: Iterable[str]) -> set[str]:
    """Those of `emails` (normalised: stripped, lower case) that are on the list."""
    if not Suppression.objects.exists():  # the usual case: no hashing at all
        return set()
    by_hash = {suppression_hash(email): email.strip().lower() for email in emails}
    found = set()
    for chunk in chunks(list(by_hash), _LOOKUP_CHUNK):
        found.update(Suppression.objects.filter(email_hash__in=chunk).values_list("email_hash", flat=True))
    return {by_hash[digest] for digest in found}


def contacts_suppressed(contact_ids: Iterable[int]) -> set[int]:
    """Those of `contact_ids` whose email address is on the list."""
    if not Suppression.objects.exists():
        return set()
    emails: dict[int, str] = {}
    for chunk in chunks(list(contact_ids), _LOOKUP_CHUNK):
        emails.update(Contact.objects.filter(pk__in=chunk).values_list("pk", "email"))
    suppressed = emails_suppressed(emails.values())
    return {pk for pk, email in emails.items() if email.strip().lower() in suppressed}
