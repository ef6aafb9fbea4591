"""What the engine reads from the database: compiled policies per portfolio (cached
in-process), the ledger of past attempts, phones and channel authorisations, each for many
debtors in one query, turned into the snapshots the rules take."""

import time as monotonic_clock
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from calls.policy.rules import CompiledPolicy, compile_policy
from calls.policy.verdicts import HOLD_FIELDS, Attempt, DebtorSnapshot, PhoneSnapshot

CACHE_SECONDS = 60

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
