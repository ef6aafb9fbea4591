"""Forms of the admins' import pages: the upload, the column mapping, the assignment."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from debtors.importing.mapping import fields_for
from debtors.markets import COUNTRY_CHOICES
from debtors.models import ImportKind, Portfolio
from debtors.services import IMPORT_EXTENSIONS


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportKind.choices, initial=ImportKind.PORTFOLIO)
    portfolio = forms.ModelChoiceField(
        label=_("Portfolio"),
        queryset=Portfolio.objects.select_related("creditor"),
        required=False,
        help_text=_("Leave empty to create a new portfolio with the three fields below."),
    )
    new_creditor = forms.CharField(label=_("New portfolio: creditor"), max_length=200, required=False)
    new_portfolio = forms.CharField(label=_("New portfolio: name"), max_length=200, required=False)
    new_country = forms.ChoiceField(
        label=_("New portfolio: country"), choices=[("", "—"), *COUNTRY_CHOICES], required=False
    )
    file = forms.FileField(label=_("File (CSV or Excel .xlsx)"))
    whole_portfolio = forms.BooleanField(
        label=_("This file is the whole portfolio"),
        required=False,
        help_text=_("Accounts absent from the file are marked recalled (nothing is deleted)."),
    )
    dry_run = forms.BooleanField(label=_("Dry run: check the file, save nothing"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(IMPORT_EXTENSIONS):
            raise forms.ValidationError(_("Send a CSV or an Excel (.xlsx) file."))
        return upload

    def clean(self):
        data = super().clean()
        if not data.get("portfolio"):
            missing = [name for name in ("new_creditor", "new_portfolio", "new_country") if not data.get(name)]
            if data.get("kind") == ImportKind.PAYMENTS:
                self.add_error("portfolio", _("Payments are loaded into an existing portfolio."))
            elif missing:
                for name in missing:
                    self.add_error(name, _("Choose a portfolio above, or fill this in to create one."))
        return data


class MappingForm(forms.Form):
    """One select per importer field, its choices the file's headers."""

    def __init__(self, *args, headers: list[str], kind: str, initial_mapping: dict, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in this file —"))] + [(header, header) for header in headers if header]
        for name, field in fields_for(kind).items():
            self.fields[name] = forms.ChoiceField(
                label=field.label, choices=choices, required=False, initial=initial_mapping.get(name, "")
            )
        if kind == ImportKind.PORTFOLIO:
            self.fields["external_id"].help_text = _(
                "A file without one is keyed by the national id (RFC, DNI...); failing that, each account is a "
                "customer of its own."
            )

    def mapping(self) -> dict:
        """Every field, None for those not in the file: the importer detects only fields a
        mapping leaves unnamed, and a person's "not in this file" must stay so."""
        return {name: header or None for name, header in self.cleaned_data.items()}


class AssignmentForm(forms.Form):
    ROUND_ROBIN = "round_robin"
    BALANCED = "balanced"

    collectors = forms.ModelMultipleChoiceField(
        label=_("Collectors"), queryset=get_user_model().objects.none(), widget=forms.CheckboxSelectMultiple
    )
    method = forms.ChoiceField(
        label=_("How to spread them"),
        choices=[
            (ROUND_ROBIN, _("Round-robin: the same number of debtors each")),
            (BALANCED, _("Balanced: about the same total balance each")),
        ],
        initial=ROUND_ROBIN,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        from collections_crm.users.models import Role

        super().__init__(*args, **kwargs)
        self.fields["collectors"].queryset = (
            get_user_model().objects.filter(role=Role.COLLECTOR, is_active=True).order_by("first_name", "username")
        )
