from datetime import datetime, timedelta

from django.utils import timezone

from feedback import digests, tasks
from feedback.models import NotificationSettings
from feedback.services import notification_settings_update
from tests import factories


def _yesterday_noon():
    return timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=1), datetime.min.time())) + \
        timedelta(hours=12)


def test_weekly_digest_by_default_for_managers_with_their_scope(world, smtp_server, settings):
    settings.SITE_URL = "https://pulse.example.com"
    from feedback.models import Response

    Response.objects.update(answered_at=_yesterday_noon())
    tasks.digests_weekly.delay()
    messages = smtp_server.wait_for(3)
    by_to = {m["To"]: m for m in messages}
    assert set(by_to) == {world.rm.email, world.far_rm.email, world.director.email}  # AMs and admin: off
    rm_text = by_to[world.rm.email].get_body(("plain",)).get_content()
    assert "2 new answers" in by_to[world.rm.email]["Subject"] and "1 detractor" in by_to[world.rm.email]["Subject"]
    assert "Carla Customer" in rm_text and world.far_response.contact.name not in rm_text
    assert f"https://pulse.example.com/answers/{world.response.pk}/" in rm_text
    assert "https://pulse.example.com/settings/notifications/" in rm_text
    director_text = by_to[world.director.email].get_body(("plain",)).get_content()
    assert "3 new answers" in by_to[world.director.email]["Subject"] or "New answers: 3" in director_text
    # the same period twice: nothing more
    tasks.digests_weekly.delay()
    assert smtp_server.count() == 3


def test_daily_digest_for_who_chose_it_and_empty_days_are_quiet(world, smtp_server):
    from feedback.models import Response

    notification_settings_update(user=world.am, detractor_alerts=True, digest="daily")
    notification_settings_update(user=world.rm, detractor_alerts=True, digest="off")
    Response.objects.filter(pk=world.response.pk).update(answered_at=_yesterday_noon())
    tasks.digests_daily.delay()
    [message] = smtp_server.wait_for(1)
    assert message["To"] == world.am.email and "daily" in message["Subject"]
    assert digests.digest_send(user_id=world.am.pk, frequency="daily") is False  # already sent
    notification_settings_update(user=world.far_rm, detractor_alerts=True, digest="daily")
    assert digests.digest_send(user_id=world.far_rm.pk, frequency="daily") is False  # nothing new
    assert NotificationSettings.objects.get(user=world.far_rm).digest_sent_until is not None


def test_nps_move_against_the_90_days_before(world):
    from feedback.digests import digest_content

    start, end = digests.digest_period("weekly")
    for score in (10, 10, 10):
        factories.ResponseFactory(invitation__contact__account=world.account, score=score,
                                  answered_at=start - timedelta(days=20))
    for score in (0, 10):
        factories.ResponseFactory(invitation__contact__account=world.account, score=score,
                                  answered_at=start + timedelta(days=1))
    content = digest_content(world.am, start=start, end=end)
    assert content.figures.n == 2 and content.previous.n == 3
    assert content.nps_move == -100.0  # 0 now against 100 before
