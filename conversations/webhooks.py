"""The providers' webhooks: /hooks/messages/<provider>/. Signature first; nothing is stored
for a request that fails it (403, logged). A message or receipt sent twice is stored once."""

import json
import logging

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from conversations.providers import WebhookRejected, twilio, whatsapp_cloud
from conversations.services import delivery_receipt_record, inbound_message_receive

logger = logging.getLogger(__name__)
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _rejected(request, provider: str, error: WebhookRejected) -> HttpResponse:
    logger.warning(
        "Messaging webhook rejected: provider=%s reason=%s remote=%s",
        provider,
        error,
        request.META.get("REMOTE_ADDR", ""),
    )
    return HttpResponseForbidden("forbidden", content_type="text/plain")


def _record(incoming, receipts) -> None:
    for message in incoming:
        inbound_message_receive(message)
    for receipt in receipts:
        delivery_receipt_record(receipt)


def _twilio(request) -> HttpResponse:
    if request.method != "POST":
        return HttpResponse(status=405)
    params = [(name, value) for name, values in request.POST.lists() for value in values]
    base = settings.MESSAGING_WEBHOOK_BASE_URL.rstrip("/")
    url = f"{base}{request.get_full_path()}" if base else request.build_absolute_uri()
    try:
        twilio.verify(url=url, params=params, header=request.headers.get("X-Twilio-Signature", ""))
    except WebhookRejected as error:
        return _rejected(request, twilio.NAME, error)
    _record(*twilio.parse(params, now=timezone.now()))
    return HttpResponse(TWIML_EMPTY, content_type="text/xml")


def _whatsapp_cloud(request) -> HttpResponse:
    if request.method == "GET":
        challenge = whatsapp_cloud.subscription_challenge(request.GET)
        if challenge is None:
            return _rejected(request, whatsapp_cloud.NAME, WebhookRejected("bad verify token"))
        return HttpResponse(challenge, content_type="text/plain")
    raw = request.body
    try:
        whatsapp_cloud.verify(raw_body=raw, header=request.headers.get("X-Hub-Signature-256", ""))
    except WebhookRejected as error:
        return _rejected(request, whatsapp_cloud.NAME, error)
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return HttpResponseBadRequest("not JSON", content_type="text/plain")
    if not isinstance(payload, dict):
        return HttpResponseBadRequest("not a JSON object", content_type="text/plain")
    _record(*whatsapp_cloud.parse(payload))
    return HttpResponse("OK", content_type="text/plain")


HANDLERS = {twilio.NAME: _twilio, whatsapp_cloud.NAME: _whatsapp_cloud}


@csrf_exempt  # providers cannot hold our CSRF token; the signature proves who is calling
@require_http_methods(["GET", "POST"])
def messages_webhook(request, provider: str) -> HttpResponse:
    handler = HANDLERS.get(provider)
    if handler is None:
        raise Http404
    return handler(request)
