"""Accounts taken out of the program by a CRM through the API: a deactivated account's
contacts are asked no more (surveys.planning skips inactive accounts), its history stays."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .audit import audit_record
from .models import Account, User
from .revenue_tallies import accounts_revenue_refresh

AUDIT_IDS_KEPT = 100


class AccountsUnknown(Exception):
    """Some account ids name no account; nothing was changed. `unknown`: [(index, id)]."""

    def __init__(self, unknown: list[tuple[int, str]]):
        self.unknown = unknown
        super().__init__(f"{len(unknown)} unknown account id(s)")


@transaction.atomic
def accounts_deactivate(*, external_ids: list[str], by: User, now: datetime | None = None) -> tuple[int, int]:
    """Deactivate the accounts of `external_ids` (all of them or, when any is unknown,
    none: AccountsUnknown). Returns (deactivated, already inactive)."""
    known = dict(Account.objects.filter(external_id__in=set(external_ids)).values_list("external_id", "active"))
    unknown = [(index, external_id) for index, external_id in enumerate(external_ids) if external_id not in known]
    if unknown:
        raise AccountsUnknown(unknown)
    wanted = sorted({external_id for external_id, active in known.items() if active})
    changed = Account.objects.filter(external_id__in=wanted, active=True).update(
        active=False, updated_at=now or timezone.now())
    accounts_revenue_refresh(Account.objects.filter(external_id__in=wanted).values_list("pk", flat=True))
    if changed:
        audit_record("accounts_deactivated", by=by, now=now, details={
            "accounts": changed, "account_ids": wanted[:AUDIT_IDS_KEPT],
        })
    return changed, len(known) - len(wanted)
