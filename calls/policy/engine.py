"""The pure rules: the verdict for one debtor, channel and moment from snapshots alone (no
database), and the search for the next lawful moment (see the package docstring)."""

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays as holidays_lib

from calls.policy.rules import CompiledPolicy
from calls.policy.verdicts import (
    CAP_CODES,
    CHANNELS,
    CONSENT_CHANNELS,
    CONTACT_OUTCOMES,
    NOT_REACHED_OUTCOMES,
    OUTBOUND,
    RIGHT_PARTY,
    DebtorSnapshot,
    PhoneSnapshot,
    Reason,
    Verdict,
)
from collections_crm.lib.clock import Clock
from collections_crm.lib.timezones import debtor_zone

HORIZON_DAYS = 60


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
