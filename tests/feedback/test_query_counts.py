"""Query counts per page stay flat with the data: the same ceiling for 10 and 1,000
answers in scope. The apps above check their pages with `add_answers` and `assert_flat`."""

import random
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback.models import Note, Response
from feedback.summaries import summary_rebuild
from surveys.models import Account, Contact, Invitation, Wave
from surveys.tokens import token_fields_new
from tests import factories


def add_answers(world, n, seed=1):
    """n answers over 18 months, across both regions' accounts, levels and contacts."""
    rnd = random.Random(seed)
    accounts = [world.account, world.other_account, world.far_account] + [
        factories.AccountFactory(owner=rnd.choice([world.am, world.other_am, world.far_am]),
                                 region=rnd.choice([world.region, world.far_region]))
        for _ in range(5)
    ]
    contacts = Contact.objects.bulk_create(
        Contact(account=a, email=f"q{seed}-{a.pk}-{i}@x.test", name=f"Q {a.pk}-{i}",
                level=["executive", "manager", "operational"][i % 3])
        for a in accounts for i in range(12)
    )
    today = timezone.localdate()
    months = [(today.replace(day=1) - timedelta(days=31 * k)).replace(day=1) for k in range(18)]
    waves = [Wave.objects.get_or_create(month=m)[0] for m in months]
    invitations = []
    for i in range(n):
        contact, wave = contacts[i % len(contacts)], waves[(i // len(contacts)) % len(waves)]
        at = timezone.make_aware(timezone.datetime(wave.month.year, wave.month.month, 2, 10))
        invitations.append(Invitation(wave=wave, contact=contact, account=contact.account, status="sent",
                                      sent_at=at, **token_fields_new()))
    invitations = Invitation.objects.bulk_create(invitations)
    responses = []
    for i, inv in enumerate(invitations):
        score = rnd.randint(0, 10)
        responses.append(Response(
            invitation=inv, contact=inv.contact, account=inv.account, owner_id=inv.account.owner_id, score=score,
            category="promoter" if score >= 9 else "passive" if score >= 7 else "detractor",
            answered_at=inv.sent_at + timedelta(hours=1), reason="why" if i % 2 else "", suspect=(i % 50 == 0),
            triage=rnd.choice(["new", "seen", "handled"]),
        ))
    responses = Response.objects.bulk_create(responses)
    Note.objects.bulk_create(Note(response=r, author=world.rm, text="note") for r in responses[::10])
    summary_rebuild()


PAGES = [
    ("am", "feedback:inbox", lambda w: {}, ""),
    ("am", "feedback:inbox", lambda w: {}, "?category=detractor&reason=with&level=manager&period=12m"),
    ("am", "feedback:answers", lambda w: {}, ""),
    ("am", "feedback:notification_settings", lambda w: {}, ""),
    ("rm", "feedback:answers", lambda w: {}, "?period=12m&suspect=no"),
    ("director", "feedback:answers", lambda w: {}, ""),
    ("admin", "feedback:answers_export", lambda w: {}, ""),
]


def assert_flat(client, world, max_queries, user, url, more=None):
    """The page costs no more queries with 1,000 answers more in scope than with 10.
    `more(world)` adds the rows of the apps above (calls) after each batch of answers."""
    client.force_login(user)

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
            assert response.status_code == 200
        return len(captured.captured_queries)

    add_answers(world, 10)
    if more:
        more(world)
    small = count()
    add_answers(world, 1000, seed=2)
    if more:
        more(world)
    with max_queries(small):
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert Response.objects.count() > 900
    assert Account.objects.count() >= 13


@pytest.mark.parametrize("role,name,kwargs,query", PAGES, ids=[f"{p[0]}-{p[1]}{p[3]}" for p in PAGES])
def test_query_count_is_flat(client, world, max_queries, role, name, kwargs, query):
    assert_flat(client, world, max_queries, getattr(world, role), reverse(name, kwargs=kwargs(world)) + query)
