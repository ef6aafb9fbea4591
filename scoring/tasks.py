"""Scoring jobs: thin, and safe to run twice (each run replaces a portfolio's scores)."""

from celery import shared_task

from debtors.models import Portfolio
from promises.tasks import RETRY
from scoring import services


@shared_task(name="scoring.tasks.score_debtors", **RETRY)
def score_debtors(portfolio_id: int | None = None) -> list[dict]:
    """Every portfolio (nightly), or one on demand."""
    if portfolio_id is None:
        results = services.all_portfolios_score()
    else:
        results = [services.portfolio_score(portfolio=Portfolio.objects.get(pk=portfolio_id))]
    return [result.__dict__ for result in results]
