"""The read endpoints driven over real HTTP against a live server (the services run), as
a CRM or a helpdesk would: an AM's key walks the answers a cursor page at a time, lists
its calls and logs an attempt; a read-only key reads the figures; a far key gets 404s."""

import json
import os
import urllib.error
import urllib.request

import pytest

from feedback.models import Response
from followups.models import Attempt
from followups.services import call_queue_for_response
from surveys.models import ApiKey
from tests import factories
from tests.conftest import needs
from tests.followups.conftest import figures_rebuild
from tests.surveys.api_client import key_for


def _http(url: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None,
                                     method="POST" if body is not None else "GET",
                                     headers={"Authorization": f"Bearer {token}", "Accept": "application/json",
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.mark.django_db(transaction=True)
def test_a_crm_reads_answers_calls_and_figures_over_http(live_server, am, rm, admin_user, region, account):
    needs("PostgreSQL (DATABASE_URL)", bool(os.environ.get("DATABASE_URL")))
    region.manager = rm
    region.save()
    answers = [factories.ResponseFactory(invitation__contact__account=account, score=score)
               for score in (2, 9, 10, 6, 8, 3, 10) * 3]
    detractor = next(answer for answer in answers if answer.category == "detractor")
    call = call_queue_for_response(response_id=detractor.pk)
    far = factories.ResponseFactory(invitation__contact__account=factories.AccountFactory(), score=1)
    figures_rebuild()  # the factories write around the services that keep the summaries
    am_key = key_for(am, by=admin_user)[1]
    api = f"{live_server.url}/api/v1"

    seen, url = [], f"{api}/answers?page_size=5"
    while url:
        status, body = _http(url, am_key)
        assert status == 200, body
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(answer.pk for answer in answers)  # each once, none of another region
    assert _http(f"{api}/answers/{far.pk}", am_key)[0] == 404

    status, body = _http(f"{api}/calls?state=open", am_key)
    assert status == 200 and [row["id"] for row in body["results"]] == [call.pk]
    status, body = _http(f"{api}/calls/{call.pk}/attempts", am_key, {"outcome": "no_answer", "note": "rang"})
    assert status == 201 and body["call"]["unanswered_attempts"] == 1
    assert Attempt.objects.filter(call=call, outcome="no_answer").count() == 1

    reader = key_for(admin_user, by=admin_user, scope=ApiKey.Scope.READ_ONLY)[1]
    status, body = _http(f"{api}/figures?region={region.pk}&period=all", reader)
    assert status == 200, body
    counted = Response.objects.filter(account__region=region, suspect=False)
    promoters, detractors = counted.filter(score__gte=9).count(), counted.filter(score__lte=6).count()
    figures = body["figures"]
    assert (figures["n"], figures["promoters"], figures["detractors"]) == (counted.count(), promoters, detractors)
    assert _http(f"{api}/calls/{call.pk}/attempts", reader, {"outcome": "no_answer"})[0] == 403
