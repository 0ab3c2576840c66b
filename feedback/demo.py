"""Answers for the demo (seed_demo step 3).

Answers a realistic share of the sent invitations that the earlier steps left (about
45%), with each account manager's customers leaning their own way so the rollups show
differences, reasons in the contact's language that praise and blame what B2B customers
do (feedback.demo_reasons), tagged with themes, a few suspect answers, triage states by
age, and internal notes on some detractors. Works on its own too: with no book it makes a small one, and with no
sent invitations it makes 18 months of them first.
"""

import random
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from surveys.models import Account, Contact, Invitation, Region, Role, User, Wave
from surveys.tokens import token_fields_new

from .demo_reasons import FRAGMENTS, demo_reason
from .models import Category, Note, Response, category_for_score
from .response_themes import reasons_tag_all
from .summaries import summary_rebuild

NOTES = [
    "Called, left a voicemail. Trying again tomorrow.",
    "Known issue with the carrier; logistics are on it.",
    "Let me join the call, please: this is a key account.",
]


def _month(d: date, back: int) -> date:
    index = d.year * 12 + (d.month - 1) - back
    return date(index // 12, index % 12 + 1, 1)


def _small_book(rnd: random.Random) -> None:
    from surveys.demo import DEMO_PASSWORD

    def user(email, role, name):
        return User.objects.create_user(email, DEMO_PASSWORD, role=role, full_name=name)

    user("director@demo.pulse", Role.DIRECTOR, "Dorte Director")
    User.objects.create_superuser(
        "admin@demo.pulse", DEMO_PASSWORD, full_name="Ada Admin"
    )
    for r, region_name in enumerate(["North", "South"]):
        region = Region.objects.create(name=region_name, manager=user(f"rm{r + 1}@demo.pulse", Role.REGIONAL_MANAGER,
                                                                      ["Rasmus Rask", "Sofie Syd"][r]))
        for a in range(3):
            names = ["Anna Andersen", "Bo Berg", "Cecilie Clausen", "Dan Dahl", "Eva Eriksen", "Frej Falk"]
            am = user(f"am{r * 3 + a + 1}@demo.pulse", Role.ACCOUNT_MANAGER, names[r * 3 + a])
            for k in range(20):
                account = Account.objects.create(external_id=f"D{r}{a}{k:02d}", name=f"{region_name} Customer {a}{k}",
                                                 region=region, owner=am)
                Contact.objects.bulk_create(
                    Contact(account=account, email=f"c{account.pk}-{i}@customer.example",
                            name=f"Contact {account.pk}-{i}", phone="+45 20 30 40 50",
                            level=["executive", "manager", "operational"][i % 3],
                            language=rnd.choice(["en", "en", "da"]))
                    for i in range(rnd.randint(2, 6))
                )


def _invitations(rnd: random.Random, months: int = 18) -> None:
    today = timezone.localdate()
    contacts = list(Contact.objects.filter(account__active=True).values_list("pk", "account_id"))
    for back in range(months - 1, -1, -1):
        month = _month(today, back)
        wave, _ = Wave.objects.get_or_create(month=month, defaults={"status": Wave.Status.SENT})
        sent = min(timezone.make_aware(datetime.combine(month, time(9))), timezone.now() - timedelta(hours=12))
        Invitation.objects.bulk_create(
            [
                Invitation(wave=wave, contact_id=c, account_id=a, sent_at=sent + timedelta(minutes=i % 600),
                           expires_at=sent + timedelta(days=30),
                           status=Invitation.Status.BOUNCED if rnd.random() < 0.02 else Invitation.Status.SENT,
                           **token_fields_new())
                for i, (c, a) in enumerate(contacts) if (c + back) % 6 == 0
            ],
            ignore_conflicts=True,
        )


@transaction.atomic
def seed_answers(*, seed: int, stdout) -> str:
    rnd = random.Random(seed * 7919 + 5)
    made_book = not Account.objects.exists()
    if made_book:
        _small_book(rnd)
    if not Invitation.objects.filter(status=Invitation.Status.SENT).exists():
        _invitations(rnd)
    now = timezone.now()
    # Each owner's customers lean their own way: from clearly unhappy to delighted.
    owners = sorted(set(Account.objects.values_list("owner_id", flat=True)))
    lean = {owner: rnd.choice([-2.5, -1.5, -0.5, 0, 0.5, 1, 1.5]) for owner in owners}
    # ... and each has a sore point their unhappy customers bring up more often.
    sore = {owner: rnd.choice(sorted(FRAGMENTS)) for owner in owners}
    first_names = {pk: (name or email).split()[0].split("@")[0].capitalize()
                   for pk, name, email in User.objects.filter(pk__in=owners).values_list("pk", "full_name", "email")}
    invitations = (
        Invitation.objects.filter(status=Invitation.Status.SENT, sent_at__lte=now, response__isnull=True)
        .select_related("account", "contact")
        .order_by("pk")
    )
    responses = []
    for inv in invitations.iterator(chunk_size=2000):
        if rnd.random() > 0.45:
            continue
        score = int(max(0, min(10, round(rnd.gauss(8.2 + lean[inv.account.owner_id], 1.9)))))
        category = category_for_score(score)
        answered = min(now - timedelta(minutes=5), inv.sent_at + timedelta(hours=rnd.randint(1, 120)))
        suspect = rnd.random() < 0.01
        owner = inv.account.owner_id
        language = "da" if inv.contact.language == "da" else "en"
        reason = demo_reason(rnd, category=category, language=language, sore_theme=sore[owner],
                             am_first_name=first_names[owner]) if rnd.random() < 0.6 else ""
        responses.append(Response(
            invitation=inv, contact_id=inv.contact_id, account_id=inv.account_id, owner_id=owner, score=score,
            category=category,
            reason=reason, language=language, answered_at=answered, changed_at=answered, suspect=suspect,
            suspect_reason="honeypot field filled" if suspect else "",
            triage=Response.Triage.HANDLED, triaged_at=answered + timedelta(days=1),
            triaged_by_id=inv.account.owner_id,
            # The demo's past detractors count as alerted: seeding sends no email.
            alerted_at=answered if category == Category.DETRACTOR else None,
        ))
    # The newest answers are still new or just seen; the older ones were handled.
    responses.sort(key=lambda r: r.answered_at, reverse=True)
    for i, r in enumerate(responses[: max(3, len(responses) // 7)]):
        r.triage = Response.Triage.NEW if i % 3 else Response.Triage.SEEN
        r.triaged_at = None if r.triage == Response.Triage.NEW else r.answered_at + timedelta(hours=2)
        r.triaged_by_id = None if r.triage == Response.Triage.NEW else r.triaged_by_id
    Response.objects.bulk_create(responses, batch_size=2000)
    detractors = list(
        Response.objects.filter(category=Category.DETRACTOR)
        .select_related("account__region")
        .order_by("-answered_at")[:40]
    )
    Note.objects.bulk_create(
        Note(response=r, author_id=r.account.owner_id if i % 3 else (r.account.region.manager_id or r.account.owner_id),
             text=NOTES[i % len(NOTES)], created_at=r.answered_at + timedelta(hours=3))
        for i, r in enumerate(detractors) if i % 2 == 0
    )
    summary_rebuild()
    _, tagged = reasons_tag_all()
    suspect = sum(1 for r in responses if r.suspect)
    summary = (f"answers: {len(responses)} ({suspect} suspect), notes on {len(detractors[::2])} detractors, "
               f"themes on {tagged} reasons")
    if made_book:
        from surveys.demo import DEMO_PASSWORD

        logins = ", ".join(User.objects.order_by("email").values_list("email", flat=True))
        summary += f"\n  (no book found: made a small one; logins {logins}; password {DEMO_PASSWORD})"
    return summary
