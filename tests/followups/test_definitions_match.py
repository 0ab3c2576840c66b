"""The follow-up definitions name the same thresholds the figures use, and every "?" on the
follow-up pages points at a definition that exists."""

import re

import pytest

from feedback.definitions import DEFINITIONS
from followups.selectors import LONG_OVERDUE_DAYS, ON_TIME_STANDARD


def test_definitions_name_the_thresholds_the_figures_use():
    assert f"more than {LONG_OVERDUE_DAYS} days" in str(DEFINITIONS["overdue"].text)
    assert f"{int(ON_TIME_STANDARD * 100)}% or better" in str(DEFINITIONS["on_time"].text)


@pytest.mark.django_db
def test_every_question_mark_on_the_follow_up_pages_has_its_definition(client, rm, account):
    from tests.followups.conftest import answer_with_call

    answer_with_call(account, score=2)
    client.force_login(rm)
    for url in ("/calls/discipline/", "/calls/overdue/", "/region/"):
        html = client.get(url, follow=True).content.decode()
        keys = re.findall(r'href="/definitions/#([a-z_]+)"', html)
        assert keys, url
        assert set(keys) <= set(DEFINITIONS), url
