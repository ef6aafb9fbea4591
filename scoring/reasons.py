"""A score's reasons as sentences a collector reads: "Last payment 12 days ago, raises it"."""

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from scoring.features import DAYS_CAP


def reason_text(feature: str, value: float) -> str:
    """One stored reason's feature and value as a sentence (the effect is said apart)."""
    count = int(round(value))
    if feature == "days_past_due":
        return ngettext("%(count)s day past due", "%(count)s days past due", count) % {"count": count}
    if feature == "balance":
        return _("Open balance of %(amount)s") % {"amount": number_format(value, 2, force_grouping=True)}
    if feature == "share_paid_90d":
        return _("Paid %(percent)s%% of the balance in the last 90 days") % {"percent": round(value * 100)}
    if feature == "payments_90d":
        return ngettext("%(count)s payment in the last 90 days", "%(count)s payments in the last 90 days", count) % {
            "count": count
        }
    if feature == "days_since_payment":
        if count >= DAYS_CAP:
            return _("No payment in the last year")
        return ngettext("Last payment %(count)s day ago", "Last payment %(count)s days ago", count) % {"count": count}
    if feature == "promises_kept":
        return ngettext("%(count)s promise kept", "%(count)s promises kept", count) % {"count": count}
    if feature == "promises_partial":
        return ngettext("%(count)s promise partly kept", "%(count)s promises partly kept", count) % {"count": count}
    if feature == "promises_broken":
        return ngettext("%(count)s promise broken", "%(count)s promises broken", count) % {"count": count}
    if feature == "open_promise":
        return _("A promise is pending") if count else _("No promise pending")
    if feature == "right_party_90d":
        return ngettext(
            "%(count)s conversation with the debtor in 90 days",
            "%(count)s conversations with the debtor in 90 days",
            count,
        ) % {"count": count}
    if feature == "days_since_right_party":
        if count >= DAYS_CAP:
            return _("No conversation with the debtor in the last year")
        return ngettext(
            "Last spoke with the debtor %(count)s day ago", "Last spoke with the debtor %(count)s days ago", count
        ) % {"count": count}
    if feature == "attempts_30d":
        return ngettext("%(count)s contact attempt in 30 days", "%(count)s contact attempts in 30 days", count) % {
            "count": count
        }
    if feature == "usable_phones":
        return ngettext("%(count)s usable phone number", "%(count)s usable phone numbers", count) % {"count": count}
    if feature == "consented_numbers":
        return ngettext("%(count)s number with message consent", "%(count)s numbers with message consent", count) % {
            "count": count
        }
    if feature == "objection_heard":
        return _("The last stance heard was an objection") if count else _("No objection heard lately")
    if feature == "hardship_heard":
        return _("The last stance heard was a hardship") if count else _("No hardship heard lately")
    if feature == "on_hold":
        return _("The account is on hold") if count else _("No hold on the account")
    return feature


def method_text(version: str) -> str:
    """What scored, as stored ("model-3", "scorecard-1", "model-backtest"), in words."""
    kind, _dash, number = version.partition("-")
    if kind == "model":
        if number == "backtest":
            return _("a logistic regression trained for the backtest")
        return _("model %(number)s (logistic regression)") % {"number": number}
    if kind == "scorecard":
        return _("scorecard %(number)s") % {"number": number}
    return version


def effect_text(effect: float) -> str:
    return _("raises it") if effect > 0 else _("lowers it")
