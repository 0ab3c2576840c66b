"""What we do about it: the call queue, attempts, outcomes, cover, recovery requests."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from feedback.models import Category, Response, Theme
from surveys.models import Account, Contact, Region


class FollowupSettings(models.Model):
    """One row, edited by administrators at /calls/settings/ (`FollowupSettings.current()`)."""

    detractor_due_days = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(0), MaxValueValidator(60)],
        help_text=_("Business days to call a detractor."),
    )
    passive_due_days = models.PositiveSmallIntegerField(
        default=7, validators=[MinValueValidator(0), MaxValueValidator(60)],
        help_text=_("Business days to call a passive."),
    )
    promoter_due_days = models.PositiveSmallIntegerField(
        default=14, validators=[MinValueValidator(0), MaxValueValidator(60)],
        help_text=_("Business days to call a promoter."),
    )
    max_unanswered_attempts = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_("Unanswered attempts (no answer, voicemail, wrong number) before a call closes as unreachable."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("follow-up settings")
        verbose_name_plural = _("follow-up settings")

    def __str__(self):
        return "Follow-up settings"

    @classmethod
    def current(cls) -> "FollowupSettings":
        row = cls.objects.order_by("pk").first()
        return row or cls.objects.create()

    def due_days(self, category: str) -> int:
        return {
            Category.DETRACTOR: self.detractor_due_days,
            Category.PASSIVE: self.passive_due_days,
            Category.PROMOTER: self.promoter_due_days,
        }[category]


class RootCause(models.Model):
    """Why a customer is delighted or disappointed; administrators maintain the list."""

    name = models.CharField(max_length=80, unique=True)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


# An open detractor call with no attempt yet (feedback.models.Category.DETRACTOR).
NOT_CALLED_DETRACTOR = Q(state="open", category="detractor", first_attempt_at__isnull=True)
# The open calls, split as the assignee's list orders them: detractors before the rest.
OPEN_DETRACTOR = Q(state="open", category="detractor")
OPEN_NOT_DETRACTOR = Q(state="open") & ~Q(category="detractor")


class Call(models.Model):
    """The follow-up call for one answer (1:1 with Response)."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        REACHED = "reached", _("Reached")
        UNREACHABLE = "unreachable", _("Unreachable")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="call")
    # Copied from the response, so lists and figures filter without joining through it.
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="calls")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="calls")
    category = models.CharField(max_length=10, choices=Category.choices)
    answered_at = models.DateTimeField()
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="calls")
    # The account's owner the assignee works the call for (the owner themself, the owner they
    # cover, or who handed it to them). When the account changes hands the assignee loses the
    # call (followups.selectors.calls_visible_to); its open calls move to the new owner.
    assigned_for = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    # Local date of the first attempt: "called within the due date" is first_attempt_on <= due_on.
    first_attempt_on = models.DateField(null=True, blank=True)
    reached_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Seconds from the answer to the first attempt / to reaching the customer (medians in SQL).
    seconds_to_first_attempt = models.PositiveIntegerField(null=True, blank=True)
    seconds_to_reached = models.PositiveIntegerField(null=True, blank=True)
    unanswered_attempts = models.PositiveSmallIntegerField(default=0)
    # When reached: why, what was agreed, who does what by when.
    root_cause = models.ForeignKey(RootCause, null=True, blank=True, on_delete=models.PROTECT, related_name="calls")
    agreed = models.TextField(blank=True, max_length=5000)
    action_owner = models.CharField(max_length=200, blank=True)
    action_due = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["assignee", "state", "due_on"], name="call_assignee_state_due"),
            models.Index(fields=["state", "due_on", "id"], name="call_state_due"),
            models.Index(fields=["account", "state", "due_on"], name="call_account_state_due"),
            # Detractors nobody has tried to call yet: the rollups' list (most overdue first)
            # and the accounts at risk read only these, however many calls there are.
            models.Index(fields=["due_on", "id"], condition=NOT_CALLED_DETRACTOR, name="call_not_called_due"),
            models.Index(fields=["account", "answered_at"], condition=NOT_CALLED_DETRACTOR,
                         name="call_not_called_account"),
            # The assignee's list, one urgency group at a time (followups.open_call_list): detractors
            # first, then the rest, each in due order, so a page reads only its own rows.
            models.Index(fields=["assignee", "due_on", "answered_at", "id"], condition=OPEN_DETRACTOR,
                         name="call_open_detractor_list"),
            models.Index(fields=["assignee", "due_on", "answered_at", "id"], condition=OPEN_NOT_DETRACTOR,
                         name="call_open_other_list"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="open") | Q(closed_at__isnull=False), name="call_closed_has_time"
            ),
        ]

    def __str__(self):
        return f"Call {self.pk} ({self.get_state_display()})"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN


class Attempt(models.Model):
    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached")
        NO_ANSWER = "no_answer", _("No answer")
        VOICEMAIL = "voicemail", _("Voicemail")
        WRONG_NUMBER = "wrong_number", _("Wrong number")
        DECLINED = "declined", _("Declined to talk")

    UNANSWERED = (Outcome.NO_ANSWER, Outcome.VOICEMAIL, Outcome.WRONG_NUMBER)

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="attempts")
    outcome = models.CharField(max_length=14, choices=Outcome.choices)
    note = models.TextField(blank=True, max_length=2000)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_outcome_display()} at {self.at:%Y-%m-%d %H:%M}"


class CloseLoopEmail(models.Model):
    """A 'here is what we are doing' email to the customer after a call, as written.

    Saved with an outbox row that sends it (the "close_loop_email_queued" event), so a
    mail server that is down delays it rather than losing it: queued until sent_at is
    set, failed when the outbox row gave up (its last error says why)."""

    class Delivery(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("email delivery", "Queued")
        SENT = "sent", pgettext_lazy("email delivery", "Sent")
        FAILED = "failed", pgettext_lazy("email delivery", "Failed")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="emails")
    to = models.EmailField()
    language = models.CharField(max_length=8)
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=5000)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    queued_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    outbox_message = models.ForeignKey(
        "outbox.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["queued_at", "pk"]

    def __str__(self):
        return f"{self.subject} → {self.to}"

    @property
    def delivery(self) -> str:
        if self.sent_at is not None:
            return self.Delivery.SENT
        if self.outbox_message is not None and self.outbox_message.failed_at is not None:
            return self.Delivery.FAILED
        return self.Delivery.QUEUED

    @property
    def delivery_error(self) -> str:
        """Why the last try failed ('' when sent or not tried yet)."""
        if self.sent_at is not None or self.outbox_message is None:
            return ""
        return self.outbox_message.last_error


class Absence(models.Model):
    """While `user` is away (from .. until, inclusive), their new calls go to `cover`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences")
    cover = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="covering")
    starts_on = models.DateField()
    ends_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_on"]
        indexes = [models.Index(fields=["user", "starts_on", "ends_on"], name="absence_user_dates")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="absence_ends_after_start"),
            models.CheckConstraint(condition=~Q(cover=F("user")), name="absence_cover_is_someone_else"),
        ]

    def __str__(self):
        return f"{self.user} away {self.starts_on}..{self.ends_on}, cover {self.cover}"


class RecoveryRequest(models.Model):
    """An AM's request to survey a recovered detractor again, on or after `survey_on`.

    Honoured by followups.services.recovery_invitations_plan (daily beat, or right after
    the waves planner): the contact joins the first wave sending on or after `survey_on`.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PLANNED = "planned", _("Planned")
        SKIPPED = "skipped", _("Skipped")

    call = models.OneToOneField(Call, on_delete=models.CASCADE, related_name="recovery_request")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="recovery_requests")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="recovery_requests")
    original_score = models.PositiveSmallIntegerField()
    survey_on = models.DateField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    # Filled by the planner: the invitation that carries the fresh survey.
    invitation_id = models.BigIntegerField(null=True, blank=True)
    planned_at = models.DateTimeField(null=True, blank=True)
    skipped_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "survey_on"], name="recovery_status_due")]

    def __str__(self):
        return f"Recovery survey of {self.contact_id} on {self.survey_on}"


class EscalationSent(models.Model):
    """One overdue-calls email per RM per day, even when the beat task runs twice."""

    manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    on_date = models.DateField()
    calls = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["manager", "on_date"], name="escalation_once_a_day")]

    def __str__(self):
        return f"Overdue calls to {self.manager_id} on {self.on_date}"


# --- Summaries of the calls (followups.tallies keeps them exact in each event's transaction) ---
# Keyed by the account's owner and region now (as surveys.OwnerMonthSummary), so a rollup
# reads a few rows per owner whatever the number of answers. Plain integers: an event adds
# signed differences in one statement (INSERT ... ON CONFLICT DO UPDATE).

class CallMonthSummary(models.Model):
    """The calls (not cancelled) of the answers given in `month`, by category: figures that
    do not depend on today. `on_time`: first attempt on or before the due date."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    category = models.CharField(max_length=10)
    calls = models.IntegerField(default=0)
    attempted = models.IntegerField(default=0)
    reached = models.IntegerField(default=0)
    closed_unreached = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "region", "month", "category"], name="call_month_summary_unique"),
        ]

    def __str__(self):
        return f"{self.owner_id}/{self.region_id} {self.month:%Y-%m} {self.category}"


class OpenCallSummary(models.Model):
    """The open calls by due date: what is "not due yet" or "overdue" depends on today, so
    they are kept by their due date. Rows at zero are removed: only open calls count here,
    so the table stays as small as the open queue."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    category = models.CharField(max_length=10)
    due_on = models.DateField()
    # Who makes the calls (followups.Call.assignee): the overdue page's choice of person.
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # For whom (Call.assigned_for): the assignee's own list counts the rows where it is
    # the owner, the calls still theirs.
    assigned_for = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    open = models.IntegerField(default=0)
    attempted = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "region", "month", "category", "due_on", "assignee",
                                            "assigned_for"], name="open_call_summary_unique"),
        ]
        indexes = [
            models.Index(fields=["due_on"], name="open_call_summary_due"),
            models.Index(fields=["assignee", "due_on"], name="open_call_summary_assignee"),
        ]

    def __str__(self):
        return (f"{self.owner_id}/{self.region_id} {self.month:%Y-%m} {self.category} due {self.due_on}"
                f" to {self.assignee_id}")


class CallDelaySummary(models.Model):
    """How long calls took, all time: the number of calls per delay bucket (followups.delays)
    from the answer to the first attempt or to reaching the customer."""

    class Kind(models.TextChoices):
        FIRST_ATTEMPT = "first_attempt", _("First attempt")
        REACHED = "reached", _("Reached")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=10)
    kind = models.CharField(max_length=14, choices=Kind.choices)
    bucket = models.PositiveSmallIntegerField()
    calls = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "region", "category", "kind", "bucket"],
                                    name="call_delay_summary_unique"),
        ]

    def __str__(self):
        return f"{self.owner_id}/{self.region_id} {self.category} {self.kind} {self.bucket}"


class RootCauseSummary(models.Model):
    """Reached calls with a root cause, of the answers given in `month`."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    category = models.CharField(max_length=10)
    root_cause = models.ForeignKey(RootCause, on_delete=models.CASCADE, related_name="+")
    reached = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "region", "month", "category", "root_cause"],
                                    name="root_cause_summary_unique"),
        ]

    def __str__(self):
        return f"{self.owner_id}/{self.region_id} {self.month:%Y-%m} {self.category} {self.root_cause_id}"


class RootCauseThemeSummary(models.Model):
    """Reached calls with a root cause, by a theme of the answer's reason (a reason with
    two themes counts under both), of the answers given in `month`: what the AM found
    beside what the customer wrote (the discipline page's cross-table)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    category = models.CharField(max_length=10)
    root_cause = models.ForeignKey(RootCause, on_delete=models.CASCADE, related_name="+")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="+")
    reached = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "region", "month", "category", "root_cause", "theme"],
                                    name="root_cause_theme_summary_unique"),
        ]

    def __str__(self):
        return (f"{self.owner_id}/{self.region_id} {self.month:%Y-%m} {self.category} {self.root_cause_id}"
                f" {self.theme_id}")


class AccountCallState(models.Model):
    """Per account, what the accounts at risk and the revenue at risk ask of its calls, kept
    by every call event and every answer that starts or stops counting, in that event's
    transaction (followups.call_states), so a rollup reads a column instead of probing each
    account's answers and calls. An account without a row has neither."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, primary_key=True, related_name="call_state")
    # Its latest counted answer (not suspect) is a detractor whose call nobody has tried yet.
    latest_not_called = models.BooleanField(default=False)
    # The latest answer moment of its detractor calls nobody has tried yet (None: no such call).
    last_not_called_at = models.DateTimeField(null=True, blank=True)
    # What it adds to RevenueAtRiskSummary, and under which owner and region (followups.
    # revenue_at_risk); all None while it adds nothing.
    at_risk_owner_id = models.IntegerField(null=True, blank=True)
    at_risk_region_id = models.IntegerField(null=True, blank=True)
    at_risk_revenue = models.DecimalField(max_digits=15, decimal_places=2, null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account"], condition=Q(latest_not_called=True),
                                name="call_state_latest_not_called")]

    def __str__(self):
        return f"call state of {self.account_id}"


class RevenueAtRiskSummary(models.Model):
    """Revenue at risk per owner and region: the active accounts with a known revenue whose
    latest counted answer is a detractor nobody has called yet, and their revenue
    (followups.revenue_at_risk keeps it with each call event and each change of an
    account's owner, region, active flag or revenue)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    accounts = models.IntegerField(default=0)
    revenue_cents = models.BigIntegerField(default=0)  # whole cents add up exactly on every database

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "region"], name="revenue_at_risk_unique")]

    def __str__(self):
        return f"revenue at risk of {self.owner_id}/{self.region_id}"


class AccountRisk(models.Model):
    """An active account's place among the accounts at risk of one rollup period ("3m",
    "12m", "all"): what reports.at_risk ranks by, kept by every event that changes it
    (followups.risk_states), so a page reads the first rows of an index instead of every
    account of its scope. Accounts not active, or without a summary, have no rows."""

    class Group(models.IntegerChoices):
        NEITHER = 0  # unless its detractor share is above the page's beyond doubt
        SILENT = 1  # its executives are silent (and nothing worse is known without the page)
        UNHAPPY = 2  # a detractor of the period, or its latest answer, not called yet

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="risks")
    period = models.CharField(max_length=3)
    # Copies of the account's owner and region, the pair whose AtRiskCount it adds to.
    owner_id = models.IntegerField()
    region_id = models.IntegerField()
    group = models.SmallIntegerField(choices=Group.choices)
    low = models.FloatField()  # lower end of the detractor share's 95% interval; 0 without answers
    revenue_known = models.BooleanField()
    revenue = models.DecimalField(max_digits=15, decimal_places=2)  # 0 when not known
    executive_waves_unanswered = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "period"], name="account_risk_unique")]
        indexes = [
            # The page's order within a group (reports.at_risk), and the baseline's range.
            models.Index(fields=["period", "group", "-revenue_known", "-revenue", "-low", "-executive_waves_unanswered",
                                 "account"], name="account_risk_order"),
            models.Index(fields=["period", "group", "low"], name="account_risk_low"),
        ]

    def __str__(self):
        return f"risk of {self.account_id} in {self.period}"


class AtRiskCount(models.Model):
    """Per owner, region and rollup period, the active accounts at risk whatever the page's
    baseline: AccountRisk rows of the groups SILENT and UNHAPPY (followups.risk_states)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=3)
    accounts = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "region", "period"], name="at_risk_count_unique")]

    def __str__(self):
        return f"accounts at risk of {self.owner_id}/{self.region_id} in {self.period}"
