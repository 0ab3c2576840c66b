from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import mailbox
from .forms import SignInForm
from .selectors import user_home_url_name


def home(request):
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect(user_home_url_name(request.user))


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    redirect_authenticated_user = True


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception:  # noqa: BLE001 - any failure is the answer
        return "down"


def _broker_and_worker_state() -> tuple[str, str]:
    if settings.EMBEDDED_TASKS:
        return "embedded", "embedded"
    from config.celery import app

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
        {"database": database, "broker": broker, "worker": worker},
        status=200,
    )


def mail_outbox(request):
    """The embedded outbox: emails written by MailDirBackend (DEBUG only)."""
    if not settings.DEBUG:
        raise Http404
    return render(request, "surveys/mail_outbox.html", {"mails": mailbox.stored_mails()})


def mail_outbox_message(request, name):
    if not settings.DEBUG:
        raise Http404
    mail = mailbox.stored_mail(name)
    if mail is None:
        raise Http404
    return render(request, "surveys/mail_outbox_message.html", {"mail": mail})


@login_required
def customer_import_upload(request):
    raise Http404  # the upload page lands with the import (foundation issue)
