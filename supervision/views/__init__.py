"""Supervisor pages: the dashboard, its drill-downs, portfolio health, strategies and their
tests, reassignment, and a debtor's evidence pack."""

from supervision.views.dashboard import dashboard, figures_export
from supervision.views.drilldowns import calls_behind, debts_behind, payments_behind, promises_behind
from supervision.views.evidence import evidence_pack
from supervision.views.health import portfolio_health, score_now
from supervision.views.messaging import messaging_figures_view
from supervision.views.reassign import reassign
from supervision.views.strategies import strategies, strategy_test, strategy_test_decide

__all__ = [
    "calls_behind",
    "dashboard",
    "debts_behind",
    "evidence_pack",
    "figures_export",
    "messaging_figures_view",
    "payments_behind",
    "portfolio_health",
    "promises_behind",
    "reassign",
    "score_now",
    "strategies",
    "strategy_test",
    "strategy_test_decide",
]
