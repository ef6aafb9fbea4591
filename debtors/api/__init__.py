"""The debtors app's API: accounts (debtors, phones, debts), saved filters and file imports."""

from debtors.api.accounts import (
    DebtDetailApi,
    DebtListApi,
    DebtorDetailApi,
    DebtorDetailSerializer,
    DebtorListApi,
    DebtorSerializer,
    DebtSerializer,
    PhoneCreateApi,
    PhoneSerializer,
    PhoneUpdateApi,
    debts_for_user,
)
from debtors.api.history import ConsentChangeListApi, HoldChangeListApi
from debtors.api.imports import ImportDetailApi, ImportJobSerializer, ImportListCreateApi, ImportRejectedRowsApi
from debtors.api.saved_filters import SavedFilterDetailApi, SavedFilterListCreateApi
from debtors.api.screen_pop import ScreenPopApi

__all__ = [
    "ConsentChangeListApi",
    "DebtDetailApi",
    "DebtListApi",
    "DebtSerializer",
    "DebtorDetailApi",
    "DebtorDetailSerializer",
    "DebtorListApi",
    "DebtorSerializer",
    "HoldChangeListApi",
    "ImportDetailApi",
    "ImportJobSerializer",
    "ImportListCreateApi",
    "ImportRejectedRowsApi",
    "PhoneCreateApi",
    "PhoneSerializer",
    "PhoneUpdateApi",
    "SavedFilterDetailApi",
    "SavedFilterListCreateApi",
    "ScreenPopApi",
    "debts_for_user",
]
