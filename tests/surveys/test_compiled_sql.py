"""surveys.compiled_sql: a query compiled once gives the rows the ORM gives, for any ids."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from surveys.compiled_sql import CACHED_IDS, ids_rows, ids_sql
from surveys.models import Account
from tests.factories import AccountFactory, ContactFactory, InvitationFactory, ResponseFactory


def _accounts(account_ids):
    return Account.objects.filter(pk__in=account_ids).order_by("pk").values_list("pk", "name", "annual_revenue")


def _accounts_with_answers(account_ids):
    """The ids used twice, and a date column."""
    return (Account.objects.filter(pk__in=account_ids, responses__account_id__in=account_ids)
            .order_by("pk").values_list("pk", "responses__answered_at"))


def _no_ids(account_ids):
    return Account.objects.filter(name="x").values_list("pk")


@pytest.mark.django_db
def test_the_rows_are_the_orms_for_every_count_of_ids(region, am):
    accounts = [AccountFactory(region=region, owner=am, annual_revenue=Decimal("1000.50") * i)
                for i in range(CACHED_IDS + 3)]
    ids = [a.pk for a in accounts]
    for count in (1, 2, 3, CACHED_IDS, CACHED_IDS + 1, CACHED_IDS + 3):
        for chosen in (ids[:count], ids[-count:]):
            assert ids_rows(_accounts, chosen) == list(_accounts(chosen))
    assert ids_rows(_accounts, [ids[0], ids[0]]) == list(_accounts([ids[0]]))  # repeated ids
    assert ids_rows(_accounts, []) == []
    assert ids_rows(_accounts, [-1]) == []
    sql, params = ids_sql(_accounts, ids[:2])
    assert params.count(ids[0]) == 1 and params.count(ids[1]) == 1


@pytest.mark.django_db
def test_dates_come_back_as_the_orm_gives_them(account):
    contact = ContactFactory(account=account)
    at = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    ResponseFactory(invitation=InvitationFactory(contact=contact), answered_at=at)
    rows = ids_rows(_accounts_with_answers, [account.pk])
    assert rows == list(_accounts_with_answers([account.pk])) == [(account.pk, at)]


@pytest.mark.django_db
def test_a_query_that_does_not_use_the_ids_is_refused():
    with pytest.raises(ValueError, match="does not pass each id"):
        ids_rows(_no_ids, [1])
