"""Caps on what one file may hold, and how a row that breaks one is refused.

Shared by the CSV reader (`reading`) and the Excel readers (`xlsx`, `xlsx_guard`): a cell, a
row and a width past which a row is refused (reported, the other rows still load), and the
helpers that write such a refusal for people.
"""

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from debtors.importing.values import ValueProblem

# Caps on what one file may hold, so that a small hostile file cannot exhaust the server (a
# 409 KB workbook holding one 400 MB cell once took a web process to 4.1 GB). Each is far
# above what a creditor's file needs; each refusal says which cap and whether the row or the
# whole file was refused.
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
MAX_ROW_CHARS = 1 << 20  # a row of 1,048,576 characters: thirty full Excel cells
MAX_COLUMNS = 1_000
# How much of a refused value a report or a page shows.
SHOWN_CHARS = 200


def _n(value: int) -> str:
    """A count for a message, grouped as the reader's language writes it (1,048,576)."""
    return number_format(value, force_grouping=True)


def clip(value: str, limit: int = SHOWN_CHARS) -> str:
    """A value short enough for a page or a report: its start and an ellipsis."""
    return value if len(value) <= limit else value[:limit] + "…"


class RefusedRow(list):
    """A record that is not read: its cells (each cut at MAX_CELL_CHARS) and the problem.
    `column` is the index of the cell at fault, or None when the whole row is (too long, too wide)."""

    def __init__(self, cells, problem: ValueProblem, column: int | None = None):
        super().__init__(clip(cell, MAX_CELL_CHARS) for cell in cells[:MAX_COLUMNS])
        self.problem = problem
        self.column = column


def check_row(cells: list[str]) -> list[str]:
    """The record as it is, or a RefusedRow saying which cap it breaks.

    Trailing empty cells beyond MAX_COLUMNS (Excel's ";;;;") are dropped; a filled one there
    refuses the row, as does a cell over MAX_CELL_CHARS, a row over MAX_ROW_CHARS in all, or
    a NUL character (no text holds one, and PostgreSQL cannot store it).
    """
    # Nearly every row is short: three C-level passes settle it (1.0 µs a row against 1.8 µs
    # for the cell-by-cell loop, which then only names the cell at fault).
    if len(cells) <= MAX_COLUMNS and sum(map(len, cells)) <= MAX_CELL_CHARS and "\x00" not in "".join(cells):
        return cells
    if len(cells) > MAX_COLUMNS:
        if any(cell.strip() for cell in cells[MAX_COLUMNS:]):
            return RefusedRow(
                cells,
                ValueProblem(
                    "too_wide",
                    _("The row has more than %(limit)s columns; the row was refused."),
                    {"limit": _n(MAX_COLUMNS)},
                ),
            )
        cells = cells[:MAX_COLUMNS]
    total = 0
    for index, cell in enumerate(cells):
        length = len(cell)
        total += length
        if length > MAX_CELL_CHARS:
            return RefusedRow(
                cells,
                ValueProblem(
                    "cell_too_long",
                    _(
                        "The cell holds %(length)s characters, more than Excel's own limit of %(limit)s; the row was refused."
                    ),
                    {"length": _n(length), "limit": _n(MAX_CELL_CHARS)},
                ),
                index,
            )
        if "\x00" in cell:
            return RefusedRow(
                cells,
                ValueProblem(
                    "nul",
                    _("The cell holds a NUL character, which no text holds (a damaged file?); the row was refused."),
                ),
                index,
            )
    if total > MAX_ROW_CHARS:
        return RefusedRow(
            cells,
            ValueProblem(
                "row_too_long",
                _("The row holds more than %(limit)s characters; the row was refused."),
                {"limit": _n(MAX_ROW_CHARS)},
            ),
        )
    return cells
