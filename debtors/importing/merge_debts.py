"""Steps 3–9 of a chunk's merge: every staged row compared with its stored debt and counted,
then debts, balance changes and phones written, and the queue figures of the customers whose
debts changed (see merging.ChunkMerge.merge_chunk).
"""

from debtors.importing.merge_sql import (
    _HASH_ONLY,
    _UNDO_CREATED,
    _UNDO_DEBT_BEFORE,
    _UNDO_DEBTOR_BEFORE,
    MergeHelpers,
    _insert_parts,
)
from debtors.models import BalanceChange, Debt, Phone
from debtors.services import QUEUE_FIGURES_SQL


class DebtSteps(MergeHelpers):
    def _compare_rows(self, cursor, run, result, skipped: int) -> None:
        """Steps 3–5: the chunk's counts go into `result` (`skipped`: rows counted unchanged unread)."""
        # 3. Every row with its debtor's id and its stored debt, compared. A debtor created
        #    by this chunk has no debts to look up. new_hash: the row's hash, kept on its
        #    debt only when the row is in step with its debtor's details after this chunk
        #    (a later row of a customer may spell the name otherwise: met again, it would
        #    not leave everything as it is, so it is not to be skipped).
        stored_debt = self._probe(
            "debtors_debt t",
            "t.id, t.balance, t.due_date, t.currency, t.recalled_on, t.original_amount, t.product, t.import_hash",
            "i.is_new = 0 AND t.debtor_id = i.debtor_id AND t.account_reference = s.account_reference",
        )
        run(
            f"""CREATE TEMP TABLE import_stage_debt AS
            SELECT s.row_no, s.external_id, i.debtor_id, i.is_new, s.account_reference, s.balance, s.due_date,
                   s.original_amount, s.product, s.currency, t.id AS debt_id, t.balance AS old_balance,
                   CASE WHEN t.id IS NULL THEN 0
                        WHEN t.balance <> s.balance OR t.due_date <> s.due_date OR t.currency <> s.currency
                          OR t.recalled_on IS NOT NULL
                          OR (s.original_amount IS NOT NULL AND t.original_amount <> s.original_amount)
                          OR (s.product IS NOT NULL AND t.product <> s.product) THEN 1
                        ELSE 0 END AS changed,
                   t.import_hash AS old_hash,
                   CASE WHEN s.full_name = i.kept_full_name
                          AND (s.national_id IS NULL OR s.national_id = i.kept_national_id)
                          AND (s.email IS NULL OR s.email = i.kept_email)
                          AND (s.time_zone IS NULL OR s.time_zone = i.kept_time_zone)
                        THEN s.row_hash END AS new_hash
            FROM import_stage_row s
            JOIN import_stage_debtor i ON i.external_id = s.external_id
            {stored_debt}"""
        )
        # 4. Phones the debtor does not have yet (a new debtor has none: no look-up; the
        #    OR stops at the first term).
        run(
            """CREATE TEMP TABLE import_stage_new_phone AS
            SELECT MIN(p.row_no) AS row_no, i.debtor_id, i.is_new, p.number
            FROM import_stage_phone p
            JOIN import_stage_debtor i ON i.external_id = p.external_id
            WHERE i.is_new = 1
               OR NOT EXISTS (SELECT 1 FROM debtors_phone o WHERE o.debtor_id = i.debtor_id AND o.number = p.number)
            GROUP BY i.debtor_id, i.is_new, p.number"""
        )
        if not self.postgres:
            cursor.execute("CREATE INDEX import_stage_new_phone_row ON import_stage_new_phone (row_no)")
        self._analyze("import_stage_debt", "import_stage_new_phone")

        # 5. Counts, before anything changes what "before" was.
        run(
            """SELECT
                COUNT(*) FILTER (WHERE sd.debt_id IS NULL),
                COUNT(*) FILTER (WHERE sd.debt_id IS NOT NULL AND (sd.changed = 1 OR i.changed = 1
                    OR EXISTS (SELECT 1 FROM import_stage_new_phone p WHERE p.row_no = sd.row_no))),
                COUNT(*)
            FROM import_stage_debt sd JOIN import_stage_debtor i ON i.external_id = sd.external_id"""
        )
        result.created, result.updated, total = cursor.fetchone()
        result.unchanged = total - result.created - result.updated + skipped

    def _write_rows(self, run, undo_run: str | None) -> None:
        """Steps 6–9: what steps 3–5 found is written."""
        # 6. With the row-by-row checks off: stored debtors about to get a new debt or
        #    phone are locked as those checks would have locked them (new debtors are
        #    this transaction's own; changed debts are locked by their UPDATE below).
        if self.checks_references:
            run(
                """SELECT 1 FROM debtors_debtor d WHERE d.id IN (
                    SELECT sd.debtor_id FROM import_stage_debt sd WHERE sd.is_new = 0 AND sd.debt_id IS NULL
                    UNION
                    SELECT debtor_id FROM import_stage_new_phone WHERE is_new = 0)
                FOR KEY SHARE"""
            )
        if undo_run:
            # Their queue figures are written again in step 9.
            run(
                _UNDO_DEBTOR_BEFORE.format(
                    ids="SELECT debtor_id FROM import_stage_debt WHERE is_new = 0 AND (changed = 1 OR debt_id IS NULL)"
                )
            )
            run(
                _UNDO_DEBT_BEFORE.format(
                    ids=f"SELECT sd.debt_id FROM import_stage_debt sd WHERE sd.changed = 1 OR ({_HASH_ONLY})"
                )
            )
        # 7. The debts, then their balance changes (the debts they refer to are locked by
        #    the UPDATE by then).
        # With them, unchanged rows that were read all the same (no hash yet, another one,
        # or one no longer valid): the same values again, and their hash, with updated_at,
        # so that the next import skips them.
        run(
            f"""UPDATE debtors_debt SET balance = sd.balance, due_date = sd.due_date, currency = sd.currency,
                   original_amount = COALESCE(sd.original_amount, debtors_debt.original_amount),
                   product = COALESCE(sd.product, debtors_debt.product),
                   recalled_on = NULL, updated_at = %(now)s, import_hash = sd.new_hash
            FROM import_stage_debt sd
            WHERE debtors_debt.id = sd.debt_id AND (sd.changed = 1 OR {_HASH_ONLY})"""
        )
        run(
            """INSERT INTO debtors_balancechange (debt_id, old_balance, new_balance, at, source)
            SELECT debt_id, old_balance, balance, %(now)s, %(source)s FROM import_stage_debt
            WHERE debt_id IS NOT NULL AND old_balance <> balance""",
            {"source": BalanceChange.Source.IMPORT},
        )
        columns, values, insert_params = _insert_parts(
            Debt,
            {
                "debtor_id": "debtor_id",
                "account_reference": "account_reference",
                "product": "COALESCE(product, '')",
                "original_amount": "COALESCE(original_amount, balance)",
                "balance": "balance",
                "currency": "currency",
                "due_date": "due_date",
                "recalled_on": "NULL",
                "created_at": "%(now)s",
                "updated_at": "%(now)s",
                "import_hash": "new_hash",
            },
            self.connection,
        )
        run(
            f"INSERT INTO debtors_debt ({columns}) SELECT {values} FROM import_stage_debt WHERE debt_id IS NULL",
            insert_params,
        )
        if undo_run:
            # A new debtor's debts and phones go with the debtor; a stored debtor's new ones
            # are recorded one by one.
            run(
                _UNDO_CREATED.format(
                    kind="balancechange",
                    ids="""SELECT b.id AS row_id FROM debtors_balancechange b
                JOIN import_stage_debt sd ON b.debt_id = sd.debt_id
                WHERE sd.old_balance <> sd.balance AND b.at = %(now)s""",
                )
            )
            run(
                _UNDO_CREATED.format(
                    kind="debt",
                    ids="""SELECT t.id AS row_id FROM debtors_debt t
                JOIN import_stage_debt sd ON t.debtor_id = sd.debtor_id AND t.account_reference = sd.account_reference
                WHERE sd.is_new = 0 AND sd.debt_id IS NULL""",
                )
            )

        # 8. New phones (the same number twice in a chunk is added once: grouped above; no
        #    ON CONFLICT needed under the lock, and a plain INSERT is cheaper), in number
        #    order for the same reason as the debtors' national ids.
        columns, values, insert_params = _insert_parts(
            Phone, {"debtor_id": "debtor_id", "number": "number", "created_at": "%(now)s"}, self.connection
        )
        run(
            f"INSERT INTO debtors_phone ({columns}) SELECT {values} FROM import_stage_new_phone ORDER BY number{self.bytewise}",
            insert_params,
        )
        if undo_run:
            run(
                _UNDO_CREATED.format(
                    kind="phone",
                    ids="""SELECT p.id AS row_id FROM debtors_phone p
                JOIN import_stage_new_phone n ON p.debtor_id = n.debtor_id AND p.number = n.number
                WHERE n.is_new = 0""",
                )
            )

        # 9. Customers who were there before this chunk and whose debts changed: their
        #    queue figures again, from all their debts (a file need not list every account).
        run(
            f"""{QUEUE_FIGURES_SQL} WHERE id IN (
                SELECT sd.debtor_id FROM import_stage_debt sd
                WHERE sd.is_new = 0 AND (sd.changed = 1 OR sd.debt_id IS NULL))"""
        )
