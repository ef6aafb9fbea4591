"""The PDF of a letter or agreement a debtor receives (ReportLab), drawn only from the facts
frozen when the document was issued: rendering never reads the database, and the same facts
give the same bytes. Every text is in the debtor's language; every page carries the
creditor's letterhead and, in its footer, the document's reference and page number."""

import io
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer

from documents.letter_parts import (
    FOOTER,
    LETTERHEAD_HEIGHT,
    LETTERHEAD_TOP,
    MARGIN,
    _certifies,
    _date,
    _dateline,
    _debts_table,
    _for_whatever_purposes,
    _legal_text,
    _letterhead,
    _logo,
    _money,
    _or_dash,
    _p,
    _parties,
    _signatures,
    _styles,
    _table,
    _text,
)


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
