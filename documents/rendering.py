"""The PDF of a letter or agreement a debtor receives (ReportLab), drawn only from the facts
frozen when the document was issued: rendering never reads the database, and the same facts
give the same bytes. Every text is in the debtor's language; every page carries the
creditor's letterhead and, in its footer, the document's reference and page number."""

import io
import re
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from xml.sax.saxutils import escape

from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Image, KeepTogether, LongTable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from collections_crm.templatetags.crm import money

MARGIN = 20 * mm
LETTERHEAD_TOP = 12 * mm  # from the page's top edge
LETTERHEAD_HEIGHT = 24 * mm  # the logo (at most 20 mm tall) or the name block, then a rule
LOGO_WIDTH, LOGO_HEIGHT = 40 * mm, 20 * mm
FOOTER = 12 * mm  # from the page's bottom edge
SIGN_HERE = "_" * 36
BLANK_DATE = "_" * 20


def render_pdf(facts: dict) -> bytes:
    """The document described by `facts` (kind, language, reference, creditor, debtor…) as PDF."""
    kind = facts["kind"]
    if kind not in BODIES:
        raise ValueError(f"Unknown document kind: {kind!r}")
    language = facts["language"]
    creditor = facts.get("creditor") or {}
    with translation.override(language):
        styles = _styles()
        title = _title(kind, facts["reference"])
        story = [_p(title, styles.title), _dateline(facts, styles), Spacer(1, 4 * mm)]
        story += BODIES[kind](facts, styles)
        logo = _logo(creditor.get("logo_path") or "")

        def page(canvas, document):
            _letterhead(canvas, facts, logo, styles)

        buffer = io.BytesIO()
        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=LETTERHEAD_TOP + LETTERHEAD_HEIGHT + 6 * mm,
            bottomMargin=FOOTER + 10 * mm,
            title=title,
            author=creditor.get("legal_name") or creditor.get("name") or "",
            lang=language,
            invariant=True,  # no creation date nor random id: the same facts give the same bytes
        )
        document.build(story, onFirstPage=page, onLaterPages=page)
    return buffer.getvalue()


def _title(kind: str, reference: str) -> str:
    titles = {
        "agreement": _("Payment agreement %(reference)s"),
        "statement": _("Statement of account %(reference)s"),
        "paid_in_full": _("Paid-in-full letter %(reference)s"),
        "settlement_satisfied": _("Settlement letter %(reference)s"),
    }
    return titles[kind] % {"reference": reference}


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


# One body per kind of document.


def _agreement(facts: dict, styles) -> list:
    currency = facts["currency"]
    arrangement = facts.get("arrangement") or {}
    settlement = arrangement.get("kind") == "settlement"
    has_discount = Decimal(str(arrangement.get("discount") or "0")) != 0
    total, discount = _money(arrangement.get("total"), currency), _money(arrangement.get("discount"), currency)
    balance_before = _money(arrangement.get("balance_before"), currency)
    made = _("Agreement no. %(number)s, made on %(date)s.") % {
        "number": _or_dash(arrangement.get("number")),
        "date": _date(arrangement.get("made_on")),
    }
    terms = [
        [_("Kind of agreement"), _("Settlement with discount") if settlement else _("Instalment plan")],
        [_("Balance before this agreement"), balance_before],
        *([[_("Discount forgiven once every payment is made"), discount]] if settlement or has_discount else []),
        [_("Total to pay"), total],
    ]
    story = [
        *_parties(facts, styles),
        Spacer(1, 2 * mm),
        _p(_("Debts covered by this agreement"), styles.heading),
        _debts_table(facts.get("debts") or [], currency, styles),
        _p(_("Terms"), styles.heading),
        _p(made, styles.body),
        _table([_("Term"), _("Value")], terms, [110 * mm, 60 * mm], styles, right=(1,)),
        Spacer(1, 3 * mm),
        *_schedule(arrangement.get("schedule") or [], total, currency, styles),
    ]
    if settlement and has_discount:
        completion = _(
            "Once every payment above is made, the creditor forgives the discount of %(discount)s and considers the debts covered by this agreement settled."
        ) % {"discount": discount}
    elif settlement:
        completion = _(
            "Once every payment above is made, the creditor considers the debts covered by this agreement settled."
        )
    else:
        completion = _("Once every payment above is made, the debts covered by this agreement are paid in full.")
    story += [Spacer(1, 2 * mm), _p(completion, styles.body)]
    if _text(arrangement.get("approved_by")):
        story.append(_p(_("Approved by %(name)s.") % {"name": _text(arrangement["approved_by"])}, styles.body))

    grace_days = int(arrangement.get("grace_days") or 0)
    if grace_days:
        missed = ngettext(
            "A payment counts as missed if it is not received in full within %(days)s day after its due date.",
            "A payment counts as missed if it is not received in full within %(days)s days after its due date.",
            grace_days,
        ) % {"days": grace_days}
    else:
        missed = _("A payment counts as missed if it is not received in full by its due date.")
    if settlement and has_discount:
        broken = _(
            "A missed payment breaks this agreement: the discount of %(discount)s is lost, the whole balance of %(balance)s, less the payments already made, is due again, and collection resumes."
        ) % {"discount": discount, "balance": balance_before}
    else:
        broken = _(
            "A missed payment breaks this agreement: the whole remaining balance is due again, and collection resumes."
        )
    story += [_p(_("If a payment is missed"), styles.heading), _p(missed, styles.body), _p(broken, styles.body)]
    return story + _legal_text(facts, styles) + [_signatures(facts, styles, debtor_signs=True)]


def _schedule(schedule: list[dict], total: str, currency: str, styles) -> list:
    if not schedule:
        return [_p(_("No payments are scheduled."), styles.body)]
    says = ngettext(
        "The debtor will pay %(total)s in %(count)s instalment, as scheduled below.",
        "The debtor will pay %(total)s in %(count)s instalments, as scheduled below.",
        len(schedule),
    ) % {"total": total, "count": len(schedule)}
    rows = [
        [_or_dash(row.get("number")), _date(row.get("due_date")), _money(row.get("amount"), currency)]
        for row in schedule
    ]
    header, widths = [_("No."), _("Due date"), _("Amount")], [20 * mm, 90 * mm, 60 * mm]
    return [_p(says, styles.body), _table(header, rows, widths, styles, right=(2,), total=[_("Total"), "", total])]


def _statement(facts: dict, styles) -> list:
    currency, issued = facts["currency"], _date(facts.get("issued_on"))
    payments = [
        [_date(row.get("paid_on")), _money(row.get("amount"), currency)]
        + [_or_dash(row.get("reference")), _or_dash(row.get("source"))]
        for row in facts.get("payments") or []
    ]
    promises = [
        [_date(row.get("made_on")), _date(row.get("due_date"))]
        + [_money(row.get("amount"), currency), _or_dash(row.get("status"))]
        for row in facts.get("promises") or []
    ]
    listed = _("This statement lists the debts, payments and promises of payment on record as of %(date)s.")
    balance = _("Balance as of %(date)s: %(amount)s.") % {
        "date": issued,
        "amount": _money(facts.get("balance"), currency),
    }
    return [
        *_parties(facts, styles),
        Spacer(1, 2 * mm),
        _p(listed % {"date": issued}, styles.body),
        _p(_("Debts"), styles.heading),
        _debts_table(facts.get("debts") or [], currency, styles),
        _p(_("Payments received"), styles.heading),
        _table(
            [_("Date"), _("Amount"), _("Reference"), _("Source")],
            payments,
            [42 * mm, 38 * mm, 40 * mm, 50 * mm],
            styles,
            right=(1,),
            empty=_("No payments are on record."),
        ),
        _p(_("Promises of payment"), styles.heading),
        _table(
            [_("Made on"), _("Due date"), _("Amount"), _("Status")],
            promises,
            [42 * mm, 42 * mm, 38 * mm, 48 * mm],
            styles,
            right=(2,),
            empty=_("No promises of payment are on record."),
        ),
        Spacer(1, 4 * mm),
        _p(balance, styles.strong),
        *_legal_text(facts, styles),
    ]


def _paid_in_full(facts: dict, styles) -> list:
    debts = facts.get("debts") or []
    debt = facts.get("debt") or (debts[0] if debts else {})
    certifies = _certifies(facts)
    story = [
        _p(
            _(
                "%(creditor)s, %(tax_id)s, certifies that %(debtor)s, national id %(national_id)s, has paid in full the debt %(reference)s (%(product)s)."
            )
            % {**certifies, "reference": _or_dash(debt.get("reference")), "product": _or_dash(debt.get("product"))},
            styles.body,
        )
    ]
    if facts.get("paid_on"):
        story.append(_p(_("The debt was paid off on %(date)s.") % {"date": _date(facts["paid_on"])}, styles.body))
    story += [
        Spacer(1, 2 * mm),
        _debts_table([debt] if debt else [], facts["currency"], styles),
        Spacer(1, 2 * mm),
        _p(
            _("As of %(date)s, %(debtor)s owes nothing on this debt.")
            % {"date": _date(facts.get("issued_on")), "debtor": certifies["debtor"]},
            styles.body,
        ),
        _for_whatever_purposes(styles),
    ]
    story += _legal_text(facts, styles)
    story.append(_signatures(facts, styles, debtor_signs=False))
    return story


def _settlement_satisfied(facts: dict, styles) -> list:
    currency = facts["currency"]
    arrangement = facts.get("arrangement") or {}
    certifies = _certifies(facts)
    total = _money(arrangement.get("total"), currency)
    story = [
        _p(
            _(
                "%(creditor)s, %(tax_id)s, certifies that %(debtor)s, national id %(national_id)s, has kept the settlement no. %(number)s made on %(date)s."
            )
            % {**certifies, "number": _or_dash(arrangement.get("number")), "date": _date(arrangement.get("made_on"))},
            styles.body,
        )
    ]
    if Decimal(str(arrangement.get("discount") or "0")) != 0:
        paid = _(
            "The debtor paid the agreed total of %(total)s; the creditor therefore forgives the discount of %(discount)s and considers the debts below settled."
        ) % {"total": total, "discount": _money(arrangement.get("discount"), currency)}
    else:
        paid = _(
            "The debtor paid the agreed total of %(total)s, and the creditor considers the debts below settled."
        ) % {"total": total}
    story += [
        _p(paid, styles.body),
        _p(_("Debts settled"), styles.heading),
        _debts_table(facts.get("debts") or [], currency, styles),
        Spacer(1, 2 * mm),
        _p(
            _("As of %(date)s, %(debtor)s owes nothing on these debts.")
            % {"date": _date(facts.get("issued_on")), "debtor": certifies["debtor"]},
            styles.body,
        ),
        _for_whatever_purposes(styles),
    ]
    story += _legal_text(facts, styles)
    story.append(_signatures(facts, styles, debtor_signs=False))
    return story


BODIES = {
    "agreement": _agreement,
    "statement": _statement,
    "paid_in_full": _paid_in_full,
    "settlement_satisfied": _settlement_satisfied,
}
