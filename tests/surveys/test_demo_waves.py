import io

from surveys.demo_waves import PAST_MONTHS, seed_waves
from surveys.models import Contact, Invitation, Wave
from tests.surveys.book import book_create


def test_seed_waves_builds_18_months_and_a_planned_wave_with_holds(db, am, region):
    book_create(sizes=[3] * 200, owner=am, region=region)
    summary = seed_waves(seed=7, stdout=io.StringIO())
    assert "18 months sent" in summary
    waves = list(Wave.objects.order_by("month"))
    assert len(waves) == PAST_MONTHS + 1
    assert {w.status for w in waves[:-1]} == {Wave.Status.SENT}
    assert waves[-1].status == Wave.Status.PLANNED
    assert waves[-1].invitations.filter(status=Invitation.Status.HELD).count() == 2
    statuses = set(Invitation.objects.values_list("status", flat=True))
    assert {"sent", "bounced", "planned", "held"} <= statuses
    assert Invitation.objects.filter(reminded_at__isnull=False).exists()
    assert Contact.objects.filter(bounced_at__isnull=False).exists()
    # Every wave a slice of about N * f / 12, each contact asked about every six months.
    sizes = [w.invitations.count() for w in waves]
    assert min(sizes) > 80 and max(sizes) <= 110
    assert seed_waves(seed=7, stdout=io.StringIO()).startswith("Waves: already there")


def test_seed_waves_without_a_book(db):
    assert "no customer book" in seed_waves(seed=7, stdout=io.StringIO())
