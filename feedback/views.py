"""Staff pages of the feedback app: the inbox and its triage, the answers list and its
export, notification settings. Thin views (parse, check scope, call one service or
selector, render). Anything outside the user's scope answers 404. The answer's own page,
the rollups and the account's page show more than answers: the apps above serve them."""

import csv
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.http import Http404, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from surveys.audit import audit_export_lines
from surveys.models import Account
from surveys.selectors import accounts_visible_to, regions_visible_to

from . import answer_lists, chat, notifications, rollups, selectors, services
from .definitions import DEFINITIONS
from .forms import AnswerFilterForm, ChatSettingsForm, NotificationSettingsForm, TriageForm
from .models import Response


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _filter_in_scope_or_404(user, flt, accounts=None) -> None:
    """A filter naming an account, region or owner outside the user's scope is a 404,
    like the page of that account would be."""
    accounts = accounts if accounts is not None else accounts_visible_to(user)
    if flt.account and not accounts.filter(pk=flt.account).exists():
        raise Http404
    if flt.owner and flt.owner != user.pk and not accounts.filter(owner_id=flt.owner).exists():
        raise Http404
    if flt.region and not regions_visible_to(user).filter(pk=flt.region).exists():
        raise Http404


def _response_or_404(user, pk) -> Response:
    response = selectors.response_for(user, pk)
    if response is None:
        raise Http404
    return response


def _rows_correctable(user, rows: list[Response]) -> list[Response]:
    """Each answer of a list says whether `user` may correct its themes (`can_correct`):
    whoever may triage it (its account is already read)."""
    for row in rows:
        row.can_correct = selectors.can_triage(user, row)
    return rows


# --- The AM's inbox ------------------------------------------------------------------

@login_required
def inbox(request):
    form = AnswerFilterForm(request.GET or None, account_search=True)
    flt = form.answer_filter()
    if "account" in form.errors:
        raise Http404
    _filter_in_scope_or_404(request.user, flt, Account.objects.filter(owner=request.user))
    page = answer_lists.answers_page(answer_lists.inbox_responses(request.user, flt), request.GET.get("page"))
    pinned, pinned_count = [], 0
    if page["number"] == 1:
        pinned = list(answer_lists.inbox_pinned(request.user, flt)[: answer_lists.PINNED_MAX + 1])
        # All of them, also past the PINNED_MAX the section shows (one COUNT, as a triage's).
        pinned_count = answer_lists.inbox_pinned_count(request.user, flt)
    _rows_correctable(request.user, page["rows"] + pinned)
    context = {
        "form": form, "filter": flt, "page": page, "here": request.get_full_path(),
        "pinned": pinned[: answer_lists.PINNED_MAX], "pinned_more": len(pinned) > answer_lists.PINNED_MAX,
        "pinned_count": pinned_count, "themes_offered": selectors.themes_offered(),
    }
    if request.htmx and request.htmx.target == "inbox-list":
        return render(request, "feedback/_inbox_list.html", context)
    return render(request, "feedback/inbox.html", context)


@login_required
@require_POST
def response_triage(request, pk):
    response = _response_or_404(request.user, pk)
    form = TriageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose new, seen or handled."))
        return redirect(_next_url(request, reverse("response_detail", args=[pk])))
    services.response_triage(response=response, state=form.cleaned_data["state"], by=request.user)
    if request.htmx:
        here = _next_url(request, "")
        prefetch_related_objects(_rows_correctable(request.user, [response]), selectors.themes_prefetch())
        context = {"r": response, "here": here, "in_inbox": True, "themes_offered": selectors.themes_offered()}
        # The counts the triage changed come along out of band (the row swaps in place, the
        # page does not reload): the navigation's new answers, and "Detractors to handle"
        # under the inbox's filters (in `next`) when the page shows it (`counts`, hx-vals).
        if request.user.is_account_manager:
            context.update(nav_count_oob=True, nav_new_answers=answer_lists.new_answers_count(request.user))
        if request.POST.get("counts") == "pinned":
            flt = AnswerFilterForm(QueryDict(urlsplit(here).query)).answer_filter()
            context["pinned_count"] = answer_lists.inbox_pinned_count(request.user, flt)
        return render(request, "feedback/_triage_result.html", context)
    messages.success(request, _("Marked as %(state)s.") % {"state": response.get_triage_display().lower()})
    return redirect(_next_url(request, reverse("feedback:inbox")))


@login_required
@require_POST
def response_themes(request, pk):
    """Add (`add=<key>`) or remove (`remove=<key>`) a theme of an answer: with htmx the
    answer's themes come back in place, without JavaScript the page it was sent from."""
    response = _response_or_404(request.user, pk)
    key, present = (request.POST.get("add"), True) if "add" in request.POST else (request.POST.get("remove"), False)
    error = ""
    try:
        theme = services.response_theme_set(response=response, key=key or "", present=present, by=request.user)
    except ValidationError:
        error = _("That theme is not in use: reload the page to see the themes there are.")
    back = _next_url(request, reverse("response_detail", args=[pk]))
    if request.htmx:
        prefetch_related_objects([response], selectors.themes_prefetch())
        context = {"r": response, "can_correct": True, "themes_offered": selectors.themes_offered(),
                   "here": _next_url(request, ""), "themes_error": error}
        # A refusal comes back as the themes with the reason in place (htmx swaps 200s only).
        return render(request, "feedback/_themes.html", context)
    if error:
        messages.error(request, error)
    elif present:
        messages.success(request, _("Theme “%(name)s” added.") % {"name": theme.name_here})
    else:
        messages.success(request, _("Theme “%(name)s” removed.") % {"name": theme.name_here})
    return redirect(back)


# --- Answers list and export ---------------------------------------------------------

@login_required
def answers(request):
    form = AnswerFilterForm(request.GET or None)
    flt = form.answer_filter()
    _filter_in_scope_or_404(request.user, flt)
    page = answer_lists.answers_page(answer_lists.answers_list(request.user, flt), request.GET.get("page"))
    _rows_correctable(request.user, page["rows"])
    now = timezone.now()
    context = {
        "form": form,
        "filter": flt,
        "page": page,
        "figures": rollups.filter_figures(request.user, flt, now=now),
        "as_of": now,
        "context_names": _filter_names(request.user, flt),
        "export_query": urlencode(flt.params()),  # the filters shown, not the ignored ones
        "here": request.get_full_path(),
        "themes_offered": selectors.themes_offered(),
    }
    if request.htmx and request.htmx.target == "answers-list":
        return render(request, "feedback/_answers_list.html", context)
    return render(request, "feedback/answers.html", context)


def _filter_names(user, flt):
    """Names of the region/owner/account in the filter, for the heading (scoped: a foreign id
    shows nothing and matches nothing)."""
    names = []
    if flt.region:
        region = regions_visible_to(user).filter(pk=flt.region).first()
        names.append(("Region", region.name if region else "—"))
    if flt.owner:
        owner = accounts_visible_to(user).filter(owner_id=flt.owner).select_related("owner").first()
        names.append(("Account manager", str(owner.owner) if owner else "—"))
    if flt.account:
        account = accounts_visible_to(user).filter(pk=flt.account).first()
        names.append(("Account", account.name if account else "—"))
    return names


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    """Text a customer typed must not run as a formula when the CSV opens in a spreadsheet."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class _Echo:
    def write(self, value):
        return value


@never_cache  # customers' names and emails: no browser or proxy keeps a copy
@login_required
def answers_export(request):
    form = AnswerFilterForm(request.GET or None)
    flt = form.answer_filter()
    _filter_in_scope_or_404(request.user, flt)
    if form.errors:
        # The list shows a bad filter and ignores it; a file of other answers than the ones
        # asked for would pass for the right one, so the export says what is wrong instead.
        return render(request, "feedback/export_refused.html", {"form": form, "filter": flt}, status=400)
    # The query is built here, before the first byte is sent, so a filter it cannot take
    # fails as a whole response, never as a file cut off after its header.
    export_rows = answer_lists.export_rows(request.user, flt)
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(answer_lists.EXPORT_HEADER)
        for row in export_rows:
            row = [_cell(v) for v in row]
            row[1] = row[1].isoformat()
            row[2] = row[2].isoformat()
            yield writer.writerow(row)

    lines = audit_export_lines(rows(), request=request, event="answers_exported", filters=flt.params())
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="pulse-answers-{stamp}.csv"'
    return response


# --- Definitions of the figures ----------------------------------------------------------

@login_required
def definitions(request):
    return render(request, "feedback/definitions.html", {"definitions": DEFINITIONS.values()})


# --- Notification settings -------------------------------------------------------------

@login_required
def notification_settings(request):
    current = notifications.notification_settings_for(request.user)
    initial = {"detractor_alerts": current.detractor_alerts, "digest": current.digest,
               "language": request.user.language}
    form = NotificationSettingsForm(request.POST or None, initial=initial)
    chat_form = ChatSettingsForm(request.POST or None, prefix="chat", initial=ChatSettingsForm.initial_of(current))
    context = {"form": form, "chat_form": chat_form, "chat": current}
    if request.method == "POST" and request.POST.get("action") == "chat_test":
        return _chat_test(request, chat_form, context)
    if request.method == "POST" and all([form.is_valid(), chat_form.is_valid()]):
        services.notification_settings_update(user=request.user, **form.cleaned_data)
        chat.chat_settings_update(user=request.user, **chat_form.cleaned_data)
        # The confirmation already in the language just chosen.
        translation.activate(request.user.language or translation.get_language_from_request(request))
        messages.success(request, _("Your notification settings are saved."))
        return redirect("feedback:notification_settings")
    return render(request, "feedback/notification_settings.html", context,
                  status=400 if form.errors or chat_form.errors else 200)


def _chat_test(request, chat_form, context):
    """"Send a test message": post to the address as typed, saving nothing, and say how
    the chat service answered."""
    if not chat_form.is_valid():
        return render(request, "feedback/notification_settings.html", context, status=400)
    data = chat_form.cleaned_data
    if not data["webhook_url"]:
        chat_form.add_error("webhook_url", _("Enter the webhook's address."))
        return render(request, "feedback/notification_settings.html", context, status=400)
    try:
        chat.chat_test_send(user=request.user, kind=data["kind"], webhook_url=data["webhook_url"])
    except chat.ChatPostFailed as failure:
        messages.error(request, _("The test message did not arrive: %(error)s") % {"error": failure})
    else:
        messages.success(request, _("Test message sent. Save to keep these chat settings."))
    return render(request, "feedback/notification_settings.html", context)
