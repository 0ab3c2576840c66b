"""The call pages: scope matrix (404 outside scope on every page and action), content, query counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from followups.models import Absence, Attempt, Call, RootCause
from followups.services import absence_end, absence_set, attempt_log
from followups.tallies import call_summaries_rebuild
from tests.factories import AccountFactory, RegionFactory, UserFactory
from tests.followups.conftest import answer_with_call, bulk_calls

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(am, rm, director, admin_user, account):
    south_rm = UserFactory(role="rm", full_name="Sara Syd")
    other_am = UserFactory(role="am", full_name="Ole Other")
    other_account = AccountFactory(owner=other_am, region=RegionFactory(name="South", manager=south_rm))
    call = answer_with_call(account, score=2, reason="<script>alert(1)</script> late again")
    other_call = answer_with_call(other_account, score=9)
    absence = Absence.objects.create(user=other_am, cover=UserFactory(role="am"), starts_on=timezone.localdate(),
                                     ends_on=timezone.localdate() + timedelta(days=3))
    users = {"am_own": am, "am_other": other_am, "rm_own_region": rm, "rm_other_region": south_rm,
             "director": director, "admin": admin_user}
    return {"call": call, "other_call": other_call, "users": users, "absence": absence}


# Codes per role, in the order am_own, am_other, rm_own_region, rm_other_region, director, admin.
ROLES = ["am_own", "am_other", "rm_own_region", "rm_other_region", "director", "admin"]
CALL_MATRIX = [
    # method, url, codes
    ("get", "/calls/{call}/", [200, 404, 200, 404, 200, 200]),
    ("post", "/calls/{call}/attempt/", [400, 404, 403, 404, 403, 400]),
    ("post", "/calls/{call}/email/", [400, 404, 403, 404, 403, 400]),
    ("post", "/calls/{call}/recovery/", [400, 404, 403, 404, 403, 400]),
    ("get", "/calls/{call}/reassign/", [200, 404, 200, 404, 403, 200]),
    ("post", "/calls/{call}/reassign/", [400, 404, 400, 404, 403, 400]),
    ("get", "/calls/", [200] * 6),
    ("get", "/calls/cover/", [200] * 6),
    ("post", "/calls/cover/{absence}/end/", [404, 302, 404, 404, 404, 404]),
    ("get", "/calls/overdue/", [404, 404, 200, 200, 200, 200]),
    ("get", "/calls/settings/", [404, 404, 404, 404, 404, 200]),
    ("post", "/calls/settings/", [404, 404, 404, 404, 404, 400]),
]


@pytest.mark.parametrize("method, url, codes", CALL_MATRIX, ids=[f"{m} {u}" for m, u, _ in CALL_MATRIX])
def test_scope_matrix(client, world, method, url, codes):
    url = url.format(call=world["call"].pk, absence=world["absence"].pk)
    for role, code in zip(ROLES, codes, strict=True):
        client.force_login(world["users"][role])
        response = getattr(client, method)(url, {})
        assert response.status_code == code, (role, method, url)
    # Nothing changed by any of it, except the one user's own absence ended.
    assert not Attempt.objects.exists()
    assert Call.objects.get(pk=world["call"].pk).assignee == world["users"]["am_own"]


def test_signed_out_users_go_to_sign_in(client, world):
    for url in ["/calls/", f"/calls/{world['call'].pk}/", "/calls/discipline/", "/calls/overdue/"]:
        assert client.get(url)["Location"].startswith("/signin/")


def test_missing_call_is_404(client, am):
    client.force_login(am)
    assert client.get("/calls/999999/").status_code == 404


def test_call_list_shows_own_calls_with_escaped_reason_and_tel_link(client, world, am):
    client.force_login(am)
    html = client.get("/calls/").content.decode()
    call = world["call"]
    assert call.contact.name in html and f"/calls/{call.pk}/" in html
    assert 'href="tel:+4512345678"' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; late again" in html and "<script>alert" not in html
    assert f"/calls/{world['other_call'].pk}/" not in html
    assert "Due today" in html or "Overdue" in html or call.due_on.strftime("%-d") in html


def test_call_list_orders_overdue_and_today_first(client, am, account):
    today = timezone.localdate()
    later = bulk_calls(account, 1, due_on=today + timedelta(days=5))[0]
    overdue = bulk_calls(account, 1, due_on=today - timedelta(days=3))[0]
    due_today = bulk_calls(account, 1, due_on=today)[0]
    client.force_login(am)
    ids = [c.pk for c in client.get("/calls/").context["calls"]]
    assert ids == [overdue.pk, due_today.pk, later.pk]


def test_reached_call_with_bad_input_changes_nothing(client, world, am):
    client.force_login(am)
    response = client.post(f"/calls/{world['call'].pk}/attempt/", {"outcome": "reached", "agreed": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose the root cause." in html and "Write down what you agreed" in html
    assert not Attempt.objects.exists()


def test_attempt_reached_then_email_form_prefilled(client, world, am):
    client.force_login(am)
    cause = RootCause.objects.get(name="Delivery")
    response = client.post(f"/calls/{world['call'].pk}/attempt/",
                           {"outcome": "reached", "root_cause": cause.pk, "agreed": "Two pallets on Monday"})
    assert response.status_code == 302
    html = client.get(f"/calls/{world['call'].pk}/").content.decode()
    assert "Close the loop by email" in html and "Two pallets on Monday" in html
    assert "Request a recovery survey" in html


def test_settings_page_saves_valid_values_and_refuses_bad_ones(client, admin_user):
    from followups.models import FollowupSettings

    client.force_login(admin_user)
    bad = client.post("/calls/settings/", {"detractor_due_days": -1, "passive_due_days": 7,
                                           "promoter_due_days": 14, "max_unanswered_attempts": 3})
    assert bad.status_code == 400 and FollowupSettings.current().detractor_due_days == 2
    client.post("/calls/settings/", {"detractor_due_days": 1, "passive_due_days": 5,
                                     "promoter_due_days": 10, "max_unanswered_attempts": 4})
    row = FollowupSettings.current()
    assert (row.detractor_due_days, row.passive_due_days, row.promoter_due_days, row.max_unanswered_attempts) == (
        1, 5, 10, 4)


def test_rm_overdue_view_lists_region_calls_only(client, world, rm):
    Call.objects.update(due_on=timezone.localdate() - timedelta(days=2))
    call_summaries_rebuild()  # a due date written around the services: recount
    client.force_login(rm)
    html = client.get("/calls/overdue/").content.decode()
    assert f"/calls/{world['call'].pk}/" in html and f"/calls/{world['other_call'].pk}/" not in html


@pytest.mark.parametrize("n", [10, 1000])
def test_call_list_query_count_is_flat(client, am, account, max_queries, n):
    # +1 on every staff page: the navigation's count of new answers (feedback context processor).
    bulk_calls(account, n)
    client.force_login(am)
    client.get("/calls/")  # warm FollowupSettings/session
    with max_queries(9):
        response = client.get("/calls/")
    assert response.status_code == 200 and len(response.context["calls"]) == min(n, 50)


@pytest.mark.parametrize("n", [10, 1000])
def test_overdue_view_query_count_is_flat(client, rm, account, max_queries, n):
    bulk_calls(account, n, due_on=timezone.localdate() - timedelta(days=9))
    client.force_login(rm)
    with max_queries(11):  # +2: the summary rows' pairs of the RM's scope (surveys.selectors.pairs_in_scope)
        response = client.get("/calls/overdue/")
    assert response.status_code == 200 and response.context["page"].paginator.count == n


def test_partials_render_what_they_are_given(world, rm, am):
    """The follow-up partials the answer's page and the rollups include (and the cell the
    per-AM rows write by a tag), rendered from the figures their page's view passes."""
    from django.template.loader import render_to_string

    from followups.selectors import (
        call_for_response,
        discipline_by_am,
        discipline_figures,
        overdue_for_rm_context,
        uncalled_detractor_calls,
    )
    from followups.tallies import call_summaries_rebuild
    from followups.templatetags.pulse_followups import am_followup_td
    from surveys.selectors import accounts_visible_to

    Call.objects.filter(pk=world["call"].pk).update(due_on=timezone.localdate() - timedelta(days=10))
    call = call_for_response(am, world["call"].response)
    html = render_to_string("followups/_call_for_response.html", {"call": call})
    assert "Open the call" in html and f"/calls/{call.pk}/" in html
    assert "No call queued" in render_to_string("followups/_call_for_response.html", {"call": None})
    assert call_for_response(world["users"]["am_other"], world["call"].response) is None  # out of scope
    recent = answer_with_call(world["call"].account, score=5, name="Rita Recent")
    Call.objects.filter(pk=recent.pk).update(due_on=timezone.localdate() - timedelta(days=3))
    call_summaries_rebuild()  # due dates written around the services: recount
    context = overdue_for_rm_context(rm)
    html = render_to_string("followups/_overdue_for_rm.html", context)
    assert world["call"].contact.name in html and world["other_call"].contact.name not in html
    # Overdue is one definition (open past the due date); "more than 7 days" is a part of it, named.
    assert "Rita Recent" in html and context["overdue"]["count"] == 2 and context["overdue"]["long"] == 1
    assert '2</strong> calls open past their due date, 1 of them by more than 7 days' in html
    accounts = accounts_visible_to(rm)
    html = render_to_string("followups/_discipline_summary.html", {"discipline": discipline_figures(accounts)})
    assert "Follow-up discipline" in html
    assert "Follow-up done" in render_to_string("followups/_am_followup_th.html", {})
    td = am_followup_td(discipline_by_am(accounts)[am.pk])
    assert td.strip().startswith("<td") and "0%" in td
    assert am_followup_td(None).strip() == '<td class="followup-done">—</td>'
    html = render_to_string("followups/_at_risk_uncalled.html", {"calls": uncalled_detractor_calls(accounts)})
    assert world["call"].contact.name in html and world["other_call"].contact.name not in html


@pytest.mark.parametrize("attempts", [1, 2])
def test_call_page_query_count_is_flat(client, am, account, max_queries, attempts):
    from followups.models import FollowupSettings
    from followups.services import attempt_log

    FollowupSettings.objects.filter(pk=FollowupSettings.current().pk).update(max_unanswered_attempts=5)
    call = answer_with_call(account, score=4)
    for _ in range(attempts):
        attempt_log(call_id=call.pk, by=am, outcome="no_answer", note="tried")
    client.force_login(am)
    client.get(f"/calls/{call.pk}/")
    with max_queries(12):  # 11, and the themes of the answer's reason
        assert client.get(f"/calls/{call.pk}/").status_code == 200


def test_recently_closed_list(client, am, account):
    from followups.services import attempt_log

    done = answer_with_call(account, score=6)
    attempt_log(call_id=done.pk, by=am, outcome="declined")
    still_open = answer_with_call(account, score=8)
    client.force_login(am)
    html = client.get("/calls/?show=closed").content.decode()
    assert f"/calls/{done.pk}/" in html and f"/calls/{still_open.pk}/" not in html and "Declined" in html


# --- A handed-over account: its calls follow it (DESIGN §3) ----------------------------------

@pytest.fixture
def handed_over(client, am, rm, account, region, django_capture_on_commit_callbacks):
    """`am` owned `account`: one open call, one reached (closed) call, and one reached while
    `cover` covered for `am`. Then `rm` gives the account to `new_am`, on its page."""
    cover = UserFactory(role="am", full_name="Carl Cover")
    AccountFactory(owner=cover, region=region)
    new_am = UserFactory(role="am", full_name="Nina New")
    cause = RootCause.objects.first()
    open_call = answer_with_call(account, score=2, name="Olga Open")
    closed_call = answer_with_call(account, score=3, name="Carla Closed")
    attempt_log(call_id=closed_call.pk, by=am, outcome="reached", root_cause_id=cause.pk, agreed="A new slot")
    absence = absence_set(user=am, cover_id=cover.pk, starts_on=timezone.localdate(), ends_on=timezone.localdate())
    covered_call = answer_with_call(account, score=1, name="Cora Covered")
    assert covered_call.assignee == cover
    attempt_log(call_id=covered_call.pk, by=cover, outcome="reached", root_cause_id=cause.pk, agreed="Credit note")
    absence_end(absence_id=absence.pk, user=am)
    client.force_login(rm)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/accounts/{account.pk}/owner/", {"new_owner": new_am.pk}).status_code == 302
    client.logout()
    return {"former_owner": am, "former_cover": cover, "new_owner": new_am, "rm": rm,
            "open": open_call, "closed": closed_call, "covered": covered_call}


CALL_URLS = [
    ("get", "/calls/{call}/"),
    ("post", "/calls/{call}/attempt/"),
    ("post", "/calls/{call}/email/"),
    ("post", "/calls/{call}/recovery/"),
    ("get", "/calls/{call}/reassign/"),
    ("post", "/calls/{call}/reassign/"),
]
# Codes for the new owner, per call: they read and work the open call and the closed ones
# (reassigning is for open calls only).
NEW_OWNER_CODES = {
    "open": [200, 400, 400, 400, 200, 400],
    "closed": [200, 400, 400, 400, 403, 403],
    "covered": [200, 400, 400, 400, 403, 403],
}


@pytest.mark.parametrize("which", ["open", "closed", "covered"])
def test_scope_matrix_of_a_handed_over_account(client, handed_over, which):
    call = handed_over[which]
    for user in ("former_owner", "former_cover"):
        client.force_login(handed_over[user])
        for method, url in CALL_URLS:
            response = getattr(client, method)(url.format(call=call.pk), {})
            assert response.status_code == 404, (user, method, url, response.status_code)
    client.force_login(handed_over["new_owner"])
    for (method, url), code in zip(CALL_URLS, NEW_OWNER_CODES[which], strict=True):
        response = getattr(client, method)(url.format(call=call.pk), {})
        assert response.status_code == code, ("new owner", method, url, response.status_code)
    client.force_login(handed_over["rm"])
    assert client.get(f"/calls/{call.pk}/").status_code == 200


def test_a_former_owner_cannot_email_the_customer_nor_list_the_calls(client, handed_over):
    from django.core import mail

    from followups.models import CloseLoopEmail

    closed = handed_over["closed"]
    client.force_login(handed_over["former_owner"])
    response = client.post(f"/calls/{closed.pk}/email/", {"subject": "About your delivery", "body": "Sorted."})
    assert response.status_code == 404
    assert not CloseLoopEmail.objects.exists() and mail.outbox == []
    for page in ("/calls/", "/calls/?show=closed"):
        html = client.get(page).content.decode()
        assert all(f"/calls/{handed_over[k].pk}/" not in html for k in ("open", "closed", "covered")), page
    client.force_login(handed_over["new_owner"])
    response = client.post(f"/calls/{closed.pk}/email/", {"subject": "About your delivery", "body": "Sorted."})
    assert response.status_code == 302 and CloseLoopEmail.objects.get().sent_by == handed_over["new_owner"]
    assert f"/calls/{handed_over['open'].pk}/" in client.get("/calls/").content.decode()


# --- The AM's list by urgency ----------------------------------------------------------------

def test_two_fresh_detractors_come_above_nine_old_overdue_promoters(client, am, account):
    today = timezone.localdate()
    old_promoters = bulk_calls(account, 9, score=9, due_on=today - timedelta(days=200))
    fresh_detractors = bulk_calls(account, 2, score=2, due_on=today - timedelta(days=1))
    client.force_login(am)
    response = client.get("/calls/")
    ids = [c.pk for c in response.context["calls"]]
    assert ids == [c.pk for c in fresh_detractors] + [c.pk for c in old_promoters]
    html = response.content.decode()
    assert html.count("1 day overdue") == 2 and html.count("200 days overdue") == 9


def test_call_list_groups_overdue_today_later_with_detractors_first_in_each(client, am, account):
    from followups.selectors import call_list_for, calls_by_urgency

    today = timezone.localdate()
    later_promoter = bulk_calls(account, 1, score=10, due_on=today + timedelta(days=3))[0]
    later_detractor = bulk_calls(account, 1, score=1, due_on=today + timedelta(days=9))[0]
    today_passive = bulk_calls(account, 1, score=7, due_on=today)[0]
    today_detractor = bulk_calls(account, 1, score=0, due_on=today)[0]
    overdue_old_passive = bulk_calls(account, 1, score=8, due_on=today - timedelta(days=30))[0]
    overdue_new_passive = bulk_calls(account, 1, score=8, due_on=today - timedelta(days=2))[0]
    overdue_detractor = bulk_calls(account, 1, score=5, due_on=today - timedelta(days=1))[0]

    groups = calls_by_urgency(list(call_list_for(am, today=today)), today)
    assert [(name, [c.pk for c in calls], n) for name, calls, n in groups] == [
        ("overdue", [overdue_detractor.pk, overdue_old_passive.pk, overdue_new_passive.pk], 3),
        ("today", [today_detractor.pk, today_passive.pk], 2),
        ("later", [later_detractor.pk, later_promoter.pk], 2),
    ]
    assert [c.days_late for c in groups[0][1]] == [1, 30, 2]

    client.force_login(am)
    html = client.get("/calls/").content.decode()
    headings = [html.index(f'id="calls-{name}"') for name in ("overdue", "today", "later")]
    assert headings == sorted(headings)
    assert ">Overdue <" in html and ">Today <" in html and ">Later <" in html
    assert "30 days overdue" in html and "Due today" in html


def test_group_counts_cover_every_page(client, am, account):
    today = timezone.localdate()
    bulk_calls(account, 60, score=9, due_on=today - timedelta(days=3))
    bulk_calls(account, 2, score=9, due_on=today)
    client.force_login(am)
    first = client.get("/calls/")
    assert [(name, len(calls), n) for name, calls, n in first.context["groups"]] == [("overdue", 50, 60)]
    second = client.get("/calls/?page=2")
    assert [(name, len(calls), n) for name, calls, n in second.context["groups"]] == [
        ("overdue", 10, 60), ("today", 2, 2)]


def test_call_list_groups_in_danish(client, am, account):
    today = timezone.localdate()
    bulk_calls(account, 1, score=2, due_on=today - timedelta(days=4))
    bulk_calls(account, 1, score=9, due_on=today + timedelta(days=4))
    client.force_login(am)
    html = client.get("/calls/", HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert "Overskredet" in html and "Senere" in html and "4 dage over fristen" in html


# --- The RM's overdue page: filters and order -------------------------------------------------

@pytest.fixture
def overdue_book(rm, am, account, colleague):
    """Overdue calls of two AMs in the RM's region: Anna's detractor 20 days late and her
    promoter 3 days late, Bo's passive 8 days late."""
    from followups.tallies import call_summaries_rebuild

    today = timezone.localdate()
    colleague_account = colleague.owned_accounts.get()
    book = {
        "anna_detractor": bulk_calls(account, 1, score=2, due_on=today - timedelta(days=20))[0],
        "anna_promoter": bulk_calls(account, 1, score=10, due_on=today - timedelta(days=3))[0],
        "bo_passive": bulk_calls(colleague_account, 1, score=7, due_on=today - timedelta(days=8))[0],
    }
    bulk_calls(account, 1, score=2, due_on=today)  # due today: not overdue
    call_summaries_rebuild()
    return book


def _ids(response):
    return [c.pk for c in response.context["calls"]]


def test_overdue_page_sorts_most_overdue_first_by_default_and_least_on_request(client, rm, overdue_book):
    b = overdue_book
    client.force_login(rm)
    most = [b["anna_detractor"].pk, b["bo_passive"].pk, b["anna_promoter"].pk]
    assert _ids(client.get("/calls/overdue/")) == most
    assert _ids(client.get("/calls/overdue/?sort=most_late")) == most
    response = client.get("/calls/overdue/?sort=least_late")
    assert _ids(response) == most[::-1]
    assert "oldest first" not in response.content.decode()


def test_overdue_page_filters_by_am_and_category(client, rm, am, colleague, overdue_book):
    b = overdue_book
    client.force_login(rm)
    response = client.get("/calls/overdue/")
    assert [label for _value, label in response.context["form"].fields["am"].choices] == [
        "Everyone", "Anna Andersen", "Bo Berg"]
    assert _ids(client.get(f"/calls/overdue/?am={am.pk}")) == [b["anna_detractor"].pk, b["anna_promoter"].pk]
    assert _ids(client.get(f"/calls/overdue/?am={colleague.pk}")) == [b["bo_passive"].pk]
    assert _ids(client.get("/calls/overdue/?category=detractor")) == [b["anna_detractor"].pk]
    response = client.get(f"/calls/overdue/?am={am.pk}&category=promoter&sort=least_late")
    assert _ids(response) == [b["anna_promoter"].pk]
    html = response.content.decode()
    assert "1 of them match." in html and "Clear the filters" in html
    # The scope's count stays the scope's: the filters narrow the list, not the figure.
    assert response.context["overdue"]["count"] == 3
    assert _ids(client.get(f"/calls/overdue/?am={colleague.pk}&category=detractor")) == []


def test_overdue_page_leaves_out_a_bad_filter_and_says_so(client, rm, director, overdue_book):
    outsider = UserFactory(role="am", full_name="Ulla Udenfor")
    client.force_login(rm)
    for query in (f"am={outsider.pk}", "am=abc", "category=angry", "sort=random", "am=\u0663"):
        response = client.get(f"/calls/overdue/?{query}")
        assert response.status_code == 200, query
        assert len(_ids(response)) == 3, query  # the bad filter is left out
        assert "Not one of the choices: left out." in response.content.decode(), query


def test_overdue_filters_stay_on_the_next_page(client, rm, am, account):
    from followups.tallies import call_summaries_rebuild

    bulk_calls(account, 55, score=2, due_on=timezone.localdate() - timedelta(days=4))
    call_summaries_rebuild()
    client.force_login(rm)
    html = client.get(f"/calls/overdue/?am={am.pk}&category=detractor").content.decode()
    assert f"?am={am.pk}&amp;category=detractor&amp;page=2" in html


def test_overdue_page_in_danish(client, rm, overdue_book):
    client.force_login(rm)
    html = client.get("/calls/overdue/?sort=least_late", HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert "Mindst overskredne først" in html and "Alle kategorier" in html
