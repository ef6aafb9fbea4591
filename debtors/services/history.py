"""Every change of a hold or of a channel's consent kept as a row (HoldChange, ConsentChange):
the writers of holds and consents call these in the transaction that makes the change."""

from datetime import datetime

from debtors.models import ConsentChange, Debtor, HoldChange, Phone


def hold_changes_record(
    *, debtor: Debtor, changes: dict[str, bool], by, source: str, at: datetime, reason: str = ""
) -> None:
    """`changes`: the holds that changed, each with its new value."""
    HoldChange.objects.bulk_create(
        HoldChange(
            debtor=debtor,
            hold=hold,
            is_set=bool(value),
            at=at,
            by=by if getattr(by, "pk", None) else None,
            source=source,
            reason=reason[:500],
        )
        for hold, value in changes.items()
    )


def consent_changes_record(
    *, changes: list[tuple[Phone, str, bool, str]], by, source: str, at: datetime, reason: str = ""
) -> None:
    """`changes`: (phone, channel, granted, where it comes from) for each consent that changed."""
    ConsentChange.objects.bulk_create(
        ConsentChange(
            debtor_id=phone.debtor_id,
            phone=phone,
            number=phone.number.as_e164 if hasattr(phone.number, "as_e164") else str(phone.number),
            channel=channel,
            granted=granted,
            at=at,
            by=by if getattr(by, "pk", None) else None,
            source=source,
            detail=(detail or "")[:200],
            reason=reason[:500],
        )
        for phone, channel, granted, detail in changes
    )
