"""The demo book (seed_demo step 1): three regions, their staff, 600 accounts, 2,000 contacts.

The book goes in through the customer import itself (`book_import`), as an
administrator's file would; then the demo adds what a file does not carry: staff
names and passwords, the director and the administrator, a few opted-out and bounced
contacts and inactive accounts. The file carries an annual revenue for most accounts
(in the program's currency), on each account's first row. The same seed gives the same
book; running it again updates the demo book in place.
"""

import random
import unicodedata
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from .book_import import book_csv, book_import
from .models import Account, Contact, Role, User
from .revenue_tallies import accounts_revenue_refresh

DEMO_PASSWORD = "pulse-demo"
DEMO_DOMAIN = "example.com"
ACCOUNTS = 600
CONTACTS = 2000
INACTIVE_ACCOUNTS = 15
OPTED_OUT = 60
BOUNCED = 30
# Accounts whose revenue the demo file leaves empty (not known), as real files do.
REVENUE_UNKNOWN_SHARE = 0.08

DIRECTOR = ("Karin Lund", Role.DIRECTOR)
ADMINISTRATOR = ("Ida Berg", Role.ADMIN)

# name, share of the accounts, regional manager, account managers, company parts, contacts' names, phone prefix
REGIONS = [
    {
        "name": "Nordics",
        "accounts": 260,
        "manager": "Mette Holm",
        "account_managers": ["Anders Nielsen", "Sofie Jensen", "Lars Christensen", "Camilla Pedersen", "Jonas Larsen"],
        "prefixes": ["Nordic", "Fjord", "Baltic", "Skagen", "Viking", "Polar", "Øresund", "Jutland", "Lyngby",
                     "Birke", "Aros", "Havne", "Nordlys", "Sund", "Kyst", "Fyns", "Bornholm", "Limfjord", "Gudenå",
                     "Hedeland"],
        "sectors": ["Freight", "Logistics", "Foods", "Pharma", "Components", "Energy", "Packaging", "Steel",
                    "Plastics", "Marine", "Dairy", "Timber", "Textiles", "Engineering", "Robotics", "Medical",
                    "Chemicals", "Systems", "Electric", "Builders"],
        "suffixes": ["A/S", "A/S", "ApS", "AB", "AS", "Oy"],
        "first_names": ["Mads", "Karen", "Søren", "Anne", "Henrik", "Line", "Peter", "Maria", "Jens", "Louise",
                        "Morten", "Hanne", "Rasmus", "Trine", "Niels", "Ida", "Kasper", "Signe", "Torben", "Pia"],
        "last_names": ["Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
                       "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Poulsen",
                       "Johansen", "Møller", "Mortensen", "Lindqvist"],
        "phone": "+45",
        "danish_share": 0.75,
    },
    {
        "name": "DACH",
        "accounts": 200,
        "manager": "Stefan Bauer",
        "account_managers": ["Julia Schneider", "Tobias Weber", "Lena Fischer", "Markus Hoffmann"],
        "prefixes": ["Alpen", "Rhein", "Bodensee", "Schwarzwald", "Donau", "Elbe", "Bayern", "Tirol", "Harz", "Main",
                     "Isar", "Mosel", "Allgäu", "Spree", "Neckar", "Weser", "Berg", "Hansa", "Eiger", "Taunus"],
        "sectors": ["Logistik", "Maschinenbau", "Lebensmittel", "Verpackung", "Stahl", "Kunststoff", "Elektro",
                    "Pharma", "Technik", "Holz", "Textil", "Medizintechnik", "Chemie", "Antriebe", "Systeme", "Bau",
                    "Energie", "Präzision", "Automation", "Transport"],
        "suffixes": ["GmbH", "GmbH", "AG", "GmbH & Co. KG"],
        "first_names": ["Thomas", "Sabine", "Michael", "Claudia", "Andreas", "Petra", "Jürgen", "Katrin", "Frank",
                        "Monika", "Uwe", "Anja", "Matthias", "Susanne", "Christian", "Birgit", "Stefan", "Nicole",
                        "Florian", "Eva"],
        "last_names": ["Müller", "Schmidt", "Schneider", "Fischer", "Meyer", "Wagner", "Becker", "Schulz",
                       "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
                       "Braun", "Hofer", "Gruber"],
        "phone": "+49",
        "danish_share": 0.0,
    },
    {
        "name": "Benelux",
        "accounts": 140,
        "manager": "Sanne de Vries",
        "account_managers": ["Pieter Janssen", "Eva Peeters", "Daan Bakker"],
        "prefixes": ["Delta", "Schelde", "Maas", "Zeeland", "Holland", "Brabant", "Ardennes", "Flanders", "Lowland",
                     "Polder", "Rijn", "Utrecht", "Kempen", "Veluwe", "Gent", "Noordzee", "Dijk", "Tulp", "Zuid",
                     "Wadden"],
        "sectors": ["Logistics", "Foods", "Packaging", "Chemicals", "Greenhouse", "Dairy", "Shipping", "Engineering",
                    "Trading", "Systems", "Metals", "Plastics", "Pharma", "Energy", "Water", "Flowers", "Components",
                    "Transport", "Installaties", "Techniek"],
        "suffixes": ["B.V.", "B.V.", "N.V.", "SA"],
        "first_names": ["Jan", "Sanne", "Bram", "Lotte", "Joost", "Fleur", "Sander", "Marieke", "Wouter", "Anouk",
                        "Thijs", "Ellen", "Koen", "Inge", "Ruben", "Femke", "Lucas", "Sofie", "Bart", "Nathalie"],
        "last_names": ["de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser", "Smit",
                       "Meijer", "de Boer", "Mulder", "Peeters", "Maes", "Jacobs", "Willems", "Claes", "Dubois",
                       "Goossens", "Wouters", "Hendriks"],
        "phone": "+31",
        "danish_share": 0.0,
    },
]
# An account's main contact is most often a manager; further ones any level.
FIRST_LEVEL_WEIGHTS = {"executive": 0.3, "manager": 0.45, "operational": 0.25}
LEVEL_WEIGHTS = {"executive": 0.2, "manager": 0.35, "operational": 0.45}


def _ascii(text: str) -> str:
    """'Søren Møller' -> 'soeren.moeller'-style parts for email addresses."""
    for plain, spelled in {"ø": "oe", "æ": "ae", "å": "aa", "ü": "ue", "ö": "oe", "ä": "ae", "ß": "ss"}.items():
        text = text.replace(plain, spelled).replace(plain.upper(), spelled.capitalize())
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in text.lower() if c.isalnum() or c in " -").strip()


def staff_email(name: str) -> str:
    return f"{_ascii(name).replace(' ', '.')}@{DEMO_DOMAIN}"


def _staff() -> list[tuple[str, str, str]]:
    """(name, email, role) of every demo staff member."""
    people = [(*DIRECTOR,), (*ADMINISTRATOR,)]
    for region in REGIONS:
        people.append((region["manager"], Role.REGIONAL_MANAGER))
        people += [(name, Role.ACCOUNT_MANAGER) for name in region["account_managers"]]
    return [(name, staff_email(name), role) for name, role in people]


def _company_names(rng: random.Random, region: dict, count: int, taken: set) -> list[str]:
    names = []
    while len(names) < count:
        name = f"{rng.choice(region['prefixes'])} {rng.choice(region['sectors'])} {rng.choice(region['suffixes'])}"
        if name not in taken:
            taken.add(name)
            names.append(name)
    return names


def _contacts_per_account(rng: random.Random) -> list[int]:
    """How many contacts each account has: 1 to 7, 2,000 in all, a few big customers."""
    counts = [1] * ACCOUNTS
    size = [rng.paretovariate(1.6) for _ in range(ACCOUNTS)]
    left = CONTACTS - ACCOUNTS
    while left:
        i = rng.choices(range(ACCOUNTS), weights=size)[0]
        if counts[i] < 7:
            counts[i] += 1
            left -= 1
    return counts


def _annual_revenue(rng: random.Random, contacts: int) -> str:
    """A B2B customer's annual revenue, as the file has it: log-normal around 250,000,
    larger with more contacts, in thousands; empty (not known) for a few."""
    if rng.random() < REVENUE_UNKNOWN_SHARE:
        return ""
    return str(int(round(rng.lognormvariate(12.4, 0.9) * (1 + contacts / 3), -3)))


def _book_rows(rng: random.Random, revenue_rng: random.Random) -> list[dict]:
    """The demo file's rows. Revenue has a random stream of its own, so the rest of the
    book is the one the same seed gave before the file had revenue."""
    rows = []
    counts = _contacts_per_account(rng)
    taken_names: set[str] = set()
    account_no = 0
    for region in REGIONS:
        managers = region["account_managers"]
        for company in _company_names(rng, region, region["accounts"], taken_names):
            owner = managers[account_no % len(managers)] if rng.random() < 0.8 else rng.choice(managers)
            domain = _ascii(company.rsplit(" ", 1)[0] if "&" not in company else company.split(" GmbH")[0])
            domain = "-".join(domain.split()) + ".example"
            danish = rng.random() < region["danish_share"]
            revenue = _annual_revenue(revenue_rng, counts[account_no])
            people: set[str] = set()
            for n in range(counts[account_no]):
                while True:
                    first, last = rng.choice(region["first_names"]), rng.choice(region["last_names"])
                    if f"{first} {last}" not in people:
                        break
                people.add(f"{first} {last}")
                weights = FIRST_LEVEL_WEIGHTS if n == 0 else LEVEL_WEIGHTS
                level = rng.choices(list(weights), list(weights.values()))[0]
                rows.append({
                    "account_id": f"DEMO-{account_no + 1:04d}",
                    "account_name": company,
                    "region": region["name"],
                    "regional_manager_email": staff_email(region["manager"]) if n == 0 else "",
                    "account_manager_email": staff_email(owner),
                    "contact_email": f"{_ascii(first)}.{_ascii(last).replace(' ', '')}@{domain}",
                    "contact_name": f"{first} {last}",
                    "contact_phone": f"{region['phone']} {rng.randrange(20, 99)} {rng.randrange(10, 99)} "
                                     f"{rng.randrange(10, 99)} {rng.randrange(10, 99)}",
                    "contact_level": level,
                    "language": "da" if danish else "en",
                    "annual_revenue": revenue if n == 0 else "",
                })
            account_no += 1
    return rows


def seed_book(*, seed: int, stdout) -> str:
    rng = random.Random(seed)
    staff = _staff()
    # Every staff member first, so the import finds them and keeps their roles.
    existing = set(User.objects.filter(email__in=[email for _, email, _ in staff]).values_list("email", flat=True))
    User.objects.bulk_create(
        [User(email=email, full_name=name, role=role) for name, email, role in staff if email not in existing]
    )
    summary = book_import(data=book_csv(_book_rows(rng, random.Random(f"revenue-{seed}"))))

    # One hash for all demo logins: hashing is slow on purpose, and this is a demo.
    password = make_password(DEMO_PASSWORD)
    users = list(User.objects.filter(email__in=[email for _, email, _ in staff]))
    by_email = {email: (name, role) for name, email, role in staff}
    for user in users:
        user.full_name, user.role = by_email[user.email]
        user.password = password
        user.is_active = True
        user.is_staff = user.is_superuser = user.role == Role.ADMIN
    User.objects.bulk_update(users, ["full_name", "role", "password", "is_active", "is_staff", "is_superuser"])

    now = timezone.now()
    contact_ids = list(
        Contact.objects.filter(account__external_id__startswith="DEMO-").order_by("account__external_id", "email")
        .values_list("pk", flat=True)
    )
    marked = rng.sample(contact_ids, OPTED_OUT + BOUNCED)
    Contact.objects.filter(account__external_id__startswith="DEMO-").update(opted_out_at=None, bounced_at=None)
    contacts = []
    for n, pk in enumerate(marked):
        when = now - timedelta(days=rng.randrange(5, 330), minutes=rng.randrange(1440))
        field = "opted_out_at" if n < OPTED_OUT else "bounced_at"
        contacts.append(Contact(pk=pk, **{field: when}))
    Contact.objects.bulk_update([c for c in contacts if c.opted_out_at], ["opted_out_at"])
    Contact.objects.bulk_update([c for c in contacts if c.bounced_at], ["bounced_at"])

    inactive = [f"DEMO-{n:04d}" for n in rng.sample(range(1, ACCOUNTS + 1), INACTIVE_ACCOUNTS)]
    Account.objects.filter(external_id__startswith="DEMO-").update(active=True)
    Account.objects.filter(external_id__in=inactive).update(active=False)
    accounts_revenue_refresh(Account.objects.filter(external_id__startswith="DEMO-").values_list("pk", flat=True))

    return (
        f"Book: {len(REGIONS)} regions, {sum(len(r['account_managers']) for r in REGIONS)} account managers, "
        f"{summary.accounts_created + summary.accounts_updated + summary.accounts_unchanged:,} accounts "
        f"({INACTIVE_ACCOUNTS} inactive), {summary.rows:,} contacts ({OPTED_OUT} opted out, {BOUNCED} bounced)"
    )


def demo_logins() -> dict:
    """Who to sign in as: an account manager and the regional manager of each region,
    the director and the administrator. All share DEMO_PASSWORD."""
    users = []
    for region in REGIONS:
        users.append((f"Account manager ({region['name']})", staff_email(region["account_managers"][0])))
    for region in REGIONS:
        users.append((f"Regional manager ({region['name']})", staff_email(region["manager"])))
    users.append(("Director", staff_email(DIRECTOR[0])))
    users.append(("Administrator", staff_email(ADMINISTRATOR[0])))
    return {"password": DEMO_PASSWORD, "users": users}
