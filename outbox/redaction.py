"""Removing a person's data from the outbox's rows when they are erased.

Handlers take ids, so a row's keyword arguments hold none of a person's data; its last
error may (a mail server that refused an address quotes it). Both are searched, so that
an event that ever carries more is covered too: a row that names them keeps no error
text, and one whose arguments name them loses its arguments and, if not run yet, never
runs (it would act on data that is gone).
"""

from collections.abc import Iterable

from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from .models import Message

ERASED = "(personal data erased)"
_TEXTS_PER_QUERY = 50


def messages_redact(texts: Iterable[str]) -> int:
    """Redact the rows whose arguments or last error contain any of `texts` (any case).
    Returns how many rows changed."""
    texts = [text for text in dict.fromkeys(texts) if text]
    naming, erroring = set(), set()
    rows = Message.objects.annotate(kwargs_text=Cast("kwargs", TextField()))
    for start in range(0, len(texts), _TEXTS_PER_QUERY):
        in_kwargs, in_error = Q(), Q()
        for text in texts[start:start + _TEXTS_PER_QUERY]:
            in_kwargs |= Q(kwargs_text__icontains=text)
            in_error |= Q(last_error__icontains=text)
        naming.update(rows.filter(in_kwargs).values_list("pk", flat=True))
        erroring.update(rows.exclude(last_error="").filter(in_error).values_list("pk", flat=True))
    Message.objects.filter(pk__in=naming, done_at__isnull=True, failed_at__isnull=True).update(
        failed_at=timezone.now()
    )
    Message.objects.filter(pk__in=naming).update(kwargs={}, last_error=ERASED)
    Message.objects.filter(pk__in=erroring - naming).update(last_error=ERASED)
    return len(naming | erroring)
