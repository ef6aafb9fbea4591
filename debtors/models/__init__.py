"""The debtors app's models, one module per concept; every name is importable from here.

- portfolios: Creditor, Portfolio and its stored PortfolioFigures;
- debtors: Debtor (with its holds and spoken name) and Phone;
- debts: Debt, its aging buckets, DebtSnapshot and BalanceChange;
- imports: ImportJob, ImportMapping and ImportUndo;
- scores: DebtorScore, the payment score the scoring app writes;
- saved_filters: SavedFilter, named conditions on debtors;
- history: HoldChange and ConsentChange, every hold and consent change;
- money: MONEY, the precision of every amount.

Each module imports the ones it builds on (debtors on portfolios, debts on debtors…), so the
app registry lists the models in the order they were declared in when this was one module.
"""

from debtors.models.debtors import HOLD_FIELDS, Debtor, Language, Phone, name_as_spoken
from debtors.models.debts import AgingBucket, BalanceChange, Debt, DebtSnapshot, aging_bucket_for
from debtors.models.history import ChangeSource, ConsentChange, HoldChange
from debtors.models.imports import ImportJob, ImportKind, ImportMapping, ImportUndo
from debtors.models.imports import _import_upload_to as _import_upload_to  # named by migration 0005
from debtors.models.money import MONEY
from debtors.models.portfolios import Creditor, Portfolio, PortfolioFigures
from debtors.models.saved_filters import SavedFilter
from debtors.models.scores import DEBTOR_SCORE_TABLE, DebtorScore

__all__ = [
    "DEBTOR_SCORE_TABLE",
    "HOLD_FIELDS",
    "MONEY",
    "AgingBucket",
    "BalanceChange",
    "ChangeSource",
    "ConsentChange",
    "Creditor",
    "Debt",
    "DebtSnapshot",
    "Debtor",
    "DebtorScore",
    "HoldChange",
    "ImportJob",
    "ImportKind",
    "ImportMapping",
    "ImportUndo",
    "Language",
    "Phone",
    "Portfolio",
    "PortfolioFigures",
    "SavedFilter",
    "aging_bucket_for",
    "name_as_spoken",
]
