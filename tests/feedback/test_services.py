import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from feedback import services
from feedback.answer_lists import AnswerFilter, inbox_pinned, inbox_responses
from feedback.models import Note, OwnershipChange, Response
from feedback.rollups import rollup
from outbox.models import Message
from tests import factories


def test_owner_triages_new_seen_handled(world):
    r = world.response
    services.response_triage(response=r, state="seen", by=world.am)
    services.response_triage(response=r, state="handled", by=world.am)
    r.refresh_from_db()
    assert (r.triage, r.triaged_by) == ("handled", world.am)
    assert r.triaged_at is not None


@pytest.mark.parametrize("who", ["rm", "director", "other_am"])
def test_only_owner_or_admin_triages(world, who):
    with pytest.raises(PermissionDenied):
        services.response_triage(response=world.response, state="handled", by=getattr(world, who))
    services.response_triage(response=world.response, state="handled", by=world.admin)


def test_bad_state_changes_nothing(world):
    with pytest.raises(ValidationError):
        services.response_triage(response=world.response, state="gone", by=world.am)
    world.response.refresh_from_db()
    assert world.response.triage == "new"


def test_opening_marks_seen_only_for_owner(world):
    assert not services.response_mark_seen(response=world.response, by=world.rm)
    assert services.response_mark_seen(response=world.response, by=world.am)
    assert Response.objects.get(pk=world.response.pk).triage == "seen"
    assert not services.response_mark_seen(response=world.response, by=world.am)


def test_notes(world):
    note = services.note_add(response=world.response, author=world.rm, text="  Call me before you ring them. ")
    assert note.text == "Call me before you ring them."
    with pytest.raises(ValidationError):
        services.note_add(response=world.response, author=world.am, text="   ")
    with pytest.raises(ValidationError):
        services.note_add(response=world.response, author=world.am, text="x" * 5001)
    assert Note.objects.count() == 1


def test_owner_change_moves_inbox_records_and_queues_calls(world, django_capture_on_commit_callbacks):
    new_am = factories.UserFactory(role="am", full_name="Nina New")
    with django_capture_on_commit_callbacks(execute=True):
        change = services.account_owner_change(account=world.account, new_owner=new_am, by=world.rm)
    assert (change.old_owner, change.new_owner, change.changed_by) == (world.am, new_am, world.rm)
    world.account.refresh_from_db()
    assert world.account.owner == new_am
    assert list(inbox_pinned(new_am, AnswerFilter())) == [world.response]  # a detractor, on top
    assert not inbox_pinned(world.am, AnswerFilter()).exists()
    assert not inbox_responses(world.am, AnswerFilter()).exists()
    # and the per-owner rollup rows moved with it
    by_owner = dict(rollup(world.director, period="all").by_owner)
    assert world.am not in by_owner
    assert by_owner[new_am].detractors == 1
    message = Message.objects.get(event="owner_changed", handler="move_calls")
    assert message.kwargs == {"account_id": world.account.pk, "new_owner_id": new_am.pk}
    assert message.done_at is not None  # delivered in-process after commit


def test_owner_change_rules(world):
    new_am = factories.UserFactory(role="am")
    with pytest.raises(PermissionDenied):
        services.account_owner_change(account=world.account, new_owner=new_am, by=world.far_rm)
    with pytest.raises(PermissionDenied):
        services.account_owner_change(account=world.account, new_owner=new_am, by=world.am)
    with pytest.raises(PermissionDenied):
        services.account_owner_change(account=world.account, new_owner=new_am, by=world.director)
    with pytest.raises(ValidationError):
        services.account_owner_change(account=world.account, new_owner=world.director, by=world.admin)
    assert services.account_owner_change(account=world.account, new_owner=world.am, by=world.admin) is None
    assert services.account_owner_change(account=world.far_account, new_owner=new_am, by=world.admin)
    assert OwnershipChange.objects.count() == 1
