"""The navigation, grouped per role (at most six items in the top bar), and the tabs of the
section the current page belongs to. Project-level: it names pages of every app, as the
top bar always has (templates/_nav.html), so that no app names a higher one."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Tab:
    label: str
    url_name: str
    # Who sees it: "all", "managers" (RMs, directors, administrators) or "admin".
    audience: str = "all"
    # Other pages that belong under this tab (a wave's page under "All waves").
    also: tuple[str, ...] = ()


SECTIONS: dict[str, tuple[Tab, ...]] = {
    "calls": (
        Tab(_("Call list"), "followups:list", also=("followups:detail", "followups:reassign", "followups:cover")),
        Tab(_("Overdue calls"), "followups:overdue", audience="managers"),
        Tab(_("Follow-up discipline"), "reports:discipline"),
    ),
    "waves": (
        Tab(_("Next wave"), "wave_next"),
        Tab(_("All waves"), "surveys:wave_list", audience="managers", also=("surveys:wave_detail",)),
    ),
    "settings": (
        Tab(_("Survey program"), "surveys:program", audience="admin",
            also=("surveys:program_invitation_preview", "program_answer_preview")),
        Tab(_("Call settings"), "followups:settings", audience="admin"),
        Tab(_("Import customers"), "surveys:customer_import", audience="admin"),
        Tab(_("Themes"), "feedback:themes", audience="admin"),
        Tab(_("Audit log"), "surveys:audit_log", audience="admin"),
        Tab(_("API keys"), "surveys:api_keys", audience="admin"),
        Tab(_("Webhooks"), "surveys:webhooks", audience="admin",
            also=("surveys:webhook_new", "surveys:webhook_detail")),
    ),
}


def _sees(user, audience: str) -> bool:
    if audience == "admin":
        return user.is_administrator
    if audience == "managers":
        return user.is_regional_manager or user.sees_everything
    return True


def section_of(view_name: str) -> str | None:
    for section, tabs in SECTIONS.items():
        if any(view_name == tab.url_name or view_name in tab.also for tab in tabs):
            return section
    return None


def section_tabs(request) -> dict:
    """`nav_section`: the top-bar item to mark as current; `nav_tabs`: the section's tabs the
    user may open, each with its URL and whether it is the page shown (none when the section
    has a single tab for this user)."""
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    if user is None or not user.is_authenticated or match is None:
        return {}
    view_name = match.view_name
    section = section_of(view_name)
    if section is None:
        return {"nav_section": view_name}
    tabs = [
        {"label": tab.label, "url": reverse(tab.url_name),
         "current": view_name == tab.url_name or view_name in tab.also}
        for tab in SECTIONS[section] if _sees(user, tab.audience)
    ]
    return {"nav_section": section, "nav_tabs": tabs if len(tabs) > 1 else []}
