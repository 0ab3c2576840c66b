from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.template.defaultfilters import filesizeformat
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .audit import audit_event_choices
from .mailbox import MAIL_KINDS
from .models import Program, User, Wave, WebhookEndpoint


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


class CustomerImportForm(forms.Form):
    file = forms.FileField(
        allow_empty_file=True,
        label=_("Customer file (CSV, UTF-8)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        """The upload's bytes; the import itself says what is wrong with them."""
        upload = self.cleaned_data["file"]
        limit = settings.CUSTOMER_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s; the page takes up to %(limit)s. Use the import_customers command."),
                code="too_large",
                params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            )
        return upload.read()
class ProgramForm(forms.ModelForm):
    """The survey program. Ranges come from the model's validators; Program.clean checks
    the settings against each other (the quiet period against the frequency)."""

    class Meta:
        model = Program
        fields = [
            "frequency", "quiet_days", "per_account_cap", "hold_days", "reminder_days", "link_valid_days",
            "send_rate", "sender_name", "sender_email", "company_name",
            "question_en", "reason_question_en", "question_da", "reason_question_da", "currency",
            "retention_months",
        ]
        labels = {
            "frequency": _("Times each contact is asked per year"),
            "quiet_days": _("Quiet period (days)"),
            "per_account_cap": _("Most contacts per account in one wave"),
            "hold_days": _("Hold window before sending (days)"),
            "reminder_days": _("Reminder after (days)"),
            "link_valid_days": _("Answer link valid for (days)"),
            "send_rate": _("Send rate (emails per second)"),
            "sender_name": _("Sender name"),
            "sender_email": _("Sender address"),
            "company_name": _("Company name, as customers know it"),
            "question_en": _("Question (English)"),
            "reason_question_en": _("Follow-up question (English)"),
            "question_da": _("Question (Danish)"),
            "reason_question_da": _("Follow-up question (Danish)"),
            "currency": _("Currency of the accounts' annual revenue"),
            "retention_months": _("Keep the personal data of people no longer in the book (months)"),
        }
        help_texts = {
            "frequency": _("Spaced evenly: a contact asked twice a year is asked every 6 months."),
            "quiet_days": _("Nobody is asked again within this many days (0 to 365)."),
            "per_account_cap": _("The rest roll over to the next wave (1 to 1000)."),
            "hold_days": _(
                "The wave is planned this many days before the 1st, so account managers can hold "
                "contacts out (0 to 27)."
            ),
            "reminder_days": _("One reminder to those who have not answered; 0 sends none (0 to 27)."),
            "link_valid_days": _("Customers can answer or change their answer until then (1 to 365)."),
            "send_rate": _("0 sends as fast as the workers can (0 to 10000)."),
            "sender_name": _(
                "Invitations come from their account manager and the company (“Anders Nielsen, Acme”); "
                "this name only for an account manager whose name Pulse does not know."
            ),
            "question_en": _("Write {company} where the company name goes."),
            "question_da": _("Write {company} where the company name goes."),
            "currency": _(
                "The customer file's annual_revenue column is in this currency; the rollups show revenue in it. "
                "Changing it converts nothing."
            ),
            "retention_months": _(
                "Contacts of inactive accounts: their reasons, the notes about them and their contact details are "
                "erased this many months after they were last asked, answered or changed; their scores stay in the "
                "figures. 0 keeps them (0 to 600)."
            ),
        }


    FREQUENCY_LABELS = {
        1: _("Once a year"),
        2: _("2 times a year, every 6 months"),
        3: _("3 times a year, every 4 months"),
        4: _("4 times a year, every 3 months"),
        6: _("6 times a year, every 2 months"),
        12: _("12 times a year, every month"),
    }

    # The page's fieldsets: (legend, one line of help, fields). Every field is in one.
    GROUPS = [
        (_("Who is asked and how often"),
         _("Each month a slice of the book is asked; these settings decide who is in it."),
         ["frequency", "quiet_days", "per_account_cap"]),
        (_("Sending"),
         _("When a wave goes out and whom its email comes from."),
         ["hold_days", "send_rate", "sender_name", "sender_email", "company_name"]),
        (_("Reminder and answer link"),
         _("One reminder to those who have not answered, and how long their link stays open."),
         ["reminder_days", "link_valid_days"]),
        (_("Questions"),
         _("What the email and the answer page ask, in English and in Danish."),
         ["question_en", "reason_question_en", "question_da", "reason_question_da"]),
        (_("Figures and personal data"),
         _("How revenue is shown, and how long the data of people no longer in the book is kept."),
         ["currency", "retention_months"]),
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for _legend, _help, names in self.GROUPS:
            for name in names:
                help_id = f"{self[name].id_for_label}_help"
                if self.fields[name].help_text:
                    self.fields[name].widget.attrs["aria-describedby"] = help_id
        frequency = self.fields["frequency"]
        frequency.choices = [(f, self.FREQUENCY_LABELS[f]) for f, _label in Program.FREQUENCIES]
        # The figure under the frequency follows the choice (htmx), before anything is saved.
        frequency.widget.attrs.update({
            "hx-get": reverse_lazy("surveys:program_monthly"), "hx-trigger": "change",
            "hx-target": "#monthly", "hx-swap": "outerHTML",
            "aria-describedby": f"{frequency.widget.attrs['aria-describedby']} monthly",
        })

    def fieldsets(self):
        """(legend, help, bound fields) per group, in the page's order."""
        return [(legend, help_text, [self[name] for name in names]) for legend, help_text, names in self.GROUPS]


class HoldForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, strip=True)


class _DayInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")  # what a date input sends and shows


class _StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return f"{user.full_name} ({user.email})" if user.full_name else user.email


class AuditFilterForm(forms.Form):
    """The audit page's filters (GET). A value not understood is shown as an error and
    filters nothing."""

    event = forms.ChoiceField(label=pgettext_lazy("audit log", "Action"), required=False)
    user = _StaffChoiceField(label=_("Staff member"), required=False, empty_label=_("Everyone"),
                             queryset=User.objects.order_by("email"))
    since = forms.DateField(label=_("From"), required=False, widget=_DayInput)
    until = forms.DateField(label=_("To"), required=False, widget=_DayInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].choices = [("", _("All actions")), *audit_event_choices()]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The last day comes before the first."))
            del data["since"]  # neither day applies
        return data


class MailOutboxFilterForm(forms.Form):
    """The embedded outbox's filters (GET). A value not understood is shown as an error
    and filters nothing."""

    recipient = forms.CharField(label=_("To contains"), required=False, max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("All kinds")), *((kind, kind) for kind in MAIL_KINDS)])
    wave = forms.IntegerField(label=_("Wave (id)"), required=False, min_value=1,
                              error_messages={"invalid": _("A wave is given by its id, a whole number.")})

    def clean_wave(self):
        wave_id = self.cleaned_data["wave"]
        if wave_id is None:
            return None
        wave = Wave.objects.filter(pk=wave_id).first()
        if wave is None:
            raise forms.ValidationError(_("No wave has the id %(id)s."), params={"id": wave_id})
        return wave



class ApiKeyForm(forms.Form):
    """A new API key: its name, and whom it acts as or that it only reads."""

    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("Who uses it and for what, e.g. “CRM nightly sync”."))
    scope = forms.ChoiceField(label=_("Scope"), widget=forms.RadioSelect, initial="act_as", choices=[
        ("act_as", _("Acts as a member of staff: sees and does what they may, no more")),
        ("read_only", _("Reads everything, as a director does, and writes nothing")),
    ])
    acts_as = forms.ModelChoiceField(
        label=_("Acts as"), required=False, queryset=User.objects.filter(is_active=True).order_by("full_name", "email"),
        help_text=_("Only an administrator's key may write the customer book."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scope") == "act_as" and not cleaned.get("acts_as"):
            self.add_error("acts_as", _("Choose the member of staff the key acts as."))
        return cleaned


class WebhookEndpointForm(forms.Form):
    """A webhook endpoint's URL and the events it is told of."""

    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https",
                         help_text=_("Where Pulse POSTs each event, signed (http:// or https://)."))
    events = forms.MultipleChoiceField(label=_("Events"), choices=WebhookEndpoint.Event.choices,
                                       widget=forms.CheckboxSelectMultiple,
                                       error_messages={"required": _("Choose at least one event.")})
