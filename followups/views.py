"""Pages of the follow-up calls. Thin: parse, check scope (404 outside it), call one service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from surveys.selectors import regions_visible_to

from . import open_call_list, selectors, services
from .forms import (
    AbsenceForm,
    AttemptForm,
    CloseLoopEmailForm,
    FollowupSettingsForm,
    OverdueFilterForm,
    ReassignForm,
    RecoveryForm,
)
from .models import Call, FollowupSettings

PAGE_SIZE = 50


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _paginate(calls, number, *, count: int | None = None):
    """A page of calls: the page's ids first (an index walk), then those rows with their
    related rows (a deferred join), so page 50 costs about what page 1 does. `count`: how
    many calls there are, when a summary says so without counting the calls."""
    paginator = Paginator(calls.values_list("pk", flat=True), PAGE_SIZE)
    if count is not None:
        paginator.count = count  # a cached property: set, it is not counted again
    page = paginator.get_page(number)
    ids = list(page.object_list)
    by_id = calls.order_by().in_bulk(ids)
    return page, [by_id[pk] for pk in ids]


def _call_or_404(request, call_id: int) -> Call:
    call = selectors.call_get_for(request.user, call_id)
    if call is None:
        raise Http404
    return call


def _workable_call_or_404(request, call_id: int) -> Call:
    """The call, for someone who may work it: 404 outside their scope, 403 within it otherwise."""
    call = _call_or_404(request, call_id)
    if not selectors.call_can_work(request.user, call):
        raise PermissionDenied
    return call


@login_required
def call_list(request):
    closed = request.GET.get("show") == "closed"
    today = timezone.localdate()
    if closed:
        page, rows = _paginate(selectors.calls_closed_recently_for(request.user), request.GET.get("page"))
        groups = [("closed", rows, len(rows))]
    else:
        ids = open_call_list.OpenCallIds(request.user, today)
        page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = open_call_list.calls_listed(page.object_list)
        groups = selectors.calls_by_urgency(rows, today, ids.group_counts())
    return render(request, "followups/call_list.html", {
        "page": page, "calls": rows, "closed": closed, "today": today, "groups": groups,
    })


def _detail_context(request, call: Call, **forms) -> dict:
    user = request.user
    can_work = selectors.call_can_work(user, call)
    context = {
        "call": call,
        "response": call.response,
        # What the customer's reason talks about, beside what the call found (the root cause).
        "themes": selectors.call_themes(call),
        "attempts": call.attempts.select_related("by"),
        "emails": call.emails.select_related("sent_by", "outbox_message"),
        "recovery": getattr(call, "recovery_request", None),
        "can_work": can_work,
        "can_reassign": selectors.call_can_reassign(user, call),
        "today": timezone.localdate(),
        "max_unanswered": FollowupSettings.current().max_unanswered_attempts,
    }
    if can_work and call.is_open:
        context["attempt_form"] = forms.get("attempt_form") or AttemptForm()
    if can_work and call.state == Call.State.REACHED:
        if not call.contact.bounced_at:
            context["email_form"] = forms.get("email_form") or CloseLoopEmailForm(
                initial=services.close_loop_draft(call, sender=user)
            )
        if (call.category == "detractor" and context["recovery"] is None and call.contact.reachable):
            context["recovery_form"] = forms.get("recovery_form") or RecoveryForm()
    return context


@login_required
def call_detail(request, call_id: int):
    call = _call_or_404(request, call_id)
    return render(request, "followups/call_detail.html", _detail_context(request, call))


@login_required
@require_POST
def call_attempt(request, call_id: int):
    call = _workable_call_or_404(request, call_id)
    form = AttemptForm(request.POST)
    if form.is_valid():
        try:
            attempt = form.attempt_log(call_id=call.pk, by=request.user)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            call.refresh_from_db()
            if call.state == Call.State.UNREACHABLE:
                messages.warning(request, _("Logged. After %(n)d unanswered attempts the call is closed as "
                                            "unreachable.") % {"n": call.unanswered_attempts})
            else:
                messages.success(request, _("Logged: %(outcome)s.") % {"outcome": attempt.get_outcome_display()})
            if call.state == Call.State.REACHED:
                return redirect("followups:detail", call_id=call.pk)
            return redirect("followups:list")
    call = _call_or_404(request, call_id)
    return render(request, "followups/call_detail.html", _detail_context(request, call, attempt_form=form),
                  status=400)


@login_required
@require_POST
def call_email(request, call_id: int):
    call = _workable_call_or_404(request, call_id)
    form = CloseLoopEmailForm(request.POST)
    if form.is_valid():
        try:
            email = services.close_loop_email_queue(
                call_id=call.pk, by=request.user, subject=form.cleaned_data["subject"], body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Email to %(to)s queued for sending.") % {"to": email.to})
            return redirect("followups:detail", call_id=call.pk)
    return render(request, "followups/call_detail.html", _detail_context(request, call, email_form=form),
                  status=400)


@login_required
@require_POST
def call_recovery(request, call_id: int):
    call = _workable_call_or_404(request, call_id)
    form = RecoveryForm(request.POST)
    if form.is_valid():
        try:
            recovery = services.recovery_request(
                call_id=call.pk, by=request.user, survey_in_days=form.cleaned_data["survey_in_days"]
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("We will ask %(name)s again from %(date)s.") % {
                "name": call.contact.name, "date": recovery.survey_on.isoformat()})
            return redirect("followups:detail", call_id=call.pk)
    return render(request, "followups/call_detail.html", _detail_context(request, call, recovery_form=form),
                  status=400)


@login_required
@require_http_methods(["GET", "POST"])
def call_reassign(request, call_id: int):
    call = _call_or_404(request, call_id)
    if not selectors.call_can_reassign(request.user, call):
        raise PermissionDenied
    candidates = selectors.reassign_candidates(call)
    form = ReassignForm(request.POST or None, candidates=candidates)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.call_reassign(call_id=call.pk, by=request.user, assignee_id=form.cleaned_data["assignee"].pk)
            except ValidationError as error:
                _form_errors(form, error)
            else:
                messages.success(request, _("The call is now with %(name)s.") % {"name": form.cleaned_data["assignee"]})
                if selectors.call_get_for(request.user, call.pk) is None:
                    return redirect("followups:list")
                return redirect("followups:detail", call_id=call.pk)
        status = 400
    return render(request, "followups/reassign.html", {"call": call, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def cover(request):
    candidates = selectors.cover_candidates(request.user)
    form = AbsenceForm(request.POST or None, candidates=candidates)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.absence_set(user=request.user, cover_id=data["cover"].pk,
                                     starts_on=data["starts_on"], ends_on=data["ends_on"])
            except ValidationError as error:
                _form_errors(form, error)
            else:
                messages.success(request, _("While you are away, new calls go to %(name)s.") % {"name": data["cover"]})
                return redirect("followups:cover")
        status = 400
    return render(request, "followups/cover.html", {
        "form": form,
        "absences": selectors.absences_of(request.user),
        "covering": selectors.absences_covered_by(request.user),
        "today": timezone.localdate(),
    }, status=status)


@login_required
@require_POST
def cover_end(request, absence_id: int):
    try:
        services.absence_end(absence_id=absence_id, user=request.user)
    except services.Absence.DoesNotExist:
        raise Http404
    messages.success(request, _("Welcome back: new calls come to you again."))
    return redirect("followups:cover")


@login_required
def overdue(request):
    """The overdue calls of the user's scope, or of one region of it (`?region=`), oldest
    first: the same calls and count as the region page's box and the morning email."""
    user = request.user
    if not (user.is_regional_manager or user.sees_everything):
        raise Http404
    region = None
    if request.GET.get("region"):
        region = regions_visible_to(user).filter(pk=_int_or_404(request.GET["region"])).first()
        if region is None:
            raise Http404
    today = timezone.localdate()
    accounts = selectors.overdue_scope(user, region=region)
    calls = selectors.calls_overdue(accounts, today=today)
    form = OverdueFilterForm(request.GET, assignees=selectors.overdue_assignees(accounts, today=today))
    chosen = form.values()
    count = selectors.overdue_count(accounts, today=today, assignee_id=chosen["assignee_id"],
                                    category=chosen["category"])
    page, rows = _paginate(selectors.overdue_filtered(calls, **chosen), request.GET.get("page"), count=count)
    return render(request, "followups/overdue.html", {
        "page": page, "calls": selectors.with_days_late(rows, today), "today": today, "region": region,
        "overdue": selectors.overdue_summary(accounts, today=today),
        "form": form, "sort": chosen["sort"], "filtered": chosen["assignee_id"] or chosen["category"],
    })


def _int_or_404(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def followup_settings(request):
    if not request.user.is_administrator:
        raise Http404
    current = FollowupSettings.current()
    form = FollowupSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        services.followup_settings_update(by=request.user, **form.cleaned_data)
        messages.success(request, _("Follow-up settings saved; they apply to new calls."))
        return redirect("followups:settings")
    return render(request, "followups/settings.html", {"form": form},
                  status=400 if request.method == "POST" else 200)
