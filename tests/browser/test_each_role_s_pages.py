"""Each role's day on the demo book: every staff page they use, at a laptop's width and on a
phone. axe finds no serious or critical violation; on a phone (360 px) nothing scrolls the
page sideways (wide tables scroll inside their own box) and every control is a 44 px touch
target: buttons, fields, menus, the links of the navigation and the tabs, and the label of
each radio button and check box (the label is what a thumb presses)."""

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from feedback.models import Response
from followups.models import Call
from surveys.demo import demo_logins
from surveys.models import Region, User, Wave

pytestmark = pytest.mark.browser

# Controls smaller than 44 px, as "tag text height": links inside running text are exempt
# (WCAG 2.5.8 spacing exception), as are controls the page hides.
SMALL_CONTROLS = """() => {
  const small = [];
  const seen = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  };
  const controls = [...document.querySelectorAll(
    'button, select, textarea, input:not([type=hidden]):not([type=radio]):not([type=checkbox]),'
    + ' .topbar nav a, .tabs a, a.button')];
  for (const box of document.querySelectorAll('input[type=radio], input[type=checkbox]')) {
    controls.push(box.closest('label') || document.querySelector(`label[for="${box.id}"]`) || box);
  }
  for (const el of controls) {
    if (!el || !seen(el) || el.closest('.skip, [aria-hidden=true]')) continue;
    const r = el.getBoundingClientRect();
    const name = (el.innerText || el.name || el.id || '').trim().slice(0, 30);
    if (r.height < 44 - 0.5) small.push(`${el.tagName} "${name}" ${Math.round(r.height)}px`);
  }
  return small;
}"""


# What sticks out on the right, to name in the failure: the outermost elements reaching
# past the viewport.
OVERFLOWING = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .filter(e => e.parentElement.getBoundingClientRect().right <= window.innerWidth + 0.5)
  .slice(0, 5).map(e => `${e.tagName}.${e.className} "${(e.innerText || '').trim().slice(0, 40)}"`)"""


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", stdout=StringIO())
    return demo_logins()


def _pages(user: User) -> list[str]:
    answers = Response.objects.order_by("-answered_at")
    if user.is_account_manager:
        answers = answers.filter(account__owner=user)
    elif user.is_regional_manager:
        answers = answers.filter(account__region__manager=user)
    answer = answers.first()
    call = Call.objects.filter(response=answer).first()
    account = answer.account
    wave = Wave.objects.order_by("-month").first()
    common = ["/answers/", f"/answers/{answer.pk}/", "/calls/", "/calls/discipline/", "/waves/next/",
              f"/accounts/{account.pk}/", "/drivers/", "/definitions/", "/settings/notifications/", "/calls/cover/"]
    if call is not None:
        common.append(f"/calls/{call.pk}/")
    if user.is_account_manager:
        return ["/inbox/", "/answers/?category=detractor", *common]
    managers = ["/region/", "/calls/overdue/", "/waves/", f"/waves/{wave.month:%Y-%m}/"]
    if not user.is_director:  # the RM and the administrator hand accounts over
        managers.append(f"/accounts/{account.pk}/owner/")
    if user.is_regional_manager:
        return [*managers, *common]
    everyone = ["/organisation/", f"/regions/{Region.objects.first().pk}/", "/organisation/?period=all"]
    if user.is_administrator:
        everyone += ["/program/", "/calls/settings/", "/book/import/", "/themes/", "/audit/"]
    return [*everyone, *managers, *common]


@pytest.mark.parametrize("role", ["am", "rm", "director", "admin"])
def test_each_role_s_pages_pass_axe_and_fit_the_width(page, demo, role):
    """The role's pages, signed in as the demo's first user of that role, at both widths
    (one demo book for both: it takes a while to load). A test per role, so that parallel
    test processes share the walks."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems = {}
    email = next(email for _label, email in demo["users"] if User.objects.get(email=email).role == role)
    for width in (1366, 360):
        page.set_viewport_size({"width": width, "height": 740})
        page.context.clear_cookies()
        page.goto("/signin/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(demo["password"])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        for path in _pages(User.objects.get(email=email)):
            response = page.goto(path)
            assert response.status == 200, (role, path)
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            serious = [f"{v['id']}: {v['nodes'][0]['target']}" for v in axe.run(page).response["violations"]
                       if v["impact"] in ("serious", "critical")]
            wide = page.evaluate("document.documentElement.scrollWidth")
            small = page.evaluate(SMALL_CONTROLS) if width == 360 else []
            if wide > width or small or serious:
                problems[f"{role} {width} {path}"] = {"axe": serious, "scroll_width": wide, "small": small,
                                              "overflowing": page.evaluate(OVERFLOWING) if wide > width else []}
    assert not problems, problems
