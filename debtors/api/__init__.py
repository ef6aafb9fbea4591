"""The debtors app's API: accounts (debtors, phones, debts) and file imports."""

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
from debtors.api.imports import ImportDetailApi, ImportJobSerializer, ImportListCreateApi, ImportRejectedRowsApi

__all__ = [
    "DebtDetailApi",
    "DebtListApi",
    "DebtSerializer",
    "DebtorDetailApi",
    "DebtorDetailSerializer",
    "DebtorListApi",
    "DebtorSerializer",
    "ImportDetailApi",
    "ImportJobSerializer",
    "ImportListCreateApi",
    "ImportRejectedRowsApi",
    "PhoneCreateApi",
    "PhoneSerializer",
    "PhoneUpdateApi",
    "debts_for_user",
]
