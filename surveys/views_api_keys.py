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

# The new key, between the form's POST and the page that shows it (popped there: shown once).
# A redirect, so that reloading the page never makes a second key.
NEW_KEY_SESSION = "api_key_new"


@login_required
@never_cache  # the page that shows a new key must not stay in any cache
def api_keys(request):
    """The keys, and a form to make one. A key made is shown on the next page, once: only
    its hash is kept, and the session holds it until that page is sent."""
    _administrator_or_404(request)
    if request.method == "POST":
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            key, token = api_key_create(name=form.cleaned_data["name"], scope=form.cleaned_data["scope"],
                                        acts_as=form.cleaned_data["acts_as"], by=request.user)
            request.session[NEW_KEY_SESSION] = {"id": key.pk, "token": token}
            return redirect("surveys:api_keys")
    else:
        form = ApiKeyForm()
    keys = list(api_keys_listed())
    new = request.session.pop(NEW_KEY_SESSION, None)
    created = next((key for key in keys if new and key.pk == new["id"]), None)
    return render(request, "surveys/api_keys.html", {
        "form": form, "keys": keys, "created": created, "token": new["token"] if created else None,
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def api_key_revoke_view(request, pk):
    _administrator_or_404(request)
    key = get_object_or_404(ApiKey, pk=pk)
    if api_key_revoke(key=key, by=request.user):
        messages.success(request, _("The key “%(name)s” is revoked: it no longer works.") % {"name": key.name})
    return redirect("surveys:api_keys")
