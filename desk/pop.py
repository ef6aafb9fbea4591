"""Screen pop and the dialer's disposition webhook.

`/desk/pop/?phone=+51…&call_id=…` is the address a dialer (or a softphone) opens when a call
connects: the debtor who holds the number, or a choice when several do; the dialer's call id
rides along to the call form, so that the call logged there carries it. The disposition
webhook (`/hooks/dialer/<vicidial|asterisk>/`) records what the dialer says of a call.
"""

import hmac
import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from calls.services import dialer_disposition_record
from debtors.selectors import debtors_holding_number, numbers_for_lookup

log = logging.getLogger(__name__)


@login_required
def screen_pop(request):
    raw = request.GET.get("phone", "").strip()[:40]
    call_id = request.GET.get("call_id", "").strip()[:64]
    numbers = numbers_for_lookup(raw)
    debtors = debtors_holding_number(request.user, numbers) if numbers else []
    if len(debtors) == 1:
        query = urlencode({"dialer_call_id": call_id}) if call_id else ""
        return redirect(reverse("debtors:detail", args=[debtors[0].pk]) + (f"?{query}" if query else ""))
    context = {"phone": raw, "readable": bool(numbers), "debtors": debtors, "call_id": call_id, "active_nav": "debtors"}
    return render(request, "desk/pop.html", context, status=200 if numbers else 400)


@csrf_exempt  # a dialer holds no CSRF token: the shared token below stands in for it
@require_http_methods(["GET", "POST"])
def dialer_hook(request, dialer: str):
    """VICIdial's "Dispo Call URL" (a GET with the call's variables) or a POST from Asterisk's
    dialplan; the token is DIALER_WEBHOOK_TOKEN, in `X-CRM-Token` or `token`."""
    if dialer not in ("vicidial", "asterisk"):
        return HttpResponse(status=404)
    data = request.POST if request.method == "POST" else request.GET
    given = request.headers.get("X-CRM-Token") or data.get("token", "")
    expected = settings.DIALER_WEBHOOK_TOKEN
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        log.warning("dialer webhook refused: bad token from %s", request.META.get("REMOTE_ADDR"))
        return JsonResponse({"detail": "Unknown token."}, status=403)
    recording_url = data.get("recording_url", "").strip()
    if recording_url:
        try:
            URLValidator(schemes=["http", "https"])(recording_url)
        except ValidationError:
            return JsonResponse({"detail": "recording_url is not an http(s) address."}, status=400)
    debtor_id = data.get("debtor_id", "")
    result = dialer_disposition_record(
        dialer=dialer,
        call_id=data.get("call_id", ""),
        code=data.get("disposition", ""),
        phone=data.get("phone", ""),
        phone_code=data.get("phone_code", ""),
        agent=data.get("agent", ""),
        recording_url=recording_url,
        debtor_id=int(debtor_id) if debtor_id.isdigit() and len(debtor_id) < 19 else None,
    )
    status = {"logged": 201, "attached": 200, "blocked": 409}.get(result.status, 202)
    body = {"status": result.status, "call": result.call.pk if result.call is not None else None}
    return JsonResponse(body, status=status)
