import os

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from outbox.selectors import outbox_health

from . import mailbox
from .audit import audit_entries, audit_entry_lines, audit_event_labels
from .book_import import HEADER, OPTIONAL_COLUMNS, BookFileInvalid, book_sample_csv
from .book_import_jobs import PROBLEMS_KEPT, import_job_queue, import_job_read, import_job_shown
from .forms import AuditFilterForm, CustomerImportForm, MailOutboxFilterForm, SignInForm
from .models import ImportJob, Program, User
from .staff import password_reset_ask, staff_send_set_password_links
from .throttle import client_address

AUDIT_PAGE_SIZE = 50


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    """Django's form and pages; the link is sent by the worker (surveys.staff), so that
    neither the page nor its time tells whether the address has an account."""

    def form_valid(self, form):
        password_reset_ask(email=form.cleaned_data["email"], address=client_address(self.request),
                           language=translation.get_language())
        return HttpResponseRedirect(self.get_success_url())


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception:  # noqa: BLE001 - any failure is the answer
        return "down"


def _outbox_state() -> dict | str:
    """Outbox rows that failed for good, and rows overdue for a try (no worker polling)."""
    try:
        return outbox_health()
    except Exception:  # noqa: BLE001 - the database is down: _database_state says so
        return "unknown"


def _broker_and_worker_state() -> tuple[str, str]:
    """Redis, or embedded the folder broker: the same check, and a worker answers a ping or not."""
    from config.celery import app

    folder = (app.conf.broker_transport_options or {}).get("data_folder_out")
    if folder and not os.access(folder, os.W_OK):  # the folder broker: connecting never fails
        return "down", "unknown"
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
    except Exception:  # noqa: BLE001
        return "down", "unknown"
    try:
        replies = app.control.ping(timeout=1.0)
    except Exception:  # noqa: BLE001
        replies = []
    return "ok", ("ok" if replies else "down")


@require_GET
@never_cache
def healthz(request):
    database = _database_state()
    broker, worker = _broker_and_worker_state()
    return JsonResponse(
        {"database": database, "broker": broker, "worker": worker, "outbox": _outbox_state()},
        status=200,
    )


def mail_outbox(request):
    """The embedded outbox: emails written by MailDirBackend (DEBUG only)."""
    if not settings.DEBUG:
        raise Http404
    form = MailOutboxFilterForm(request.GET)
    form.is_valid()  # the filters understood apply; the page shows the others as errors
    mails = mailbox.stored_mails(**{name: value for name, value in form.cleaned_data.items() if value})
    return render(request, "surveys/mail_outbox.html", {"mails": mails, "form": form},
                  status=400 if form.errors else 200)


def mail_outbox_message(request, name):
    if not settings.DEBUG:
        raise Http404
    mail = mailbox.stored_mail(name)
    if mail is None:
        raise Http404
    return render(request, "surveys/mail_outbox_message.html", {"mail": mail})


def _administrator_or_404(request) -> None:
    if not request.user.is_administrator:
        raise Http404


@login_required
def customer_import_upload(request):
    """Administrators upload the customer file; the worker imports it (or only checks it,
    "Check only") and the page follows the job until someone marks its result read."""
    _administrator_or_404(request)
    invalid = None
    if request.method == "POST":
        form = CustomerImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                import_job_queue(data=form.cleaned_data["file"], file_name=request.FILES["file"].name,
                                 dry_run="check" in request.POST, by=request.user)
            except BookFileInvalid as error:
                invalid = error
            else:
                return redirect("surveys:customer_import")
    else:
        form = CustomerImportForm()
    if form.has_error("file", "too_large"):
        status = 413  # Content Too Large: the page says so and points to the command
    elif invalid or form.errors:
        status = 400
    else:
        status = 200
    return render(request, "surveys/customer_import.html", {
        "form": form, "invalid": invalid, "job": import_job_shown(), "header": ",".join(HEADER),
        "optional_columns": ",".join(OPTIONAL_COLUMNS), "currency": Program.current().currency,
        "problems": invalid.problems[:PROBLEMS_KEPT] if invalid else [], "problems_shown": PROBLEMS_KEPT,
    }, status=status)


@login_required
@require_GET
def customer_import_job(request, pk):
    """The job's progress, then its result: the fragment the import page polls."""
    _administrator_or_404(request)
    job = get_object_or_404(ImportJob.objects.select_related("created_by").defer("data"), pk=pk)
    return render(request, "surveys/_import_job.html", {"job": job, "currency": Program.current().currency})


@login_required
@require_POST
def customer_import_job_read(request, pk):
    """Dismiss a finished job's result ("Mark as read")."""
    _administrator_or_404(request)
    job = get_object_or_404(ImportJob.objects.defer("data"), pk=pk)
    import_job_read(job=job, by=request.user)
    return redirect("surveys:customer_import")


@login_required
@require_GET
def customer_import_sample(request):
    """A sample customer file: every column, required and optional, and two rows."""
    _administrator_or_404(request)
    response = HttpResponse(book_sample_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="pulse-customers-sample.csv"'
    return response


@login_required
@require_POST
def staff_invite(request):
    """Send set-password links to the staff picked on the import summary."""
    _administrator_or_404(request)
    ids = [int(pk) for pk in request.POST.getlist("user") if pk.isdigit()]
    users = list(User.objects.filter(pk__in=ids).order_by("email"))
    sent, not_sent = staff_send_set_password_links(users=users, invited_by=request.user)
    if sent:
        messages.success(request, ngettext(
            "Sent a set-password link to %(who)s.", "Sent set-password links to %(count)d staff: %(who)s.",
            len(sent)) % {"count": len(sent), "who": ", ".join(u.email for u in sent)})
    if not_sent:
        messages.error(request, _("Could not send to %(who)s (inactive, or the mail server refused).")
                       % {"who": ", ".join(u.email for u in not_sent)})
    if not users:
        messages.error(request, _("Nobody was selected."))
    return redirect("surveys:customer_import")


@login_required
def audit_log(request):
    """Administrators read the audit log (surveys.audit), newest first, filtered by action,
    staff member and days. A page number out of range shows the nearest page."""
    _administrator_or_404(request)
    form = AuditFilterForm(request.GET)
    form.is_valid()  # the filters understood apply; the page shows the others as errors
    entries = audit_entries(**{name: value for name, value in form.cleaned_data.items() if value})
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    labels = audit_event_labels()
    rows = [(entry, labels.get(entry.event, entry.event), audit_entry_lines(entry)) for entry in page]
    return render(request, "surveys/audit_log.html", {"form": form, "page": page, "rows": rows},
                  status=400 if form.errors else 200)
