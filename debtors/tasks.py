"""Import jobs. Thin: ids in, one service call; the service's compare-and-set makes a
second delivery of the same job harmless."""

from celery import shared_task

from debtors import services


@shared_task(name="debtors.tasks.run_import_job")
def run_import_job(job_id: int) -> str:
    return services.import_job_run(job_id=job_id).status


@shared_task(name="debtors.tasks.repair_queue_figures")
def repair_queue_figures() -> int:
    """Nightly: any debtor whose stored queue figures drifted from their debts (a debt edited
    by hand in the database, say) is put right; returns how many were."""
    return services.debtor_queue_figures_refresh()


@shared_task(name="debtors.tasks.sweep_import_jobs")
def sweep_import_jobs() -> dict:
    """Every 5 minutes: imports whose worker stopped are marked failed (to be loaded again),
    lost ones queued again, abandoned uploads deleted."""
    return services.import_jobs_sweep()


@shared_task(name="debtors.tasks.refresh_portfolio_figures")
def refresh_portfolio_figures() -> int:
    """Every 5 minutes: each portfolio's debtors, unassigned ones and open balance recounted."""
    return services.portfolio_figures_refresh()
