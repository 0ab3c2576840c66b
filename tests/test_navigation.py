"""The navigation per role: at most six items in the top bar, the rest as tabs of the
section the page belongs to, each tab only for those who may open it."""

import re

import pytest
from django.urls import reverse

TOP_BAR = {
    "am": ["Inbox", "Calls", "Answers", "Next wave"],
    "rm": ["Region", "Calls", "Answers", "Waves"],
    "director": ["Organisation", "Region", "Calls", "Answers", "Waves"],
    "admin": ["Organisation", "Region", "Calls", "Answers", "Waves", "Settings"],
}


def _top_bar(body: str) -> list[str]:
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', body, re.S).group(1)
    return [re.sub(r"<[^>]+>|\s+\d+$", "", label).strip() for label in re.findall(r"<a [^>]*>(.*?)</a>", nav, re.S)]


def _tabs(body: str) -> list[str]:
    found = re.search(r'<nav class="tabs" aria-label="Pages of this section">(.*?)</nav>', body, re.S)
    return re.findall(r"<a [^>]*>(.*?)</a>", found.group(1)) if found else []


@pytest.fixture
def users(am, rm, director, admin_user):
    return {"am": am, "rm": rm, "director": director, "admin": admin_user}


@pytest.mark.parametrize("role", TOP_BAR)
def test_each_role_sees_at_most_six_items(client, users, role):
    client.force_login(users[role])
    body = client.get(reverse("feedback:answers")).content.decode()
    assert _top_bar(body) == TOP_BAR[role]
    assert len(TOP_BAR[role]) <= 6
    assert 'href="/answers/" aria-current="page"' in body
    assert "Notifications" in body  # beside the user's name, not in the top bar


@pytest.mark.parametrize(("role", "tabs"), [
    ("am", ["Call list", "Follow-up discipline"]),
    ("rm", ["Call list", "Overdue calls", "Follow-up discipline"]),
    ("admin", ["Call list", "Overdue calls", "Follow-up discipline"]),
])
def test_the_calls_section_s_tabs_follow_the_role(client, users, role, tabs):
    client.force_login(users[role])
    body = client.get(reverse("reports:discipline")).content.decode()
    assert _tabs(body) == tabs
    assert re.search(r'<a href="/calls/discipline/" aria-current="page">Follow-up discipline</a>', body)


def test_the_settings_are_tabs_of_the_administrator_only(client, users):
    client.force_login(users["admin"])
    body = client.get(reverse("surveys:audit_log")).content.decode()
    assert _tabs(body) == ["Survey program", "Call settings", "Import customers", "Themes", "Audit log",
                            "API keys", "Webhooks"]
    client.force_login(users["am"])
    body = client.get(reverse("wave_next")).content.decode()
    assert _tabs(body) == []  # one page in the section for an AM: no tabs
    assert "Settings" not in _top_bar(body)


def test_a_page_outside_every_section_has_no_tabs(client, users):
    client.force_login(users["rm"])
    body = client.get(reverse("reports:region_home")).content.decode()
    assert _tabs(body) == [] and 'href="/region/" aria-current="page"' in body
