"""wave_plan: the properties of DESIGN §2.2, over 12 simulated months with churn, and by hypothesis."""

import base64
import hashlib
import hmac
import random
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from surveys.models import Account, Contact, Invitation, Program, Wave
from surveys.months import month_add, month_begins, month_index
from surveys.planning import invitation_hold, wave_plan
from surveys.program import WaveError, program_update
from surveys.tokens import invitation_token
from tests.factories import RegionFactory, UserFactory
from tests.surveys.book import book_create, contacts_add, wave_mark_sent

START = date(2031, 1, 1)


def _eligible():
    return Contact.objects.filter(opted_out_at__isnull=True, bounced_at__isnull=True, account__active=True)


def _plan(month):
    return wave_plan(month=month, today=month - timedelta(days=3))


def _months_apart(a: date, b: date) -> int:
    return month_index(b) - month_index(a)


@pytest.mark.slow
def test_twelve_months_with_churn_keep_every_property(db, am, region):
    """A book of ~5,000 contacts, 12 monthly waves, holds, and churn between waves
    (contacts added, opted out, bounced, accounts deactivated)."""
    rng = random.Random(20261122)
    program = Program.current()
    assert (program.frequency, program.quiet_days, program.per_account_cap) == (2, 60, 3)
    f, period, cap = 2, 6, 3
    sizes = [rng.randint(1, 7) for _ in range(1250)]
    accounts = book_create(sizes=sizes, owner=am, region=region)
    big = book_create(sizes=[30, 30, 30], owner=am, region=region)
    big_ids = {a.pk for a in big}
    initial = set(Contact.objects.exclude(account_id__in=big_ids).values_list("pk", flat=True))
    closed: set[int] = set()
    churned: set[int] = set()  # contacts that at some point were not eligible
    held_ever: set[int] = set()
    added_at: dict[int, date] = {}
    asks: dict[int, list[date]] = defaultdict(list)

    for number in range(12):
        month = month_add(START, number)
        eligible_now = _eligible().count()
        result = _plan(month)
        wave = result.wave
        planned = set(wave.invitations.values_list("contact_id", flat=True))

        # Planning again changes nothing.
        again = _plan(month)
        assert again.added == 0
        assert set(wave.invitations.values_list("contact_id", flat=True)) == planned

        # Slice within 5% of N * f / 12.
        expected = eligible_now * f / 12
        assert abs(len(planned) - expected) <= 0.05 * expected, (month, len(planned), expected)

        # At most K per account.
        per_account = Counter(wave.invitations.values_list("account_id", flat=True))
        assert max(per_account.values()) <= cap
        # Never: opted out, bounced, inactive account.
        assert not wave.invitations.filter(contact__opted_out_at__isnull=False).exists()
        assert not wave.invitations.filter(contact__bounced_at__isnull=False).exists()
        assert not wave.invitations.filter(account__active=False).exists()
        # Never within the quiet period.
        cutoff = month_begins(month) - timedelta(days=program.quiet_days)
        assert not Invitation.objects.filter(
            contact_id__in=planned, sent_at__gte=cutoff
        ).exclude(wave=wave).exists()

        # The AMs hold a few out (they roll over); the rest is sent.
        candidates = list(wave.invitations.exclude(contact_id__in=held_ever).exclude(account_id__in=big_ids))
        # (Not in the last month: a hold there rolls over past the simulated year.)
        for invitation in rng.sample(candidates, 8 if number < 11 else 0):
            invitation_hold(invitation=invitation, user=am, reason="Open escalation")
            held_ever.add(invitation.contact_id)
        wave_mark_sent(wave)
        for contact_id in wave.invitations.filter(status=Invitation.Status.SENT).values_list("contact_id", flat=True):
            asks[contact_id].append(month)

        # Churn between waves.
        live = list(_eligible().values_list("pk", flat=True))
        opted = rng.sample(live, 40)
        Contact.objects.filter(pk__in=opted).update(opted_out_at=timezone.now())
        bounced = rng.sample([c for c in live if c not in set(opted)], 20)
        Contact.objects.filter(pk__in=bounced).update(bounced_at=timezone.now())
        churned.update(opted, bounced)
        closing = rng.sample([a.pk for a in accounts if a.pk not in big_ids | closed], 10)
        Account.objects.filter(pk__in=closing).update(active=False)
        churned.update(Contact.objects.filter(account_id__in=closing).values_list("pk", flat=True))
        closed.update(closing)
        grown = rng.sample([a for a in accounts if a.pk not in closed], 25)
        arrived = contacts_add(accounts=grown, sizes=[2] * len(grown))
        arrived_ids = [c.pk for c in arrived]
        Contact.objects.filter(pk__in=arrived_ids).update(created_at=month_begins(month) + timedelta(days=9))
        for contact in arrived:
            added_at[contact.pk] = month_add(month, 1)
        # A new account with a few contacts.
        new_accounts = book_create(sizes=[3, 2], owner=am, region=region)
        accounts.extend(new_accounts)
        Contact.objects.filter(account__in=new_accounts).update(created_at=month_begins(month) + timedelta(days=9))
        for contact in Contact.objects.filter(account__in=new_accounts):
            added_at[contact.pk] = month_add(month, 1)

    # Each contact eligible all year: asked f times, exactly P months apart (held ones: within a month).
    stable = initial - churned
    assert len(stable) > 3500
    for contact_id in stable:
        months = asks[contact_id]
        assert len(months) == f, (contact_id, months)
        gap = _months_apart(months[0], months[1])
        if contact_id in held_ever:
            assert period - 1 <= gap <= period + 1, (contact_id, months)
        else:
            assert gap == period, (contact_id, months)
    # New contacts join their slot: first asked within P months of arriving.
    for contact_id, arrived in added_at.items():
        if contact_id in churned or month_add(arrived, period) > month_add(START, 12):
            continue
        assert asks[contact_id], contact_id
        late = 1 if contact_id in held_ever else 0
        assert 0 <= _months_apart(arrived, asks[contact_id][0]) < period + late
    # The big accounts are capped, every month, and still get K asked.
    for account in big:
        per_wave = Counter(Invitation.objects.filter(account=account).values_list("wave_id", flat=True))
        assert len(per_wave) == 12 and set(per_wave.values()) == {cap}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          derandomize=True, phases=[Phase.explicit, Phase.generate])
@given(
    frequency=st.sampled_from([1, 2, 3, 4, 6, 12]),
    sizes=st.lists(st.integers(min_value=1, max_value=9), min_size=5, max_size=40),
    cap=st.integers(min_value=1, max_value=4),
    start=st.integers(min_value=0, max_value=11),
)
def test_property_each_contact_asked_f_times_spaced_p_months(db, frequency, sizes, cap, start):
    with transaction.atomic():
        owner = UserFactory(role="am")
        region = RegionFactory()
        period = 12 // frequency
        first = month_add(START, start)
        program_update(fields={"frequency": frequency, "per_account_cap": cap, "quiet_days": min(60, 28 * period - 1)},
                       today=first - timedelta(days=3))
        accounts = book_create(sizes=sizes, owner=owner, region=region)
        asks = defaultdict(list)
        for number in range(12):
            month = month_add(first, number)
            result = _plan(month)
            assert _plan(month).added == 0
            per_account = Counter(result.wave.invitations.values_list("account_id", flat=True))
            assert not per_account or max(per_account.values()) <= cap
            wave_mark_sent(result.wave)
            for contact_id in result.wave.invitations.values_list("contact_id", flat=True):
                asks[contact_id].append(month)
        roomy = {a.pk for a, size in zip(accounts, sizes, strict=True) if -(-size // period) <= cap}
        for contact_id, account_id in Contact.objects.values_list("pk", "account_id"):
            if account_id not in roomy:
                assert len(asks[contact_id]) <= frequency
                continue
            months = asks[contact_id]
            assert len(months) == frequency, (contact_id, months)
            assert all(_months_apart(a, b) == period for a, b in zip(months, months[1:], strict=False))
        transaction.set_rollback(True)


def test_frequency_change_starts_a_new_cycle_without_a_spike(db, am, region):
    book_create(sizes=[1] * 1200, owner=am, region=region)
    for number in range(6):
        wave_mark_sent(_plan(month_add(START, number)).wave)
    program_update(fields={"frequency": 4}, today=month_add(START, 6) - timedelta(days=5))
    sizes = []
    for number in range(6, 12):
        wave = _plan(month_add(START, number)).wave
        sizes.append(wave.invitations.count())
        wave_mark_sent(wave)
    assert all(abs(size - 400) <= 20 for size in sizes), sizes


def test_a_planned_row_is_what_a_new_invitation_would_be(db, am, region):
    """Planning inserts plain tuples, not model instances: every field it leaves out holds the
    model's default, and the link token derives as it always has, so old links keep working."""
    book_create(sizes=[1] * 12, owner=am, region=region)
    wave = _plan(START).wave
    fresh = Invitation()
    for planned in wave.invitations.all():
        for field in Invitation._meta.concrete_fields:
            if field.name not in {"id", "wave", "contact", "account", "token_nonce", "token_hash", "created_at"}:
                assert getattr(planned, field.attname) == getattr(fresh, field.attname), field.name
        assert planned.created_at is not None and len(planned.token_nonce) == 32
        digest = hmac.new(django_settings.SECRET_KEY.encode(), f"pulse-invitation:{planned.token_nonce}".encode(),
                          hashlib.sha256).digest()
        token = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        assert invitation_token(planned) == token
        assert planned.token_hash == hashlib.sha256(token.encode()).hexdigest()


def test_planning_a_month_that_sent_changes_nothing(db, am, region):
    book_create(sizes=[2] * 10, owner=am, region=region)
    wave = _plan(START).wave
    wave_mark_sent(wave)
    before = list(Invitation.objects.order_by("pk").values_list("pk", "status"))
    with pytest.raises(WaveError, match="already sent"):
        _plan(START)
    assert list(Invitation.objects.order_by("pk").values_list("pk", "status")) == before


def test_planning_a_past_month_is_refused(db):
    with pytest.raises(WaveError, match="has passed"):
        wave_plan(month=date(2020, 1, 1))
    assert not Wave.objects.exists()


def test_a_replan_adds_contacts_that_arrived_since_within_the_cap(db, am, region):
    accounts = book_create(sizes=[1] * 60, owner=am, region=region)
    first = _plan(START)
    assert first.added == 10
    contacts_add(accounts=accounts[:12], sizes=[12] * 12)
    again = _plan(START)
    assert again.added > 0
    per_account = Counter(again.wave.invitations.values_list("account_id", flat=True))
    assert max(per_account.values()) <= 3


@pytest.mark.parametrize("month", ["2026-13", "26-01", "december", "2026-1", ""])
def test_plan_wave_command_rejects_a_bad_month(db, month):
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("plan_wave", "--month", month)
    assert not Wave.objects.exists()


def test_plan_wave_command_refuses_settings_out_of_range(db, am, region):
    book_create(sizes=[2] * 5, owner=am, region=region)
    program = Program.current()
    program.per_account_cap = 0
    program.save()
    with pytest.raises(CommandError, match="per_account_cap"):
        call_command("plan_wave")
    assert not Wave.objects.exists()


def test_plan_wave_command_plans_and_replans(db, am, region, capsys):
    book_create(sizes=[1] * 12, owner=am, region=region)
    call_command("plan_wave")
    wave = Wave.objects.get()
    count = wave.invitations.count()
    assert count == 2
    call_command("plan_wave", "--month", wave.month.strftime("%Y-%m"))
    assert wave.invitations.count() == count
    assert "0 contacts added" in capsys.readouterr().out
    Wave.objects.update(status=Wave.Status.SENT)
    with pytest.raises(CommandError, match="already sent"):
        call_command("plan_wave", "--month", wave.month.strftime("%Y-%m"))
