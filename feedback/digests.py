"""Digests: RMs and directors (and anyone who asks) get their scope's new answers,
detractors and NPS move, daily or weekly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation

from outbox.services import outbox_publish
from surveys.emails import email_message
from surveys.models import User

from .figures import COUNTS, Figures
from .models import Category, Digest, NotificationSettings
from .notifications import default_digest, users_with_digest
from .selectors import responses_visible_to

PERIOD_DAYS = {Digest.DAILY: 1, Digest.WEEKLY: 7}


@dataclass
class DigestContent:
    start: datetime
    end: datetime
    figures: Figures
    previous: Figures
    detractors: list  # the first 20, newest first

    @property
    def detractor_count(self) -> int:
        """All detractors of the period (`detractors` lists at most 20)."""
        return self.figures.detractors

    @property
    def nps_move(self) -> float | None:
        if self.figures.nps is None or self.previous.nps is None:
            return None
        return self.figures.nps - self.previous.nps

    @property
    def empty(self) -> bool:
        return self.figures.n == 0 and self.detractor_count == 0


def digest_content(user: User, *, start: datetime, end: datetime) -> DigestContent:
    """New answers in the user's scope in [start, end), its detractors, and the NPS move
    against the trailing 90 days before `start`."""
    scoped = responses_visible_to(user).filter(suspect=False)
    now_rows = scoped.filter(answered_at__gte=start, answered_at__lt=end)
    figures = Figures.from_row(now_rows.aggregate(**COUNTS))
    previous = Figures.from_row(
        scoped.filter(answered_at__gte=start - timedelta(days=90), answered_at__lt=start).aggregate(**COUNTS)
    )
    detractors = list(
        now_rows.filter(category=Category.DETRACTOR)
        .select_related("contact", "account__owner")
        .order_by("-answered_at")[:20]
    )
    return DigestContent(start, end, figures, previous, detractors)


def digest_period(frequency: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The whole days before today (local time): yesterday, or the last seven days."""
    now = now or timezone.now()
    end = timezone.make_aware(datetime.combine(timezone.localdate(now), time.min))
    return end - timedelta(days=PERIOD_DAYS[frequency]), end


def digest_user_ids(frequency: str) -> list[int]:
    return list(users_with_digest(frequency).values_list("pk", flat=True))


@transaction.atomic
def digest_send(*, user_id: int, frequency: str, now: datetime | None = None) -> bool:
    """Send one user's digest for the period that just ended, once. True if an email went."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    start, end = digest_period(frequency, now)
    NotificationSettings.objects.get_or_create(user=user, defaults={"digest": default_digest(user)})
    claimed = (
        NotificationSettings.objects.filter(user=user, digest=frequency)
        .filter(Q(digest_sent_until__isnull=True) | Q(digest_sent_until__lt=end))
        .update(digest_sent_until=end)
    )
    if not claimed:
        return False
    content = digest_content(user, start=start, end=end)
    if content.empty:
        return False
    with translation.override(user.email_language):
        _digest_email(user, frequency, content).send()
    chat = NotificationSettings.objects.get(user=user)
    if chat.chat_on and chat.chat_digests:
        # Posted by the outbox (feedback.chat), retried there; queued with the claim.
        outbox_publish("digest_chat_queued", user_id=user.pk, frequency=frequency, end=end.isoformat())
    return True


def _digest_email(user: User, frequency: str, content):
    context = {
        "user": user,
        "frequency": frequency,  # the templates say "daily" or "weekly" in a whole sentence
        "content": content,
        "home_url": settings.SITE_URL + reverse("home"),  # `/` sends each role to its home
        "site_url": settings.SITE_URL,
        "answers_url": settings.SITE_URL + reverse("feedback:answers"),
        "settings_url": settings.SITE_URL + reverse("feedback:notification_settings"),
    }
    return email_message("digest", context, to=[user.email])
