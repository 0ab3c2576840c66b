"""The call closes the loop on the why (issue 12, item 6): the themes of the customer's
reason sit beside the root cause the AM logged, on the call's page and in the discipline
figures (reached calls by root cause and theme, from the call summaries)."""

import re

from django.urls import reverse

from feedback.models import Theme
from feedback.response_themes import response_theme_correct, response_themes_tag
from followups.models import RootCause
from followups.root_causes import root_causes_by_theme
from followups.services import attempt_log
from surveys.selectors import accounts_visible_to
from tests.factories import AccountFactory, RegionFactory, UserFactory
from tests.followups.conftest import answer_with_call


def _reached(call, am, cause_name):
    attempt_log(call_id=call.pk, by=am, outcome="reached", root_cause_id=RootCause.objects.get(name=cause_name).pk,
                agreed="We looked at it together")


def test_the_call_page_shows_the_reasons_themes_beside_the_root_cause(client, am, account):
    call = answer_with_call(account, score=2, reason="Late delivery and wrong invoices")
    response_themes_tag(response_id=call.response_id)
    _reached(call, am, "Price")
    client.force_login(am)
    html = client.get(reverse("followups:detail", kwargs={"call_id": call.pk})).content.decode()
    outcome = html[html.index('id="outcome-h"'):]
    outcome = outcome[:outcome.index("</section>")]
    assert "Price" in outcome
    themes = re.search(r'class="outcome-themes">(.*?)</dd>', outcome, re.S).group(1)
    assert "Delivery" in themes and "Billing" in themes
    assert 'href="/answers/?theme=delivery"' in themes
    assert 'class="call-themes"' in html  # under the reason too, before the call is made


def test_a_reason_without_themes_says_so(client, am, account):
    call = answer_with_call(account, score=2, reason="")
    client.force_login(am)
    html = client.get(reverse("followups:detail", kwargs={"call_id": call.pk})).content.decode()
    assert re.search(r'class="call-themes"><span class="muted">no theme</span>', html)


def test_the_discipline_page_crosses_root_causes_with_themes(client, am, rm, account, region):
    delivery = answer_with_call(account, score=2, reason="Late delivery and wrong invoices")
    price = answer_with_call(account, score=3, reason="Too expensive")
    elsewhere = AccountFactory(owner=UserFactory(role="am"), region=RegionFactory(name="South"))
    far = answer_with_call(elsewhere, score=1, reason="Too expensive")
    for call in (delivery, price, far):
        response_themes_tag(response_id=call.response_id)
    _reached(delivery, am, "Price")
    _reached(price, am, "Price")
    _reached(far, far.account.owner, "Product")
    table = root_causes_by_theme(accounts_visible_to(rm))
    [row] = table.rows
    cells = {theme.key: n for theme, n in row.cells}
    assert (row.root_cause.name, row.reached) == ("Price", 2)
    assert (cells["delivery"], cells["billing"], cells["price"], cells["support"]) == (1, 1, 1, 0)
    # A person's correction of a reached call's reason moves its count at once.
    response_theme_correct(response=delivery.response, theme=Theme.objects.get(key="support"), present=True, by=am)
    [row] = root_causes_by_theme(accounts_visible_to(rm)).rows
    assert dict((t.key, n) for t, n in row.cells)["support"] == 1
    client.force_login(rm)
    html = client.get(reverse("reports:discipline")).content.decode()
    section = html[html.index('id="causes-themes-h"'):]
    section = section[:section.index("</section>")]
    # The other region's call (root cause "Product") is not the RM's.
    assert re.findall(r'<th scope="row">([^<]*)</th>', section) == ["Price"]
    assert re.search(r'data-label="Delivery">1</td>', section)


def test_calls_made_in_bulk_are_counted_by_theme(am, account):
    """The demo's calls (followups.tallies.calls_added_count): their answers' themes read in
    one go, counted as the events count them."""
    from django.utils import timezone

    from followups.models import Call
    from followups.tallies import call_summaries_differences, calls_added_count
    from tests.followups.conftest import answer

    responses = [answer(account, score=2, reason="Late delivery and wrong invoices") for _ in range(3)]
    for response in responses:
        response_themes_tag(response_id=response.pk)
    cause = RootCause.objects.get(name="Delivery")
    now = timezone.now()
    calls = Call.objects.bulk_create(
        Call(response=r, account=account, contact_id=r.contact_id, category=r.category, answered_at=r.answered_at,
             assignee=am, assigned_for=am, due_on=timezone.localdate(), state="reached", root_cause=cause,
             first_attempt_at=now, reached_at=now, closed_at=now)
        for r in responses
    )
    calls_added_count(calls)
    [row] = root_causes_by_theme(accounts_visible_to(am)).rows
    assert dict((t.key, n) for t, n in row.cells)["delivery"] == 3
    assert call_summaries_differences() == []
