"""The parts every letter is built from (documents.rendering): the styles, the letterhead drawn
on each page, tables, the parties, the legal text and the signature block. Data always reaches
ReportLab escaped, since a Paragraph reads markup."""

import re
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from xml.sax.saxutils import escape

from django.utils import formats
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Image, KeepTogether, LongTable, Paragraph, Spacer, Table, TableStyle

from collections_crm.templatetags.crm import money

MARGIN = 20 * mm
LETTERHEAD_TOP = 12 * mm  # from the page's top edge
LETTERHEAD_HEIGHT = 24 * mm  # the logo (at most 20 mm tall) or the name block, then a rule
LOGO_WIDTH, LOGO_HEIGHT = 40 * mm, 20 * mm
FOOTER = 12 * mm  # from the page's bottom edge
SIGN_HERE = "_" * 36
BLANK_DATE = "_" * 20


# Small helpers: data always reaches ReportLab escaped, since Paragraph reads markup.


def _p(text, style) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _text(value) -> str:
    return str(value or "").strip()


def _or_dash(value) -> str:
    return _text(value) or "—"


def _money(value, currency: str) -> str:
    if value is None or value == "":
        return "—"
    return money(Decimal(str(value)), currency)


def _date(value) -> str:
    if not value:
        return "—"
    return formats.date_format(date.fromisoformat(value), "DATE_FORMAT")


def _styles() -> SimpleNamespace:
    sheet = getSampleStyleSheet()
    body = sheet["BodyText"]
    cell = body.clone("cell", fontSize=9, leading=11)
    small = body.clone("small", fontSize=8.5, leading=10.5)
    return SimpleNamespace(
        title=sheet["Title"],
        heading=sheet["Heading3"],
        body=body,
        strong=body.clone("strong", fontName="Helvetica-Bold"),
        right=body.clone("right", alignment=TA_RIGHT),
        cell=cell,
        cell_right=cell.clone("cell_right", alignment=TA_RIGHT),
        head=cell.clone("head", fontName="Helvetica-Bold"),
        head_right=cell.clone("head_right", fontName="Helvetica-Bold", alignment=TA_RIGHT),
        legal=small,
        letterhead=small.clone("letterhead", spaceBefore=0, spaceAfter=0),
        letterhead_name=small.clone("letterhead_name", fontName="Helvetica-Bold", fontSize=11, leading=13),
    )


def _logo(path: str) -> Image | None:
    """The creditor's logo fitted into 40 × 20 mm, its aspect kept; None when the path is not a
    readable image (the letter then goes out without a logo rather than not at all)."""
    if not path:
        return None
    try:
        width, height = ImageReader(path).getSize()
    except (OSError, ValueError):
        return None
    if not width or not height:
        return None
    scale = min(LOGO_WIDTH / width, LOGO_HEIGHT / height)
    return Image(path, width=width * scale, height=height * scale)


def _letterhead(canvas, facts: dict, logo: Image | None, styles) -> None:
    """Drawn on every page: logo, legal name, tax id and address above a rule; reference and
    page number in the footer."""
    creditor = facts.get("creditor") or {}
    page_width, page_height = A4
    top = page_height - LETTERHEAD_TOP
    canvas.saveState()
    left = MARGIN
    if logo is not None:
        logo.drawOn(canvas, left, top - logo.drawHeight)
        left += logo.drawWidth + 6 * mm
    lines = [_p(_or_dash(creditor.get("legal_name") or creditor.get("name")), styles.letterhead_name)]
    lines += [
        _p(text, styles.letterhead) for text in (_text(creditor.get("tax_id")), _text(creditor.get("address"))) if text
    ]
    y = top
    for line in lines:
        height = line.wrap(page_width - MARGIN - left, LETTERHEAD_HEIGHT)[1]
        y -= height
        line.drawOn(canvas, left, y)
    rule = top - LETTERHEAD_HEIGHT
    canvas.setStrokeColor(colors.grey)
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN, rule, page_width - MARGIN, rule)
    canvas.setFont("Helvetica", 8)
    canvas.setFillColor(colors.black)
    canvas.drawString(MARGIN, FOOTER, _text(facts.get("reference")))
    canvas.drawRightString(page_width - MARGIN, FOOTER, _("Page %(page)s") % {"page": canvas.getPageNumber()})
    canvas.restoreState()


def _dateline(facts: dict, styles) -> Paragraph:
    issued = _date(facts.get("issued_on"))
    place = _text(facts.get("place"))
    return _p(_("%(place)s, %(date)s") % {"place": place, "date": issued} if place else issued, styles.right)


def _table(header: list[str], rows: list[list[str]], widths: list[float], styles, *, right=(), total=None, empty=""):
    """A table whose header repeats on every page; the columns in `right` (amounts) align right,
    `total` is an optional last row set in bold, and `empty` the sentence said instead of no rows."""
    if not rows and empty:
        return _p(empty, styles.body)

    def row(texts, plain, aligned):
        return [_p(text, aligned if column in right else plain) for column, text in enumerate(texts)]

    data = [row(header, styles.head, styles.head_right)]
    data += [row(texts, styles.cell, styles.cell_right) for texts in rows]
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if total is not None:
        data.append(row(total, styles.head, styles.head_right))
        commands.append(("BACKGROUND", (0, -1), (-1, -1), colors.whitesmoke))
    table = LongTable(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle(commands))
    return table


def _debts_table(debts: list[dict], currency: str, styles):
    rows = [
        [_or_dash(debt.get("reference")), _or_dash(debt.get("product")), _date(debt.get("due_date"))]
        + [_money(debt.get("original_amount"), currency), _money(debt.get("balance"), currency)]
        for debt in debts
    ]
    header = [_("Reference"), _("Product"), _("Due date"), _("Original amount"), _("Balance")]
    widths = [30 * mm, 44 * mm, 32 * mm, 32 * mm, 32 * mm]
    return _table(header, rows, widths, styles, right=(3, 4), empty=_("No debts are listed."))


def _parties(facts: dict, styles) -> list:
    creditor, debtor = facts.get("creditor") or {}, facts.get("debtor") or {}
    agency = _text((facts.get("agency") or {}).get("name"))
    story = [
        _p(
            _("Creditor: %(name)s, %(tax_id)s.")
            % {"name": _or_dash(creditor.get("legal_name")), "tax_id": _or_dash(creditor.get("tax_id"))},
            styles.body,
        )
    ]
    if agency:
        story.append(_p(_("Acting for the creditor: %(agency)s.") % {"agency": agency}, styles.body))
    story.append(
        _p(
            _("Debtor: %(name)s, national id %(national_id)s, customer code %(customer_code)s.")
            % {
                "name": _or_dash(debtor.get("name")),
                "national_id": _or_dash(debtor.get("national_id")),
                "customer_code": _or_dash(debtor.get("customer_code")),
            },
            styles.body,
        )
    )
    if _text(debtor.get("address")):
        story.append(_p(_("Debtor's address: %(address)s.") % {"address": _text(debtor["address"])}, styles.body))
    return story


def _certifies(facts: dict) -> dict:
    """The placeholders shared by the letters' opening certification."""
    creditor, debtor = facts.get("creditor") or {}, facts.get("debtor") or {}
    return {
        "creditor": _or_dash(creditor.get("legal_name")),
        "tax_id": _or_dash(creditor.get("tax_id")),
        "debtor": _or_dash(debtor.get("name")),
        "national_id": _or_dash(debtor.get("national_id")),
    }


def _legal_text(facts: dict, styles) -> list:
    """The creditor's own text, one Paragraph per block separated by a blank line."""
    text = _text((facts.get("creditor") or {}).get("legal_text")).replace("\r\n", "\n")
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text) if block.strip()]
    story = [Spacer(1, 3 * mm)] if blocks else []
    return story + [Paragraph(escape(block).replace("\n", "<br/>"), styles.legal) for block in blocks]


def _signatures(facts: dict, styles, *, debtor_signs: bool) -> KeepTogether:
    creditor, debtor = facts.get("creditor") or {}, facts.get("debtor") or {}
    agency = _text((facts.get("agency") or {}).get("name"))

    def column(role: str, *lines: str) -> list:
        return [Spacer(1, 16 * mm), _p(SIGN_HERE, styles.body), _p(role, styles.strong)] + [
            _p(line, styles.body) for line in lines
        ]

    acting = [_("Acting for the creditor: %(agency)s.") % {"agency": agency}] if agency else []
    columns = [column(_("For the creditor"), _or_dash(creditor.get("legal_name")), *acting)]
    if debtor_signs:
        national_id = _("National id: %(national_id)s") % {"national_id": _or_dash(debtor.get("national_id"))}
        columns.append(column(_("The debtor"), _or_dash(debtor.get("name")), national_id))
    table = Table([columns], colWidths=[85 * mm] * len(columns), hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    accepted = _acceptance(facts.get("acceptance") or {}) or _("Accepted by the debtor on %(date)s") % {
        "date": BLANK_DATE
    }
    return KeepTogether(
        [Spacer(1, 6 * mm), table, *([Spacer(1, 6 * mm), _p(accepted, styles.body)] if debtor_signs else [])]
    )


def _acceptance(acceptance: dict) -> str:
    """How the debtor accepted the agreement, when it is on record: on the self-service page after
    confirming identity, or by telephone with a collector."""
    moment = _text(acceptance.get("at"))
    if not moment:
        return ""
    values = {"moment": moment, "zone": _or_dash(acceptance.get("zone"))}
    if acceptance.get("how") == "self_service":
        return _(
            "Accepted electronically by the debtor on %(moment)s (%(zone)s) on the self-service page, after "
            "confirming their identity, from the address %(address)s."
        ) % {**values, "address": _or_dash(acceptance.get("address"))}
    return _("Agreed by telephone on %(moment)s (%(zone)s) with %(collector)s, call no. %(call)s.") % {
        **values,
        "collector": _or_dash(acceptance.get("collector")),
        "call": _or_dash(acceptance.get("call")),
    }


def _for_whatever_purposes(styles) -> Paragraph:
    return _p(_("This letter is issued for whatever purposes the debtor sees fit."), styles.body)
