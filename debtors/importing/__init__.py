"""The portfolio importer. Parsing a file needs no database; loading it writes one.

Reading and checking (no database, no Django models):
- `reading`: sniff a CSV's encoding and delimiter, stream its rows, find the header row;
- `limits`: the caps on a cell, a row and a width, and the refusal of a row past one;
- `xlsx`: .xlsx sheets read with calamine or openpyxl; `xlsx_guard`: the checks before;
- `values`: amounts and dates as creditors spell them, and `ValueProblem` for cells we cannot read;
- `phones`: phone numbers to E.164, with a fast path for the common national spellings;
- `fields`: the importer's fields and their header spellings; `mapping`: headers to fields.

Loading (`loading.portfolio_import`, the service):
- `source`: the file opened for streaming (SourceFile); `rows`: a row's cells checked;
- `rejects`: the rejected-rows report; `portfolios`: the portfolio loaded into;
- `progress`: the import's progress; `undo`: undoing an unfinished SQLite import;
- `staging`: the staging tables, merged into the real ones by `merging` (steps in
  `merge_debtors` and `merge_debts`, shared SQL in `merge_sql`).
"""
