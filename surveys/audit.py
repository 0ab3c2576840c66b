"""The audit log of staff actions: append-only, read by administrators at /audit/.

Two writers, one table (surveys.models.AuditEntry):

- `audit_record(event, by=..., target=..., details=...)` for actions: sign-ins and failed
  sign-ins (Django's auth signals, connected in SurveysConfig.ready), exports, holds and
  put-backs, the customer import. The services and views of each action call it; here in
  `surveys`, the lowest app with staff, so that every app above may.
- django-auditlog for edits of the models each app registers in its AppConfig.ready
  (the program, the call settings, staff users' role and access, accounts, regions),
  wherever they are made, the Django admin included. `model_change_event` names them.

Names reserved for the personal-data requests, to be recorded by their services:
"contact_erased" and "contact_data_downloaded". Entries name a contact by its id, never by
its name or email, so that erasing a contact need not touch the log.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta

from auditlog.middleware import AuditlogMiddleware
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import AuditEntry, User
from .throttle import client_address

# Every event name the log holds that has a label of its own, in the page filter's order.
EVENTS = {
    "signed_in": gettext_lazy("Signed in"),
    "sign_in_failed": gettext_lazy("Sign-in failed"),
    "answers_exported": gettext_lazy("Answers exported"),
    "invitation_held": gettext_lazy("Contact held out of a wave"),
    "invitation_released": gettext_lazy("Held contact put back in the wave"),
    "owner_changed": gettext_lazy("Account owner changed"),
    "role_changed": gettext_lazy("Staff role changed"),
    "customer_book_imported": gettext_lazy("Customer book imported"),
    "program_changed": gettext_lazy("Survey program changed"),
    "contact_erased": gettext_lazy("Contact erased"),
    "contact_data_downloaded": gettext_lazy("Contact's data downloaded"),
    "api_key_created": gettext_lazy("API key created"),
    "api_key_revoked": gettext_lazy("API key revoked"),
    "api_request": gettext_lazy("API request"),
    "accounts_deactivated": gettext_lazy("Accounts deactivated"),
    # Webhooks (surveys.webhooks).
    "webhook_saved": gettext_lazy("Webhook endpoint saved"),
    "webhook_switched": gettext_lazy("Webhook endpoint switched on or off"),
    "webhook_resent": gettext_lazy("Webhook sent again"),
    # The other changes django-auditlog records (surveys.models.model_change_event).
    "account_changed": gettext_lazy("Account changed"),
    "region_changed": gettext_lazy("Region changed"),
    "user_changed": gettext_lazy("Staff user changed"),
    "theme_changed": gettext_lazy("Theme changed"),
}

# The words of the details the actions record.
DETAIL_LABELS = {
    "filters": gettext_lazy("filters"),
    "rows": gettext_lazy("rows"),
    "complete": gettext_lazy("complete"),
    "email": gettext_lazy("email"),
    "locked_out": gettext_lazy("locked out"),
    "wave": gettext_lazy("wave"),
    "contact": gettext_lazy("contact"),
    "invitation": gettext_lazy("invitation"),
    "reason": gettext_lazy("reason"),
    "accounts_created": gettext_lazy("accounts created"),
    "accounts_updated": gettext_lazy("accounts updated"),
    "contacts_created": gettext_lazy("contacts created"),
    "contacts_updated": gettext_lazy("contacts updated"),
    "regions_created": gettext_lazy("regions created"),
    "regions_updated": gettext_lazy("regions given a new manager"),
    "url": gettext_lazy("URL"),
    "events": gettext_lazy("events"),
    "enabled": gettext_lazy("switched on"),
    "delivery": gettext_lazy("delivery"),
    "staff_created": gettext_lazy("staff created"),
    "staff_promoted": gettext_lazy("made regional managers"),
    "scope": gettext_lazy("scope"),
    "acts_as": gettext_lazy("acts as"),
    "method": gettext_lazy("method"),
    "path": gettext_lazy("path"),
    "status": gettext_lazy("status"),
    "accounts": gettext_lazy("accounts"),
    "account_ids": gettext_lazy("account ids"),
}


# --- Writing ------------------------------------------------------------------------------

def audit_record(event: str, *, by: User | None, target: models.Model | str = "", details: dict | None = None,
                 changes: dict | None = None, address: str | None = None, now: datetime | None = None) -> AuditEntry:
    """Append a staff action to the audit log: what (`event`, one of EVENTS), by whom (None:
    nobody signed in, or a command), on what (a row, or a few words), and the details
    (plain JSON: filters, counts, a reason). `changes` as auditlog keeps a model's:
    {field: [old, new]}. Within a signed-in request the address is the request's."""
    if event not in EVENTS:
        raise ValueError(f"Unknown audit event {event!r}: add it to surveys.audit.EVENTS.")
    entry = AuditEntry(
        event=event, actor=by, actor_email=by.email if by else None,
        additional_data=_plain_json(details or {}), changes=_plain_json(changes) if changes else None,
        remote_addr=address or None, timestamp=now or timezone.now(), object_pk="", object_repr=str(target),
    )
    if isinstance(target, models.Model):
        entry.content_type = ContentType.objects.get_for_model(target)
        entry.object_pk = str(target.pk)
        entry.object_id = target.pk if isinstance(target.pk, int) else None
    entry.save()
    return entry


def _plain_json(value: dict) -> dict:
    """Dates, decimals and lazy strings as JSON text, as the JSON column keeps them."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def audit_export_lines(lines: Iterable, *, request, event: str, filters: dict) -> Iterator:
    """The lines of a streamed CSV export (a header, then a line a row), passed on as they
    go; when the stream ends, or ends early because the client went away, the export is
    recorded with its filters and the rows sent (`complete` says which). Counting as they
    go is exact and costs no query. An export closed before its first line records nothing."""
    by, address = request.user, client_address(request)
    sent, complete = 0, False
    try:
        for line in lines:
            yield line
            sent += 1  # the server asked for the next line: this one is out
        complete = True
    finally:
        audit_record(event, by=by, address=address,
                     details={"filters": filters, "rows": max(sent - 1, 0), "complete": complete})


def signed_in(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver."""
    audit_record("signed_in", by=user, target=user, address=client_address(request) if request else None)


def sign_in_failed(sender, credentials: dict, request=None, **kwargs) -> None:
    """user_login_failed receiver: the email tried, and whether django-axes locked it out
    (its handler runs first: axes is installed before surveys). Axes keeps its own counts
    for the lockout; this log is where people read them."""
    email = str(credentials.get("username") or credentials.get(User.USERNAME_FIELD) or "").strip()[:254]
    user = User.objects.filter(email__iexact=email).first() if email else None
    audit_record(
        "sign_in_failed", by=None, target=user or email, address=client_address(request) if request else None,
        details={"email": email, "locked_out": bool(getattr(request, "axes_locked_out", False))},
    )


def audit_skip_created(sender, action, **kwargs) -> bool:
    """auditlog pre_log receiver for a one-row settings model: the row is created with its
    defaults by whichever request or task reads it first, which is nobody's action; its
    edits are recorded."""
    return action != AuditEntry.Action.CREATE


class AuditActorMiddleware(AuditlogMiddleware):
    """auditlog's middleware, for signed-in staff only: the model changes of the request
    are theirs, from the address the rate limits count (REMOTE_ADDR, not a header anyone
    may send). Other requests (the customer's pages, the sign-in page) pass untouched:
    they make no change auditlog tracks, and the sign-in events give their own address."""

    @staticmethod
    def _get_remote_addr(request):
        return client_address(request) or None

    @staticmethod
    def _get_remote_port(request):
        return None

    def __call__(self, request):
        if not request.user.is_authenticated:
            return self.get_response(request)
        return super().__call__(request)


# --- Reading ------------------------------------------------------------------------------

def audit_event_choices() -> list[tuple[str, str]]:
    """Every event the log may hold, labelled: the named ones, then the changes of any other
    model auditlog tracks (registered by the apps above)."""
    choices = {event: str(label) for event, label in EVENTS.items()}
    for model in auditlog.get_models():
        event = f"{model._meta.model_name}_changed"
        if event not in choices:
            choices[event] = _("%(things)s changed") % {"things": capfirst(model._meta.verbose_name_plural)}
    return list(choices.items())


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_entries(*, event: str = "", user: User | None = None, since: date | None = None,
                  until: date | None = None) -> QuerySet[AuditEntry]:
    """The log, newest first: of one event; by or about one staff user (their actions, and
    their sign-ins, failed ones included, and changes to their user); between two days
    (local time, both included)."""
    entries = AuditEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-pk")
    if event:
        entries = entries.filter(event=event)
    if user is not None:
        entries = entries.filter(
            Q(actor=user) | Q(content_type=ContentType.objects.get_for_model(User), object_id=user.pk)
        )
    if since:
        entries = entries.filter(timestamp__gte=_local_midnight(since))
    if until:
        entries = entries.filter(timestamp__lt=_local_midnight(until + timedelta(days=1)))
    return entries


def audit_event_labels() -> dict[str, str]:
    """{event: its label}, in the current language."""
    return dict(audit_event_choices())


def _shown(value) -> str:
    if value is None or value == "None":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict):
        return ", ".join(f"{key}={_shown(item)}" for key, item in value.items()) or "—"
    if isinstance(value, list):
        return ", ".join(_shown(item) for item in value) or "—"
    return str(value)


def _field_label_and_value(model, name: str):
    """A field's label, and a function showing its stored value (a choice by its label)."""
    try:
        field = model._meta.get_field(name) if model else None
    except FieldDoesNotExist:  # a field since removed: its name, its values as stored
        field = None
    if field is None:
        return capfirst(name.replace("_", " ")), _shown
    choices = {str(key): label for key, label in (getattr(field, "flatchoices", None) or [])}
    if isinstance(field, models.BooleanField):
        choices = {"True": _("yes"), "False": _("no")}

    def show(value) -> str:
        return str(choices.get(str(value), _shown(value)))

    return capfirst(str(getattr(field, "verbose_name", name))), show


def audit_entry_lines(entry: AuditEntry) -> list[str]:
    """What an entry says beyond who, when and what: the fields changed (old → new) and the
    details, one line each. Reads nothing: the model of a change comes with the entry."""
    lines = []
    model = entry.content_type.model_class() if entry.content_type_id else None
    for name, change in (entry.changes or {}).items():
        label, show = _field_label_and_value(model, name)
        if isinstance(change, dict) and change.get("type") == "m2m":
            sign = "+" if change.get("operation") == "add" else "−"
            lines.append(f"{label}: {sign} {_shown(change.get('objects'))}")
        elif isinstance(change, list) and len(change) == 2:
            old, new = change
            if entry.action == AuditEntry.Action.CREATE:
                lines.append(f"{label}: {show(new)}")
            elif entry.action == AuditEntry.Action.DELETE:
                lines.append(f"{label}: {show(old)}")
            else:
                lines.append(f"{label}: {show(old)} → {show(new)}")
    for key, value in (entry.additional_data or {}).items():
        lines.append(f"{DETAIL_LABELS.get(key, key.replace('_', ' '))}: {_shown(value)}")
    return lines
