"""The debtor's self-service pages (no login: a signed link and the identity question), the
provider's payment webhook, and the development payment page."""

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from collections_crm.lib.timezones import debtor_zone
from collections_crm.templatetags.crm import money
from documents.models import Document
from documents.views import pdf_response
from selfservice import forms, guard, services
from selfservice.guard import client_facts, identity_page, log_event, self_service_page
from selfservice.models import PaymentLink, SelfServiceEvent
from selfservice.paylinks.providers import FileProvider, payments_available

Kind = SelfServiceEvent.Kind


def _here(request, anchor: str = "") -> str:
    return reverse("selfservice:page", args=[request.self_service_token]) + anchor


@self_service_page(identity_required=False)
def identity_submit(request, link):
    if request.method != "POST":
        return redirect(_here(request))
    if guard.answer_limited(request):
        log_event(request, link, Kind.RATE_LIMITED, "identity")
        return render(request, "selfservice/refused.html", {"reason": "busy"}, status=429)
    form = forms.IdentityForm(request.POST)
    if form.is_valid() and services.identity_confirm(
        link=link, answer=form.cleaned_data["digits"], **client_facts(request)
    ):
        guard.confirm_session(request, link)
        return redirect(_here(request))
    link.refresh_from_db()
    if link.state() == "locked":
        return render(request, "selfservice/refused.html", {"reason": "locked"}, status=403)
    form.errors.clear()
    form.add_error("digits", _("That is not right. Check the digits and try again."))
    return identity_page(request, link, form=form, status=200)


def _plan_label(currency):
    def label(plan) -> str:
        return _("%(count)s monthly payments of %(amount)s") % {
            "count": plan["count"],
            "amount": money(plan["amount"], currency),
        }

    return label


def _account_context(request, link, bound: dict | None = None) -> dict:
    bound = bound or {}
    debtor = link.debtor
    offers = services.offers_for(debtor)
    commitments = services.open_commitments(debtor)
    for promise in commitments:
        promise.still_owed = services.still_owed(promise)
    return {
        "token": request.self_service_token,
        "debtor": debtor,
        "creditor": debtor.portfolio.creditor.name,
        "debts": list(debtor.debts.filter(recalled_on__isnull=True, balance__gt=0).order_by("due_date", "pk")),
        "offers": offers,
        "commitments": commitments,
        "payments_available": payments_available(),
        "documents": list(debtor.documents.order_by("-created_at", "-pk")[:20]),
        "opened_document": link.document_id,
        "promise_form": bound.get("promise") or forms.PromiseForm(offers=offers),
        "plan_form": bound.get("plan")
        or forms.PlanForm(offers=offers, plan_label=_plan_label(offers.currency), initial={"first_date": offers.today}),
        "settlement_form": bound.get("settlement") or forms.SettlementForm(offers=offers),
        "callback_form": bound.get("callback") or forms.CallbackForm(today=offers.today),
        "expires_at": link.expires_at,
    }


@self_service_page()
def page(request, link):
    log_event(request, link, Kind.VIEWED)
    return render(request, "selfservice/account.html", _account_context(request, link))


def _act(request, link, name: str, form, action):
    """Run `action(cleaned_data)` for a valid form; errors show beside the form, in place."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if form.is_valid():
        try:
            notice = action(form.cleaned_data)
        except ValidationError as error:  # the service logged the refusal
            form.add_error(None, error.messages[0])
        else:
            messages.success(request, notice)
            return redirect(_here(request, "#agreement"))
    else:
        log_event(request, link, Kind.ACTION_REFUSED, f"{name}: {form.errors.as_text()}")
    return render(request, "selfservice/account.html", _account_context(request, link, {name: form}), status=200)


@self_service_page()
def promise(request, link):
    offers = services.offers_for(link.debtor)

    def act(data):
        made = services.promise_by_debtor(link=link, due_date=data["due_date"], request_facts=client_facts(request))
        return _("Thank you. You promised to pay %(amount)s on %(date)s.") % {
            "amount": money(made.amount, made.currency),
            "date": formats.date_format(made.due_date, "DATE_FORMAT"),
        }

    return _act(request, link, "promise", forms.PromiseForm(request.POST, offers=offers), act)


@self_service_page()
def plan(request, link):
    offers = services.offers_for(link.debtor)

    def act(data):
        arrangement = services.plan_by_debtor(
            link=link, count=data["count"], first_date=data["first_date"], request_facts=client_facts(request)
        )
        return _awaiting(arrangement) or _("Thank you. Your payment plan is in place; its payments are listed below.")

    form = forms.PlanForm(request.POST, offers=offers, plan_label=_plan_label(offers.currency))
    return _act(request, link, "plan", form, act)


@self_service_page()
def settlement(request, link):
    offers = services.offers_for(link.debtor)

    def act(data):
        arrangement = services.settlement_by_debtor(
            link=link, pay_on=data["pay_on"], request_facts=client_facts(request)
        )
        return _awaiting(arrangement) or _("Thank you. Your settlement is in place; its payment is listed below.")

    return _act(request, link, "settlement", forms.SettlementForm(request.POST, offers=offers), act)


def _awaiting(arrangement) -> str:
    if arrangement.approval_status == "pending":
        return _("Thank you. We received your request; we will confirm it to you shortly.")
    return ""


@self_service_page()
def callback(request, link):
    debtor = link.debtor
    offers = services.offers_for(debtor)

    def act(data):
        wanted = datetime.combine(data["day"], data["time"]).replace(tzinfo=debtor_zone(debtor))
        follow_up = services.callback_by_debtor(
            link=link, wanted_at=wanted, note=data.get("note", ""), request_facts=client_facts(request)
        )
        moment = timezone.localtime(follow_up.due_at, debtor_zone(debtor))
        return _("Thank you. We will call you on %(moment)s, your local time.") % {
            "moment": formats.date_format(moment, "DATETIME_FORMAT")
        }

    return _act(request, link, "callback", forms.CallbackForm(request.POST, today=offers.today), act)


@self_service_page()
def pay(request, link, promise_id: int):
    """A link, not a form: the page's Content-Security-Policy lets forms post to this site only,
    and a form's redirect to the provider would be refused. Opening it twice reuses the page."""
    if not payments_available():
        raise Http404
    promise = get_object_or_404(link.debtor.promises, pk=promise_id)
    base = request.build_absolute_uri(_here(request))
    try:
        payment_link = services.payment_link_start(
            link=link,
            promise=promise,
            success_url=base + "paid/",
            cancel_url=base,
            request_facts=client_facts(request),
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect(_here(request, "#agreement"))
    return redirect(payment_link.url)


@self_service_page()
def paid(request, link):
    log_event(request, link, Kind.VIEWED, "back from the payment page")
    messages.info(request, _("Thank you. Your payment shows here as soon as the payment company confirms it."))
    return redirect(_here(request, "#agreement"))


@self_service_page()
def document(request, link, document_id: int):
    found = get_object_or_404(Document, pk=document_id, debtor_id=link.debtor_id)
    log_event(request, link, Kind.DOCUMENT_DOWNLOADED, found.reference)
    return pdf_response(found)


@self_service_page(identity_required=False)
def sign_out(request, link):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    guard.end_session(request)
    log_event(request, link, Kind.SIGNED_OUT)
    return render(request, "selfservice/signed_out.html", {"token": request.self_service_token})


@csrf_exempt  # a payment provider cannot hold our CSRF token: its signature replaces it
@require_POST
def payment_webhook(request, provider: str):
    result = services.payment_notice_record(provider_name=provider, body=request.body, headers=request.headers)
    return HttpResponse(result.outcome, status=result.status, content_type="text/plain")


def dev_pay(request, signed_id: str):
    """Development only (PAYMENT_PROVIDER=file with DEBUG): the provider's page, paid at a click."""
    from django.core import signing

    if not (settings.DEBUG and settings.PAYMENT_PROVIDER == "file"):
        raise Http404
    try:
        provider_id = signing.loads(signed_id, salt=FileProvider.SALT)
    except signing.BadSignature:
        raise Http404 from None
    payment_link = get_object_or_404(PaymentLink, provider="file", provider_id=provider_id)
    if request.method == "POST":
        body = FileProvider.notice(provider_id, payment_link.amount, payment_link.currency, timezone.now())
        services.payment_notice_record(provider_name="file", body=body, headers={})
        return redirect(_success_url(payment_link))
    return render(
        request, "selfservice/dev_pay.html", {"payment_link": payment_link, "amount": Decimal(payment_link.amount)}
    )


def _success_url(payment_link) -> str:
    from selfservice.tokens import link_token

    if payment_link.link is None:
        return "/"
    return reverse("selfservice:paid", args=[link_token(payment_link.link)])
