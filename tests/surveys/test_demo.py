from io import StringIO

from django.core.management import call_command
from django.db.models import Count

from surveys.demo import DEMO_PASSWORD, demo_logins, seed_book
from surveys.models import Account, Contact, Region, Role, User


def book_picture():
    contacts = Contact.objects.order_by("account__external_id", "email").values_list(
        "account__external_id", "email", "name", "phone", "level", "language", "opted_out_at", "bounced_at")
    return (
        list(Account.objects.order_by("external_id").values_list("external_id", "name", "region__name",
                                                                 "owner__email", "active", "annual_revenue")),
        [(*fields, opted_out is None, bounced is None) for *fields, opted_out, bounced in contacts],
    )


def test_seed_book_makes_a_realistic_book(db, max_queries):
    # Bulk writes, summaries kept in the same transaction, a look at the suppression list and
    # the import's audit entry: the count does not grow with the book but by 500 accounts.
    # The accounts' parts in the revenue sums are 21 of them here: SQLite takes 999
    # parameters a statement, so their 600 rows of 15 columns go in 10 statements; the
    # accounts made inactive are read again for their revenue at risk (2). Their rows among
    # the accounts at risk: read, written, the counts, the inactive ones' deleted (8).
    with max_queries(107):
        summary = seed_book(seed=7, stdout=StringIO())
    assert "600 accounts" in summary and "2,000 contacts" in summary

    assert Region.objects.count() == 3
    assert set(Region.objects.values_list("manager__role", flat=True)) == {Role.REGIONAL_MANAGER}
    assert User.objects.filter(role=Role.ACCOUNT_MANAGER).count() == 12
    assert Account.objects.count() == 600 and Contact.objects.count() == 2000
    per_region = dict(Account.objects.values_list("region__name").annotate(n=Count("id")))
    assert set(per_region) == {"Nordics", "DACH", "Benelux"} and min(per_region.values()) > 100
    # Every account manager owns a fair share; every account has at least one contact.
    owned = Account.objects.values("owner").annotate(n=Count("id")).values_list("n", flat=True)
    assert len(owned) == 12 and min(owned) >= 20
    assert not Account.objects.annotate(n=Count("contacts")).filter(n=0).exists()
    levels = dict(Contact.objects.values_list("level").annotate(n=Count("id")))
    assert set(levels) == {"executive", "manager", "operational"} and min(levels.values()) > 200
    languages = dict(Contact.objects.values_list("language").annotate(n=Count("id")))
    assert set(languages) == {"en", "da"} and min(languages.values()) > 200
    assert 0 < Contact.objects.exclude(opted_out_at=None).count() < 100
    assert 0 < Contact.objects.exclude(bounced_at=None).count() < 100
    assert 0 < Account.objects.filter(active=False).count() < 30
    assert len(set(Account.objects.values_list("name", flat=True))) == 600
    # Most accounts carry a revenue from the file, a few are not known; big customers exist.
    revenues = sorted(Account.objects.exclude(annual_revenue=None).values_list("annual_revenue", flat=True))
    assert 500 < len(revenues) < 590 and revenues[0] > 0 and revenues[-1] > 5 * revenues[len(revenues) // 2]


def test_demo_logins_work_for_every_role(db):
    seed_book(seed=7, stdout=StringIO())
    logins = demo_logins()
    assert logins["password"] == DEMO_PASSWORD
    roles = {User.objects.get(email=email).role for _, email in logins["users"]}
    assert roles == {Role.ACCOUNT_MANAGER, Role.REGIONAL_MANAGER, Role.DIRECTOR, Role.ADMIN}
    # One hash for all (hashing 17 passwords would take seconds); check it once per role.
    assert User.objects.values("password").distinct().count() == 1
    for role in Role.values:
        assert User.objects.filter(role=role).first().check_password(DEMO_PASSWORD), role
    admin = User.objects.get(role=Role.ADMIN)
    assert admin.is_staff and admin.is_superuser
    director = User.objects.get(role=Role.DIRECTOR)
    assert not director.is_staff and director.full_name == "Karin Lund"


def test_the_same_seed_gives_the_same_book_and_seeding_again_updates_in_place(db):
    seed_book(seed=7, stdout=StringIO())
    first = book_picture()
    seed_book(seed=7, stdout=StringIO())
    assert book_picture() == first
    Contact.objects.all().delete()
    Account.objects.all().delete()
    seed_book(seed=7, stdout=StringIO())
    assert book_picture() == first


def test_seed_demo_prints_the_logins_and_if_empty_leaves_a_book_alone(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Demo logins (password for all: pulse-demo)" in out.getvalue()
    assert "anders.nielsen@example.com" in out.getvalue() and "ida.berg@example.com" in out.getvalue()
    Contact.objects.filter(email__startswith="karen").update(name="Changed by hand")

    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "left it as it is" in out.getvalue()
    assert Contact.objects.filter(name="Changed by hand").exists()
    assert Account.objects.count() == 600
