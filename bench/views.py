"""Reference points for bench/answer_load.py: (a) a bare view returning a constant page,
(b) the floor of a link page: read one row by a unique key, update it."""

from django.db import transaction
from django.db.models import F
from django.http import HttpResponse

from surveys.models import Invitation
from surveys.tokens import token_hash

PAGE = b"<!doctype html><html lang=en><title>bench</title><p>constant page</p></html>"


def constant(request):
    return HttpResponse(PAGE)


@transaction.non_atomic_requests
def floor(request, token):
    invitation = Invitation.objects.only("pk").get(token_hash=token_hash(token))
    Invitation.objects.filter(pk=invitation.pk).update(attempts=F("attempts") + 1)
    return HttpResponse(b"ok")
