"""The reassignment form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from debtors.models import Portfolio
from supervision.selectors.scope import collectors_for_user


class ReassignForm(forms.Form):
    """Which debtors move to whom: by current collector and portfolio, or ticked one by one."""

    from_collector = forms.ModelChoiceField(
        label=_("From collector"), queryset=None, required=False, empty_label=_("Any")
    )
    portfolio = forms.ModelChoiceField(label=_("Portfolio"), queryset=None, required=False, empty_label=_("Any"))
    to_collector = forms.ModelChoiceField(label=_("To collector"), queryset=None)
    debtor_ids = forms.TypedMultipleChoiceField(label=_("Only these debtors"), coerce=int, required=False)

    def __init__(self, *args, user, **kwargs):

        super().__init__(*args, **kwargs)
        collectors = collectors_for_user(user)
        self.fields["from_collector"].queryset = collectors
        self.fields["to_collector"].queryset = collectors
        self.fields["portfolio"].queryset = Portfolio.objects.order_by("name")
        # Any id is accepted here; the selector keeps only those in the user's scope.
        self.fields["debtor_ids"].valid_value = lambda value: str(value).isdigit()

    def clean(self):
        data = super().clean()
        if not (data.get("from_collector") or data.get("portfolio") or data.get("debtor_ids")):
            raise forms.ValidationError(_("Choose the debtors to move: a collector, a portfolio or some debtors."))
        return data

    def describe(self) -> str:
        data = self.cleaned_data
        parts = []
        if data.get("from_collector"):
            parts.append(f"from={data['from_collector'].username}")
        if data.get("portfolio"):
            parts.append(f"portfolio={data['portfolio'].pk}")
        if data.get("debtor_ids"):
            parts.append(f"debtors={len(data['debtor_ids'])}")
        return " ".join(parts)
