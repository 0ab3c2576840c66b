"""Who is told what: each user's alert and digest settings, with their role's defaults."""

from django.db.models import Case, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from surveys.models import Role, User

from .models import Digest, NotificationSettings


def default_digest(user: User) -> str:
    return Digest.WEEKLY if user.is_regional_manager or user.is_director else Digest.OFF


def notification_settings_for(user: User) -> NotificationSettings:
    """The user's settings, or (unsaved) the defaults for their role."""
    found = NotificationSettings.objects.filter(user=user).first()
    return found or NotificationSettings(user=user, digest=default_digest(user))


def users_with_digest(frequency: str) -> QuerySet[User]:
    """Active users whose (saved or default) digest is `frequency`."""
    saved = NotificationSettings.objects.filter(user=OuterRef("pk")).values("digest")[:1]
    role_default = Case(
        When(role__in=[Role.REGIONAL_MANAGER, Role.DIRECTOR], then=Value(Digest.WEEKLY.value)),
        default=Value(Digest.OFF.value),
    )
    return (
        User.objects.filter(is_active=True)
        .annotate(effective_digest=Coalesce(Subquery(saved), role_default))
        .filter(effective_digest=frequency)
        .order_by("pk")
    )


def chat_alert_user_ids(response) -> list[int]:
    """Who takes this detractor in chat: the owning AM and the region's manager, if
    active and their chat is on for detractor alerts."""
    candidates = {response.account.owner_id, response.account.region.manager_id} - {None}
    return list(
        NotificationSettings.objects.filter(
            user_id__in=candidates, user__is_active=True, chat_detractor_alerts=True, chat_disabled_at__isnull=True
        )
        .exclude(chat_kind="")
        .exclude(chat_webhook_url="")
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
