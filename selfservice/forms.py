"""The debtor's forms on the self-service page: short, with the limits as the widgets' bounds."""

from django import forms
from django.utils.translation import gettext_lazy as _


def date_input(earliest, latest):
    attrs = {"type": "date"}
    if earliest is not None:
        attrs["min"] = earliest.isoformat()
    if latest is not None:
        attrs["max"] = latest.isoformat()
    return forms.DateInput(attrs=attrs, format="%Y-%m-%d")


class IdentityForm(forms.Form):
    digits = forms.CharField(
        label=_("Last 4 digits of your national id"),
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]{4}"}),
    )


class PromiseForm(forms.Form):
    due_date = forms.DateField(label=_("I will pay the whole balance on"))

    def __init__(self, *args, offers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["due_date"].widget = date_input(offers.today, offers.latest_promise_date)


class PlanForm(forms.Form):
    count = forms.TypedChoiceField(label=_("Plan"), coerce=int, widget=forms.RadioSelect)
    first_date = forms.DateField(label=_("First payment on"))

    def __init__(self, *args, offers, plan_label, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["count"].choices = [(plan["count"], plan_label(plan)) for plan in offers.plans]
        self.fields["first_date"].widget = date_input(offers.today, offers.latest_first_instalment)


class SettlementForm(forms.Form):
    pay_on = forms.DateField(label=_("I will pay on"))

    def __init__(self, *args, offers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pay_on"].widget = date_input(offers.today, offers.latest_settlement_date)


class CallbackForm(forms.Form):
    day = forms.DateField(label=_("Day"))
    time = forms.TimeField(
        label=_("Time (your local time)"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    note = forms.CharField(label=_("What it is about (optional)"), max_length=300, required=False)

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day"].widget = date_input(today, None)
