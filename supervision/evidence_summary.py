"""The evidence pack's PDF summary (ReportLab): who the debtor is, what is owed, where the holds
and consents stand, and every contact attempt with the contact policy's verdict, in the
reader's language; the CSV files beside it hold every column."""

import io
from datetime import datetime
from xml.sax.saxutils import escape

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from calls.models import Call
from collections_crm.templatetags.crm import money
from debtors.models import Debtor


def _p(text: str, style) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def summary_pdf(*, debtor: Debtor, counts: dict, by, at: datetime) -> bytes:
    styles = getSampleStyleSheet()
    body, small = styles["BodyText"], styles["BodyText"].clone("small", fontSize=7.5, leading=9)
    story = [
        _p(_("Evidence pack: %(name)s") % {"name": debtor.full_name}, styles["Title"]),
        _p(
            _("Customer code %(code)s · national id %(id)s · portfolio %(portfolio)s (%(creditor)s)")
            % {
                "code": debtor.external_id,
                "id": debtor.national_id or "—",
                "portfolio": debtor.portfolio.name,
                "creditor": debtor.portfolio.creditor.name,
            },
            body,
        ),
        _p(
            _("Built %(moment)s by %(person)s. Every file in the pack is listed in manifest.json with its SHA-256.")
            % {"moment": formats.date_format(timezone.localtime(at), "DATETIME_FORMAT"), "person": by.get_username()},
            body,
        ),
        Spacer(1, 4 * mm),
        _p(_("Balance"), styles["Heading2"]),
    ]
    for debt in debtor.debts.order_by("due_date", "pk"):
        story.append(
            _p(
                _("%(reference)s (%(product)s): %(balance)s of %(original)s, due %(due)s")
                % {
                    "reference": debt.account_reference,
                    "product": debt.product or "—",
                    "balance": money(debt.balance, debt.currency),
                    "original": money(debt.original_amount, debt.currency),
                    "due": formats.date_format(debt.due_date, "SHORT_DATE_FORMAT"),
                },
                body,
            )
        )
    holds = [str(hold) for hold in debtor.active_holds]
    story += [
        _p(_("Holds and consents"), styles["Heading2"]),
        _p(_("Holds now: %(holds)s") % {"holds": ", ".join(holds) or _("none")}, body),
    ]
    for phone in debtor.phones.order_by("pk"):
        consents = [
            channel
            for channel, field in (("SMS", "sms_consent"), ("WhatsApp", "whatsapp_consent"))
            if getattr(phone, field)
        ]
        story.append(
            _p(
                _("%(number)s (%(status)s): consents to %(channels)s")
                % {
                    "number": phone.number.as_international,
                    "status": phone.get_status_display(),
                    "channels": ", ".join(consents) or _("nothing"),
                },
                body,
            )
        )
    story += [
        _p(_("What the pack holds"), styles["Heading2"]),
        _p(", ".join(f"{name}: {rows}" for name, rows in counts.items()), body),
        _p(_("Contact attempts"), styles["Heading2"]),
    ]
    header = [
        _("When (debtor's time)"),
        _("Channel"),
        _("Outcome"),
        _("Contact policy"),
        _("Decision"),
        _("Override reason"),
        _("Collector"),
    ]
    rows = [[_p(text, small) for text in header]]
    for call in Call.objects.filter(debtor=debtor).select_related("collector").order_by("started_at", "pk"):
        policy = (
            f"{call.policy_code} v{call.policy_version}"
            if call.policy_code and call.policy_version
            else call.policy_code
        )
        rows.append(
            [
                _p(f"{call.local_time or '—'} {call.local_time_zone}", small),
                _p(call.get_channel_display(), small),
                _p(call.get_outcome_display(), small),
                _p(policy or "—", small),
                _p(call.get_policy_decision_display() or "—", small),
                _p(call.override_reason or "", small),
                _p(call.collector.get_full_name() or call.collector.get_username() if call.collector_id else "", small),
            ]
        )
    table = LongTable(rows, repeatRows=1, colWidths=[45 * mm, 22 * mm, 30 * mm, 25 * mm, 22 * mm, 70 * mm, 35 * mm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        title=_("Evidence pack: %(name)s") % {"name": debtor.full_name},
        author=by.get_username(),
        invariant=True,  # the same records give the same bytes (no creation-time stamp)
    )
    document.build(story)
    return buffer.getvalue()
