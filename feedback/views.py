"""Staff pages of the feedback app: thin views (parse, check scope, call one service or
selector, render). Anything outside the user's scope answers 404."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from surveys.models import Account
from surveys.selectors import accounts_visible_to, regions_visible_to

from . import answer_lists, notifications, periods, rollups, selectors, services
from .forms import AnswerFilterForm, NoteForm, NotificationSettingsForm, OwnerForm, RollupPeriodForm, TriageForm
from .hooks import rollup_extras
from .models import Response

PAGE_SIZE = 40


def _page(request, qs):
    """Offset pages without counting the whole set: fetch one row more than a page."""
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    rows = list(qs[(number - 1) * PAGE_SIZE : number * PAGE_SIZE + 1])
    return {"rows": rows[:PAGE_SIZE], "number": number, "has_next": len(rows) > PAGE_SIZE, "has_previous": number > 1}


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


# --- The AM's inbox ------------------------------------------------------------------

@login_required
def inbox(request):
    owned = Account.objects.filter(owner=request.user).only("pk", "name").order_by("name")
    form = AnswerFilterForm(request.GET or None, accounts=owned)
    flt = form.answer_filter()
    if "account" in form.errors:
        raise Http404
    _filter_in_scope_or_404(request.user, flt, owned)
    page = _page(request, answer_lists.inbox_responses(request.user, flt))
    pinned = []
    if page["number"] == 1:
        pinned = list(answer_lists.inbox_pinned(request.user, flt)[: answer_lists.PINNED_MAX + 1])
    context = {
        "form": form, "filter": flt, "page": page, "here": request.get_full_path(),
        "pinned": pinned[: answer_lists.PINNED_MAX], "pinned_more": len(pinned) > answer_lists.PINNED_MAX,
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
        messages.error(request, "Choose new, seen or handled.")
        return redirect(_next_url(request, reverse("feedback:response_detail", args=[pk])))
    services.response_triage(response=response, state=form.cleaned_data["state"], by=request.user)
    if request.htmx:
        return render(
            request, "feedback/_answer_row.html",
            {"r": response, "here": request.POST.get("next", ""), "in_inbox": True},
        )
    messages.success(request, f"Marked as {response.get_triage_display().lower()}.")
    return redirect(_next_url(request, reverse("feedback:inbox")))


# --- Answers list and export ---------------------------------------------------------

@login_required
def answers(request):
    form = AnswerFilterForm(request.GET or None)
    flt = form.answer_filter()
    _filter_in_scope_or_404(request.user, flt)
    qs = answer_lists.answers_list(request.user, flt)
    context = {
        "form": form,
        "filter": flt,
        "page": _page(request, qs),
        "figures": rollups.filter_figures(request.user, flt),
        "context_names": _filter_names(request.user, flt),
        "export_query": request.GET.urlencode(),
        "here": request.get_full_path(),
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


@login_required
def answers_export(request):
    flt = AnswerFilterForm(request.GET or None).answer_filter()
    _filter_in_scope_or_404(request.user, flt)
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(answer_lists.EXPORT_HEADER)
        for row in answer_lists.export_rows(request.user, flt):
            row = [_cell(v) for v in row]
            row[1] = row[1].isoformat()
            row[2] = row[2].isoformat()
            yield writer.writerow(row)

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="pulse-answers-{stamp}.csv"'
    return response


# --- The answer's page -----------------------------------------------------------------

@login_required
def response_detail(request, pk):
    response = _response_or_404(request.user, pk)
    services.response_mark_seen(response=response, by=request.user)
    return render(request, "feedback/response_detail.html", _response_context(request, response, NoteForm()))


def _response_context(request, response, note_form):
    return {
        "r": response,
        "history": selectors.contact_history(response),
        "levels": selectors.account_contacts_by_level(response.account),
        "notes": selectors.notes_for(response),
        "note_form": note_form,
        "can_triage": selectors.can_triage(request.user, response),
        "here": request.get_full_path(),
    }


@login_required
@require_POST
def note_add(request, pk):
    response = _response_or_404(request.user, pk)
    form = NoteForm(request.POST)
    saved = False
    if form.is_valid():
        try:
            services.note_add(response=response, author=request.user, text=form.cleaned_data["text"])
            saved = True
        except ValidationError as error:
            form.add_error("text", error)
    if not saved:
        template = "feedback/_notes.html" if request.htmx else "feedback/response_detail.html"
        return render(request, template, _response_context(request, response, form), status=400)
    if request.htmx:
        return render(request, "feedback/_notes.html", _response_context(request, response, NoteForm()))
    messages.success(request, "Note added.")
    return redirect(reverse("feedback:response_detail", args=[pk]) + "#notes")


# --- Rollups -------------------------------------------------------------------------

def _period(request, default="12m"):
    form = RollupPeriodForm(request.GET or None)
    period = form.cleaned_data.get("period") if form.is_valid() else None
    return period or default


@login_required
def region_home(request):
    user = request.user
    if user.sees_everything:
        return redirect("feedback:org_home")
    if not user.is_regional_manager:
        raise Http404
    regions = list(regions_visible_to(user))
    if len(regions) == 1:
        return region_detail(request, regions[0].pk)
    return render(request, "feedback/region_list.html", {"regions": regions})


@login_required
def region_detail(request, pk):
    region = selectors.region_for(request.user, pk)
    if region is None:
        raise Http404
    period = _period(request)
    return render(request, "feedback/region_home.html", {
        "region": region,
        "period": period,
        "periods": RollupPeriodForm.base_fields["period"].choices,
        "rollup": rollups.rollup(request.user, region=region, period=period),
        "extras": rollup_extras(user=request.user, region=region, start=periods.rollup_start(period)),
        "base": {"region": region.pk, **_period_param(period)},
    })


def _period_param(period):
    return {"period": period} if period != "all" else {}


@login_required
def org_home(request):
    if not request.user.sees_everything:
        raise Http404
    period = _period(request)
    return render(request, "feedback/org_home.html", {
        "period": period,
        "periods": RollupPeriodForm.base_fields["period"].choices,
        "rollup": rollups.rollup(request.user, period=period, regions=True),
        "extras": rollup_extras(user=request.user, region=None, start=periods.rollup_start(period)),
        "base": _period_param(period),
    })


# --- The account's page and its owner -------------------------------------------------

@login_required
def account_detail(request, pk):
    account = selectors.account_for(request.user, pk)
    if account is None:
        raise Http404
    return render(request, "feedback/account_detail.html", {
        "account": account,
        "figures": rollups.account_figures(account),
        "trend": rollups.account_trend(account, months=24),
        "levels": selectors.account_contacts_by_level(account),
        "recent": selectors.account_recent_answers(account),
        "ownership": selectors.ownership_history(account),
        "can_change_owner": selectors.can_change_owner(request.user, account),
        "base": {"account": account.pk},
    })


@login_required
def account_owner(request, pk):
    account = selectors.account_for(request.user, pk)
    if account is None:
        raise Http404
    if not selectors.can_change_owner(request.user, account):
        raise PermissionDenied
    candidates = selectors.owner_candidates(account)
    form = OwnerForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_owner_change(account=account, new_owner=form.cleaned_data["new_owner"], by=request.user)
        except ValidationError as error:
            form.add_error("new_owner", error)
        else:
            messages.success(request, f"{account.name} now belongs to {form.cleaned_data['new_owner']}.")
            return redirect("feedback:account_detail", pk=account.pk)
    return render(request, "feedback/account_owner.html", {"account": account, "form": form},
                  status=400 if form.errors else 200)


# --- Notification settings -------------------------------------------------------------

@login_required
def notification_settings(request):
    current = notifications.notification_settings_for(request.user)
    initial = {"detractor_alerts": current.detractor_alerts, "digest": current.digest}
    form = NotificationSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.notification_settings_update(user=request.user, **form.cleaned_data)
        messages.success(request, "Your notification settings are saved.")
        return redirect("feedback:notification_settings")
    return render(request, "feedback/notification_settings.html", {"form": form},
                  status=400 if form.errors else 200)
