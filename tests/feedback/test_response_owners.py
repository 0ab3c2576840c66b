"""Each answer carries its account's owner (feedback.response_owners), the inbox's index:
set when it is stored, moved by an import that gives the account to someone else, checked
and set right by the repair, and filled by the migration that added it. The owner change
page and the admin: tests/reports/test_owner_change_audit.py; every move in a random
sequence, with each AM's inbox: tests/followups/test_theme_summaries_property.py."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from feedback.answer_lists import AnswerFilter, inbox_pinned, inbox_responses
from feedback.answering import response_submit
from feedback.models import Response
from feedback.response_owners import response_owners_differences, response_owners_rebuild
from surveys.book_import import book_csv, book_import
from surveys.models import Account
from surveys.tokens import invitation_token
from tests import factories
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
