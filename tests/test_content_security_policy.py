"""Every page is sent under a strict Content-Security-Policy, and no template needs more:
scripts and styles come from our static files, never inline."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from feedback import views_public
from followups.services import call_queue_for_response
from tests.factories import ContactFactory, InvitationFactory, WaveFactory
from tests.feedback.answer_support import answer_path
from tests.feedback.conftest import world  # noqa: F401 (two regions, three AMs, answers in each)

TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "templates"]


def policy(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy, as directive -> sources."""
    header = response.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_strict(response) -> None:
    directives = policy(response)
    assert directives["script-src"] == ["'self'"], directives
    assert directives["style-src"] == ["'self'"], directives
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    assert not {"'unsafe-inline'", "'unsafe-eval'"} & set(sum(directives.values(), []))


def staff_pages(world, call, wave):  # noqa: F811
    """(who, URL) for every staff page, as the role that may see it."""
    return [
        ("admin", reverse("feedback:inbox")),
        ("admin", reverse("feedback:answers")),
        ("admin", reverse("feedback:definitions")),
        ("admin", reverse("feedback:notification_settings")),
        ("admin", reverse("response_detail", kwargs={"pk": world.response.pk})),
        ("admin", reverse("account_detail", kwargs={"pk": world.account.pk})),
        ("rm", reverse("reports:account_owner", kwargs={"pk": world.account.pk})),
        ("rm", reverse("reports:region_home")),
        ("rm", reverse("reports:region_detail", kwargs={"pk": world.region.pk})),
        ("director", reverse("reports:org_home")),
        ("admin", reverse("reports:discipline")),
        ("am", reverse("followups:list")),
        ("am", reverse("followups:detail", kwargs={"call_id": call.pk})),
        ("rm", reverse("followups:reassign", kwargs={"call_id": call.pk})),
        ("am", reverse("followups:cover")),
        ("rm", reverse("followups:overdue")),
        ("admin", reverse("followups:settings")),
        ("admin", reverse("surveys:customer_import")),
        ("admin", reverse("surveys:program")),
        ("admin", reverse("surveys:wave_list")),
        ("am", reverse("wave_next")),
        ("admin", reverse("surveys:wave_detail", kwargs={"month": wave.month.strftime("%Y-%m")})),
        ("admin", reverse("admin:index")),
        ("admin", reverse("admin:surveys_account_changelist")),
        ("admin", reverse("admin:surveys_account_change", args=[world.account.pk])),
        ("admin", reverse("admin:feedback_response_changelist")),
        ("admin", reverse("admin:outbox_message_changelist")),
        (None, reverse("login")),
        (None, reverse("password_reset")),
        (None, reverse("admin:login")),
    ]


def test_every_staff_page_sends_a_strict_policy(client, world):  # noqa: F811
    call = call_queue_for_response(response_id=world.response.pk)
    wave = WaveFactory()
    for who, url in staff_pages(world, call, wave):
        client.logout()
        if who:
            client.force_login(getattr(world, who))
        response = client.get(url)
        assert response.status_code == 200, (who, url, response.status_code)
        assert_strict(response)


def test_htmx_partials_send_the_policy_too(client, world):  # noqa: F811
    client.force_login(world.admin)
    response = client.get(reverse("feedback:inbox"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert_strict(response)


def test_the_answer_page_keeps_its_own_stricter_policy(client, account):
    invitation = InvitationFactory(contact=ContactFactory(account=account, language="en"))
    response = client.get(answer_path(invitation, score=3))
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == views_public.CONTENT_SECURITY_POLICY
    assert "script-src" not in response["Content-Security-Policy"]


def test_the_dev_outbox_allows_the_emails_inline_styles_and_no_script(client, db, settings):
    from django.core.mail import EmailMultiAlternatives
    from django.test.utils import override_settings

    with override_settings(EMAIL_BACKEND="surveys.mailbox.MailDirBackend"):
        msg = EmailMultiAlternatives("Hello", "Plain", to=["c@customer.test"])
        msg.attach_alternative('<p style="color: #1d2433">Hello</p>', "text/html")
        msg.send()
    settings.DEBUG = True
    name = client.get(reverse("mail_outbox")).context["mails"][0].name
    directives = policy(client.get(reverse("mail_outbox_message", args=[name])))
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
    assert directives["script-src"] == ["'self'"]


# --- Templates: nothing a strict script-src or style-src would block ------------------------

def page_templates() -> dict[str, Path]:
    """Every template a browser renders as a page, by name (emails are not pages: their
    inline styles are how email is styled)."""
    found = {}
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*"):
            if path.suffix in (".html", ".jinja") and not path.relative_to(folder).parts[0] == "emails":
                found[path.relative_to(folder).as_posix()] = path
    assert len(found) > 50
    return found


SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.I | re.S)
DATA_BLOCK = re.compile(r"""type\s*=\s*["']application/(ld\+)?json["']""", re.I)
INSIDE_A_TAG = r"<[a-zA-Z][^<>]*?"


@pytest.mark.parametrize("pattern, what", [
    (re.compile(INSIDE_A_TAG + r"\son[a-z]+\s*=", re.I), "an on*= handler attribute"),
    (re.compile(INSIDE_A_TAG + r"\shx-on", re.I), "an hx-on handler (htmx evaluates it as script)"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
    (re.compile(INSIDE_A_TAG + r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
])
def test_no_template_has_inline_script_or_style(pattern, what):
    # The answer page inlines its stylesheet on purpose, allowed by its hash (views_public).
    allowed = {"feedback/answer/base.jinja": "<style"}
    offenders = []
    for name, path in page_templates().items():
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            if allowed.get(name, "\0") in match.group(0):
                continue
            offenders.append(f"{name}: {match.group(0)[-60:]!r}")
    assert not offenders, f"{what} in templates: {offenders}"


def test_no_template_has_an_inline_script_body():
    offenders = []
    for name, path in page_templates().items():
        for attrs, body in SCRIPT.findall(path.read_text(encoding="utf-8")):
            if body.strip() and not DATA_BLOCK.search(attrs):
                offenders.append(f"{name}: {body.strip()[:60]!r}")
    assert not offenders, f"inline <script> bodies (move them into a static .js file): {offenders}"


def test_every_script_is_one_of_our_static_files():
    sources = set()
    for path in page_templates().values():
        sources |= {attrs for attrs, _ in SCRIPT.findall(path.read_text(encoding="utf-8"))}
    assert sources, "no <script> found: the scan is looking in the wrong place"
    for attrs in sources:
        src = re.search(r"""src\s*=\s*["']([^"']*)["']""", attrs)
        assert src and src.group(1).startswith("{% static "), attrs
