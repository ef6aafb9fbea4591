"""The rejected-rows report: every row the import turned away, with why, ready to be
corrected and loaded again; and the rows a repeated key turned away.
"""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from collections_crm.lib.downloads import SafeCsvWriter
from debtors.importing.mapping import report_own_columns
from debtors.importing.source import ImportFileError, SourceFile


@dataclass
class RejectedCell:
    row: int
    column: str
    value: str
    reason: str


class RejectReport:
    """A CSV under MEDIA_ROOT/imports/ that can be corrected and loaded again.

    Its first two columns are its own (the row's number in the file, and why), headed in
    the active language, which is that of the person who started the import; then every
    column of the file under its original header, with the row's original cells. The
    importer ignores the two first columns, so the corrected report loads as the file did.
    `problems` keeps the first cells at fault, one by one, for a page to show.
    """

    def __init__(self, prefix: str, headers: list[str]):
        folder = Path(settings.MEDIA_ROOT) / "imports"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
        self.path = folder / f"{prefix}-{stamp}-rejected.csv"
        # A corrected report loaded again: its old row numbers and reasons give way to new ones.
        self.skip = report_own_columns(headers)
        self.width = len(headers)
        self.late_duplicates: list[tuple[int, str, int]] = []  # (row, key, first row): see loading._count
        self._file = self.path.open("w", encoding="utf-8-sig", newline="")
        self._writer = SafeCsvWriter(self._file)
        self._writer.writerow([str(_("Row")), str(_("Reason")), *headers[self.skip :]])
        self.problems: list[RejectedCell] = []

    def add(self, row: int, cells: list[str], problems, *, loaded: bool = False) -> None:
        """One line for the row: `problems` are (column header, value, reason) triples;
        `loaded` says the row was loaded without the cells at fault."""
        pattern = (
            _("%(column)s (left out; the rest of the row was loaded): %(reason)s")
            if loaded
            else _("%(column)s: %(reason)s")
        )
        reasons = []
        for column, value, reason in problems:
            reasons.append(str(pattern) % {"column": column, "reason": reason})
            if len(self.problems) < 1000:  # enough to show on a page; the file has them all
                self.problems.append(RejectedCell(row=row, column=column, value=value, reason=str(reason)))
        # Stripped as the importer reads them: "\n=1+2" becomes "=1+2", which the safe writer quotes.
        cells = [cell.strip() for cell in cells[self.skip : self.width]] + [""] * (
            self.width - max(len(cells), self.skip)
        )
        self._writer.writerow([row, " ".join(reasons), *cells])

    def close(self) -> None:
        self._file.close()


def _report_late_duplicates(stream, mapping, source: SourceFile, report: RejectReport) -> None:
    """Report the repeats the merge found, each row whole: the file is read a second time
    for their cells, only when there are any (rare: a repeat far from its first row)."""
    wanted = {row: (external_id, first_row) for row, external_id, first_row in report.late_duplicates}
    if not wanted:
        return
    found: dict[int, list[str]] = {}
    try:
        stream.seek(0)
        again = SourceFile(stream, mapping=mapping)
        for number, cells in again.rows():
            if number in wanted:
                found[number] = cells
                if len(found) == len(wanted):
                    break
    except (ImportFileError, OSError, ValueError):
        pass  # a stream that cannot be read twice: the key alone says which row it was
    for row, (external_id, first_row) in sorted(wanted.items()):
        cells = found.get(row)
        if cells is None:
            cells = [""] * len(source.headers)
            cells[source.columns["external_id"]] = external_id
        _report_duplicate(report, source, row, cells, external_id, first_row)


def _report_duplicate(report, source, row: int, cells: list[str], external_id: str, first_row: int) -> None:
    reason = _("Row %(row)s already has this customer code and account; this row was skipped.") % {"row": first_row}
    report.add(row, cells, [(source.header_of("external_id"), external_id, reason)])
