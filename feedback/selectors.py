"""Reads of single answers and accounts, and who may see and act on them (DESIGN §3).

Every read starts from the user's scope (`surveys.selectors.accounts_visible_to`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from surveys.models import Account, Contact, Level, Region, Role, User
from surveys.selectors import accounts_in_scope, accounts_visible_to, regions_visible_to

from .models import Note, OwnershipChange, Response, ResponseTheme, Theme


def responses_visible_to(user: User) -> QuerySet[Response]:
    """Answers `user` may read (DESIGN §3)."""
    if user.is_authenticated and user.is_active and user.sees_everything:
        return Response.objects.all()
    return Response.objects.filter(accounts_in_scope(accounts_visible_to(user)))


def response_for(user: User, pk: int) -> Response | None:
    return (
        responses_visible_to(user)
        .select_related("contact", "account__owner", "account__region", "invitation__wave", "triaged_by")
        .filter(pk=pk)
        .first()
    )


def account_for(user: User, pk: int) -> Account | None:
    return accounts_visible_to(user).select_related("owner", "region__manager").filter(pk=pk).first()


def region_for(user: User, pk: int) -> Region | None:
    return regions_visible_to(user).select_related("manager").filter(pk=pk).first()


def owner_in_scope(user: User, pk: int, *, region: Region | None = None) -> User | None:
    """An account owner some of whose accounts (in `region`, when given) `user` may read."""
    accounts = accounts_visible_to(user).filter(owner_id=OuterRef("pk"))
    if region is not None:
        accounts = accounts.filter(region=region)
    return User.objects.filter(pk=pk).filter(Exists(accounts)).first()


def can_triage(user: User, response: Response) -> bool:
    """The owning AM triages; administrators may too (DESIGN §3)."""
    return response.account.owner_id == user.pk or user.is_administrator


def themes_prefetch() -> Prefetch:
    """An answer's themes (`response.themes.all`) with their names and who added them, in
    the taxonomy's order: one query for a whole list of answers."""
    return Prefetch(
        "themes", queryset=ResponseTheme.objects.select_related("theme", "by").order_by("theme__position", "theme__key")
    )


def themes_offered() -> list[Theme]:
    """The themes a person may add to an answer: the active ones, in the taxonomy's order."""
    return list(Theme.objects.filter(active=True).order_by("position", "key"))


def can_change_owner(user: User, account: Account) -> bool:
    """Administrators anywhere; a regional manager within their region."""
    if user.is_administrator:
        return True
    return user.is_regional_manager and account.region.manager_id == user.pk


def owner_candidates(account: Account) -> QuerySet[User]:
    """Who may take the account: the active account managers of its region (owning an active
    account there), account managers who own no account at all yet (new staff, in no region),
    and its regional manager. Never another region's staff: whoever owns an account reads it,
    so a hand-over across regions would widen their scope."""
    owned = Account.objects.filter(owner_id=OuterRef("pk"))
    in_region = Exists(owned.filter(region_id=account.region_id, active=True))
    owns_any = Exists(owned)
    return (
        User.objects.filter(is_active=True)
        .filter(Q(role=Role.ACCOUNT_MANAGER) & (in_region | ~owns_any)
                | Q(role=Role.REGIONAL_MANAGER, managed_regions__id=account.region_id))
        .exclude(pk=account.owner_id)
        .distinct()
        .order_by("full_name", "email")
    )


def contact_history(response: Response) -> list[Response]:
    """This contact's other answers, newest first."""
    return list(
        Response.objects.filter(contact_id=response.contact_id)
        .exclude(pk=response.pk)
        .select_related("invitation__wave")
        .order_by("-answered_at")[:20]
    )


def notes_for(response: Response) -> list[Note]:
    return list(Note.objects.filter(response=response).select_related("author"))


@dataclass
class LevelRow:
    level: str
    label: str
    contacts: list = field(default_factory=list)

    @property
    def answered(self) -> bool:
        return any(c.last_answer_id for c in self.contacts)


def account_contacts_by_level(account: Account) -> list[LevelRow]:
    """Every level, its contacts, and each contact's last answer (one query)."""
    last = Response.objects.filter(contact=OuterRef("pk")).order_by("-answered_at", "-pk")
    contacts = (
        Contact.objects.filter(account=account)
        .annotate(
            last_answer_id=Subquery(last.values("pk")[:1]),
            last_score=Subquery(last.values("score")[:1]),
            last_category=Subquery(last.values("category")[:1]),
            last_answered_at=Subquery(last.values("answered_at")[:1]),
            last_suspect=Subquery(last.values("suspect")[:1]),
            answers=Coalesce(
                Subquery(
                    Response.objects.filter(contact=OuterRef("pk"))
                    .values("contact")
                    .annotate(c=Count("pk"))
                    .values("c")[:1]
                ),
                0,
            ),
        )
        .order_by("name")
    )
    rows = {value: LevelRow(value, label) for value, label in Level.choices}
    for contact in contacts:
        rows.setdefault(contact.level, LevelRow(contact.level, contact.level)).contacts.append(contact)
    return list(rows.values())


def account_recent_answers(account: Account, limit: int = 10) -> list[Response]:
    """The account's latest answers, newest first, for its page."""
    return list(
        Response.objects.filter(account=account).select_related("contact", "account__owner")
        .prefetch_related(themes_prefetch()).order_by("-answered_at")[:limit]
    )


def ownership_history(account: Account) -> list[OwnershipChange]:
    return list(
        OwnershipChange.objects.filter(account=account).select_related("old_owner", "new_owner", "changed_by")[:20]
    )
