"""The debtors app's services (writes), one module per sub-domain; every public name is
importable from here.

- figures: stored figures kept in step with the debts (snapshots, queue, portfolios, import hashes);
- holds_and_phones: a debtor's holds and phones edited by hand;
- imports: import jobs created, run and run again;
- import_sweep: the running import's heartbeat, and the sweep of stalled jobs and old uploads;
- assignment: a portfolio's unassigned debtors dealt out to collectors;
- saved_filters: named conditions on debtors, saved and deleted.

A test or tool that replaces a function or setting (mock.patch, monkeypatch) replaces it in the
module that uses it, not here.
"""

from debtors.services.assignment import BALANCED, ROUND_ROBIN, assignment_preview, debtors_assign_unassigned
from debtors.services.figures import (
    QUEUE_FIGURES_SQL,
    debt_import_hashes_forget,
    debt_snapshots_take,
    debtor_queue_figures_refresh,
    portfolio_figures_refresh,
)
from debtors.services.holds_and_phones import PHONE_EDITABLE, debtor_holds_update, phone_add, phone_update
from debtors.services.import_sweep import (
    IMPORT_HEARTBEAT_SECONDS,
    IMPORT_STALLED_AFTER,
    PENDING_UPLOAD_MAX_AGE,
    import_jobs_sweep,
)
from debtors.services.imports import (
    IMPORT_EXTENSIONS,
    can_import,
    import_job_create,
    import_job_run,
    import_job_run_again,
    import_kind_register,
    import_mapping_save,
)
from debtors.services.saved_filters import saved_filter_delete, saved_filter_save

__all__ = [
    "BALANCED",
    "IMPORT_EXTENSIONS",
    "IMPORT_HEARTBEAT_SECONDS",
    "IMPORT_STALLED_AFTER",
    "PENDING_UPLOAD_MAX_AGE",
    "PHONE_EDITABLE",
    "QUEUE_FIGURES_SQL",
    "ROUND_ROBIN",
    "assignment_preview",
    "can_import",
    "debt_import_hashes_forget",
    "debt_snapshots_take",
    "debtor_queue_figures_refresh",
    "debtors_assign_unassigned",
    "debtor_holds_update",
    "import_job_create",
    "import_job_run",
    "import_job_run_again",
    "import_jobs_sweep",
    "import_kind_register",
    "import_mapping_save",
    "phone_add",
    "phone_update",
    "portfolio_figures_refresh",
    "saved_filter_delete",
    "saved_filter_save",
]
