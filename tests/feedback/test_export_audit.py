"""An export of answers is in the audit log: who, when, the filters it applied and the rows
it sent, also when the client goes away before the end."""

from django.core.signals import request_finished
from django.db import close_old_connections
from django.urls import reverse

from feedback.views import answers_export
from surveys.models import AuditEntry
from tests import factories


def test_an_export_records_its_filters_and_rows(client, world):
    factories.ResponseFactory(invitation__contact__account=world.account, score=10)
    client.force_login(world.rm)
    response = client.get(reverse("feedback:answers_export") + f"?category=promoter&region={world.region.pk}&x=1")
    lines = b"".join(response.streaming_content).decode().splitlines()
    entry = AuditEntry.objects.get(event="answers_exported")
    assert (entry.actor, entry.remote_addr) == (world.rm, "127.0.0.1")
    # the filters as applied (what was not understood is not among them)
    assert entry.additional_data == {"filters": {"category": "promoter", "region": world.region.pk},
                                     "rows": len(lines) - 1, "complete": True}
    assert len(lines) - 1 == 2


def test_an_export_of_nothing_records_no_rows(client, world):
    client.force_login(world.am)
    b"".join(client.get(reverse("feedback:answers_export") + "?category=passive").streaming_content)
    assert AuditEntry.objects.get(event="answers_exported").additional_data["rows"] == 0


def test_an_export_the_client_left_records_the_rows_sent(rf, world):
    for _ in range(5):
        factories.ResponseFactory(invitation__contact__account=world.account, score=10)
    # The view as a server calls it, without the test client's own wrapping of the stream.
    request = rf.get(reverse("feedback:answers_export"))
    request.user = world.director
    response = answers_export(request)
    stream = iter(response.streaming_content)
    for _ in range(4):  # the header and three rows handed out; the client goes away during the third
        next(stream)
    assert not AuditEntry.objects.filter(event="answers_exported").exists()  # recorded at the end
    # What the server does when the client goes away (keeping the test's database
    # connection open, as the test client does at the end of a stream).
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    entry = AuditEntry.objects.get(event="answers_exported")
    assert (entry.actor, entry.additional_data) == (world.director, {"filters": {}, "rows": 2, "complete": False})
