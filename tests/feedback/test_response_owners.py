"""Each answer carries its account's owner (feedback.response_owners), the inbox's index:
set when it is stored, moved by an import that gives the account to someone else, checked
and set right by the repair, and filled by the migration that added it. The owner change
page and the admin: tests/reports/test_owner_change_audit.py; every move in a random
sequence, with each AM's inbox: tests/followups/test_theme_summaries_property.py."""

import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from feedback.answer_lists import AnswerFilter, inbox_pinned, inbox_responses
from feedback.answering import _owner_confirm, response_submit
from feedback.models import Response
from feedback.response_owners import response_owners_differences, response_owners_rebuild
from feedback.services import account_owner_change
from outbox.models import Message
from outbox.services import outbox_deliver
from surveys.book_import import book_csv, book_import
from surveys.models import Account
from surveys.tokens import invitation_token
from tests import factories
from tests.conftest import needs
from tests.surveys.test_book_import import good_rows


def _inbox(user) -> set[int]:
    return {r.pk for r in inbox_pinned(user, AnswerFilter())} | {r.pk for r in inbox_responses(user, AnswerFilter())}


def test_an_answer_carries_its_account_s_owner(am, account):
    invitation = factories.InvitationFactory(contact=factories.ContactFactory(account=account))
    result = response_submit(token=invitation_token(invitation), score=2)
    assert Response.objects.get(pk=result.response.pk).owner_id == am.pk
    assert _inbox(am) == {result.response.pk}


def test_an_import_that_gives_the_account_to_another_owner_moves_its_answers(admin_user):
    book_import(data=book_csv(good_rows()), by=admin_user)
    answer = factories.ResponseFactory(invitation__contact__account=Account.objects.get(external_id="ACC-1"))
    old_owner = answer.owner
    rows = good_rows()
    for row in rows:
        if row["account_id"] == "ACC-1":
            row["account_manager_email"] = "nora.new@pulse.test"
    book_import(data=book_csv(rows), by=admin_user)
    answer.refresh_from_db()
    assert answer.owner.email == "nora.new@pulse.test" and answer.owner != old_owner
    assert _inbox(answer.owner) == {answer.pk} and _inbox(old_owner) == set()
    assert response_owners_differences() == []


def test_the_repair_sets_a_wrong_owner_right_and_the_check_names_it(am, account, capsys):
    answers = [factories.ResponseFactory(invitation__contact__account=account) for _ in range(2)]
    someone = factories.UserFactory(role="am")
    Response.objects.filter(pk=answers[0].pk).update(owner=someone)  # written around the services
    assert response_owners_differences() == ["Response.owner: 1 answers do not carry their account's owner"]
    with pytest.raises(CommandError):
        call_command("rebuild_summaries", "--check")
    assert "Response.owner: 1 answers" in capsys.readouterr().out
    assert response_owners_rebuild() == 1
    assert set(Response.objects.values_list("owner_id", flat=True)) == {am.pk}
    assert response_owners_differences() == []


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_owner_of_the_answers_already_there(am, account):
    answer = factories.ResponseFactory(invitation__contact__account=account, score=3)
    executor = MigrationExecutor(connection)
    executor.migrate([("feedback", "0016_response_changed")])
    executor = MigrationExecutor(connection)
    executor.migrate([("feedback", "0018_response_owner_required")])
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # the latest state for what follows
    assert Response.objects.get(pk=answer.pk).owner_id == am.pk


@pytest.mark.django_db(transaction=True)
def test_an_owner_change_skips_an_answer_another_transaction_holds_and_the_worker_moves_it(world):
    """An answer's event holds its row (then wants the account's); the owner change holds
    the account: it must not wait for the answer, or the two would wait for each other."""
    needs("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql")
    from config.celery import app

    app.conf.task_always_eager = False  # the outbox waits for the worker, here this test (restored after it)
    held = world.response
    free = factories.ResponseFactory(invitation__contact__account=world.account, score=9)
    holding, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            Response.objects.select_for_update().get(pk=held.pk)
            holding.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert holding.wait(10)
    try:
        account_owner_change(account=world.account, new_owner=world.other_am, by=world.rm)
        # Done without waiting: the free answer moved, the held one not yet.
        assert Response.objects.get(pk=free.pk).owner_id == world.other_am.pk
        assert Response.objects.get(pk=held.pk).owner_id == world.am.pk
        stale = Message.objects.get(event="answer_owners_stale")
    finally:
        release.set()
        thread.join(10)
    outbox_deliver(message_id=stale.pk)
    assert Response.objects.get(pk=held.pk).owner_id == world.other_am.pk
    assert response_owners_differences() == []


def test_a_new_answer_takes_the_owner_read_under_the_account_s_lock(am, account):
    """An owner change that committed between the answer's INSERT and its count did not see
    the answer: the answer's transaction sets it to the owner it reads under the lock."""
    someone = factories.UserFactory(role="am")
    answer = factories.ResponseFactory(invitation__contact__account=account, owner=someone)
    _owner_confirm(answer.pk, account.pk, someone.pk, None)
    assert Response.objects.get(pk=answer.pk).owner_id == am.pk
