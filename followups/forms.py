from django import forms
from django.utils.translation import gettext_lazy as _

from feedback.models import Category

from .models import Attempt, FollowupSettings, RootCause
from .services import RECOVERY_MAX_DAYS, RECOVERY_MIN_DAYS, attempt_log


class AttemptForm(forms.Form):
    outcome = forms.ChoiceField(label=_("What happened?"), choices=Attempt.Outcome.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))
    root_cause = forms.ModelChoiceField(label=_("Root cause"), required=False,
                                        queryset=RootCause.objects.filter(active=True))
    agreed = forms.CharField(label=_("What was agreed"), required=False, max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 3}))
    action_owner = forms.CharField(label=_("Who owns the action"), required=False, max_length=200)
    action_due = forms.DateField(label=_("By when"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def attempt_log(self, *, call_id: int, by) -> Attempt:
        """Log the valid form's attempt (the call page and the API both come here)."""
        data = self.cleaned_data
        return attempt_log(
            call_id=call_id, by=by, outcome=data["outcome"], note=data["note"],
            root_cause_id=data["root_cause"].pk if data["root_cause"] else None,
            agreed=data["agreed"], action_owner=data["action_owner"], action_due=data["action_due"],
        )


class CloseLoopEmailForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Text"), max_length=5000, widget=forms.Textarea(attrs={"rows": 10}))


class ReassignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Hand the call to"), queryset=None)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = candidates


class RecoveryForm(forms.Form):
    survey_in_days = forms.IntegerField(
        label=_("Ask again in (days)"), min_value=RECOVERY_MIN_DAYS, max_value=RECOVERY_MAX_DAYS, initial=60
    )


class AbsenceForm(forms.Form):
    cover = forms.ModelChoiceField(label=_("Who covers for you"), queryset=None)
    starts_on = forms.DateField(label=_("First day away"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Last day away"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cover"].queryset = candidates


class FollowupSettingsForm(forms.ModelForm):
    class Meta:
        model = FollowupSettings
        fields = ["detractor_due_days", "passive_due_days", "promoter_due_days", "max_unanswered_attempts"]


class OverdueFilterForm(forms.Form):
    """The overdue page's filters (GET). A value that is not one of the choices is left
    out, and the page says so: never an error page for a hand-edited link."""

    LEFT_OUT = {"invalid_choice": _("Not one of the choices: left out.")}

    am = forms.TypedChoiceField(label=_("Assigned to"), required=False, coerce=int, empty_value=None,
                                error_messages=LEFT_OUT)
    category = forms.ChoiceField(label=_("Category"), required=False, error_messages=LEFT_OUT,
                                 choices=[("", _("All categories")), *Category.choices])
    sort = forms.ChoiceField(label=_("Order"), required=False, error_messages=LEFT_OUT, choices=[
        ("most_late", _("Most overdue first")), ("least_late", _("Least overdue first"))])

    def __init__(self, *args, assignees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["am"].choices = [("", _("Everyone")), *((user.pk, str(user)) for user in assignees)]

    def values(self) -> dict:
        """The valid filters (empty ones as None), whatever is wrong with the others."""
        self.is_valid()
        data = self.cleaned_data
        return {"assignee_id": data.get("am"), "category": data.get("category") or None,
                "sort": data.get("sort") or "most_late"}
