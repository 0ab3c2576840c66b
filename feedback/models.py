"""What customers said and who sees it: responses, notes, settings, ownership changes.

The summaries the rollups read moved down to surveys (surveys.models, kept by
surveys.tallies) so that a send or an import updates them in its own transaction; they
are importable from here as before."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from surveys.models import Account, AccountSummary, Contact, Invitation, MonthSummary, OwnerMonthSummary  # noqa: F401 (see the docstring)


class Category(models.TextChoices):
    PROMOTER = "promoter", _("Promoter")
    PASSIVE = "passive", _("Passive")
    DETRACTOR = "detractor", _("Detractor")


def category_for_score(score: int) -> str:
    if score >= 9:
        return Category.PROMOTER
    if score >= 7:
        return Category.PASSIVE
    return Category.DETRACTOR


# The triage states of an answer nobody has handled yet, and its detractors among them: the
# inbox pins these (feedback.answer_lists), and a partial index below serves exactly them.
OPEN_TRIAGE = ["new", "seen"]
OPEN_DETRACTOR = models.Q(category="detractor", triage__in=OPEN_TRIAGE)


class Response(models.Model):
    """One customer's answer to one invitation. Changed in place until the link expires."""

    class Triage(models.TextChoices):
        NEW = "new", _("New")
        SEEN = "seen", _("Seen")
        HANDLED = "handled", _("Handled")

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="response")
    # Copied from the invitation so inboxes and rollups filter without joins through it.
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="responses")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="responses")
    # The account's owner, kept with it (feedback.response_owners): the inbox's lists are one
    # owner's answers, newest first, read off the owner's indexes below. A copy, without a
    # constraint in the database: its check locked the owner's row at every answer's commit,
    # where the worker's call may hold it (a deadlock under load); the repair checks it.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              db_constraint=False)
    score = models.PositiveSmallIntegerField()
    reason = models.TextField(blank=True, max_length=5000)
    category = models.CharField(max_length=10, choices=Category.choices)
    language = models.CharField(max_length=8, default="en")
    answered_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(default=timezone.now)
    # Honeypot filled or submitted faster than a person could: kept, shown, never counted.
    suspect = models.BooleanField(default=False)
    suspect_reason = models.CharField(max_length=100, blank=True)
    triage = models.CharField(max_length=8, choices=Triage.choices, default=Triage.NEW)
    triaged_at = models.DateTimeField(null=True, blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set (by a conditional update) when the owner was emailed about this detractor: once.
    alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Lists are newest first, ties by id ("-answered_at", "-pk"): the id ends each index
        # that serves that order, so that a page reads its 40 rows off the index even when
        # thousands of answers share one moment (an import, a batch of answers).
        indexes = [
            models.Index(fields=["account", "answered_at", "id"], name="response_account_order"),
            models.Index(fields=["answered_at", "id"], name="response_order"),
            models.Index(fields=["contact", "answered_at"]),
            # An account manager's inbox, newest first, and filtered to one category.
            models.Index(fields=["owner", "answered_at", "id"], name="response_owner_order"),
            models.Index(fields=["owner", "category", "answered_at", "id"], name="response_owner_category"),
            # The navigation's count of new answers, on every page.
            models.Index(fields=["owner"], condition=models.Q(triage="new"), name="response_new_by_owner"),
            # The API's answers given or changed since a moment (a CRM's nightly sync): the
            # few recent ones, without stepping over every older answer that did not change.
            models.Index(fields=["changed_at"], name="response_changed"),
            # Lists filtered by category, newest first (the inbox's "detractors only").
            models.Index(fields=["category", "answered_at", "id"], name="response_category_order"),
            # The inbox's pinned detractors (not yet handled).
            models.Index(
                fields=["owner", "answered_at", "id"],
                condition=OPEN_DETRACTOR,
                name="response_owner_open_detractors",
            ),
        ]

    def __str__(self):
        return f"{self.score} from {self.contact_id}"

    def set_score(self, score: int) -> None:
        self.score = score
        self.category = category_for_score(score)


class Note(models.Model):
    """An internal note on an answer: staff only, never shown to the customer."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"note on {self.response_id} by {self.author_id}"


class Digest(models.TextChoices):
    OFF = "off", _("No digest")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class ChatKind(models.TextChoices):
    SLACK = "slack", _("Slack")
    TEAMS = "teams", _("Microsoft Teams")


class NotificationSettings(models.Model):
    """One user's choices. No row means the defaults (`feedback.notifications.notification_settings_for`)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    detractor_alerts = models.BooleanField(
        default=True, help_text=_("Email me at once when a customer of mine answers as a detractor.")
    )
    digest = models.CharField(max_length=8, choices=Digest.choices, default=Digest.OFF)
    # The end of the last period a digest was sent for; claimed by conditional update.
    digest_sent_until = models.DateTimeField(null=True, blank=True)
    # Chat: the same alerts and digests posted to a Slack or Teams incoming webhook
    # (feedback.chat). The URL carries the channel's secret: shown to its user only.
    chat_kind = models.CharField(max_length=8, choices=ChatKind.choices, blank=True)
    chat_webhook_url = models.CharField(max_length=1000, blank=True)
    chat_detractor_alerts = models.BooleanField(default=False)
    chat_digests = models.BooleanField(default=False)
    # The service said the channel is gone (404/410) this many posts in a row; at
    # CHAT_GONE_LIMIT chat stops (chat_disabled_at) until the user saves it again.
    chat_gone_count = models.PositiveSmallIntegerField(default=0)
    chat_disabled_at = models.DateTimeField(null=True, blank=True)
    chat_last_error = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"notifications of {self.user_id}"

    @property
    def chat_on(self) -> bool:
        return bool(self.chat_kind and self.chat_webhook_url and self.chat_disabled_at is None)


class OwnershipChange(models.Model):
    """Who moved which account from whom to whom, and when."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="ownership_changes")
    old_owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    new_owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self):
        return f"{self.account_id}: {self.old_owner_id} -> {self.new_owner_id}"


class Theme(models.Model):
    """One theme of the taxonomy the reasons are tagged with (feedback.themes); the
    default eight ship with Pulse (built_in), administrators edit them and add more."""

    key = models.SlugField(max_length=40, unique=True, help_text=_("A short stable name, e.g. delivery."))
    name_en = models.CharField(_("name (English)"), max_length=80)
    name_da = models.CharField(_("name (Danish)"), max_length=80)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_da = models.TextField(_("description (Danish)"), blank=True)
    signals_en = models.TextField(
        _("signals (English)"), blank=True,
        help_text=_("Words and phrases that signal the theme, one a line. A word matches in any inflection, "
                    "with or without æøå, with one typo; =word only that word; word* any word starting so; "
                    "several words: in this order, at most two words apart; -word: an exception; "
                    "@name: a person's first name."),
    )
    signals_da = models.TextField(_("signals (Danish)"), blank=True,
                                  help_text=_("As the English ones; Danish words also match inside compounds."))
    active = models.BooleanField(_("active"), default=True)
    built_in = models.BooleanField(_("built in"), default=False, editable=False)
    position = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "key"]

    def __str__(self):
        return self.key

    def name(self, language: str) -> str:
        return self.name_da if language == "da" else self.name_en

    def description(self, language: str) -> str:
        return self.description_da if language == "da" else self.description_en

    @property
    def name_here(self) -> str:
        """The name in the language of the page being made (Danish or else English)."""
        return self.name("da" if (get_language() or "").startswith("da") else "en")


class ThemeSource(models.TextChoices):
    RULES = "rules", _("Rules")
    CLASSIFIER = "classifier", _("Classifier")
    PERSON = "person", _("Person")


class ResponseTheme(models.Model):
    """A theme an answer's reason mentions, as it stands: the machine's (rules or the
    classifier) with people's corrections (ThemeCorrection) applied. What the rollups read."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="themes")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="response_themes")
    source = models.CharField(max_length=10, choices=ThemeSource.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "theme"], name="response_theme_once")]
        # A theme's answers (the drivers, the answers list filtered by theme).
        indexes = [models.Index(fields=["theme", "response"], name="response_theme_by_theme")]

    def __str__(self):
        return f"{self.response_id}: {self.theme_id} ({self.source})"


class ThemeCorrection(models.Model):
    """A person's word on one theme of one answer: present (added) or not (removed). It
    wins over the machine whenever the answer is tagged again, and is what the
    classifier learns from."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="theme_corrections")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="corrections")
    present = models.BooleanField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "theme"], name="theme_correction_once")]

    def __str__(self):
        return f"{self.response_id}: {self.theme_id} {'+' if self.present else '-'}"


class TrainedClassifier(models.Model):
    """One training of the themes' classifier (feedback.theme_learning): the fitted model,
    what cross-validation measured of it and how it is combined with the rules. Kept in the
    database so that every worker on every host reads the same one: the newest row."""

    trained_at = models.DateTimeField(default=timezone.now)
    # The pickle (compressed) of feedback.theme_classifier.ThemeClassifier. Only Pulse writes it
    # (the training job); a row written by another scikit-learn version is not loaded.
    model = models.BinaryField()
    library_version = models.CharField(max_length=20)
    # What it learned from: rows of the shipped set, answers people corrected, and a
    # fingerprint of both (the scheduled training skips when nothing changed).
    examples_shipped = models.PositiveIntegerField(default=0)
    examples_corrected = models.PositiveIntegerField(default=0)
    data_fingerprint = models.CharField(max_length=64, blank=True)
    # feedback.theme_classifier.Measured.as_dict(): per theme precision, recall, F1 of the
    # classifier, the rules and the combination chosen, by 5-fold cross-validation.
    metrics = models.JSONField(default=dict)
    # "rules" (the classifier is not used) or "union" (rules, and the classifier's themes at
    # or above the threshold).
    combination = models.CharField(max_length=10, default="rules")
    threshold = models.FloatField(default=1.0)
    seconds = models.FloatField(default=0.0)

    class Meta:
        ordering = ["-pk"]

    def __str__(self):
        return f"classifier {self.pk} of {self.trained_at:%Y-%m-%d %H:%M}"


class ThemeCandidate(models.Model):
    """A group of reasons that no theme covers, found by the monthly discovery
    (feedback.theme_discovery): its most telling words and five example answers, for an
    administrator to turn into a theme or dismiss."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ADOPTED = "adopted", _("Made a theme")
        DISMISSED = "dismissed", _("Dismissed")

    found_at = models.DateTimeField(default=timezone.now)
    # The words as customers wrote them, most telling first; each with its language ("en"
    # or "da"), for the theme's signals: [["leveringstid", "da"], ...].
    words = models.JSONField(default=list)
    # Ids of the example answers: their reasons are read when shown, so an erased or
    # expired reason is gone here too (the answers' personal data rules apply).
    response_ids = models.JSONField(default=list)
    size = models.PositiveIntegerField(help_text=_("Reasons in the group."))
    reasons_grouped = models.PositiveIntegerField(help_text=_("Reasons without a theme that the run grouped."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    theme = models.ForeignKey(Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-found_at", "-size", "pk"]

    def __str__(self):
        return ", ".join(word for word, _language in self.words[:3])

    @property
    def words_shown(self) -> list[str]:
        return [word for word, _language in self.words]

class ThemeMonthSummary(models.Model):
    """Counted (not suspect) answers whose reason mentions a theme, by category, per owner
    and region of the accounts now and the month the answer was first given: what the
    drivers read (feedback.drivers). The answers that do not mention it are the same
    group's answers in surveys.OwnerMonthSummary less these. Kept exact in the
    transaction of each event that changes it (feedback.theme_tallies)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey("surveys.Region", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="+")
    promoters = models.IntegerField(default=0)
    passives = models.IntegerField(default=0)
    detractors = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "region", "month", "theme"], name="theme_month_summary_unique"),
        ]

    def __str__(self):
        return f"{self.owner_id}/{self.region_id} {self.month:%Y-%m} {self.theme_id}"
