"""Reads of the customer book, and the one rule of who may see what (DESIGN §3)."""

from fractions import Fraction

from django.db.models import Count, Q, QuerySet

from .models import Account, Invitation, Region, User, Wave
from .scope_pairs import scope_pairs_condition
from .tokens import token_hash


def accounts_visible_to(user: User) -> QuerySet[Account]:
    """Accounts `user` may read. Everything scoped in Pulse goes through this.

    AM: the accounts they own. RM: their regions' accounts, and any they own.
    Director and administrator: all.
    """
    accounts = Account.objects.all()
    if not user.is_authenticated or not user.is_active:
        return accounts.none()
    if user.sees_everything:
        return accounts
    if user.is_regional_manager:
        return accounts.filter(Q(region__manager=user) | Q(owner=user))
    return accounts.filter(owner=user)


def _every_account(accounts_qs: QuerySet[Account]) -> bool:
    return not accounts_qs.query.where and not accounts_qs.query.is_empty()


def accounts_in_scope(accounts_qs: QuerySet[Account], field: str = "account") -> Q:
    """Rows whose `field` is an account of `accounts_qs`, a scope of accounts_visible_to;
    no condition at all when that is every account (a director's or an administrator's),
    so the database neither plans nor runs a semi-join that keeps every row."""
    return Q() if _every_account(accounts_qs) else Q(**{f"{field}__in": accounts_qs})


def pairs_in_scope(accounts_qs: QuerySet[Account]) -> Q:
    """Of the rows of a summary keyed by (owner_id, region_id), those adding up accounts of
    `accounts_qs`, a scope of accounts_visible_to (maybe of one region): no condition for
    every account, else the scope's pairs (surveys.scope_pairs). (Asked per row, the
    database scanned a pair's accounts, or the scope's: 60 to 150 ms a read at 1,000,000
    answers.)"""
    if _every_account(accounts_qs):
        return Q()  # every row
    return scope_pairs_condition(accounts_qs)


def regions_visible_to(user: User) -> QuerySet[Region]:
    if not user.is_authenticated or not user.is_active:
        return Region.objects.none()
    if user.sees_everything:
        return Region.objects.all()
    if user.is_regional_manager:
        return Region.objects.filter(manager=user)
    return Region.objects.none()


# --- Waves ------------------------------------------------------------------------------

def wave_upcoming():
    """The next wave still in its hold window (planned, not sending), if any."""
    return Wave.objects.filter(status=Wave.Status.PLANNED).order_by("month").first()


def wave_for_month(month):
    return Wave.objects.filter(month=month).first()


def wave_invitations_visible_to(user: User, wave) -> QuerySet:
    """The wave's invitations of accounts `user` may read."""
    return Invitation.objects.filter(accounts_in_scope(accounts_visible_to(user)), wave=wave)


def invitation_visible_to(user: User, pk: int):
    """One invitation of a visible account, or None (the view answers 404)."""
    return (
        Invitation.objects.filter(pk=pk, account__in=accounts_visible_to(user))
        .select_related("wave", "contact", "account")
        .first()
    )


def may_hold(user: User) -> bool:
    """Who may hold a contact out of a wave, or put one back (DESIGN §3): an AM their own
    accounts' contacts, an RM those of their regions, an administrator any; a director
    reads only. (Which invitations: invitation_visible_to.)"""
    return user.is_authenticated and user.is_active and (
        user.is_account_manager or user.is_regional_manager or user.is_administrator
    )


def wave_hold_rows(user: User, wave) -> QuerySet:
    """The contacts of the user's own accounts in the wave, for holding out."""
    return (
        Invitation.objects.filter(wave=wave, account__owner=user, account__in=accounts_visible_to(user))
        .exclude(status__in=[Invitation.Status.FAILED])
        .select_related("contact", "account", "held_by")
        .order_by("account__name", "contact__name", "pk")
    )


UNDELIVERED_SHOWN = 200


def wave_undelivered_visible_to(user: User, wave) -> list:
    """The wave's failed and bounced invitations `user` may read, each with its reason
    (last_error); the first UNDELIVERED_SHOWN."""
    return list(
        wave_invitations_visible_to(user, wave)
        .filter(status__in=[Invitation.Status.FAILED, Invitation.Status.BOUNCED])
        .select_related("contact", "account")
        .order_by("account__name", "contact__name", "pk")[:UNDELIVERED_SHOWN]
    )


def wave_holds_visible_to(user: User, wave) -> QuerySet:
    return (
        wave_invitations_visible_to(user, wave)
        .filter(status=Invitation.Status.HELD)
        .select_related("contact", "account__owner", "held_by")
        .order_by("account__name", "contact__name", "pk")
    )


FIGURES = ("total", "planned", "held", "sending", "sent", "failed", "bounced", "reminded", "answered")


def _figure_counts() -> dict:
    """Counts of a wave's invitations by status, answers included, as SQL aggregates."""
    status = Invitation.Status
    return {
        "total": Count("id"),
        "planned": Count("id", filter=Q(status=status.PLANNED)),
        "held": Count("id", filter=Q(status=status.HELD)),
        "sending": Count("id", filter=Q(status=status.SENDING)),
        "sent": Count("id", filter=Q(status=status.SENT)),
        "failed": Count("id", filter=Q(status=status.FAILED)),
        "bounced": Count("id", filter=Q(status=status.BOUNCED)),
        "reminded": Count("id", filter=Q(reminded_at__isnull=False)),
        # feedback.Response is 1:1 with Invitation (reverse name "response").
        "answered": Count("id", filter=Q(status=status.SENT, response__isnull=False)),
    }


def _wave_figures(invitations: QuerySet) -> dict:
    return invitations.aggregate(**_figure_counts())


def figures_finish(figures: dict) -> dict:
    """Add the response rate (answers / delivered) and the sending progress, as exact
    shares 0..1 (rounded once where they are shown, surveys.display)."""
    sent = figures["sent"]
    figures["response_rate"] = Fraction(figures["answered"], sent) if sent else None
    to_send = figures["total"] - figures["held"]
    done = figures["sent"] + figures["failed"] + figures["bounced"]
    figures["to_send"] = to_send
    figures["done"] = done
    figures["progress"] = Fraction(done, to_send) if to_send else Fraction(1)
    return figures


def wave_figures(user: User, wave) -> dict:
    return figures_finish(_wave_figures(wave_invitations_visible_to(user, wave)))


def wave_figures_by_region(user: User, wave) -> list[dict]:
    """One row of figures per visible region, in one grouped query."""
    rows = (
        wave_invitations_visible_to(user, wave)
        .values("account__region__name")
        .annotate(**_figure_counts())
        .order_by("account__region__name")
    )
    return [figures_finish({**row, "region": row["account__region__name"]}) for row in rows]


def waves_with_figures(user: User, limit: int = 24) -> list:
    """Recent waves, each with the user's scoped figures, in two queries."""
    waves = list(Wave.objects.order_by("-month")[:limit])
    rows = (
        Invitation.objects.filter(accounts_in_scope(accounts_visible_to(user)), wave__in=waves)
        .values("wave_id")
        .annotate(**_figure_counts())
        .order_by()
    )
    empty = dict.fromkeys(FIGURES, 0)
    by_wave = {row.pop("wave_id"): row for row in rows}
    for wave in waves:
        wave.figures = figures_finish(dict(by_wave.get(wave.pk, empty)))
    return waves


def invitation_by_token(token: str):
    return Invitation.objects.filter(token_hash=token_hash(token)).select_related("contact", "account").first()
