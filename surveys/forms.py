from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


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
                _("The file is %(size)s MB; the page takes up to %(limit)s MB. Use the import_customers command.")
                % {"size": upload.size // 2**20, "limit": limit // 2**20}
            )
        return upload.read()
