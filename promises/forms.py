from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _


class PaymentForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2, localize=True
    )
    paid_at = forms.DateTimeField(
        label=_("Paid at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    reference = forms.CharField(
        label=_("Reference"), max_length=100, help_text=_("The bank's operation or receipt number.")
    )
    debt = forms.ModelChoiceField(label=_("Debt"), queryset=None, required=False, empty_label=_("Oldest open debt"))

    def __init__(self, *args, debtor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["debt"].queryset = debtor.debts.filter(recalled_on__isnull=True)
