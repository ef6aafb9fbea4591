"""Writing to the debtor from the debtor page: the reply box, recording a letter sent, and the
notice of a message the debtor sends while the page is open."""

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from calls.forms import LetterForm
from calls.services import letter_record
from collections_crm.lib.clock import Clock
from conversations.forms import ReplyForm
from conversations.selectors import WHATSAPP_WINDOW, inbound_for_debtor, templates_for_language
from conversations.services import reply_send
from debtors.selectors import debtor_get_for_action, debtor_get_for_user


def reply_box(debtor, phones, *, form=None) -> dict | None:
    """What the reply box shows: the form, and until when WhatsApp takes free text. None when
    no number of the debtor's own consents to SMS or WhatsApp."""
    writable = [phone for phone in phones if not phone.is_third_party and (phone.sms_consent or phone.whatsapp_consent)]
    if not writable:
        return None
    form = form or ReplyForm(phones=writable, templates=templates_for_language(debtor.language))
    last = inbound_for_debtor(debtor).filter(channel="whatsapp").only("received_at").first()
    window_ends = last.received_at + WHATSAPP_WINDOW if last else None
    open_until = ""
    if window_ends and window_ends > timezone.now():
        open_until = Clock.current().short_datetime(timezone.localtime(window_ends))
    return {"form": form, "whatsapp_open_until": open_until}


@login_required
@require_POST
def reply_send_view(request, debtor_pk: int):
    from desk.debtor_page import _figures_and_score, debtor_detail_context

    debtor = debtor_get_for_action(request.user, debtor_pk)
    phones = [phone for phone in debtor.phones.all() if not phone.is_third_party]
    form = ReplyForm(request.POST, phones=phones, templates=templates_for_language(debtor.language))
    if form.is_valid():
        data = form.cleaned_data
        try:
            queued = reply_send(
                debtor=debtor,
                by=request.user,
                channel=data["channel"],
                phone=data["phone"],
                text=data["text"],
                template=data["template"],
                key=data["key"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if queued.send_after > timezone.now():
                moment = Clock.current().short_datetime(timezone.localtime(queued.send_after))
                notice = gettext("The message waits in the outbox until %(moment)s, the first lawful moment.") % {
                    "moment": moment
                }
            else:
                notice = gettext("The message is in the outbox and goes out within a minute.")
            messages.success(request, notice)
            return redirect("debtors:detail", pk=debtor.pk)
    page_debtor = debtor_get_for_user(request.user, debtor.pk, with_figures=_figures_and_score)
    context = debtor_detail_context(request, page_debtor)
    context["reply_box"] = reply_box(page_debtor, context["phones"], form=form)
    return render(request, "debtors/debtor_detail.html", context, status=400)


@login_required
@require_POST
def letter_record_view(request, debtor_pk: int):
    from desk.debtor_page import _figures_and_score, can_override_contact_policy, debtor_detail_context

    debtor = debtor_get_for_action(request.user, debtor_pk)
    can_override = can_override_contact_policy(request.user)
    form = LetterForm(request.POST, debtor=debtor, can_override=can_override)
    if form.is_valid():
        try:
            letter_record(
                debtor=debtor,
                by=request.user,
                sent_on=form.cleaned_data["sent_on"],
                notes=form.cleaned_data["notes"],
                override_reason=form.cleaned_data.get("override_reason", ""),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, gettext("Letter recorded."))
            return redirect("debtors:detail", pk=debtor.pk)
    page_debtor = debtor_get_for_user(request.user, debtor.pk, with_figures=_figures_and_score)
    context = debtor_detail_context(request, page_debtor)
    context["letter_form"] = form
    return render(request, "debtors/debtor_detail.html", context, status=400)


# How often an open debtor page asks whether the debtor wrote meanwhile.
INBOUND_POLL_SECONDS = 15


def inbound_notice(debtor, after: str) -> dict:
    """The debtor page's notice of messages received since `after` (ISO 8601, the moment the
    page was shown): none yet, and the notice keeps asking; some, and it shows the newest."""
    try:
        since = datetime.fromisoformat(after)
    except ValueError:
        since = None
    if since is None or since.tzinfo is None:
        since = timezone.now()
    received = inbound_for_debtor(debtor).filter(received_at__gt=since)
    newest = received.first()
    return {
        "debtor": debtor,
        "after": since.isoformat(),
        "newest": newest,
        "count": received.count() if newest else 0,
        "poll_seconds": INBOUND_POLL_SECONDS,
    }


@login_required
def inbound_since_view(request, debtor_pk: int):
    debtor = debtor_get_for_action(request.user, debtor_pk)
    return render(request, "conversations/_inbound_notice.html", inbound_notice(debtor, request.GET.get("after", "")))
