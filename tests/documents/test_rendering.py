"""The letters a debtor receives, rendered from their frozen facts: no database involved.

Spanish catalogue entries for the letters' own sentences do not exist yet, so the Spanish
tests only pin what does not depend on them: the data and the Spanish formats of amounts
and dates."""

import copy
import io
import re

import pytest
from pypdf import PdfReader

from documents.rendering import render_pdf

FACTS = {
    "kind": "agreement",
    "language": "en",
    "reference": "CONV-2026-000123",
    "issued_on": "2026-12-05",
    "place": "Lima",
    "currency": "PEN",
    "creditor": {
        "name": "Banco Andino",
        "legal_name": "Banco Andino S.A.A.",
        "tax_id": "RUC 20100047218",
        "address": "Av. Larco 101, Lima",
        "legal_text": "Supervised by the SBS under registry 0042.\n\nQuestions: write to reclamos@bancoandino.pe.",
        "logo_path": "",
    },
    "agency": {"name": "Cobranzas Norte SAC"},
    "debtor": {"name": "Diego Díaz", "national_id": "45871236", "customer_code": "C-100", "address": ""},
    "debts": [
        {
            "reference": "ACC-1",
            "product": "Tarjeta de crédito",
            "original_amount": "1500.00",
            "balance": "1200.00",
            "due_date": "2026-05-01",
        }
    ],
    "balance": "1200.00",
    "arrangement": {
        "number": 123,
        "kind": "settlement",
        "made_on": "2026-12-05",
        "total": "2034.56",
        "discount": "300.00",
        "balance_before": "2334.56",
        "grace_days": 3,
        "approved_by": "Sofía Supervisora",
        "schedule": [
            {"number": 1, "due_date": "2026-12-15", "amount": "400.00", "status": "pending"},
            {"number": 2, "due_date": "2027-01-15", "amount": "400.00", "status": "pending"},
            {"number": 3, "due_date": "2027-02-15", "amount": "1234.56", "status": "pending"},
        ],
    },
    "payments": [{"paid_on": "2026-11-02", "amount": "300.00", "reference": "OP-77", "source": "Bank transfer"}],
    "promises": [{"made_on": "2026-11-01", "due_date": "2026-11-02", "amount": "300.00", "status": "Kept"}],
    "paid_on": "2026-11-30",
}
FACTS["debt"] = FACTS["debts"][0]
KINDS = ("agreement", "statement", "paid_in_full", "settlement_satisfied")


def _facts(kind="agreement", language="en", **changes) -> dict:
    facts = copy.deepcopy(FACTS)
    facts.update(kind=kind, language=language, **changes)
    return facts


def _flat(text: str) -> str:
    """Words separated by single spaces: lines wrap anywhere, and pypdf reads no-break spaces as spaces."""
    return " ".join(text.replace("\xa0", " ").split())


def _pages(pdf: bytes) -> list[str]:
    return [_flat(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def _text(pdf: bytes) -> str:
    return " ".join(_pages(pdf))


def _images(pdf: bytes, page: int = 0) -> list[dict]:
    resources = PdfReader(io.BytesIO(pdf)).pages[page]["/Resources"]
    objects = resources.get("/XObject", {})
    return [obj.get_object() for obj in objects.values() if obj.get_object()["/Subtype"] == "/Image"]


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_letter_names_both_parties_its_reference_and_the_legal_text(kind, language):
    text = _text(render_pdf(_facts(kind, language)))
    for expected in (
        "Diego Díaz",
        "45871236",
        "Banco Andino S.A.A.",
        "RUC 20100047218",
        "Av. Larco 101, Lima",
        "CONV-2026-000123",
        "Supervised by the SBS under registry 0042.",
        "Questions: write to reclamos@bancoandino.pe.",
    ):
        assert expected in text, (kind, language, expected)


@pytest.mark.parametrize(
    "language, amounts, dates",
    [
        ("en", ["400.00 PEN", "1,234.56 PEN", "2,034.56 PEN"], ["Dec. 15, 2026", "Jan. 15, 2027", "Feb. 15, 2027"]),
        (
            "es",
            ["400,00 PEN", "1 234,56 PEN", "2 034,56 PEN"],
            ["15 de diciembre de 2026", "15 de enero de 2027", "15 de febrero de 2027"],
        ),
    ],
)
def test_the_agreement_schedules_each_instalment_in_the_readers_formats(language, amounts, dates):
    text = _text(render_pdf(_facts("agreement", language)))
    for expected in amounts + dates:
        assert expected in text, expected


def test_the_settlement_agreement_says_what_a_missed_payment_costs():
    text = _text(render_pdf(_facts("agreement")))
    assert "Payment agreement CONV-2026-000123" in text
    assert "Lima, Dec. 5, 2026" in text
    assert "Acting for the creditor: Cobranzas Norte SAC." in text
    assert "The debtor will pay 2,034.56 PEN in 3 instalments, as scheduled below." in text
    assert "A payment counts as missed if it is not received in full within 3 days after its due date." in text
    assert (
        "A missed payment breaks this agreement: the discount of 300.00 PEN is lost, the whole balance of "
        "2,334.56 PEN, less the payments already made, is due again, and collection resumes."
    ) in text
    assert (
        "Once every payment above is made, the creditor forgives the discount of 300.00 PEN "
        "and considers the debts covered by this agreement settled."
    ) in text
    assert "Approved by Sofía Supervisora." in text
    assert "Accepted by the debtor on ____" in text


def test_an_instalment_plan_has_no_discount_to_lose():
    facts = _facts("agreement")
    facts["arrangement"].update(kind="instalments", discount="0.00", grace_days=1, approved_by="")
    text = _text(render_pdf(facts))
    assert "Instalment plan" in text
    assert "within 1 day after its due date" in text
    assert (
        "A missed payment breaks this agreement: the whole remaining balance is due again, and collection resumes."
    ) in text
    assert "Once every payment above is made, the debts covered by this agreement are paid in full." in text
    assert "discount" not in text.lower()
    assert "Approved by" not in text


def test_without_grace_days_a_payment_is_missed_the_day_after_its_due_date():
    facts = _facts("agreement")
    facts["arrangement"]["grace_days"] = 0
    assert "not received in full by its due date." in _text(render_pdf(facts))


def test_the_statement_lists_payments_promises_and_the_balance():
    text = _text(render_pdf(_facts("statement")))
    assert "Statement of account CONV-2026-000123" in text
    assert "Nov. 2, 2026 300.00 PEN OP-77 Bank transfer" in text
    assert "Nov. 1, 2026 Nov. 2, 2026 300.00 PEN Kept" in text
    assert "ACC-1 Tarjeta de crédito May 1, 2026 1,500.00 PEN 1,200.00 PEN" in text
    assert "Balance as of Dec. 5, 2026: 1,200.00 PEN." in text


def test_a_statement_in_spanish_formats_its_dates_and_amounts_the_spanish_way():
    text = _text(render_pdf(_facts("statement", "es")))
    assert "2 de noviembre de 2026 300,00 PEN OP-77 Bank transfer" in text
    assert "1 200,00 PEN" in text and "5 de diciembre de 2026" in text


def test_an_empty_statement_says_so_rather_than_printing_empty_tables():
    text = _text(render_pdf(_facts("statement", debts=[], payments=[], promises=[], balance="0.00")))
    assert "No debts are listed." in text
    assert "No payments are on record." in text
    assert "No promises of payment are on record." in text
    assert "Balance as of Dec. 5, 2026: 0.00 PEN." in text


def test_the_paid_in_full_letter_certifies_the_debt_is_paid():
    text = _text(render_pdf(_facts("paid_in_full")))
    assert "Paid-in-full letter CONV-2026-000123" in text
    assert (
        "Banco Andino S.A.A., RUC 20100047218, certifies that Diego Díaz, national id 45871236, "
        "has paid in full the debt ACC-1 (Tarjeta de crédito)."
    ) in text
    assert "The debt was paid off on Nov. 30, 2026." in text
    assert "As of Dec. 5, 2026, Diego Díaz owes nothing on this debt." in text


def test_the_settlement_letter_certifies_the_settlement_was_kept():
    text = _text(render_pdf(_facts("settlement_satisfied")))
    assert "Settlement letter CONV-2026-000123" in text
    assert "has kept the settlement no. 123 made on Dec. 5, 2026." in text
    assert (
        "The debtor paid the agreed total of 2,034.56 PEN; the creditor therefore forgives the discount "
        "of 300.00 PEN and considers the debts below settled."
    ) in text
    assert "As of Dec. 5, 2026, Diego Díaz owes nothing on these debts." in text


def test_the_settlement_letter_in_spanish_formats_the_agreed_total_the_spanish_way():
    text = _text(render_pdf(_facts("settlement_satisfied", "es")))
    assert "2 034,56 PEN" in text and "300,00 PEN" in text and "5 de diciembre de 2026" in text


def test_every_page_carries_the_letterhead_the_reference_and_its_number():
    payments = [
        {"paid_on": "2026-01-02", "amount": f"{n}.00", "reference": f"OP-{n}", "source": "Bank transfer"}
        for n in range(1, 121)
    ]
    pages = _pages(render_pdf(_facts("statement", payments=payments)))
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert "Banco Andino S.A.A." in text and "RUC 20100047218" in text
        assert "CONV-2026-000123" in text
        assert f"Page {number}" in text
    assert "OP-120" in pages[-1]


def test_the_pdf_is_titled_and_signed_by_the_creditor():
    metadata = PdfReader(io.BytesIO(render_pdf(_facts("paid_in_full")))).metadata
    assert metadata.title == "Paid-in-full letter CONV-2026-000123"
    assert metadata.author == "Banco Andino S.A.A."


def test_the_same_facts_give_the_same_bytes():
    assert render_pdf(_facts("agreement")) == render_pdf(_facts("agreement"))
    assert render_pdf(_facts("agreement")) != render_pdf(_facts("agreement", reference="CONV-2026-000124"))


def test_data_that_looks_like_markup_is_printed_literally():
    facts = _facts("agreement")
    facts["debtor"]["name"] = "Ana <b>Bold</b> & Co"
    facts["creditor"]["legal_name"] = "Banco & Cía <S.A.>"
    facts["creditor"]["legal_text"] = "Clause <i>one</i> & two &amp; three."
    text = _text(render_pdf(facts))
    assert "Ana <b>Bold</b> & Co" in text
    assert "Banco & Cía <S.A.>" in text
    assert "Clause <i>one</i> & two &amp; three." in text


def test_missing_optional_facts_leave_their_lines_out():
    facts = _facts("agreement", place="")
    del facts["agency"]
    facts["creditor"].pop("logo_path")
    facts["creditor"]["legal_text"] = ""
    text = _text(render_pdf(facts))
    assert "Acting for the creditor" not in text
    assert "Lima, Dec. 5, 2026" not in text and "Dec. 5, 2026" in text
    assert "Supervised by" not in text


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        render_pdf(_facts("reminder"))


def _logo(tmp_path, size):
    image = pytest.importorskip("PIL.Image")
    path = tmp_path / "logo.png"
    image.new("RGB", size, (200, 30, 40)).save(path)
    return str(path)


def _drawn_image_sizes(pdf: bytes) -> list[tuple[float, float]]:
    """Width and height (points) of every image drawn on the first page, read from the content stream."""
    content = PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data().decode("latin-1")
    found = re.findall(r"([\d.]+) 0 0 ([\d.]+) [\d.-]+ [\d.-]+ cm\s*/(\S+) Do", content)
    return [(float(width), float(height)) for width, height, _name in found]


MM = 72 / 25.4


@pytest.mark.parametrize(
    "size, drawn_mm",
    [((400, 100), (40, 10)), ((100, 200), (10, 20))],
    ids=["wide logo: 40 mm wide", "tall logo: 20 mm tall"],
)
def test_the_logo_heads_every_page_within_40_by_20_mm_keeping_its_aspect(tmp_path, size, drawn_mm):
    facts = _facts("agreement")
    facts["creditor"]["logo_path"] = _logo(tmp_path, size)
    pdf = render_pdf(facts)
    for page in range(len(PdfReader(io.BytesIO(pdf)).pages)):
        assert len(_images(pdf, page)) == 1
    assert _images(pdf)[0]["/Width"] == size[0]
    [(width, height)] = _drawn_image_sizes(pdf)
    assert width == pytest.approx(drawn_mm[0] * MM, abs=0.1)
    assert height == pytest.approx(drawn_mm[1] * MM, abs=0.1)


def test_a_logo_path_that_is_no_image_gives_a_letter_without_logo(tmp_path):
    not_an_image = tmp_path / "logo.png"
    not_an_image.write_text("not a picture")
    for path in (str(not_an_image), str(tmp_path / "missing.png")):
        facts = _facts("paid_in_full")
        facts["creditor"]["logo_path"] = path
        pdf = render_pdf(facts)
        assert _images(pdf) == []
        assert "Banco Andino S.A.A." in _text(pdf)
