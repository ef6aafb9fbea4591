"""The contact-policy engine: may we contact this debtor, on this channel, at this moment?

Entry points (their names are used by tools outside this code base):
- `check_contact(debtor, channel, at, *, phone=None, debt=None) -> Verdict`
- `check_contact_many(debtors, channel, at, *, debt=None) -> dict[debtor id, Verdict]`

The rules themselves are pure functions over snapshots (`DebtorSnapshot`, `Attempt`,
`CompiledPolicy`): no database, so the tests and the property-based test run them directly.
The wrappers read the database in a fixed number of queries:

1. the compiled policy per portfolio (preset + overlays + the portfolio's own rules), cached
   in-process for `CACHE_SECONDS` and dropped whenever a policy, rule or portfolio is saved;
2. the ledger: every Call of the debtors in the last `lookback_days` (one query for all);
3. phones, only for SMS/WhatsApp without a given phone (consent);
4. channel authorisations, only when a policy needs them (Colombia).

Every law here counts in whole local days (rolling days, calendar weeks, days apart), so
counters only change at the debtor's local midnight and windows only open at their start
times: `next_allowed_at` tries exactly those moments, in order, for `HORIZON_DAYS`.

The modules, lowest first; every public name is importable from here as well:
- `verdicts`: channels, outcomes, reasons and their messages, `Verdict`, the snapshots.
- `rules`: `Rule`, `CompiledPolicy`, compiling rule data, checking a rule's parameters.
- `engine`: the pure rules, `evaluate` and the next lawful moment.
- `loading`: the database reads (policies and their cache, ledger, phones, authorisations).
- `checks`: the entry points above and `next_lawful_moments`.
"""

from calls.policy.checks import check_contact, check_contact_many, next_lawful_moments
from calls.policy.engine import HORIZON_DAYS, evaluate, holiday_calendar, week_start
from calls.policy.loading import (
    CACHE_SECONDS,
    debtor_snapshot,
    phone_snapshot,
    policies_for_portfolios,
    policy_cache_clear,
)
from calls.policy.rules import CompiledPolicy, Rule, compile_policy, compile_preset_data, validate_rule
from calls.policy.verdicts import (
    CAP_CODES,
    CHANNELS,
    CONSENT_CHANNELS,
    CONTACT_OUTCOMES,
    HOLD_FIELDS,
    HOLD_MESSAGES,
    MESSAGES,
    NOT_REACHED_OUTCOMES,
    OUTBOUND,
    RIGHT_PARTY,
    Attempt,
    DebtorSnapshot,
    PhoneSnapshot,
    Reason,
    Verdict,
)

__all__ = [
    "CACHE_SECONDS",
    "CAP_CODES",
    "CHANNELS",
    "CONSENT_CHANNELS",
    "CONTACT_OUTCOMES",
    "HOLD_FIELDS",
    "HOLD_MESSAGES",
    "HORIZON_DAYS",
    "MESSAGES",
    "NOT_REACHED_OUTCOMES",
    "OUTBOUND",
    "RIGHT_PARTY",
    "Attempt",
    "CompiledPolicy",
    "DebtorSnapshot",
    "PhoneSnapshot",
    "Reason",
    "Rule",
    "Verdict",
    "check_contact",
    "check_contact_many",
    "compile_policy",
    "compile_preset_data",
    "debtor_snapshot",
    "evaluate",
    "holiday_calendar",
    "next_lawful_moments",
    "phone_snapshot",
    "policies_for_portfolios",
    "policy_cache_clear",
    "validate_rule",
    "week_start",
]
