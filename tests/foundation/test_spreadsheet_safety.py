"""Cells a spreadsheet would run as formulas are written as text; numbers stay numbers."""

import csv
import io
from decimal import Decimal

import pytest

from collections_crm.lib.downloads import SafeCsvWriter, spreadsheet_safe


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tcmd", "\r=1"]
)
def test_text_that_starts_like_a_formula_gets_a_quote(text):
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("value", [Decimal("-250.00"), -3, 1.5, "-250.00", "+51987654321", "Quispe", "", None])
def test_numbers_and_plain_text_pass_as_they_are(value):
    assert spreadsheet_safe(value) == value


def test_the_writer_neutralises_every_cell():
    buffer = io.StringIO()
    SafeCsvWriter(buffer).writerow(["=1+1", Decimal("-5.00"), "ok"])
    assert next(csv.reader(io.StringIO(buffer.getvalue()))) == ["'=1+1", "-5.00", "ok"]
