"""Steps 1–2 of a chunk's merge: the chunk's customers matched with the stored debtors, then
new debtors inserted and changed ones updated (see merging.ChunkMerge.merge_chunk).
"""

from debtors.importing.merge_sql import _UNDO_CREATED, _UNDO_DEBTOR_BEFORE, MergeHelpers, _insert_parts
from debtors.models import Debtor


class DebtorSteps(MergeHelpers):
    def _merge_debtors(self, cursor, run, undo_run: str | None) -> None:
        """Steps 1–2, on merge_chunk's cursor; `run` executes a statement with the chunk's parameters."""
        # 1. One line per customer (their first row in the chunk), matched with the stored
        #    debtor. A customer with an earlier row (in an earlier chunk, or skipped as
        #    unchanged) keeps the details of that first row (seen). A new debtor's queue
        #    figures are their rows' sums, stored as they are inserted (refreshing them
        #    afterwards would rewrite every row). kept_*: the details the debtor has after
        #    this chunk, against which step 3 tells whether a row is in step with them.
        first_row = (
            f"SELECT DISTINCT ON (external_id{self.bytewise}) * FROM import_stage_row ORDER BY external_id{self.bytewise}, row_no"
            if self.postgres
            else "SELECT s.* FROM import_stage_row s JOIN (SELECT MIN(row_no) AS row_no FROM import_stage_row"
            " GROUP BY external_id) f ON f.row_no = s.row_no"
        )
        stored_debtor = self._probe(
            "debtors_debtor d",
            "d.id, d.full_name, d.national_id, d.email, d.time_zone",
            "d.portfolio_id = %(portfolio)s AND d.external_id = s.external_id",
        )
        new_id = "CAST(NULL AS integer)"
        if self.postgres:
            new_id = f"nextval('{self.debtor_id_sequence}')"
        # OFFSET 0: PostgreSQL would otherwise fold the inner query into the outer one
        # and look `seen` up once for each use.
        fence = " OFFSET 0" if self.postgres else ""
        run(
            f"""CREATE TEMP TABLE import_stage_debtor AS
            SELECT x.external_id, x.full_name, x.national_id, x.email, x.time_zone, x.debtor_id, x.is_new,
                   x.open_balance, x.arrears_since,
                   CASE WHEN x.is_new = 1 THEN 1
                        WHEN x.seen = 1 THEN 0
                        WHEN x.d_full_name <> x.full_name
                          OR (x.national_id IS NOT NULL AND x.d_national_id <> x.national_id)
                          OR (x.email IS NOT NULL AND x.d_email <> x.email)
                          OR (x.time_zone IS NOT NULL AND x.d_time_zone <> x.time_zone) THEN 1
                        ELSE 0 END AS changed,
                   CASE WHEN x.seen = 1 THEN x.d_full_name ELSE x.full_name END AS kept_full_name,
                   CASE WHEN x.seen = 1 THEN x.d_national_id ELSE COALESCE(x.national_id, x.d_national_id, '') END
                       AS kept_national_id,
                   CASE WHEN x.seen = 1 THEN x.d_email ELSE COALESCE(x.email, x.d_email, '') END AS kept_email,
                   CASE WHEN x.seen = 1 THEN x.d_time_zone ELSE COALESCE(x.time_zone, x.d_time_zone, %(zone)s) END
                       AS kept_time_zone
            FROM (
                SELECT s.external_id, s.full_name, s.national_id, s.email, s.time_zone,
                       COALESCE(d.id, {new_id}) AS debtor_id, CASE WHEN d.id IS NULL THEN 1 ELSE 0 END AS is_new,
                       a.open_balance, a.arrears_since,
                       d.full_name AS d_full_name, d.national_id AS d_national_id, d.email AS d_email,
                       d.time_zone AS d_time_zone,
                       CASE WHEN d.id IS NULL THEN 0
                            WHEN EXISTS (SELECT 1 FROM import_seen p
                                         WHERE p.external_id = s.external_id{self.bytewise} AND p.row_no < s.row_no) THEN 1
                            ELSE 0 END AS seen
                FROM ({first_row}) s
                JOIN (SELECT external_id, SUM(balance) AS open_balance,
                             MIN(CASE WHEN balance > 0 THEN due_date END) AS arrears_since
                      FROM import_stage_row GROUP BY external_id) a ON a.external_id = s.external_id
                {stored_debtor}{fence}
            ) x"""
        )
        if not self.postgres:
            cursor.execute("CREATE INDEX import_stage_debtor_code ON import_stage_debtor (external_id)")
        self._analyze("import_stage_debtor")

        # 2. Debtors: new ones inserted (PostgreSQL: with the ids taken above; SQLite: ids
        #    looked up afterwards), changed ones updated, the others not touched.
        columns, values, insert_params = _insert_parts(
            Debtor,
            {
                "portfolio_id": "%(portfolio)s",
                "external_id": "external_id",
                "full_name": "full_name",
                "national_id": "COALESCE(national_id, '')",
                "email": "COALESCE(email, '')",
                "time_zone": "COALESCE(time_zone, %(zone)s)",
                "open_balance": "open_balance",
                "arrears_since": "arrears_since",
                "created_at": "%(now)s",
                "updated_at": "%(now)s",
            },
            self.connection,
        )
        if self.postgres:
            # Ids given (nextval above). In the order of the one index whose keys are
            # spread over the whole table (national ids): each leaf page is then
            # visited once per chunk instead of once per row.
            run(
                f"""INSERT INTO debtors_debtor (id, {columns}) SELECT debtor_id, {values}
                FROM import_stage_debtor WHERE is_new = 1 ORDER BY national_id{self.bytewise}""",
                insert_params,
            )
        else:
            run(
                f"INSERT INTO debtors_debtor ({columns}) SELECT {values} FROM import_stage_debtor WHERE is_new = 1",
                insert_params,
            )
            run(
                """UPDATE import_stage_debtor SET debtor_id = (
                    SELECT d.id FROM debtors_debtor d
                    WHERE d.portfolio_id = %(portfolio)s AND d.external_id = import_stage_debtor.external_id)
                WHERE is_new = 1"""
            )
        if undo_run:
            run(
                _UNDO_CREATED.format(
                    kind="debtor", ids="SELECT debtor_id AS row_id FROM import_stage_debtor WHERE is_new = 1"
                )
            )
            run(
                _UNDO_DEBTOR_BEFORE.format(
                    ids="SELECT debtor_id FROM import_stage_debtor WHERE is_new = 0 AND changed = 1"
                )
            )
        run(
            """UPDATE debtors_debtor SET full_name = i.full_name,
                   national_id = COALESCE(i.national_id, debtors_debtor.national_id),
                   email = COALESCE(i.email, debtors_debtor.email),
                   time_zone = COALESCE(i.time_zone, debtors_debtor.time_zone),
                   updated_at = %(now)s
            FROM import_stage_debtor i
            WHERE debtors_debtor.id = i.debtor_id AND i.is_new = 0 AND i.changed = 1"""
        )
