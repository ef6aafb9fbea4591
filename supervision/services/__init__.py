"""Writes for supervisors: the dashboard rollups and reassignment."""

from supervision.services.reassignment import ReassignmentPreview, debtors_reassign, debtors_reassign_preview
from supervision.services.rollups import (
    ROLLUP_STATE,
    BalanceRollupResult,
    RollupResult,
    balance_rollups_refresh,
    promise_rollups_refresh,
    reporting_zone,
)

__all__ = [
    "ROLLUP_STATE",
    "BalanceRollupResult",
    "ReassignmentPreview",
    "RollupResult",
    "balance_rollups_refresh",
    "debtors_reassign",
    "debtors_reassign_preview",
    "promise_rollups_refresh",
    "reporting_zone",
]
