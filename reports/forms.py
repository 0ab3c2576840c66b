"""The query parameters of the reports' own pages."""

from django import forms

from feedback.forms import RollupPeriodForm


class DriversFilterForm(RollupPeriodForm):
    """The drivers page: the user's scope, maybe one region and one account manager."""

    region = forms.IntegerField(required=False, min_value=1, max_value=2**62)
    owner = forms.IntegerField(required=False, min_value=1, max_value=2**62)
