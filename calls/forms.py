"""The call-logging form of the debtor page.

The form only turns what the collector typed into values; every rule about which
combination is acceptable lives in `calls.services.call_log`, whose errors are mapped
back onto these fields (`add_service_errors`).
"""

from datetime import timedelta

from django import forms
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from calls.models import Call, CallOutcome
from calls.models.call import SYSTEM_OUTCOMES
from calls.services import INSTALMENT_FREQUENCIES
from collections_crm.lib.timezones import zone_for

# A sent message is logged by the outbox, never by hand.
OUTCOME_CHOICES = [(value, label) for value, label in CallOutcome.choices if value not in SYSTEM_OUTCOMES]
STANCE_CHOICES = [
    ("", _("Not recorded")),
    (Call.Stance.OBJECTION, Call.Stance.OBJECTION.label),
    (Call.Stance.SITUATION, Call.Stance.SITUATION.label),
]
STANCE_REASON_CHOICES = [(value, label) for value, label in Call.StanceReason.choices if value]
COMMITMENT_CHOICES = [(value, label) for value, label in Call.Commitment.choices if value]
FREQUENCY_LABELS = {"weekly": _("Weekly"), "fortnightly": _("Every two weeks"), "monthly": _("Monthly")}
FREQUENCY_CHOICES = [("", "—")] + [(value, FREQUENCY_LABELS[value]) for value in INSTALMENT_FREQUENCIES]

DEFAULT_DAYS_TO_FIRST_PAYMENT = 7
DEFAULT_INSTALMENTS = 3
# Documents sent or received, a consultation: a few days is what debtors usually ask for.
DEFAULT_DAYS_TO_FOLLOW_UP = 3
# Which commitments each detail input belongs to (the groups the page shows one at a time).
DETAIL_OWNERS = {
    "promise_amount": {Call.Commitment.PROMISE},
    "promise_date": {Call.Commitment.PROMISE},
    "instalment_count": {Call.Commitment.INSTALMENTS},
    "instalment_first_date": {Call.Commitment.INSTALMENTS},
    "instalment_frequency": {Call.Commitment.INSTALMENTS},
    "instalment_total": {Call.Commitment.INSTALMENTS},
    "settlement_total": {Call.Commitment.SETTLEMENT},
    "settlement_first_date": {Call.Commitment.SETTLEMENT},
    "settlement_count": {Call.Commitment.SETTLEMENT},
    "settlement_frequency": {Call.Commitment.SETTLEMENT},
    "callback_at": {Call.Commitment.CALLBACK},
    "follow_up_on": Call.DATED_COMMITMENTS,
    "no_commitment_reason": {Call.Commitment.NONE},
}

# Where an error of the service shows in the form; the rest are the same name.
SERVICE_FIELD_TO_FORM = {"instalments": "instalment_count", "settlement": "settlement_total", "debt": None}


def iso_date_input():
    # A date input only accepts ISO dates: a localised value ("25/11/2026") shows as empty,
    # which would silently drop a default or what the collector typed before an error.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RenderedOnce:
    """A choice widget whose templates (the widget's and each option's) are rendered once per
    process for the same context and language, then reused.

    The page renders the same call form for every debtor: the ~30 option templates of its
    radio groups were a tenth of the debtor page's time (bench_desk). The key is the whole
    template context, so a selected option, an error or another debtor's phones render anew.
    """

    _rendered: dict = {}

    def _render(self, template_name, context, renderer=None):
        try:
            key = (template_name, _frozen(context["widget"]), get_language(), id(renderer))
            html = self._rendered.get(key)
        except TypeError:  # something in the context that cannot be a key: render as usual
            return super()._render(template_name, context, renderer)
        if html is None:
            if len(self._rendered) > 1024:  # per-debtor choices (phones) must not grow it forever
                self._rendered.clear()
            html = self._rendered[key] = super()._render(template_name, context, renderer)
        return html


def _frozen(value):
    """A hashable copy of a widget's template context (lazy texts in the current language)."""
    if isinstance(value, dict):
        return tuple(sorted((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, Promise):
        return str(value)
    hash(value)  # TypeError for anything else that cannot be part of a key
    return value


class CachedRadioSelect(RenderedOnce, forms.RadioSelect):
    pass


class CachedSelect(RenderedOnce, forms.Select):
    pass


class AccessKeyRadioSelect(RenderedOnce, forms.RadioSelect):
    """Radio buttons whose options get access keys 1, 2, 3… (Alt+1 in most browsers)."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if index < 9:
            option["attrs"]["accesskey"] = str(index + 1)
            option["accesskey"] = str(index + 1)
        return option


class AutofocusRadioSelect(RenderedOnce, forms.RadioSelect):
    """Radio buttons whose first option takes the focus when the panel appears."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if index == 0:
            option["attrs"]["autofocus"] = True
        return option


class DebtorLocalDateTimeField(forms.DateTimeField):
    """A date-time typed on the debtor's wall clock (a callback the debtor asked for)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, *args, time_zone: str = "UTC", **kwargs):
        self.time_zone = time_zone
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        # Django reads a naive input in the active zone (the collector's): read it in the debtor's.
        with timezone.override(zone_for(self.time_zone)):
            return super().to_python(value)


CONTACT_KIND_CHOICES = [
    ("call", _("A call we made")),
    ("inbound_call", _("A call from the debtor")),
    ("visit", _("A field visit")),
]


class CallLogForm(forms.Form):
    # The dialer's id for the call, from its screen pop (desk/pop): disposition and recording find the call by it.
    dialer_call_id = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("Contact"), choices=CONTACT_KIND_CHOICES, required=False, widget=CachedSelect)
    phone = forms.TypedChoiceField(label=_("Number called"), coerce=int, required=False, widget=AutofocusRadioSelect)
    outcome = forms.ChoiceField(
        label=_("How the call ended"), choices=OUTCOME_CHOICES, required=False, widget=AccessKeyRadioSelect
    )
    stance = forms.ChoiceField(
        label=_("Debtor's stance"),
        choices=STANCE_CHOICES,
        required=False,
        widget=CachedRadioSelect,
        help_text=_(
            "Only when you spoke with the debtor: an objection is negotiated, a hardship situation gets options."
        ),
    )
    stance_reason = forms.ChoiceField(
        label=_("Reason"), choices=STANCE_REASON_CHOICES, required=False, widget=CachedRadioSelect
    )
    commitment = forms.ChoiceField(
        label=_("Commitment the call ended with"), choices=COMMITMENT_CHOICES, required=False, widget=CachedRadioSelect
    )
    promise_amount = forms.DecimalField(
        label=_("Amount promised"),
        required=False,
        max_digits=14,
        decimal_places=2,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    promise_date = forms.DateField(label=_("Payment date"), required=False, widget=iso_date_input())
    instalment_count = forms.IntegerField(label=_("Number of instalments"), required=False)
    instalment_first_date = forms.DateField(label=_("First instalment on"), required=False, widget=iso_date_input())
    instalment_frequency = forms.ChoiceField(
        label=_("How often"), choices=FREQUENCY_CHOICES, required=False, widget=CachedSelect
    )
    instalment_total = forms.DecimalField(
        label=_("Total to pay"),
        required=False,
        max_digits=14,
        decimal_places=2,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=_("Split evenly; the last instalment takes the cents."),
    )
    settlement_total = forms.DecimalField(
        label=_("Amount the debtor pays"),
        required=False,
        max_digits=14,
        decimal_places=2,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=_("Less than the balance: the rest is forgiven once every payment is made."),
    )
    settlement_first_date = forms.DateField(label=_("Payment date"), required=False, widget=iso_date_input())
    settlement_count = forms.IntegerField(
        label=_("Number of payments"), required=False, min_value=1, help_text=_("1: a single payment.")
    )
    settlement_frequency = forms.ChoiceField(
        label=_("How often"), choices=FREQUENCY_CHOICES, required=False, widget=CachedSelect
    )
    callback_at = DebtorLocalDateTimeField(label=_("Call back at (debtor's local time)"), required=False)
    follow_up_on = forms.DateField(
        label=_("Call the debtor again on"),
        required=False,
        widget=iso_date_input(),
        help_text=_("At the first lawful moment of that day on the debtor's calendar."),
    )
    no_commitment_reason = forms.CharField(label=_("Why there was no commitment"), max_length=200, required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    override = forms.BooleanField(label=_("Override the contact policy"), required=False)
    override_reason = forms.CharField(
        label=_("Why the contact policy is overridden"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, debtor, phones, can_override: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.debtor = debtor
        # The phones come as a list the page already loaded: no second query for the radios.
        self.phones = {phone.pk: phone for phone in phones}
        self.fields["phone"].choices = [(phone.pk, self._phone_label(phone)) for phone in phones]
        self.fields["callback_at"].time_zone = debtor.time_zone
        if not self.is_bound:
            self.initial.update(self.sensible_defaults(debtor))
            usable = [phone for phone in phones if phone.status in ("unknown", "valid")]
            own = [phone for phone in usable if phone.relationship == "own"]
            if own or usable:
                self.initial["phone"] = (own or usable)[0].pk
        if not can_override:
            del self.fields["override"]
            del self.fields["override_reason"]

    @staticmethod
    def sensible_defaults(debtor) -> dict:
        """What most calls agree, so that a typical promise needs only a confirmation.

        The whole balance, a week from the debtor's today; a plan of three monthly
        instalments from the same day; documents or a consultation followed up in three
        days. The first usable own number is preselected.
        """
        from collections_crm.lib.timezones import debtor_local_today

        today = debtor_local_today(debtor)
        first_payment = today + timedelta(days=DEFAULT_DAYS_TO_FIRST_PAYMENT)
        balance = getattr(debtor, "total_balance", None) or None
        if balance is not None:
            # As typed, without grouping: "1 000,00" with a no-break space would not read back.
            balance = f"{balance:.2f}".replace(".", formats.get_format("DECIMAL_SEPARATOR"))
        return {
            "stance": "",
            "promise_amount": balance,
            "promise_date": first_payment,
            "instalment_count": DEFAULT_INSTALMENTS,
            "instalment_first_date": first_payment,
            "instalment_frequency": "monthly",
            "instalment_total": balance,
            "settlement_first_date": first_payment,
            "settlement_count": 1,
            "settlement_frequency": "monthly",
            "follow_up_on": today + timedelta(days=DEFAULT_DAYS_TO_FOLLOW_UP),
        }

    @staticmethod
    def _phone_label(phone) -> str:
        parts = [phone.number.as_international, phone.get_kind_display(), phone.get_relationship_display()]
        if phone.contact_name:
            parts.append(phone.contact_name)
        return " · ".join(str(part) for part in parts if part)

    def stance_reason_options(self):
        """The reason radios, each tagged with the stances it belongs to (the page shows only those)."""
        for option in self["stance_reason"]:
            value = option.data["value"]
            option.stances = " ".join(
                f"reason-{stance}" for stance, reasons in Call.REASONS_BY_STANCE.items() if value in reasons
            )
            yield option

    def service_arguments(self) -> dict:
        """The cleaned values as `call_log` keyword arguments (blank inputs as the service's blanks)."""
        data = dict(self.cleaned_data)
        # The page shows only the chosen commitment's details (and fills some in advance):
        # what sits in the hidden groups was not meant for this call, so it is not sent.
        commitment = data.get("commitment") or ""
        for name, owners in DETAIL_OWNERS.items():
            if commitment not in owners and not (name == "no_commitment_reason" and not commitment):
                data[name] = None
        plan_inputs = ("instalment_count", "instalment_first_date", "instalment_frequency", "instalment_total")
        instalments = None
        if any(data.get(name) not in (None, "") for name in plan_inputs):
            instalments = {
                "count": data.get("instalment_count"),
                "first_date": data.get("instalment_first_date"),
                "frequency": data.get("instalment_frequency") or None,
                "total": data.get("instalment_total"),
            }
        settlement = None
        if data.get("settlement_total") is not None or data.get("commitment") == Call.Commitment.SETTLEMENT:
            settlement = {
                "total": data.get("settlement_total"),
                "first_date": data.get("settlement_first_date"),
                "count": data.get("settlement_count") or 1,
                "frequency": data.get("settlement_frequency") or None,
            }
        return {
            "kind": data.get("kind") or "call",
            "phone": self.phones.get(data.get("phone")),
            "outcome": data.get("outcome") or "",
            "stance": data.get("stance") or "",
            "stance_reason": data.get("stance_reason") or "",
            "commitment": data.get("commitment") or "",
            "promise_amount": data.get("promise_amount"),
            "promise_date": data.get("promise_date"),
            "instalments": instalments,
            "settlement": settlement,
            "callback_at": data.get("callback_at"),
            "follow_up_on": data.get("follow_up_on"),
            "no_commitment_reason": data.get("no_commitment_reason") or "",
            "notes": data.get("notes") or "",
            "override_reason": (data.get("override_reason") or "") if data.get("override") else "",
            "dialer_call_id": data.get("dialer_call_id") or "",
        }

    @property
    def override_requested(self) -> bool:
        return bool(self.is_bound and self.cleaned_data.get("override"))

    def add_service_errors(self, error) -> None:
        """Put each of the service's errors next to the field it is about."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, errors in error.error_dict.items():
            target = SERVICE_FIELD_TO_FORM.get(name, name)
            if target not in self.fields:
                target = None
            for item in errors:
                self.add_error(target, item)


class ServiceErrorsMixin:
    """Put a service's ValidationError next to the fields it names (the rest above the form)."""

    def add_service_errors(self, error) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, errors in error.error_dict.items():
            for item in errors:
                self.add_error(name if name in self.fields else None, item)


class FollowUpDoneForm(ServiceErrorsMixin, forms.Form):
    """Mark a follow-up done without a call: the reason is required (by the service)."""

    note = forms.CharField(
        label=_("Why it is done without a call"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class FollowUpMoveForm(ServiceErrorsMixin, forms.Form):
    """Move a follow-up to another moment, typed on the debtor's clock, with the reason."""

    due_at = DebtorLocalDateTimeField(label=_("New time (debtor's local time)"), required=False)
    note = forms.CharField(
        label=_("Why it is moved"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, time_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["due_at"].time_zone = time_zone


class LetterForm(ServiceErrorsMixin, forms.Form):
    """A letter sent to the debtor, recorded on the ledger (`letter_record`)."""

    sent_on = forms.DateField(label=_("Sent on"), widget=iso_date_input())
    notes = forms.CharField(label=_("What it said"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    override_reason = forms.CharField(
        label=_("Why the contact policy is overridden"),
        required=False,
        help_text=_("Only if the policy forbids it and you may override it."),
    )

    def __init__(self, *args, debtor, can_override: bool = False, **kwargs):
        from collections_crm.lib.timezones import debtor_local_today

        # Its own names: the call form beside it has a "notes" of its own.
        kwargs.setdefault("prefix", "letter")
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["sent_on"] = debtor_local_today(debtor)
        if not can_override:
            del self.fields["override_reason"]
