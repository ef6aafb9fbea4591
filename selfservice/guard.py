"""What every self-service request passes through: the rate limits, the link's signature and
state, the session that proves identity (ASVS L2: a new session id once identity is confirmed,
15 minutes idle and 2 hours in all), the log, and headers that keep the page out of caches,
referrers and frames."""

import functools
import logging
import time

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import add_never_cache_headers

from selfservice.forms import IdentityForm
from selfservice.models import SelfServiceEvent, SelfServiceLink
from selfservice.services.identity import attempts_left
from selfservice.tokens import link_for_token

log = logging.getLogger(__name__)

SESSION_KEY = "self_service"
IDLE_SECONDS = 15 * 60
ABSOLUTE_SECONDS = 2 * 60 * 60
# Per client address: requests of any kind per minute, identity answers per quarter hour.
REQUESTS_PER_MINUTE = 60
ANSWERS_PER_QUARTER = 10


def client_address(request) -> str:
    """As the sign-in throttling reads it (django-axes: REMOTE_ADDR, or the proxy headers an
    operator configured there), so one setting serves both."""
    return get_client_ip_address(request) or ""


def client_facts(request) -> dict:
    return {
        "ip": client_address(request) or None,
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
        "path": request.path[:200],
    }


def _over_limit(name: str, key: str, limit: int, window: int) -> bool:
    counters = caches["api_throttle"]
    bucket = f"self-service:{name}:{key}:{int(time.time()) // window}"
    counters.add(bucket, 0, timeout=window * 2)
    try:
        return counters.incr(bucket) > limit
    except ValueError:  # expired between add and incr
        return False


def answer_limited(request) -> bool:
    return _over_limit("answers", client_address(request), ANSWERS_PER_QUARTER, 15 * 60)


def _protect(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    response["Referrer-Policy"] = "same-origin"  # the token is in the address: never to another site
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def log_event(request, link: SelfServiceLink | None, kind: str, detail: str = "") -> None:
    SelfServiceEvent.objects.create(
        link=link, debtor_id=link.debtor_id if link else None, kind=kind, detail=detail[:500], **client_facts(request)
    )


def identity_page(request, link: SelfServiceLink, form=None, status: int = 200):
    """The question every page asks first: the last digits of the national id."""
    log_event(request, link, SelfServiceEvent.Kind.OPENED)
    context = {
        "form": form or IdentityForm(),
        "token": request.self_service_token,
        "attempts_left": attempts_left(link),
    }
    return render(request, "selfservice/identity.html", context, status=status)


def confirmed(request, link: SelfServiceLink) -> bool:
    """The session proved identity for this link, recently enough."""
    state = request.session.get(SESSION_KEY)
    now = time.time()
    if not isinstance(state, dict) or state.get("link") != link.pk:
        return False
    if now - state.get("seen", 0) > IDLE_SECONDS or now - state.get("since", 0) > ABSOLUTE_SECONDS:
        request.session.pop(SESSION_KEY, None)
        return False
    state["seen"] = now
    request.session[SESSION_KEY] = state
    return True


def confirm_session(request, link: SelfServiceLink) -> None:
    request.session.cycle_key()  # a new session id: one fixed before the answer is worthless
    now = time.time()
    request.session[SESSION_KEY] = {"link": link.pk, "since": now, "seen": now}


def end_session(request) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()


def self_service_page(*, identity_required: bool = True):
    """Wrap a view taking (request, link): the link must be readable and usable, the client
    within its limits, and (unless `identity_required` is False) identity confirmed."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, token: str, *args, **kwargs):
            link = link_for_token(token)
            language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) or (link.debtor.language if link else "es")
            with translation.override(language if language in ("es", "en") else "es"):
                if _over_limit("requests", client_address(request), REQUESTS_PER_MINUTE, 60):
                    if link is not None:
                        log_event(request, link, SelfServiceEvent.Kind.RATE_LIMITED)
                    return _protect(render(request, "selfservice/refused.html", {"reason": "busy"}, status=429))
                if link is None or link.state() != "usable":
                    reason = "unreadable" if link is None else link.state()
                    log_event(request, link, SelfServiceEvent.Kind.REFUSED, reason)
                    if link is None:
                        log.warning("self-service: unreadable link from %s", client_address(request))
                    return _protect(
                        render(
                            request, "selfservice/refused.html", {"reason": reason}, status=404 if link is None else 410
                        )
                    )
                request.self_service_token = token
                if identity_required and not confirmed(request, link):
                    return _protect(identity_page(request, link))
                return _protect(view(request, link, *args, **kwargs))

        return wrapper

    return decorate
