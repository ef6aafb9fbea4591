"""A call as a dialer logs it: the input serializers, with `call_log`'s rules about outcomes,
stances and commitments written as JSON Schema (`schema_rules`)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from calls.api.common import BLANK, NON_BLANK
from calls.models import Call
from calls.models.call import SYSTEM_OUTCOMES
from calls.services import INSTALMENT_FREQUENCIES, MAX_INSTALMENTS, MIN_INSTALMENTS
from collections_crm.api import patterns
from collections_crm.api.fields import (
    AwareDateTimeField,
    DateWindow,
    IdField,
    IsoDateField,
    MoneyField,
    from_today,
    within_years,
)
from collections_crm.api.schema import forbidden, one_of
from collections_crm.api.serializers import InputSerializer


def _absent(*names) -> dict:
    return {name: forbidden() for name in names}


class InstalmentsSerializer(InputSerializer):
    """A plan: `count` instalments splitting `total`, or one instalment per item of `amounts`."""

    schema_rules = [
        {
            "anyOf": [
                {"required": ["count", "total"], "properties": _absent("amounts")},
                {"required": ["amounts"], "properties": _absent("count", "total")},
            ]
        }
    ]

    count = serializers.IntegerField(
        min_value=MIN_INSTALMENTS,
        max_value=MAX_INSTALMENTS,
        required=False,
        help_text=gettext_lazy("With `total`; with `amounts` it is their number."),
    )
    first_date = IsoDateField(
        validators=[from_today(10, too_early=gettext_lazy("The first instalment is in the past for the debtor."))]
    )
    frequency = serializers.ChoiceField(choices=INSTALMENT_FREQUENCIES)
    total = MoneyField(
        required=False,
        schema_pattern=patterns.AMOUNT_FOR_ANY_PLAN,
        help_text=gettext_lazy("Split evenly; the last instalment takes the cents. At least 0.01 per instalment."),
    )
    amounts = serializers.ListField(
        child=MoneyField(), required=False, min_length=MIN_INSTALMENTS, max_length=MAX_INSTALMENTS
    )

    def validate(self, attrs):
        if "amounts" in attrs:
            count = attrs.setdefault("count", len(attrs["amounts"]))
            if count != len(attrs["amounts"]):
                raise serializers.ValidationError(
                    {"amounts": [_("Give one amount for each of the %(count)s instalments.") % {"count": count}]}
                )
        elif "count" not in attrs:
            raise serializers.ValidationError({"count": [_("How many instalments split the total?")]})
        return attrs


class SettlementSerializer(InputSerializer):
    """A discounted settlement: `total` (less than the balance) in one payment on `first_date`, or
    in `count` instalments from it; the rest of the balance is forgiven once every payment is kept."""

    total = MoneyField(help_text=gettext_lazy("What the debtor pays; split evenly when `count` is above 1."))
    first_date = IsoDateField(
        validators=[from_today(10, too_early=gettext_lazy("The promised date is in the past for the debtor."))]
    )
    count = serializers.IntegerField(min_value=1, max_value=MAX_INSTALMENTS, required=False, default=1)
    frequency = serializers.ChoiceField(
        choices=INSTALMENT_FREQUENCIES,
        required=False,
        default="monthly",
        help_text=gettext_lazy("When `count` is above 1."),
    )


# A sent message is logged by the outbox, never by hand.
LOGGABLE_OUTCOMES = [(value, label) for value, label in Call.Outcome.choices if value not in SYSTEM_OUTCOMES]
REACHED = (Call.Outcome.RIGHT_PARTY, Call.Outcome.THIRD_PARTY)
NOT_REACHED = [value for value, _label in LOGGABLE_OUTCOMES if value not in REACHED]
DETAILS = ["promise_amount", "promise_date", "instalments", "settlement", "callback_at", "follow_up_on"]


def _blank_choices(choices):
    return [(value, label) for value, label in choices if value]


def _commitment(value, *, needs=(), given=None) -> dict:
    """A commitment with the details it needs; every other commitment's details left out."""
    return {
        "required": ["commitment", *needs],
        "properties": {
            **_absent(*[name for name in DETAILS if name not in needs]),
            "no_commitment_reason": BLANK,
            **(given or {}),
            "commitment": one_of([value] if isinstance(value, str) else value),
        },
    }


NO_COMMITMENT_BECAUSE = [
    # "none" with its reason, or the reason alone (which means "none").
    {
        "required": ["commitment", "no_commitment_reason"],
        "properties": {**_absent(*DETAILS), "commitment": one_of(["none"]), "no_commitment_reason": NON_BLANK},
    },
    {
        "required": ["no_commitment_reason"],
        "properties": {**_absent("commitment", *DETAILS), "no_commitment_reason": NON_BLANK},
    },
]
CALLBACK = _commitment(Call.Commitment.CALLBACK, needs=["callback_at"])


def _call_rules() -> list[dict]:
    """`call_log`'s rules (calls.services.call_log._call_log_errors) as JSON Schema, outcome by outcome."""
    stances = [{"properties": _absent("stance", "stance_reason")}] + [
        {
            "required": ["stance", "stance_reason"],
            "properties": {"stance": one_of([stance]), "stance_reason": one_of(sorted(reasons))},
        }
        for stance, reasons in Call.REASONS_BY_STANCE.items()
    ]
    right_party_commitments = [
        _commitment(Call.Commitment.PROMISE, needs=["promise_amount", "promise_date"]),
        _commitment(Call.Commitment.INSTALMENTS, needs=["instalments"]),
        _commitment(Call.Commitment.SETTLEMENT, needs=["settlement"]),
        CALLBACK,
        _commitment(
            [Call.Commitment.SEND_DOCUMENTS, Call.Commitment.RECEIVE_DOCUMENTS, Call.Commitment.CONSULT],
            needs=["follow_up_on"],
        ),
        _commitment(Call.Commitment.OTHER, needs=["notes", "follow_up_on"], given={"notes": NON_BLANK}),
        *NO_COMMITMENT_BECAUSE,
    ]
    return [
        {
            "anyOf": [
                {
                    "properties": {
                        "outcome": one_of(NOT_REACHED),
                        **_absent("stance", "stance_reason", "commitment", *DETAILS),
                        "no_commitment_reason": BLANK,
                    }
                },
                {
                    "properties": {"outcome": one_of([Call.Outcome.THIRD_PARTY]), **_absent("stance", "stance_reason")},
                    "anyOf": [
                        {"properties": {**_absent("commitment", *DETAILS), "no_commitment_reason": BLANK}},
                        CALLBACK,
                        *NO_COMMITMENT_BECAUSE,
                    ],
                },
                {
                    "properties": {"outcome": one_of([Call.Outcome.RIGHT_PARTY])},
                    "allOf": [{"anyOf": stances}, {"anyOf": right_party_commitments}],
                },
            ]
        },
        # What the contact was (calls.services.call_log.KIND_OUTCOMES): a call we made names its
        # number; a call from the debtor was answered; a visit found someone or nobody.
        {
            "anyOf": [
                {"required": ["phone"], "properties": {"kind": one_of(["call"])}},
                {
                    "required": ["kind"],
                    "properties": {"kind": one_of(["inbound_call"]), "outcome": one_of(sorted(REACHED))},
                },
                {
                    "required": ["kind"],
                    "properties": {
                        "kind": one_of(["visit"]),
                        "outcome": one_of(sorted([*REACHED, Call.Outcome.NO_ANSWER])),
                    },
                },
            ]
        },
    ]


class CallInputSerializer(InputSerializer):
    """A call as the desk logs it. Which fields go with which outcome and commitment is in the
    schema (`allOf`): nobody reached, no stance nor commitment; a third party, a callback or no
    commitment; the debtor, a commitment (or the reason there was none) with its own details."""

    schema_rules = _call_rules()

    debtor = IdField()
    kind = serializers.ChoiceField(
        choices=[
            ("call", gettext_lazy("A call we made")),
            ("inbound_call", gettext_lazy("A call from the debtor")),
            ("visit", gettext_lazy("A field visit")),
        ],
        required=False,
        default="call",
        help_text=gettext_lazy(
            "call (the default): the number is required; inbound_call: the debtor called us, not one of our "
            "attempts, outcome right_party or third_party; visit: a field visit, under the policy's visit rules, "
            "outcome right_party, third_party or no_answer (nobody at home)."
        ),
    )
    phone = IdField(
        required=False,
        help_text=gettext_lazy("The number called (one of the debtor's phones); required for a call we made."),
    )
    debt = IdField(required=False, help_text=gettext_lazy("The debt the call was about; empty means all of them."))
    outcome = serializers.ChoiceField(choices=LOGGABLE_OUTCOMES)
    started_at = AwareDateTimeField(
        required=False,
        # Up to tomorrow in UTC, which is today somewhere; the service refuses any moment to come.
        validators=[
            DateWindow(
                earliest=-366, latest=1, schema_latest=0, message=gettext_lazy("Give a moment within the last year.")
            )
        ],
        help_text=gettext_lazy("When the call started; not in the future. Empty means now."),
    )
    duration_seconds = serializers.IntegerField(required=False, min_value=0, max_value=24 * 3600)
    stance = serializers.ChoiceField(choices=_blank_choices(Call.Stance.choices), required=False)
    stance_reason = serializers.ChoiceField(choices=_blank_choices(Call.StanceReason.choices), required=False)
    commitment = serializers.ChoiceField(choices=_blank_choices(Call.Commitment.choices), required=False)
    promise_amount = MoneyField(required=False)
    promise_date = IsoDateField(
        required=False,
        validators=[from_today(10, too_early=gettext_lazy("The promised date is in the past for the debtor."))],
    )
    instalments = InstalmentsSerializer(required=False)
    settlement = SettlementSerializer(required=False)
    callback_at = AwareDateTimeField(
        required=False,
        validators=[within_years(2, schema_earliest=1)],
        help_text=gettext_lazy(
            "A moment still to come; the schema lists the days from tomorrow, and any later moment today is taken too."
        ),
    )
    follow_up_on = IsoDateField(
        required=False,
        validators=[from_today(2, too_early=gettext_lazy("The day to call again is in the past for the debtor."))],
        help_text=gettext_lazy(
            "For documents sent or received, a consultation or another commitment: the day to call the debtor "
            "again (their calendar); the follow-up falls at the first lawful moment of that day."
        ),
    )
    no_commitment_reason = serializers.CharField(max_length=200, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    dialer_call_id = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("The dialer's own id for the call: its disposition and recording find the call by it."),
    )
    recording_url = serializers.URLField(
        max_length=500,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("Where the dialer keeps the call's recording (http or https)."),
    )
    override_reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy(
            "A supervisor's written reason to log a call the contact policy blocks; from a collector it is refused (403)."
        ),
    )
