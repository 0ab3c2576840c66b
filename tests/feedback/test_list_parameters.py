"""What the answers list, the inbox and the export make of odd page numbers and months
(the whole matrix of hostile values is tests/reports/test_query_parameters.py)."""

import csv
import io
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback.answer_lists import PAGE_MAX, page_number
from feedback.forms import AnswerFilterForm


@pytest.mark.parametrize(("text", "number"), [
    (None, 1), ("", 1), ("1", 1), ("7", 7), (" 3 ", 3), ("0", 1), ("-4", 1), ("abc", 1), ("1.5", 1),
    ("\u0663", 1), ("\x00", 1), (str(PAGE_MAX), PAGE_MAX), (str(PAGE_MAX + 1), PAGE_MAX),
    ("100000000000000000000", PAGE_MAX), ("9" * 5000, PAGE_MAX),
])
def test_page_number_is_a_page_from_one_to_the_last_one_offered(text, number):
    assert page_number(text) == number


FULL_WIDTH_MONTH = "\uff12\uff10\uff12\uff16-\uff10\uff13"  # 2026-03 in full-width digits


@pytest.mark.parametrize("month", ["9999-12", "0000-00", "0001-01", "2026-13", "2026-3", FULL_WIDTH_MONTH])
def test_a_month_out_of_range_is_reported_and_ignored(month):
    form = AnswerFilterForm({"month": month})
    assert form.answer_filter().month is None
    assert "from 2000 to 9000" in form.errors["month"][0]


def test_a_month_in_range_filters():
    assert AnswerFilterForm({"month": "2026-03"}).answer_filter().month == date(2026, 3, 1)


def test_a_page_past_the_end_says_so_and_links_to_the_first(client, world):
    client.force_login(world.director)
    region = world.region.pk
    body = client.get(reverse("feedback:answers") + f"?region={region}&page=100000000000000000000").content.decode()
    assert f"There are no answers on page {PAGE_MAX}" in body
    assert f'href="?region={region}&amp;page=1"' in body
    client.force_login(world.am)
    body = client.get(reverse("feedback:inbox") + "?page=3").content.decode()
    assert "There are no answers on page 3" in body


def test_the_list_reports_an_impossible_month_and_shows_the_rest(client, world):
    client.force_login(world.director)
    response = client.get(reverse("feedback:answers") + "?month=9999-12&category=detractor")
    body = response.content.decode()
    assert response.status_code == 200 and "Month must look like 2026-03" in body
    assert "Carla Customer" in body
    # The export link carries the filters the list applied, not the one it ignored.
    assert 'export.csv?category=detractor"' in body


def test_the_export_refuses_a_filter_it_does_not_understand(client, world):
    client.force_login(world.director)
    response = client.get(reverse("feedback:answers_export") + "?month=9999-12&category=detractor")
    assert response.status_code == 400 and not response.streaming
    body = response.content.decode()
    assert "no file was made" in body and "Month must look like 2026-03" in body
    assert 'href="/answers/?category=detractor"' in body
    assert "no-store" in response["Cache-Control"]


def test_the_export_of_a_month_is_a_whole_file(client, world):
    client.force_login(world.director)
    month = timezone.localtime(world.response.answered_at).strftime("%Y-%m")
    response = client.get(reverse("feedback:answers_export") + f"?month={month}")
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert text.endswith("\n") and len(rows) == 4  # the header and the world's three answers
