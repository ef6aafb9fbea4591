"""The contact-policy engine: may we contact this debtor, on this channel, at this moment?

Entry points (their names are used by tools outside this code base):
- `check_contact(debtor, channel, at, *, phone=None, debt=None) -> Verdict`
- `check_contact_many(debtors, channel, at, *, debt=None) -> dict[debtor id, Verdict]`

The rules themselves are pure functions over snapshots (`DebtorSnapshot`, `Attempt`,
`CompiledPolicy`): no database, so the tests and the property-based test run them directly.
The wrappers at the bottom read the database in a fixed number of queries:

1. the compiled policy per portfolio (preset + overlays + the portfolio's own rules), cached
   in-process for `CACHE_SECONDS` and dropped whenever a policy, rule or portfolio is saved;
2. the ledger: every Call of the debtors in the last `lookback_days` (one query for all);
3. phones, only for SMS/WhatsApp without a given phone (consent);
4. channel authorisations, only when a policy needs them (Colombia).

Every law here counts in whole local days (rolling days, calendar weeks, days apart), so
counters only change at the debtor's local midnight and windows only open at their start
times: `next_allowed_at` tries exactly those moments, in order, for `HORIZON_DAYS`.
"""

import time as monotonic_clock
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays as holidays_lib
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from collections_crm.lib.clock import Clock
from collections_crm.lib.timezones import debtor_zone

CHANNELS = ("voice", "sms", "whatsapp", "email", "visit")
CONSENT_CHANNELS = {"sms": "sms_consent", "whatsapp": "whatsapp_consent"}
HORIZON_DAYS = 60
CACHE_SECONDS = 60

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


# --- Snapshots and verdicts ------------------------------------------------------------------


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


@dataclass(frozen=True, slots=True)
class Rule:
    kind: str
    channels: frozenset[str]
    params: dict
    mode: str
    citation: str
    layer: int = 0

    def applies_to(self, channel: str) -> bool:
        return not self.channels or channel in self.channels


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    code: str
    version: int | None
    rules: tuple[Rule, ...]
    label: str = ""
    missing: bool = False

    @property
    def lookback_days(self) -> int:
        days = 1
        for rule in self.rules:
            if rule.kind == "cap":
                days = max(days, {"day": 1, "week": 7}.get(rule.params["period"], rule.params.get("days", 1)))
            elif rule.kind in ("quiet_after_conversation", "min_gap"):
                days = max(days, rule.params["days"])
            elif rule.kind == "single_channel_per_week":
                days = max(days, 7)
        # Two spare days cover any UTC offset between the database and the debtor's calendar.
        return days + 2

    @property
    def needs_authorisations(self) -> bool:
        return any(rule.kind == "authorised_channels" for rule in self.rules)


def compile_policy(
    code: str, version: int | None, layers: list[list[dict]], *, label: str = "", holiday_subdivision: str = ""
) -> CompiledPolicy:
    """Build a policy from rule dicts (kind, channels, params, mode, citation), one list per layer."""
    rules = []
    for layer, rule_dicts in enumerate(layers):
        for data in rule_dicts:
            params = dict(data.get("params") or {})
            if data["kind"] == "holidays" and holiday_subdivision:
                params["subdivision"] = holiday_subdivision
            if data["kind"] == "window":
                params["start_time"] = time.fromisoformat(params["start"])
                params["end_time"] = time.fromisoformat(params["end"])
                params["weekday_set"] = frozenset(params["weekdays"])
            rules.append(
                Rule(
                    kind=data["kind"],
                    channels=frozenset(data.get("channels") or ()),
                    params=params,
                    mode=data.get("mode", "block"),
                    citation=data.get("citation", ""),
                    layer=layer,
                )
            )
    return CompiledPolicy(code=code, version=version, rules=tuple(rules), label=label or f"{code} v{version}")


def compile_preset_data(code: str, overlays: tuple[str, ...] = (), *, holiday_subdivision: str = "") -> CompiledPolicy:
    """A policy straight from calls.policy_presets, without the database (tests, tools)."""
    from calls.policy_presets import PRESETS

    layers = [PRESETS[code]["rules"]] + [PRESETS[overlay]["rules"] for overlay in overlays]
    label = " + ".join(f"{name} v1" for name in (code, *overlays))
    return compile_policy(code, 1, layers, label=label, holiday_subdivision=holiday_subdivision)


def validate_rule(*, kind: str, channels, params) -> None:
    """Refuse rule parameters the engine cannot apply (used by ContactRule.clean)."""
    errors = []
    if not isinstance(channels, list) or any(channel not in CHANNELS for channel in channels):
        errors.append(_("Channels must be a list of: voice, sms, whatsapp, email, visit."))
    if not isinstance(params, dict):
        raise ValidationError({"params": _("Parameters must be an object.")})
    try:
        if kind == "window":
            if not params["weekdays"] or not all(day in range(7) for day in params["weekdays"]):
                errors.append(_("A window needs weekdays between 0 (Monday) and 6 (Sunday)."))
            if time.fromisoformat(params["start"]) >= time.fromisoformat(params["end"]):
                errors.append(_("A window must start before it ends."))
        elif kind == "holidays":
            holidays_lib.country_holidays(params["country"], subdiv=params.get("subdivision") or None, years=2026)
        elif kind == "cap":
            if int(params["max"]) < 1:
                errors.append(_("A cap must allow at least one contact; use a hold to forbid contact."))
            if params["period"] not in CAP_CODES:
                errors.append(_("The period must be day, week or rolling_days."))
            if params["period"] == "rolling_days" and int(params["days"]) < 1:
                errors.append(_("Rolling periods need a number of days."))
            if params.get("scope", "debtor") not in ("debtor", "debt"):
                errors.append(_("The scope must be debtor or debt."))
            if params.get("counts", "all") not in ("all", "reached_number", "contact"):
                errors.append(_("Counts must be all, reached_number or contact."))
        elif kind in ("quiet_after_conversation", "min_gap"):
            if int(params["days"]) < 1:
                errors.append(_("The number of days must be positive."))
    except (KeyError, TypeError, ValueError, NotImplementedError) as error:
        errors.append(_("Invalid parameters: %(error)s") % {"error": error})
    if errors:
        raise ValidationError(errors)


# --- Pure rules ------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def holiday_calendar(country: str, subdivision: str, year: int):
    return holidays_lib.country_holidays(country, subdiv=subdivision or None, years=year)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


# (id(policy), channel) -> (policy, rules, windows by layer, window starts by weekday).
_CHANNEL_RULES: dict[tuple[int, str], tuple] = {}


def _rules_for_channel(policy: CompiledPolicy, channel: str) -> tuple[list, dict, list]:
    """The policy's rules for a channel, its window rules by layer and their starts per weekday.

    The same for every debtor under the policy, so worked out once per policy and channel:
    a 200-row queue page rebuilt them 200 times (bench_desk). Policies are immutable and
    cached; the entry keeps its policy so that a reused id() never returns another's rules.
    """
    key = (id(policy), channel)
    cached = _CHANNEL_RULES.get(key)
    if cached is None or cached[0] is not policy:
        if len(_CHANNEL_RULES) > 256:
            _CHANNEL_RULES.clear()
        rules = [rule for rule in policy.rules if rule.applies_to(channel) or rule.kind == "single_channel_per_week"]
        windows_by_layer = {}
        for rule in rules:
            if rule.kind == "window":
                windows_by_layer.setdefault((rule.layer, rule.mode), []).append(rule)
        starts_by_weekday = [
            sorted(
                {
                    rule.params["start_time"]
                    for layer_rules in windows_by_layer.values()
                    for rule in layer_rules
                    if weekday in rule.params["weekday_set"]
                }
            )
            for weekday in range(7)
        ]
        cached = _CHANNEL_RULES[key] = (policy, rules, windows_by_layer, starts_by_weekday)
    return cached[1], cached[2], cached[3]


class _Ledger:
    """The attempts each rule counts, as local dates, prepared once per verdict."""

    __slots__ = (
        "zone",
        "time_zone",
        "rules",
        "channel",
        "counted",
        "conversations",
        "week_contacts",
        "windows_by_layer",
        "starts_by_weekday",
    )

    def __init__(self, policy: CompiledPolicy, debtor: DebtorSnapshot, channel: str, attempts, debt_id):
        self.zone = debtor_zone(debtor)
        self.time_zone = debtor.time_zone
        self.channel = channel
        self.rules, self.windows_by_layer, self.starts_by_weekday = _rules_for_channel(policy, channel)
        local = [(attempt, attempt.started_at.astimezone(self.zone).date()) for attempt in attempts]
        self.counted = {}
        self.conversations = {}
        self.week_contacts = None
        for index, rule in enumerate(self.rules):
            kind = rule.kind
            if kind in ("cap", "min_gap"):
                counts = rule.params.get("counts", "all")
                by_debt = rule.params.get("scope") == "debt" and debt_id is not None
                self.counted[index] = sorted(
                    day
                    for attempt, day in local
                    if attempt.direction == OUTBOUND
                    and (not rule.channels or attempt.channel in rule.channels)
                    and (not by_debt or attempt.debt_id in (None, debt_id))
                    and (
                        counts == "all"
                        or (counts == "reached_number" and attempt.outcome not in NOT_REACHED_OUTCOMES)
                        or (counts == "contact" and attempt.outcome in CONTACT_OUTCOMES)
                    )
                )
            elif kind == "quiet_after_conversation":
                by_debt = rule.params.get("scope") == "debt" and debt_id is not None
                # A conversation is a conversation whoever called (CFPB: incoming calls too).
                self.conversations[index] = sorted(
                    day
                    for attempt, day in local
                    if attempt.outcome == RIGHT_PARTY
                    and (not rule.channels or attempt.channel in rule.channels)
                    and (not by_debt or attempt.debt_id in (None, debt_id))
                )
            elif kind == "single_channel_per_week":
                self.week_contacts = sorted(
                    (day, attempt.channel, attempt.outcome == RIGHT_PARTY)
                    for attempt, day in local
                    if attempt.direction == OUTBOUND or attempt.outcome == RIGHT_PARTY
                )

    def window_starts(self, weekday: int) -> list[time]:
        return self.starts_by_weekday[weekday]

    def violations(self, at: datetime) -> list[Reason]:
        """Reasons the moment breaks a time-dependent rule (blocks and warnings)."""
        local = at.astimezone(self.zone)
        today = local.date()
        clock = local.time()
        found = []
        for (_layer, mode), rules in self.windows_by_layer.items():
            weekday = today.weekday()
            if not any(
                weekday in rule.params["weekday_set"] and rule.params["start_time"] <= clock < rule.params["end_time"]
                for rule in rules
            ):
                found.append(
                    Reason(
                        "outside_hours",
                        # In the reader's language and clock style ("%a %H:%M" wrote "Wed" in Spanish).
                        {"local_time": Clock.current().weekday_time(local), "time_zone": self.time_zone},
                        mode,
                        "; ".join(rule.citation for rule in rules),
                    )
                )
        for index, rule in enumerate(self.rules):
            kind = rule.kind
            params = rule.params
            if kind == "holidays":
                subdivision = params.get("subdivision") or params.get("subdivision_by_time_zone", {}).get(
                    self.time_zone, ""
                )
                name = holiday_calendar(params["country"], subdivision, today.year).get(today)
                if name:
                    found.append(
                        Reason("holiday", {"date": today.isoformat(), "holiday": name}, rule.mode, rule.citation)
                    )
            elif kind == "cap":
                days = self.counted[index]
                period = params["period"]
                if period == "day":
                    count = sum(1 for day in days if day == today)
                elif period == "week":
                    monday = week_start(today)
                    sunday = monday + timedelta(days=6)
                    count = sum(1 for day in days if monday <= day <= sunday)
                else:
                    first = today - timedelta(days=params["days"] - 1)
                    count = sum(1 for day in days if first <= day <= today)
                if count >= params["max"]:
                    found.append(
                        Reason(
                            CAP_CODES[period],
                            {"count": count, "max": params["max"], "days": params.get("days", 7)},
                            rule.mode,
                            rule.citation,
                        )
                    )
            elif kind == "quiet_after_conversation":
                span = timedelta(days=params["days"])
                for day in reversed(self.conversations[index]):
                    if day <= today < day + span:
                        found.append(
                            Reason(
                                "quiet_period",
                                {"date": day.isoformat(), "until": (day + span).isoformat()},
                                rule.mode,
                                rule.citation,
                            )
                        )
                        break
            elif kind == "min_gap":
                for day in self.counted[index]:
                    if abs((today - day).days) < params["days"]:
                        found.append(
                            Reason(
                                "min_gap", {"date": day.isoformat(), "days": params["days"]}, rule.mode, rule.citation
                            )
                        )
                        break
            elif kind == "single_channel_per_week" and self.week_contacts:
                monday = week_start(today)
                this_week = [entry for entry in self.week_contacts if monday <= entry[0] <= today]
                first_contact = next((day for day, _channel, direct in this_week if direct), None)
                if first_contact is not None:
                    used = {channel for day, channel, _direct in this_week if day >= first_contact}
                    if self.channel not in used:
                        found.append(
                            Reason("channel_per_week", {"channels": ", ".join(sorted(used))}, rule.mode, rule.citation)
                        )
        return found


def _static_reasons(
    policy: CompiledPolicy, debtor: DebtorSnapshot, channel: str, phone: PhoneSnapshot | None
) -> list[Reason]:
    """Reasons that do not change with time: the channel, the number, consent, authorisation."""
    found = []
    if phone is not None and phone.is_third_party:
        for rule in policy.rules:
            if rule.kind == "third_party" and rule.applies_to(channel):
                code = "third_party_forbidden" if rule.mode == "block" else "third_party_location_only"
                found.append(Reason(code, {"relationship": phone.relationship}, rule.mode, rule.citation))
    if phone is not None and phone.status in ("wrong_number", "disconnected"):
        found.append(Reason("phone_not_valid", {"status": phone.status}, "warn"))
    consent_field = CONSENT_CHANNELS.get(channel)
    if consent_field:
        candidates = (phone,) if phone is not None else tuple(p for p in debtor.phones if not p.is_third_party)
        if not any(getattr(candidate, consent_field) for candidate in candidates):
            found.append(
                Reason(
                    "no_consent",
                    {"channel": channel},
                    "block",
                    "Recorded consent per number (TCPA; GDPR art. 6; internal policy)",
                )
            )
    for rule in policy.rules:
        if rule.kind == "authorised_channels" and rule.applies_to(channel):
            if channel not in (debtor.authorised_channels or frozenset()):
                found.append(Reason("channel_not_authorised", {"channel": channel}, rule.mode, rule.citation))
    return found


def _candidates(ledger: _Ledger, at: datetime):
    """Moments at which the verdict can change, after `at`, in order; see the module docstring.

    1. Later today: the window openings still ahead.
    2. Each following day: local midnight (counters roll over), then each window opening.
    Times that fall in a DST gap resolve to the instant just after the gap (zoneinfo, fold=0).
    """
    local = at.astimezone(ledger.zone)
    today = local.date()
    for start in ledger.window_starts(today.weekday()):
        candidate = datetime.combine(today, start, tzinfo=ledger.zone)
        if candidate > at:
            yield candidate, today
    for offset in range(1, HORIZON_DAYS + 1):
        day = today + timedelta(days=offset)
        yield datetime.combine(day, time.min, tzinfo=ledger.zone), day
        for start in ledger.window_starts(day.weekday()):
            yield datetime.combine(day, start, tzinfo=ledger.zone), day


def _next_allowed(ledger: _Ledger, at: datetime) -> datetime | None:
    skip_day = None
    for candidate, day in _candidates(ledger, at):
        if day == skip_day or candidate <= at:
            continue
        blocks = [reason for reason in ledger.violations(candidate) if reason.mode == "block"]
        if not blocks:
            return candidate
        # Only the window changes within a day; any other block holds until midnight.
        if any(reason.code != "outside_hours" for reason in blocks):
            skip_day = day
    return None


def evaluate(
    policy: CompiledPolicy,
    debtor: DebtorSnapshot,
    channel: str,
    at: datetime,
    attempts=(),
    *,
    phone: PhoneSnapshot | None = None,
    debt_id: int | None = None,
    with_next: bool = True,
) -> Verdict:
    """The verdict for one moment, from snapshots only (no database).

    1. Holds block every channel, indefinitely (next_allowed_at None).
    2. Static reasons (missing policy, third party, consent, authorisation) block indefinitely.
    3. Time rules (hours, holidays, counters) block until `next_allowed_at`.
    Warnings never block; they come from rules in warn mode.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("check_contact needs an aware datetime")
    zone = debtor_zone(debtor)
    local_time = at.astimezone(zone)

    def verdict(reasons, warnings, next_allowed_at):
        return Verdict(
            allowed=not reasons,
            reasons=reasons,
            warnings=warnings,
            next_allowed_at=next_allowed_at,
            channel=channel,
            at=at,
            local_time=local_time,
            policy_code=policy.code,
            policy_version=policy.version,
            policy_label=policy.label,
        )

    if channel not in CHANNELS:
        return verdict([Reason("unknown_channel", {"channel": channel})], [], None)
    holds = [Reason(code) for code in debtor.holds]
    if holds:
        return verdict(holds, [], None)
    if policy.missing:
        return verdict([Reason("no_policy", {"code": policy.code})], [], None)
    static = _static_reasons(policy, debtor, channel, phone)
    warnings = [reason for reason in static if reason.mode != "block"]
    blocks = [reason for reason in static if reason.mode == "block"]
    if blocks:
        return verdict(blocks, warnings, None)
    ledger = _Ledger(policy, debtor, channel, attempts, debt_id)
    timed = ledger.violations(at)
    warnings += [reason for reason in timed if reason.mode != "block"]
    blocks = [reason for reason in timed if reason.mode == "block"]
    if not blocks:
        return verdict([], warnings, at)
    return verdict(blocks, warnings, _next_allowed(ledger, at) if with_next else None)


# --- Database wrappers -----------------------------------------------------------------------

_policy_cache: dict[int, tuple[float, CompiledPolicy]] = {}


def policy_cache_clear(**_kwargs) -> None:
    """Forget compiled policies (connected to saves of policies, rules and portfolios)."""
    _policy_cache.clear()


def _rule_dict(rule) -> dict:
    return {
        "kind": rule.kind,
        "channels": rule.channels,
        "params": rule.params,
        "mode": rule.mode,
        "citation": rule.citation,
    }


def policies_for_portfolios(portfolio_ids) -> dict[int, CompiledPolicy]:
    """Compiled policy per portfolio id; at most 4 queries for the ones not cached."""
    from calls.models import ContactPolicy, ContactRule
    from debtors.models import Portfolio

    now = monotonic_clock.monotonic()
    found = {}
    missing = []
    for portfolio_id in set(portfolio_ids):
        cached = _policy_cache.get(portfolio_id)
        if cached and cached[0] > now:
            found[portfolio_id] = cached[1]
        else:
            missing.append(portfolio_id)
    if not missing:
        return found
    portfolios = list(Portfolio.objects.filter(pk__in=missing).select_related("contact_settings"))
    settings_of = {portfolio.pk: getattr(portfolio, "contact_settings", None) for portfolio in portfolios}
    codes = {portfolio.contact_policy_preset for portfolio in portfolios}
    for settings in settings_of.values():
        if settings:
            codes.update(settings.overlays)
    latest = {}
    for policy in ContactPolicy.objects.filter(code__in=codes, is_active=True).order_by("code", "-version"):
        latest.setdefault(policy.code, policy)
    rules_of = {policy.pk: [] for policy in latest.values()}
    portfolio_rules = {}
    settings_ids = [settings.pk for settings in settings_of.values() if settings]
    for rule in ContactRule.objects.filter(policy_id__in=list(rules_of)).order_by("pk"):
        rules_of[rule.policy_id].append(_rule_dict(rule))
    if settings_ids:
        for rule in ContactRule.objects.filter(portfolio_settings_id__in=settings_ids).order_by("pk"):
            portfolio_rules.setdefault(rule.portfolio_settings_id, []).append(_rule_dict(rule))
    for portfolio in portfolios:
        settings = settings_of[portfolio.pk]
        names = [portfolio.contact_policy_preset, *(settings.overlays if settings else [])]
        if any(name not in latest for name in names):
            missing_code = next(name for name in names if name not in latest)
            compiled = CompiledPolicy(code=missing_code, version=None, rules=(), label=missing_code, missing=True)
        else:
            preset = latest[portfolio.contact_policy_preset]
            layers = [rules_of[latest[name].pk] for name in names]
            label = " + ".join(f"{name} v{latest[name].version}" for name in names)
            if settings and settings.pk in portfolio_rules:
                layers.append(portfolio_rules[settings.pk])
                label += " + " + str(_("portfolio rules"))
            compiled = compile_policy(
                preset.code,
                preset.version,
                layers,
                label=label,
                holiday_subdivision=settings.holiday_subdivision if settings else "",
            )
        _policy_cache[portfolio.pk] = (now + CACHE_SECONDS, compiled)
        found[portfolio.pk] = compiled
    return found


def phone_snapshot(phone) -> PhoneSnapshot | None:
    if phone is None:
        return None
    return PhoneSnapshot(
        id=phone.pk,
        relationship=phone.relationship,
        status=phone.status,
        sms_consent=phone.sms_consent,
        whatsapp_consent=phone.whatsapp_consent,
    )


def debtor_snapshot(debtor, *, phones=(), authorised_channels=None) -> DebtorSnapshot:
    return DebtorSnapshot(
        id=debtor.pk,
        time_zone=debtor.time_zone,
        holds=tuple(name for name in HOLD_FIELDS if getattr(debtor, name)),
        phones=tuple(phones),
        authorised_channels=authorised_channels,
    )


def _ledger_for(debtor_ids, since: datetime) -> dict[int, list[Attempt]]:
    from calls.models import Call

    ledger = {debtor_id: [] for debtor_id in debtor_ids}
    # No ORDER BY: the rules sort what they need, and the (debtor, -started_at) index serves the filter.
    rows = (
        Call.objects.filter(debtor_id__in=debtor_ids, started_at__gte=since)
        .order_by()
        .values_list("debtor_id", "started_at", "channel", "outcome", "direction", "debt_id")
    )
    for debtor_id, started_at, channel, outcome, direction, debt_id in rows:
        ledger[debtor_id].append(Attempt(started_at, channel, outcome, direction, debt_id))
    return ledger


def _phones_for(debtor_ids) -> dict[int, list[PhoneSnapshot]]:
    from debtors.models import Phone

    phones = {debtor_id: [] for debtor_id in debtor_ids}
    rows = (
        Phone.objects.filter(debtor_id__in=debtor_ids)
        .order_by()
        .values_list("debtor_id", "pk", "relationship", "status", "sms_consent", "whatsapp_consent")
    )
    for debtor_id, pk, relationship, status, sms_consent, whatsapp_consent in rows:
        phones[debtor_id].append(PhoneSnapshot(pk, relationship, status, sms_consent, whatsapp_consent))
    return phones


def _authorisations_for(debtor_ids) -> dict[int, frozenset[str]]:
    from calls.models import DebtorChannelAuthorisation

    channels = {debtor_id: set() for debtor_id in debtor_ids}
    rows = DebtorChannelAuthorisation.objects.filter(debtor_id__in=debtor_ids, revoked_at__isnull=True).values_list(
        "debtor_id", "channel"
    )
    for debtor_id, channel in rows:
        channels[debtor_id].add(channel)
    return {debtor_id: frozenset(found) for debtor_id, found in channels.items()}


def check_contact_many(debtors, channel: str, at: datetime, *, debt=None) -> dict[int, Verdict]:
    """Verdicts (with next_allowed_at) for many debtors at once, e.g. a 50-debtor queue page.

    Queries: the policies not yet cached (≤ 4), the ledger (1), phones for SMS/WhatsApp (1),
    channel authorisations when a policy needs them (1): never one per debtor.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("check_contact_many needs an aware datetime")
    debtors = list(debtors)
    if not debtors:
        return {}
    policies = policies_for_portfolios(debtor.portfolio_id for debtor in debtors)
    ids = [debtor.pk for debtor in debtors]
    lookback = max(policy.lookback_days for policy in policies.values())
    ledger = _ledger_for(ids, at - timedelta(days=lookback))
    phones = _phones_for(ids) if channel in CONSENT_CHANNELS else {}
    needs_authorisations = [debtor.pk for debtor in debtors if policies[debtor.portfolio_id].needs_authorisations]
    authorised = _authorisations_for(needs_authorisations) if needs_authorisations else {}
    debt_id = debt.pk if debt is not None else None
    return {
        debtor.pk: evaluate(
            policies[debtor.portfolio_id],
            debtor_snapshot(debtor, phones=phones.get(debtor.pk, ()), authorised_channels=authorised.get(debtor.pk)),
            channel,
            at,
            ledger[debtor.pk],
            debt_id=debt_id,
        )
        for debtor in debtors
    }


def check_contact(debtor, channel: str, at: datetime, *, phone=None, debt=None) -> Verdict:
    """May we contact `debtor` on `channel` at `at` (aware)? See the module docstring.

    `phone` is the number to dial or text (third-party and consent rules use it); without
    it, SMS/WhatsApp need consent on one of the debtor's own numbers. `debt` narrows the
    per-debt counters (US); without it every attempt counts.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("check_contact needs an aware datetime")
    policy = policies_for_portfolios([debtor.portfolio_id])[debtor.portfolio_id]
    attempts = _ledger_for([debtor.pk], at - timedelta(days=policy.lookback_days))[debtor.pk]
    phones = _phones_for([debtor.pk])[debtor.pk] if channel in CONSENT_CHANNELS and phone is None else ()
    authorised = _authorisations_for([debtor.pk])[debtor.pk] if policy.needs_authorisations else None
    return evaluate(
        policy,
        debtor_snapshot(debtor, phones=phones, authorised_channels=authorised),
        channel,
        at,
        attempts,
        phone=phone_snapshot(phone),
        debt_id=debt.pk if debt is not None else None,
    )


def next_lawful_moments(requests, channel: str, *, chunk_size: int = 2000) -> list[datetime | None]:
    """For (debtor, not_before) pairs: the first lawful moment at or after `not_before`,
    in the order of the requests (one debtor may appear with several moments).

    None where no moment will come (a hold, a forbidden channel). Used by the jobs that
    schedule follow-ups and reminders for many debtors at once:

    1. Debtors go in chunks; each chunk reads its policies (cached), ledger and
       authorisations in one query each, whatever its size.
    2. Debtors with no attempts in the ledger and the same policy, zone and holds share
       one answer for the same moment, so a big batch costs little more than its
       distinct situations.
    """
    requests = list(requests)
    moments: list[datetime | None] = []
    for start in range(0, len(requests), chunk_size):
        chunk = requests[start : start + chunk_size]
        debtors = [debtor for debtor, _at in chunk]
        policies = policies_for_portfolios(debtor.portfolio_id for debtor in debtors)
        ids = [debtor.pk for debtor in debtors]
        earliest = min(at for _debtor, at in chunk)
        lookback = max(policy.lookback_days for policy in policies.values())
        ledger = _ledger_for(ids, earliest - timedelta(days=lookback))
        phones = _phones_for(ids) if channel in CONSENT_CHANNELS else {}
        needing = [debtor.pk for debtor in debtors if policies[debtor.portfolio_id].needs_authorisations]
        authorised = _authorisations_for(needing) if needing else {}
        shared: dict[tuple, datetime | None] = {}
        for debtor, at in chunk:
            snapshot = debtor_snapshot(
                debtor, phones=phones.get(debtor.pk, ()), authorised_channels=authorised.get(debtor.pk)
            )
            key = None
            if not ledger[debtor.pk] and channel not in CONSENT_CHANNELS:
                key = (debtor.portfolio_id, snapshot.time_zone, snapshot.holds, snapshot.authorised_channels, at)
                if key in shared:
                    moments.append(shared[key])
                    continue
            verdict = evaluate(policies[debtor.portfolio_id], snapshot, channel, at, ledger[debtor.pk])
            moment = at if verdict.allowed else verdict.next_allowed_at
            moments.append(moment)
            if key is not None:
                shared[key] = moment
    return moments
