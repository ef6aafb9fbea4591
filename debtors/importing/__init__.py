"""The pure parsing core of the portfolio importer: no database, no Django models.

- `reading`: sniff a CSV's encoding and delimiter, stream its rows, find the header row;
- `values`: amounts and dates as creditors spell them, and `ValueProblem` for cells we cannot read;
- `phones`: phone numbers to E.164, with a fast path for the common national spellings;
- `mapping`: the importer's fields and the header spellings that suggest them.
"""
