"""The entry points: may we contact this debtor (or these debtors), on this channel, at this
moment; and the first lawful moment for many debtors at once. Each reads the database in a
fixed number of queries, whatever the number of debtors."""

from datetime import datetime, timedelta

from calls.policy.engine import evaluate
from calls.policy.loading import (
    _authorisations_for,
    _ledger_for,
    _phones_for,
    debtor_snapshot,
    phone_snapshot,
    policies_for_portfolios,
)
from calls.policy.verdicts import CONSENT_CHANNELS, Verdict


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
