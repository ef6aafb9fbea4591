"""The precision of every amount the debtors app stores (balances, figures, snapshots)."""

MONEY = {"max_digits": 14, "decimal_places": 2}
