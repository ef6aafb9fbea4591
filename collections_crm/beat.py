"""The periodic jobs Celery beat runs, and their periods (each settable from the environment,
as README.md lists). Kept apart from the settings so that each stays short."""

from celery.schedules import crontab

from collections_crm.lib.env import env_int

CELERY_BEAT_SCHEDULE = {
    # Every minute: beat and a worker prove they are alive (shown on the admin home).
    "heartbeat": {
        "task": "collections_crm.tasks.heartbeat",
        "schedule": float(env_int("HEARTBEAT_SECONDS", 60)),
    },
    # Every 5 minutes: judge promises whose grace ended (kept, partially kept, broken).
    "flag-lapsed-promises": {
        "task": "promises.tasks.flag_lapsed_promises",
        "schedule": float(env_int("FLAG_LAPSED_SECONDS", 300)),
    },
    # Every 5 minutes: follow-ups for broken promises, callbacks, retries and reminders.
    "schedule-follow-ups": {
        "task": "calls.tasks.schedule_follow_ups",
        "schedule": float(env_int("SCHEDULE_FOLLOW_UPS_SECONDS", 300)),
    },
    # Every minute: send the outbox messages that are due and lawful now.
    "send-reminders": {
        "task": "promises.tasks.send_reminders",
        "schedule": float(env_int("SEND_REMINDERS_SECONDS", 60)),
    },
    # Every minute: delivery receipts that arrived while their message's send was being recorded.
    "apply-pending-receipts": {
        "task": "conversations.tasks.apply_pending_receipts",
        "schedule": float(env_int("SEND_REMINDERS_SECONDS", 60)),
    },
    # Every minute: the dashboard rollups catch up with the promises and payments that changed.
    "refresh-dashboard-rollups": {
        "task": "promises.tasks.refresh_dashboard_rollups",
        "schedule": float(env_int("DASHBOARD_ROLLUP_SECONDS", 60)),
    },
    # Every 10 minutes: open balances recounted by due day for portfolio health (one pass).
    "refresh-balance-rollups": {
        "task": "promises.tasks.refresh_balance_rollups",
        "schedule": float(env_int("BALANCE_ROLLUP_SECONDS", 600)),
    },
    # Every 5 minutes: each portfolio's size, unassigned debtors and open balance (admin home).
    "refresh-portfolio-figures": {
        "task": "debtors.tasks.refresh_portfolio_figures",
        "schedule": float(env_int("PORTFOLIO_FIGURES_SECONDS", 300)),
    },
    # Every 5 minutes: imports whose worker stopped, lost import messages, abandoned uploads.
    "sweep-import-jobs": {
        "task": "debtors.tasks.sweep_import_jobs",
        "schedule": float(env_int("SWEEP_IMPORT_JOBS_SECONDS", 300)),
    },
    # Nightly at 05:00 UTC (around midnight in the Americas): each debt's arrears, for roll rates.
    "snapshot-debt-aging": {
        "task": "promises.tasks.snapshot_debt_aging",
        "schedule": crontab(hour=5, minute=0),
    },
    # Nightly: how each number answers by weekday and hour (the desk's best window).
    "refresh-contactability": {"task": "calls.tasks.refresh_contactability", "schedule": crontab(hour=5, minute=10)},
    # Nightly: the queue's stored balances and arrears dates checked against the debts.
    "repair-queue-figures": {
        "task": "debtors.tasks.repair_queue_figures",
        "schedule": crontab(hour=5, minute=20),
    },
    # Nightly, after the day's payments are in: each portfolio's model retrained and its
    # debtors' payment scores and calibration rewritten.
    "score-debtors": {
        "task": "scoring.tasks.score_debtors",
        "schedule": crontab(hour=5, minute=40),
    },
    # Every 5 minutes: letters issued while no worker was there to render their PDF.
    "render-pending-documents": {
        "task": "documents.tasks.render_pending_documents",
        "schedule": float(env_int("RENDER_DOCUMENTS_SECONDS", 300)),
    },
}
