"""followups 0009 and 0012 count the open calls' rows again by assignee and by whom
they are for: on a database that holds rows already (PostgreSQL alters no table with row
checks pending in its transaction)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from followups.models import OpenCallSummary
from followups.tallies import call_summaries_differences
from tests.followups.conftest import answer_with_call

BEFORE = [("followups", "0008_root_cause_theme_summary")]
AFTER = [("followups", "0012_open_call_summary_assigned_for")]


@pytest.mark.django_db(transaction=True)
def test_the_migrations_count_the_open_calls_again_by_assignee_and_for_whom(am, account):
    call = answer_with_call(account, score=3)
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("followups", "OpenCallSummary")
    assert old.objects.filter(owner_id=am.pk, open=1).count() == 1  # the call's row, without an assignee

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # the latest state for what follows

    row = OpenCallSummary.objects.get()
    assert (row.owner_id, row.assignee_id, row.assigned_for_id, row.open) == (am.pk, call.assignee_id, am.pk, 1)
    assert call_summaries_differences() == []
