"""Administrators' pages of the webhooks (surveys.webhooks): the endpoints, one endpoint
with its secret and delivery log, "send again". Anyone else gets 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .audit import audit_record
from .forms import WebhookEndpointForm
from .models import WebhookDelivery, WebhookEndpoint
from .webhooks import (
    WebhookUrlRefused,
    webhook_delivery_resend,
    webhook_endpoint_enable,
    webhook_endpoint_save,
)

# The delivery log shows the latest this many deliveries of an endpoint.
DELIVERY_LOG_SIZE = 50


def _administrator_or_404(request) -> None:
    if not request.user.is_administrator:
        raise Http404


@login_required
def webhook_list(request):
    _administrator_or_404(request)
    last = WebhookDelivery.objects.filter(endpoint=OuterRef("pk")).order_by("-created_at", "-pk")
    endpoints = WebhookEndpoint.objects.annotate(
        last_created_at=Subquery(last.values("created_at")[:1]),
        last_status=Subquery(last.values("last_status")[:1]),
        last_delivered_at=Subquery(last.values("delivered_at")[:1]),
        last_attempts=Subquery(last.values("attempts")[:1]),
    )
    labels = dict(WebhookEndpoint.Event.choices)
    rows = [(endpoint, [labels.get(event, event) for event in endpoint.events]) for endpoint in endpoints]
    return render(request, "surveys/webhook_list.html", {"rows": rows})


def _save(request, form: WebhookEndpointForm, endpoint: WebhookEndpoint | None):
    """The endpoint saved from a valid form, or None with the form's errors set."""
    if not form.is_valid():
        return None
    try:
        saved = webhook_endpoint_save(endpoint=endpoint, url=form.cleaned_data["url"],
                                      events=form.cleaned_data["events"], by=request.user)
    except WebhookUrlRefused as refused:
        form.add_error("url", str(refused))
        return None
    audit_record("webhook_saved", by=request.user, target=saved,
                 details={"url": saved.url, "events": ", ".join(saved.events)})
    return saved


@login_required
def webhook_new(request):
    _administrator_or_404(request)
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST":
        endpoint = _save(request, form, None)
        if endpoint:
            messages.success(request, _("Endpoint created. Give its secret to the receiving system."))
            return redirect("surveys:webhook_detail", endpoint.pk)
        messages.error(request, _("Nothing was saved: please correct the fields marked below."))
    return render(request, "surveys/webhook_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def webhook_detail(request, pk: int):
    """One endpoint: its secret, its URL and events to edit, and its latest deliveries."""
    _administrator_or_404(request)
    endpoint = get_object_or_404(WebhookEndpoint.objects.select_related("owner"), pk=pk)
    form = WebhookEndpointForm(request.POST or None, initial={"url": endpoint.url, "events": endpoint.events})
    if request.method == "POST":
        if _save(request, form, endpoint):
            messages.success(request, _("Endpoint saved."))
            return redirect("surveys:webhook_detail", endpoint.pk)
        messages.error(request, _("Nothing was saved: please correct the fields marked below."))
    deliveries = endpoint.deliveries.order_by("-created_at", "-pk")[:DELIVERY_LOG_SIZE]
    return render(request, "surveys/webhook_detail.html", {
        "endpoint": endpoint, "form": form, "deliveries": deliveries, "log_size": DELIVERY_LOG_SIZE,
        "event_labels": [label for value, label in WebhookEndpoint.Event.choices if value in endpoint.events],
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def webhook_switch(request, pk: int):
    _administrator_or_404(request)
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    enabled = request.POST.get("enabled") == "1"
    webhook_endpoint_enable(endpoint_id=endpoint.pk, enabled=enabled)
    audit_record("webhook_switched", by=request.user, target=endpoint, details={"enabled": enabled})
    messages.success(request, _("Endpoint switched on.") if enabled else _("Endpoint switched off."))
    return redirect("surveys:webhook_detail", endpoint.pk)


@login_required
@require_POST
def webhook_resend(request, pk: int, delivery_pk: int):
    """"Send again": one more attempt of the same delivery, with the same webhook-id."""
    _administrator_or_404(request)
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_pk, endpoint_id=pk)
    try:
        webhook_delivery_resend(delivery_id=delivery.pk)
    except WebhookUrlRefused as refused:
        messages.error(request, str(refused))
    else:
        audit_record("webhook_resent", by=request.user, target=delivery.endpoint,
                     details={"delivery": delivery.webhook_id})
        messages.success(request, _("Sending %(id)s again.") % {"id": delivery.webhook_id})
    return redirect("surveys:webhook_detail", pk)
