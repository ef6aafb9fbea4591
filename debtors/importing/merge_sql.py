"""What the steps of a chunk's merge share: the SQL that records a chunk for undoing it,
the INSERT … SELECT column lists, and the probe and ANALYZE helpers.

`MergeHelpers` is the base of the merge's step mixins (merge_debtors, merge_debts); like them
it runs on a `staging.Staging`, whose connection, `postgres` and `bytewise` it reads.
"""

import logging
import time

logger = logging.getLogger(__name__)

# Staged rows whose debt stays as it is but whose stored hash is to be written (sd: import_stage_debt).
_HASH_ONLY = "sd.changed = 0 AND sd.debt_id IS NOT NULL AND (sd.new_hash IS NOT NULL OR sd.old_hash IS NOT NULL)"

# What a chunk records for undoing it (SQLite only: see debtors.models.ImportUndo). The first
# record of a row wins (ON CONFLICT DO NOTHING): its state before the import's first change.
_UNDO_CREATED = """INSERT INTO debtors_importundo (run, kind, row_id, before)
    SELECT %(run)s, '{kind}', created.row_id, NULL FROM ({ids}) created WHERE 1 = 1 ON CONFLICT DO NOTHING"""
_UNDO_DEBTOR_BEFORE = """INSERT INTO debtors_importundo (run, kind, row_id, before)
    SELECT %(run)s, 'debtor', d.id, json_object('full_name', d.full_name, 'national_id', d.national_id, 'email', d.email,
        'time_zone', d.time_zone, 'open_balance', d.open_balance, 'arrears_since', d.arrears_since,
        'updated_at', d.updated_at)
    FROM debtors_debtor d WHERE d.id IN ({ids}) ON CONFLICT DO NOTHING"""
_UNDO_DEBT_BEFORE = """INSERT INTO debtors_importundo (run, kind, row_id, before)
    SELECT %(run)s, 'debt', t.id, json_object('balance', t.balance, 'due_date', t.due_date, 'currency', t.currency,
        'original_amount', t.original_amount, 'product', t.product, 'recalled_on', t.recalled_on,
        'updated_at', t.updated_at, 'import_hash', t.import_hash)
    FROM debtors_debt t WHERE t.id IN ({ids}) ON CONFLICT DO NOTHING"""


class MergeHelpers:
    """The SQL helpers of the merge's steps."""

    def _probe(self, table: str, columns: str, condition: str) -> str:
        """A LEFT JOIN that looks each staged row up in a stored table by its unique key
        (`table` with its alias, the `columns` wanted, the `condition` over both).

        On PostgreSQL a LATERAL subquery with LIMIT 1: one index probe per staged row. As a
        plain join the planner prices a scan of the whole table below 50,000 probes, so the
        whole, growing, table was read again for every chunk (O(n²) over a file); a term on
        the staged row alone (is_new = 0) skips the probe altogether.
        """
        alias = table.split()[-1]
        if self.postgres:
            return f"LEFT JOIN LATERAL (SELECT {columns} FROM {table} WHERE {condition} LIMIT 1) {alias} ON TRUE"
        return f"LEFT JOIN {table} ON {condition}"

    def _analyze(self, *tables) -> None:
        # Autovacuum never analyses temp tables: without statistics the planner guesses a
        # thousand rows and picks nested loops over a million.
        if self.postgres:
            started = time.perf_counter()
            with self.connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(f"ANALYZE {table}")
            logger.debug("analyzed %s in %.2f s", ", ".join(tables), time.perf_counter() - started)


def _insert_parts(model, given: dict[str, str], connection) -> tuple[str, str, dict]:
    """Columns and SELECT expressions for an INSERT … SELECT into `model`'s table.

    `given` maps a column to an SQL expression over the staging table; every other concrete
    column gets the model field's default as a parameter, so a field added to the model
    later (with a default) does not break the import.
    """
    columns, values, params = [], [], {}
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key:
            continue
        columns.append(model_field.column)
        if model_field.column in given:
            values.append(given[model_field.column])
        else:
            name = f"default_{model_field.column}"
            params[name] = model_field.get_db_prep_save(model_field.get_default(), connection)
            values.append(f"%({name})s")
    return ", ".join(columns), ", ".join(values), params
