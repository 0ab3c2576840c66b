"""Fast books for planning and sending tests: bulk_create, not factories, for thousands of rows."""

import itertools
from datetime import datetime, time, timedelta

from django.utils import timezone

from surveys.models import Account, Contact, Invitation, Wave
from surveys.tokens import token_fields_new

_counter = itertools.count()


def book_create(*, sizes: list[int], owner, region, language: str = "en") -> list[Account]:
    """One account per entry of `sizes`, with that many contacts."""
    run = next(_counter)
    accounts = Account.objects.bulk_create(
        [Account(external_id=f"B{run}-{i}", name=f"Customer {run}-{i}", owner=owner, region=region)
         for i in range(len(sizes))]
    )
    contacts_add(accounts=accounts, sizes=sizes, language=language)
    return accounts


def contacts_add(*, accounts, sizes, language: str = "en") -> list[Contact]:
    run = next(_counter)
    contacts = [
        Contact(account=account, email=f"c{run}-{account.pk}-{n}@customer.test", name=f"Contact {account.pk}-{n}",
                level="manager", language=language)
        for account, size in zip(accounts, sizes, strict=True) for n in range(size)
    ]
    return Contact.objects.bulk_create(contacts, batch_size=2000)


def wave_mark_sent(wave: Wave, *, hours: int = 9) -> int:
    """What sending does to the figures, without SMTP: planned -> sent on the wave's 1st."""
    sent_at = timezone.make_aware(datetime.combine(wave.month, time(hours)))
    count = wave.invitations.filter(status=Invitation.Status.PLANNED).update(
        status=Invitation.Status.SENT, sent_at=sent_at, expires_at=sent_at + timedelta(days=30)
    )
    Wave.objects.filter(pk=wave.pk).update(status=Wave.Status.SENT, sent_at=sent_at)
    return count


def invitations_create(*, wave: Wave, contacts, status=Invitation.Status.PLANNED) -> list[Invitation]:
    return Invitation.objects.bulk_create(
        [Invitation(wave=wave, contact=c, account_id=c.account_id, status=status, **token_fields_new())
         for c in contacts],
        batch_size=2000,
    )
