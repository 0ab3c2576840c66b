"""Administrators make, list and revoke the keys to the REST API (surveys.api_keys)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .api_keys import api_key_create, api_key_revoke, api_keys_listed
from .forms import ApiKeyForm
from .models import ApiKey
from .views import _administrator_or_404


@login_required
@never_cache  # the page that shows a new key must not stay in any cache
def api_keys(request):
    """The keys, and a form to make one. A key made is shown on the answer to the form,
    once: only its hash is kept."""
    _administrator_or_404(request)
    created = token = None
    if request.method == "POST":
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            created, token = api_key_create(name=form.cleaned_data["name"], scope=form.cleaned_data["scope"],
                                            acts_as=form.cleaned_data["acts_as"], by=request.user)
            form = ApiKeyForm()
    else:
        form = ApiKeyForm()
    return render(request, "surveys/api_keys.html", {
        "form": form, "keys": api_keys_listed(), "created": created, "token": token,
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def api_key_revoke_view(request, pk):
    _administrator_or_404(request)
    key = get_object_or_404(ApiKey, pk=pk)
    if api_key_revoke(key=key, by=request.user):
        messages.success(request, _("The key “%(name)s” is revoked: it no longer works.") % {"name": key.name})
    return redirect("surveys:api_keys")
