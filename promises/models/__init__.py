"""The promises app's models, one module per concept; every model is importable from here."""

from promises.models.commitments import (
    ApprovalStatus,
    Arrangement,
    Promise,
    PromiseEvent,
    PromiseStatus,
)
from promises.models.outbox import Message
from promises.models.payments import Payment, PaymentAllocation
from promises.models.portfolio_rules import ArrangementLimits, PromiseRules
from promises.models.strategies import Strategy
from promises.models.supervision import (
    BalanceRollup,
    CallRollup,
    PaymentRollup,
    PromiseRollup,
    Reassignment,
    RollupState,
)

__all__ = [
    "ApprovalStatus",
    "Arrangement",
    "ArrangementLimits",
    "BalanceRollup",
    "CallRollup",
    "Message",
    "Payment",
    "PaymentAllocation",
    "PaymentRollup",
    "Promise",
    "PromiseEvent",
    "PromiseRollup",
    "PromiseRules",
    "PromiseStatus",
    "Reassignment",
    "RollupState",
    "Strategy",
]
