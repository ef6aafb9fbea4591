"""Policies as the engine holds them: rules compiled from a preset, its overlays and a
portfolio's own rules, one layer each; and the check of a rule's parameters."""

from dataclasses import dataclass
from datetime import time

import holidays as holidays_lib
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from calls.policy.verdicts import CAP_CODES, CHANNELS


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
        errors.append(_("Channels must be a list of: voice, sms, whatsapp, email, visit, letter."))
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
