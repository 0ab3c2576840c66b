from django import forms
from django.utils.translation import gettext_lazy as _

from surveys.models import STAFF_LANGUAGES, Level, User
from surveys.months import MonthError, month_parse

from .answer_lists import AnswerFilter
from .chat import chat_webhook_check
from .models import Category, ChatKind, Digest, Response, Theme
from .periods import PERIODS

BLANK = [("", _("Any"))]
# As long as an account's name may be (surveys.models.Account.name).
ACCOUNT_NAME_MAX = 200
# The largest id a row can have (a 64-bit integer): a larger one in a filter made the
# database refuse the query.
ID_MAX = 2**63 - 1


def _theme_choices():
    """Every theme of the taxonomy (a link to a theme since switched off still filters),
    named in the page's language; read once per form, when first needed."""
    read = []

    def choices():
        if not read:
            read.extend(BLANK + [(theme.key, theme.name_here) for theme in Theme.objects.order_by("position", "key")])
        return read

    return choices


class AnswerFilterForm(forms.Form):
    """The filters of the inbox, the answers list and the export, from the query string.
    A bad value is reported and ignored, never a server error."""

    category = forms.ChoiceField(label=_("Category"), choices=BLANK + Category.choices, required=False)
    triage = forms.ChoiceField(label=_("State"), choices=BLANK + Response.Triage.choices, required=False)
    period = forms.ChoiceField(label=_("Period"), choices=list(PERIODS.items()), required=False)
    month = forms.CharField(required=False, widget=forms.HiddenInput)
    account = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=ID_MAX)
    owner = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=ID_MAX)
    region = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=ID_MAX)
    level = forms.ChoiceField(label=_("Contact level"), choices=BLANK + Level.choices, required=False)
    reason = forms.ChoiceField(
        label=_("Reason"), choices=BLANK + [("with", _("With a reason")), ("without", _("Without a reason"))],
        required=False,
    )
    suspect = forms.ChoiceField(
        label=_("Suspect"),
        choices=[("", _("Include suspect")), ("no", _("Counted answers only")), ("yes", _("Suspect only"))],
        required=False,
    )
    theme = forms.ChoiceField(label=_("Theme"), required=False)

    def __init__(self, data=None, *, account_search=False, default_period="all", **kwargs):
        self.default_period = default_period
        super().__init__(data, **kwargs)
        self.fields["theme"].choices = _theme_choices()
        if account_search:
            # The inbox finds an account by a part of its name: a list of every account an
            # AM owns would be hundreds of options (thousands in a large book) on a phone.
            self.fields["account_name"] = forms.CharField(
                label=_("Account"), required=False, max_length=ACCOUNT_NAME_MAX, strip=True,
                widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Part of its name")}),
            )

    def clean_month(self):
        value = self.cleaned_data.get("month") or ""
        if not value:
            return None
        try:
            return month_parse(value)
        except MonthError:
            raise forms.ValidationError(_("Month must look like 2026-03, a month from 2000 to 9000.")) from None

    def answer_filter(self) -> AnswerFilter:
        """The valid fields as a filter; invalid ones are dropped (and shown as errors)."""
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        return AnswerFilter(
            category=data.get("category") or "",
            triage=data.get("triage") or "",
            period=data.get("period") or self.default_period,
            month=data.get("month"),
            region=data.get("region"),
            owner=data.get("owner"),
            account=data.get("account"),
            level=data.get("level") or "",
            reason=data.get("reason") or "",
            suspect=data.get("suspect") or "",
            theme=data.get("theme") or "",
            account_name=data.get("account_name") or "",
        )


class TriageForm(forms.Form):
    state = forms.ChoiceField(choices=Response.Triage.choices)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class OwnerForm(forms.Form):
    new_owner = forms.ModelChoiceField(
        label=_("New owner"), queryset=User.objects.none(),
        # The choices are the account's region's staff (feedback.selectors.owner_candidates).
        error_messages={"invalid_choice": _("Choose an account manager of this account's region.")},
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_owner"].queryset = candidates


class NotificationSettingsForm(forms.Form):
    detractor_alerts = forms.BooleanField(
        label=_("Email me at once when a customer of mine answers as a detractor"), required=False
    )
    digest = forms.ChoiceField(label=_("Digest of my scope"), choices=Digest.choices, widget=forms.RadioSelect)
    language = forms.ChoiceField(
        label=_("Language of Pulse"), required=False, widget=forms.RadioSelect,
        choices=[("", _("The same as my browser"))] + STAFF_LANGUAGES,
    )


class ChatSettingsForm(forms.Form):
    """The "Chat" part of the notification settings (prefix "chat"): where and what to post
    (feedback.chat). A blank address turns chat off."""

    kind = forms.ChoiceField(label=_("Chat service"), choices=ChatKind.choices, required=False,
                             widget=forms.RadioSelect)
    webhook_url = forms.CharField(
        label=_("Incoming webhook address"), required=False, max_length=1000,
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "off", "spellcheck": "false",
                                      "placeholder": "https://hooks.slack.com/services/…"}),
    )
    detractor_alerts = forms.BooleanField(
        label=_("Detractor alerts: of my accounts, or of the region I manage"), required=False)
    digests = forms.BooleanField(label=_("My digest, when it is sent"), required=False)

    @staticmethod
    def initial_of(current) -> dict:
        return {"kind": current.chat_kind or ChatKind.SLACK, "webhook_url": current.chat_webhook_url,
                "detractor_alerts": current.chat_detractor_alerts, "digests": current.chat_digests}

    def clean(self):
        data = super().clean()
        url = (data.get("webhook_url") or "").strip()
        if url:
            try:
                data["webhook_url"] = chat_webhook_check(kind=data.get("kind") or "", url=url)
            except forms.ValidationError as error:
                self.add_error("webhook_url", error)
        elif data.get("detractor_alerts") or data.get("digests"):
            self.add_error("webhook_url", _("Enter the webhook's address, or untick what goes to chat."))
        return data


class RollupPeriodForm(forms.Form):
    period = forms.ChoiceField(choices=[(k, PERIODS[k]) for k in ("3m", "12m", "all")], required=False)
