"""What happened to an agreement or a debt, for the apps above this one (letters in writing).

Sent inside the transaction that made the change: a receiver that writes joins it, and one
that calls out waits for `transaction.on_commit`.
"""

from django.dispatch import Signal

# An arrangement (instalments or a settlement) stands: made within the maker's limits, or
# approved by a supervisor. Arguments: arrangement, by, at.
arrangement_agreed = Signal()
# Every instalment of these arrangements is kept. Arguments: arrangement_ids, at.
arrangement_completed = Signal()
# A payment brought this debt's balance to zero. Arguments: debt_id, at.
debt_paid_off = Signal()
