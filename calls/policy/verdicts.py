"""The engine's vocabulary: channels, outcomes, the reasons a contact is refused and their
messages, the verdict, and the snapshots (debtor, phone, past attempt) the rules read."""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext_lazy as _

CHANNELS = ("voice", "sms", "whatsapp", "email", "visit", "letter")
CONSENT_CHANNELS = {"sms": "sms_consent", "whatsapp": "whatsapp_consent"}

# Outcomes, by how laws count them.
CONTACT_OUTCOMES = frozenset({"right_party", "third_party"})
# Reg F 1006.14(b)(3)(iii): a busy signal or a number not in service does not connect.
NOT_REACHED_OUTCOMES = frozenset({"busy", "disconnected"})
RIGHT_PARTY = "right_party"
OUTBOUND = "outbound"

HOLD_MESSAGES = {
    "hold_do_not_contact": _("The debtor is marked do-not-contact."),
    "hold_cease": _("The debtor asked us to stop contacting them."),
    "hold_dispute": _("The debtor disputes the debt: no collection contact until it is verified."),
    "hold_lawsuit": _("The debt is in a lawsuit: no extrajudicial collection contact."),
    "hold_insolvency": _("The debtor is in insolvency proceedings: no collection contact."),
    "hold_deceased": _("The debtor is deceased."),
}
HOLD_FIELDS = tuple(HOLD_MESSAGES)

MESSAGES = {
    "no_policy": _(
        "The contact policy %(code)s is not configured; contact is blocked until an administrator fixes it."
    ),
    "unknown_channel": _("%(channel)s is not a known channel."),
    "third_party_forbidden": _(
        "This number belongs to a third party (%(relationship)s); the law forbids collection contact with third parties."
    ),
    "third_party_location_only": _(
        "This number belongs to a third party (%(relationship)s): ask only where to reach the debtor and do not mention the debt."
    ),
    "no_consent": _("There is no recorded consent to contact this debtor by %(channel)s."),
    "channel_not_authorised": _("The debtor has not authorised contact by %(channel)s."),
    "outside_hours": _("It is %(local_time)s for the debtor (%(time_zone)s): outside the allowed hours."),
    "holiday": _("%(date)s is a public holiday where the debtor lives (%(holiday)s)."),
    "daily_cap": _("%(count)s of the %(max)s contacts allowed today were already made."),
    "weekly_cap": _("%(count)s of the %(max)s contacts allowed this week were already made."),
    "rolling_cap": _("%(count)s of the %(max)s contacts allowed in %(days)s consecutive days were already made."),
    "quiet_period": _("The debtor had a conversation on %(date)s: no further contact before %(until)s."),
    "min_gap": _("There was a contact on %(date)s: contacts on this channel must be at least %(days)s days apart."),
    "channel_per_week": _("After this week's direct contact only %(channels)s may be used until the week ends."),
    "phone_not_valid": _("This number is marked as %(status)s."),
}
CAP_CODES = {"day": "daily_cap", "week": "weekly_cap", "rolling_days": "rolling_cap"}


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    params: dict = field(default_factory=dict)
    mode: str = "block"
    citation: str = ""

    @property
    def message(self) -> str:
        template = HOLD_MESSAGES.get(self.code) or MESSAGES[self.code]
        return str(template) % {key: str(value) for key, value in self.params.items()}

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "message": self.message,
            "params": {key: str(value) for key, value in self.params.items()},
            "citation": self.citation,
        }


@dataclass(slots=True)
class Verdict:
    allowed: bool
    reasons: list[Reason]
    warnings: list[Reason]
    next_allowed_at: datetime | None
    channel: str
    at: datetime
    local_time: datetime
    policy_code: str
    policy_version: int | None
    policy_label: str = ""

    @property
    def codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]

    @property
    def warning_codes(self) -> list[str]:
        return [reason.code for reason in self.warnings]

    def as_dict(self) -> dict:
        return {
            "allowed": self.allowed,
            "channel": self.channel,
            "at": self.at.isoformat(),
            "local_time": self.local_time.isoformat(),
            "policy": self.policy_label,
            "reasons": [reason.as_dict() for reason in self.reasons],
            "warnings": [reason.as_dict() for reason in self.warnings],
            "next_allowed_at": self.next_allowed_at.isoformat() if self.next_allowed_at else None,
        }


@dataclass(frozen=True, slots=True)
class PhoneSnapshot:
    id: int | None
    relationship: str = "own"
    status: str = "unknown"
    sms_consent: bool = False
    whatsapp_consent: bool = False

    @property
    def is_third_party(self) -> bool:
        return self.relationship != "own"


@dataclass(frozen=True, slots=True)
class Attempt:
    """A past Call row as the rules see it."""

    started_at: datetime
    channel: str
    outcome: str
    direction: str = OUTBOUND
    debt_id: int | None = None


@dataclass(frozen=True, slots=True)
class DebtorSnapshot:
    id: int | None
    time_zone: str
    holds: tuple[str, ...] = ()
    phones: tuple[PhoneSnapshot, ...] = ()
    authorised_channels: frozenset[str] | None = None
