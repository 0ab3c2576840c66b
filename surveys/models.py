"""Who we ask and how: staff, regions, accounts, contacts; the program; waves and invitations;
the audit log of what staff did."""

import re

from auditlog.models import AbstractLogEntry, LogEntryManager
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def staff_first_name(full_name: str, email: str) -> str:
    """'Anna' for 'Anna Berg'; the email's local part for staff without a name."""
    return (full_name or email.split("@")[0]).split()[0]


def contact_first_name(name: str, email: str) -> str:
    return (name or email).split()[0]


# Control characters (C0, DEL, C1) and the Unicode line and paragraph separators. In an
# email header a line break would start a header of the writer's choosing (Bcc: ...).
_NOT_IN_A_HEADER = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def header_text_unsafe(value: str) -> bool:
    """Whether `value` holds a line break or another control character."""
    return bool(_NOT_IN_A_HEADER.search(value or ""))


def header_text_clean(value: str) -> str:
    """`value` on one line: control characters and line breaks become spaces, runs of
    spaces one. For names from a file that end up in a header (an AM's name in From)."""
    return " ".join(_NOT_IN_A_HEADER.sub(" ", value or "").split())


def validate_header_text(value: str) -> None:
    """For a setting that goes into an email header (the program's sender and company name)."""
    if header_text_unsafe(value):
        raise ValidationError(
            _("Line breaks and other control characters cannot go into an email header; remove them."),
            code="header_text",
        )


class Role(models.TextChoices):
    ACCOUNT_MANAGER = "am", _("Account manager")
    REGIONAL_MANAGER = "rm", _("Regional manager")
    DIRECTOR = "director", _("Director")
    ADMIN = "admin", _("Administrator")


# The languages staff pages and emails come in, each named in itself (settings.LANGUAGES).
STAFF_LANGUAGES = [("en", "English"), ("da", "Dansk")]


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.setdefault("role", Role.ADMIN)
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A member of staff. Signs in with their email address."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.ACCOUNT_MANAGER)
    phone = models.CharField(max_length=50, blank=True)
    is_active = models.BooleanField(default=True)
    # Django admin access; administrators get it, others not.
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Blank: pages follow the browser's language, emails come in the site's (LANGUAGE_CODE).
    language = models.CharField(_("language"), max_length=8, blank=True, choices=STAFF_LANGUAGES)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["full_name", "email"]

    def __str__(self):
        return self.full_name or self.email

    @property
    def first_name(self) -> str:
        return staff_first_name(self.full_name, self.email)

    @property
    def email_language(self) -> str:
        """The language of the emails Pulse sends this user: no browser to follow there."""
        return self.language or settings.LANGUAGE_CODE

    @property
    def is_account_manager(self) -> bool:
        return self.role == Role.ACCOUNT_MANAGER

    @property
    def is_regional_manager(self) -> bool:
        return self.role == Role.REGIONAL_MANAGER

    @property
    def is_director(self) -> bool:
        return self.role == Role.DIRECTOR

    @property
    def is_administrator(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def sees_everything(self) -> bool:
        return self.is_director or self.is_administrator


class Region(models.Model):
    name = models.CharField(max_length=100, unique=True)
    manager = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_regions"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Account(models.Model):
    external_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="accounts")
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="owned_accounts")
    active = models.BooleanField(default=True)
    # In the program's currency (Program.currency), from the customer file's optional
    # annual_revenue column; null: not known (never taken as zero).
    annual_revenue = models.DecimalField(max_digits=15, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["owner", "active"]),
            models.Index(fields=["region", "active"]),
            # The first account of an (owner, region) pair: how a summary row keyed by the
            # pair is found in or out of a scope (surveys.selectors.pair_in_scope).
            models.Index(fields=["owner", "region", "id"], name="account_owner_region"),
        ]

    def __str__(self):
        return self.name


class Level(models.TextChoices):
    EXECUTIVE = "executive", _("Executive")
    MANAGER = "manager", _("Manager")
    OPERATIONAL = "operational", _("Operational")


class Contact(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    email = models.EmailField()
    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=50, blank=True)
    level = models.CharField(max_length=12, choices=Level.choices)
    language = models.CharField(max_length=8, default="en")
    opted_out_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    # Set when the person's data was erased (on request or past the retention): the row
    # stays, anonymised and opted out, so that their answers count as anonymous ones.
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("account", Lower("email"), name="contact_unique_email_per_account"),
        ]

    def __str__(self):
        return f"{self.name} <{self.email}>"

    @property
    def first_name(self) -> str:
        return contact_first_name(self.name, self.email)

    @property
    def reachable(self) -> bool:
        return self.opted_out_at is None and self.bounced_at is None


# ISO 4217 codes an administrator may choose for the accounts' annual revenue.
CURRENCIES = [
    "EUR", "DKK", "SEK", "NOK", "ISK", "CHF", "GBP", "PLN", "CZK", "HUF", "RON", "BGN", "TRY",
    "USD", "CAD", "MXN", "BRL", "AUD", "NZD", "JPY", "CNY", "HKD", "SGD", "INR", "KRW", "ZAR", "AED",
]


class Program(models.Model):
    """The survey program: one row, edited by administrators (`Program.current()`)."""

    FREQUENCIES = [(f, f) for f in (1, 2, 3, 4, 6, 12)]

    frequency = models.PositiveSmallIntegerField(
        choices=FREQUENCIES, default=2, help_text=_("Times each contact is asked per year.")
    )
    quiet_days = models.PositiveSmallIntegerField(
        default=60, validators=[MinValueValidator(0), MaxValueValidator(365)]
    )
    per_account_cap = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    hold_days = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(0), MaxValueValidator(27)]
    )
    reminder_days = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(0), MaxValueValidator(27)], help_text=_("0 disables")
    )
    link_valid_days = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    send_rate = models.PositiveIntegerField(
        default=20, validators=[MinValueValidator(0), MaxValueValidator(10000)],
        help_text=_("Emails per second; 0 means no limit."),
    )
    # These three go into the emails' headers (From, Subject).
    sender_name = models.CharField(max_length=100, default="Customer Care", validators=[validate_header_text])
    sender_email = models.EmailField(default="care@example.com", validators=[validate_header_text])
    company_name = models.CharField(max_length=100, default="Acme", validators=[validate_header_text])
    question_en = models.CharField(
        max_length=300, default="How likely is it that you would recommend {company} to others?"
    )
    question_da = models.CharField(
        max_length=300, default="Hvor sandsynligt er det, at du vil anbefale {company} til andre?"
    )
    reason_question_en = models.CharField(
        max_length=300, default="What are the reasons behind your assessment?"
    )
    reason_question_da = models.CharField(
        max_length=300, default="Hvad er årsagerne til din vurdering?"
    )
    # EUR by default: the currency most of a European book (DACH, Benelux, Finland) is
    # invoiced in and the usual group reporting currency; a Danish company picks DKK.
    currency = models.CharField(
        max_length=3, choices=[(code, code) for code in CURRENCIES], default="EUR",
        help_text=_("ISO 4217 code of the accounts' annual revenue in the customer file."),
    )
    # Reasons, notes and contact details of people no longer in the book (their account
    # inactive) are erased this many months after Pulse last heard from or asked them.
    retention_months = models.PositiveSmallIntegerField(
        default=36, validators=[MinValueValidator(0), MaxValueValidator(600)], help_text=_("0 keeps them.")
    )
    # First wave month planned under the current frequency: changing the frequency
    # starts a new cycle, so nobody is "owed" under the old rhythm.
    cycle_start = models.DateField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return "Survey program"

    @property
    def period_months(self) -> int:
        """Months between two asks of one contact: 12 / frequency."""
        return 12 // self.frequency

    def clean(self):
        errors = {}
        if self.frequency in dict(self.FREQUENCIES) and self.quiet_days is not None:
            shortest = 28 * self.period_months  # the shortest gap between two asks, in days
            if self.quiet_days >= shortest:
                errors["quiet_days"] = _(
                    "Asked %(f)s times a year, a contact is asked every %(p)s month(s); "
                    "the quiet period must be shorter than %(days)s days."
                ) % {"f": self.frequency, "p": self.period_months, "days": shortest}
        if self.reminder_days and self.link_valid_days and self.reminder_days >= self.link_valid_days:
            errors["reminder_days"] = _("The reminder must go before the answer link expires.")
        for field in ("question_en", "question_da"):
            try:
                (getattr(self, field) or "").format(company=self.company_name)
            except (KeyError, IndexError, ValueError):
                # xgettext:no-python-brace-format
                errors[field] = _("Write {company} for the company name; no other {braces}.")
        if errors:
            raise ValidationError(errors)

    @classmethod
    def current(cls) -> "Program":
        """The program: its one row, or the defaults (unsaved) before anyone saved it.
        Reading never writes, so a GET may read it; writers lock it with
        surveys.program.program_for_update."""
        return cls.objects.order_by("pk").first() or cls()

    def question(self, language: str) -> str:
        text = self.question_da if language == "da" else self.question_en
        return text.format(company=self.company_name)

    def reason_question(self, language: str) -> str:
        return self.reason_question_da if language == "da" else self.reason_question_en


class Suppression(models.Model):
    """A person erased on request: never imported or surveyed again. Kept as a hash of
    the email address (surveys.suppression), never the address itself."""

    email_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # A constraint, not unique=True: on PostgreSQL that adds a LIKE index nobody uses.
        constraints = [models.UniqueConstraint(fields=["email_hash"], name="suppression_email_hash_unique")]

    def __str__(self):
        return f"suppressed {self.email_hash[:12]}…"


class Wave(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")

    month = models.DateField(unique=True, help_text=_("First day of the month the wave sends."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    planned_at = models.DateTimeField(default=timezone.now)
    send_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-month"]

    def __str__(self):
        return self.month.strftime("%Y-%m")


class Invitation(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        BOUNCED = "bounced", _("Bounced")

    # No index of their own: invitation_once_per_wave (wave, contact) and (contact, sent_at) lead
    # with them, and each extra index is paid on every one of a wave's inserts and status updates.
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="invitations", db_index=False)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="invitations", db_index=False)
    # The account at planning time, so a wave's figures do not move with later edits.
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="invitations")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    # Random per invitation; the link token is derived from it (see surveys.tokens).
    token_nonce = models.CharField(max_length=32)
    # Unique by a constraint in Meta, not unique=True, which on PostgreSQL adds a second
    # (LIKE-pattern) index that no query uses.
    token_hash = models.CharField(max_length=64)
    hold_reason = models.CharField(max_length=300, blank=True)
    held_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    send_after = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    reminder_after = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Its answer as the figures count it, written by feedback in the answer's own
    # transaction (surveys.tallies.invitation_answer_count): the category, "" while it is
    # unanswered or its answer is suspect; and when that answer was given. The tallies
    # below are a function of these rows, so surveys keeps them without reading feedback.
    answer_category = models.CharField(max_length=10, blank=True, default="", db_default="")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wave", "contact"], name="invitation_once_per_wave"),
            models.UniqueConstraint(fields=["token_hash"], name="invitation_token_hash_unique"),
        ]
        indexes = [
            models.Index(fields=["wave", "status"]),
            models.Index(fields=["contact", "sent_at"]),
            models.Index(fields=["status", "send_after"]),
        ]

    def __str__(self):
        return f"{self.wave} → {self.contact_id}"

    @property
    def message_id(self) -> str:
        return f"<invitation-{self.pk}-{self.token_hash[:12]}@pulse>"


# --- The summaries the rollups read -------------------------------------------------------
# Derived data, kept exact by surveys.tallies in the same transaction as each event that
# changes them, and rebuilt from invitations and contacts by tallies_rebuild (a repair).


class SummaryCounts(models.Model):
    """The counts a monthly summary row holds: counted answers by category, and delivered
    invitations and how many of them have a counted answer. Plain integers: an event adds
    signed differences in one statement (INSERT ... ON CONFLICT DO UPDATE)."""

    promoters = models.IntegerField(default=0)
    passives = models.IntegerField(default=0)
    detractors = models.IntegerField(default=0)
    delivered = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)

    class Meta:
        abstract = True


class MonthSummary(SummaryCounts):
    """Counted (non-suspect) answers and delivered invitations of one account, one contact
    level (the contact's level now) and one month (local time): answers count in the
    month they were given, delivered and answered invitations in the month they were
    sent. Rollups add up thousands of these rows rather than a million answers."""

    month = models.DateField()
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=12)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "month", "level"], name="month_summary_unique"),
        ]
        indexes = [models.Index(fields=["month", "account"])]

    def __str__(self):
        return f"{self.account_id} {self.month:%Y-%m} {self.level}"


class OwnerMonthSummary(SummaryCounts):
    """MonthSummary added up per owner and region of the accounts now: a few thousand rows
    for the whole organisation, so rollup pages read no more than that."""

    month = models.DateField()
    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=12)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "region", "month", "level"], name="owner_month_summary_unique"),
        ]

    def __str__(self):
        return f"{self.owner_id}/{self.region_id} {self.month:%Y-%m} {self.level}"


class AccountWindowCounts(models.Model):
    """An account's counted answers by category: in its 3- and 12-month windows and all time."""

    promoters_3m = models.PositiveIntegerField(default=0)
    passives_3m = models.PositiveIntegerField(default=0)
    detractors_3m = models.PositiveIntegerField(default=0)
    promoters_12m = models.PositiveIntegerField(default=0)
    passives_12m = models.PositiveIntegerField(default=0)
    detractors_12m = models.PositiveIntegerField(default=0)
    promoters_all = models.PositiveIntegerField(default=0)
    passives_all = models.PositiveIntegerField(default=0)
    detractors_all = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class AccountSummary(AccountWindowCounts):
    """Per account, for the accounts-at-risk lists. The `_all` counts and the contact
    figures are exact at every commit. The 3- and 12-month counts hold the answers given
    from `window_3m_from` and `window_12m_from` on: exact while those are the current
    windows' first months; after a month turns, a reader corrects them from MonthSummary
    (surveys.tallies.account_window_counts) until the daily roll moves the windows on."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, primary_key=True, related_name="+")
    window_3m_from = models.DateField()
    window_12m_from = models.DateField()
    contacts = models.PositiveIntegerField(default=0)
    # Contacts with at least one counted answer.
    answering_contacts = models.PositiveIntegerField(default=0)
    last_executive_answer_at = models.DateTimeField(null=True, blank=True)
    # Its latest counted answer, any level: revenue coverage's "answered lately" (feedback.revenue).
    last_answer_at = models.DateTimeField(null=True, blank=True)
    # Waves since an executive last answered in which an executive was asked and did not answer.
    executive_waves_unanswered = models.PositiveIntegerField(default=0)
    # When an event last changed the row.
    refreshed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # Whether any row's windows are not this month's yet (the daily roll has not run
            # since the month turned): then the revenue sums' windows are not read.
            models.Index(fields=["window_3m_from"], name="account_summary_window"),
        ]

    def __str__(self):
        return f"summary of {self.account_id}"


REVENUE_WINDOWS = ("3m", "12m", "all")


class AccountRevenueCounted(AccountWindowCounts):
    """What RevenueSummary holds of one account: its owner, region, month of its latest
    counted answer, active flag, revenue and window counts as they were last added there
    (surveys.revenue_tallies). An event takes this out and adds the account as it is now."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, primary_key=True,
                                   related_name="revenue_counted")
    owner_id_counted = models.IntegerField()
    region_id_counted = models.IntegerField()
    heard_month = models.DateField()
    active = models.BooleanField()
    annual_revenue = models.DecimalField(max_digits=15, decimal_places=2, null=True)

    def __str__(self):
        return f"revenue counted of {self.account_id}"


class RevenueSummary(models.Model):
    """The revenue figures of the rollups (feedback.revenue), added up per owner, region
    and month of the accounts' latest counted answer (1970-01: never answered), so a page
    reads a few rows per account manager however many accounts lie behind them.

    Coverage: the active accounts, those with a known revenue, and that revenue. Weighted
    NPS, per window (3m, 12m, all): of the accounts with a known revenue and counted
    answers in the window, how many, their answers and revenue, and the sums the weighted
    NPS and its margin are made of (float: the revenue divided among an account's answers)."""

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    heard_month = models.DateField()
    accounts = models.IntegerField(default=0)
    with_revenue = models.IntegerField(default=0)
    # Sums of money in cents: whole numbers add up exactly on every database (SQLite keeps
    # a decimal column's fractions as binary floats).
    revenue_cents = models.BigIntegerField(default=0)
    for _window in REVENUE_WINDOWS:
        locals()[f"accounts_{_window}"] = models.IntegerField(default=0)
        locals()[f"answers_{_window}"] = models.IntegerField(default=0)
        locals()[f"revenue_cents_{_window}"] = models.BigIntegerField(default=0)
        for _sum in ("weight", "weighted", "sq_answers", "sq_net_detractors", "sq_polar"):
            locals()[f"{_sum}_{_window}"] = models.FloatField(default=0.0)
    del _window, _sum

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "region", "heard_month"], name="revenue_summary_unique"),
        ]

    def __str__(self):
        return f"revenue of {self.owner_id}/{self.region_id} heard {self.heard_month:%Y-%m}"


# --- The audit log ----------------------------------------------------------------------


def model_change_event(instance: models.Model, action: int | None, changes: dict | None) -> str:
    """The event name of a change django-auditlog records: "<model>_changed", except the two
    edits that are actions of their own wherever they are made (the owner change page, the
    admin): an account given a new owner, a staff user given a new role."""
    if action == AbstractLogEntry.Action.UPDATE and changes:
        if instance._meta.label_lower == "surveys.account" and "owner" in changes:
            return "owner_changed"
        if instance._meta.label_lower == "surveys.user" and "role" in changes:
            return "role_changed"
    return f"{instance._meta.model_name}_changed"


class AuditEntryManager(LogEntryManager):
    """auditlog's manager, naming the `event` of each model change it records."""

    def log_create(self, instance, force_log: bool = False, **kwargs):
        kwargs.setdefault("event", model_change_event(instance, kwargs.get("action"), kwargs.get("changes")))
        return super().log_create(instance, force_log, **kwargs)

    def log_m2m_changes(self, changed_queryset, instance, operation, field_name, **kwargs):
        kwargs.setdefault("event", model_change_event(instance, None, None))
        return super().log_m2m_changes(changed_queryset, instance, operation, field_name, **kwargs)


class AuditEntry(AbstractLogEntry):
    """One line of the append-only audit log (AUDITLOG_LOGENTRY_MODEL): a staff action that
    surveys.audit.audit_record writes (a sign-in, an export, a hold...), or a change to a
    tracked model that django-auditlog writes (the program, a role, an account's owner...).
    `event` names either, so that one table and one page hold everything. Nothing in the
    app changes or deletes a row."""

    event = models.CharField(max_length=40)
    # An action that concerns no row (an export, a sign-in with an unknown email) has none;
    # a model that goes away leaves its entries.
    content_type = models.ForeignKey(
        "contenttypes.ContentType", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("content type"),
    )
    # auditlog's create, update or delete; none for an action.
    action = models.PositiveSmallIntegerField(
        choices=AbstractLogEntry.Action.choices, null=True, blank=True, verbose_name=_("action"),
    )

    objects = AuditEntryManager()

    class Meta(AbstractLogEntry.Meta):
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["event", "timestamp"], name="audit_event_time")]

    def __str__(self):
        return f"{self.timestamp:%Y-%m-%d %H:%M} {self.event} {self.object_repr}".strip()


class ImportJob(models.Model):
    """A customer file uploaded on the import page, imported (or only checked) by the worker.

    The file waits in the row (every web and worker process sees it) and is emptied once
    the job is done: the book holds the data, the job only its result. The result stays on
    the page until an administrator marks it read."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for the worker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    file_name = models.CharField(max_length=255, blank=True)
    data = models.BinaryField(blank=True, default=b"")
    dry_run = models.BooleanField(default=False)  # "Check only": checked, nothing written
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=10, blank=True)  # "checking" or "writing" while running
    processed = models.PositiveIntegerField(default=0)  # rows checked so far
    total = models.PositiveIntegerField(default=0)  # rows in the file (an estimate until checked)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The ImportSummary's counts (done), or the problems found (failed): [[line, column, reason], ...].
    summary = models.JSONField(default=dict, blank=True)
    problems = models.JSONField(default=list, blank=True)
    problem_count = models.PositiveIntegerField(default=0)
    bad_lines = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)  # the job stopped for another reason than the file
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"import {self.pk} ({self.file_name}, {self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ApiKey(models.Model):
    """A key to the REST API (/api/v1/), made by an administrator. It acts as a member of
    staff (every rule of who sees what applies as it does to them), or reads everything a
    director reads and writes nothing. Only the secret's SHA-256 is kept: the key itself is
    shown once, when it is made (surveys.api_keys)."""

    class Scope(models.TextChoices):
        ACT_AS = "act_as", _("Acts as a member of staff")
        READ_ONLY = "read_only", _("Reads everything, writes nothing")

    name = models.CharField(_("name"), max_length=100)
    # The key's first characters: shown on the page and in the audit log, and how a key is found.
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    acts_as = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("acts as"))
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # Written at most once a minute (surveys.api_keys.API_KEY_TOUCH_EVERY), not once a request.
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def read_only(self) -> bool:
        return self.scope == self.Scope.READ_ONLY


class WebhookEndpoint(models.Model):
    """A URL of another system that administrators asked to be told of events, signed
    with its own secret as the Standard Webhooks specification says (surveys.webhooks)."""

    class Event(models.TextChoices):
        ANSWER_CREATED = "answer.created", _("A customer answers")
        ANSWER_CHANGED = "answer.changed", _("A customer changes an answer")
        CALL_CLOSED = "call.closed", _("A follow-up call is closed")
        CONTACT_UNSUBSCRIBED = "contact.unsubscribed", _("A contact unsubscribes")
        WAVE_SENT = "wave.sent", _("A wave has been sent")

    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(default=list)  # values of Event
    secret = models.CharField(max_length=100)  # "whsec_" + base64 of random bytes
    enabled = models.BooleanField(default=True)
    # Told by email when the endpoint is disabled for failing (else the administrators).
    owner = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    # The first failure since the last success: a day of them disables the endpoint.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["url", "pk"]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint: its payload as built when the event happened, sent
    with the same webhook-id (`msg_<id>`) on every attempt so that the receiver can
    drop a repeat. `next_try_at` is set while it is due or waiting to retry."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=50)
    # What the event was about ("answer.created:17"): the same event handed over twice
    # (an outbox handler run again) makes one delivery.
    event_key = models.CharField(max_length=200)
    payload = models.JSONField()
    # The contact the payload tells about, if any: their erasure redacts it.
    contact_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_try_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)  # the HTTP status
    last_response = models.CharField(max_length=500, blank=True)  # the response's start, or the error
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)  # given up (a day of failures)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_key"], name="webhook_delivery_once_per_event"),
        ]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
            models.Index(fields=["next_try_at"], condition=models.Q(next_try_at__isnull=False),
                         name="webhook_delivery_due"),
            models.Index(fields=["contact_id"], condition=models.Q(contact_id__isnull=False),
                         name="webhook_delivery_contact"),
        ]

    def __str__(self):
        return f"{self.webhook_id} {self.event_type} to {self.endpoint_id}"

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.pk}"

    @property
    def state(self) -> str:
        if self.delivered_at:
            return "delivered"
        if self.failed_at:
            return "failed"
        return "retrying" if self.attempts else "pending"
