"""The desk: the queue shrinks as calls are logged, "next debtor" walks on down the due follow-ups,
and the debtor page's follow-ups box marks one done or moves it, saying why.

Wednesday 18 November 2026, 10:00 in Lima; ids as a database in use has them (above 1,000).
"""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from calls.models import FollowUp, FollowUpEvent
from tests import factories
from tests.calls.conftest import local

LIMA = "America/Lima"
WEDNESDAY = local("2026-11-18 10:00", LIMA)
HTMX = {"HTTP_HX_REQUEST": "true"}


pytestmark = pytest.mark.usefixtures("high_ids")  # ids above 1,000, as on a database in use


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


def in_spanish(client, user):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    client.force_login(user)
    return client


def due_debtors(portfolio, collector, count: int) -> list:
    """`count` debtors with a follow-up due this morning, in queue order, all with a balance."""
    debtors = []
    for n in range(count):
        debtor = factories.make_debtor(portfolio=portfolio, assigned_to=collector, full_name=f"Deudora {n:02d} Quispe")
        factories.make_debt(debtor=debtor)
        factories.make_phone(debtor=debtor, number=f"+5198700{n:04d}")
        factories.make_follow_up(
            debtor=debtor,
            assigned_to=collector,
            reason=FollowUp.Reason.values[n % 6],
            due_at=local("2026-11-18 08:00", LIMA) + timedelta(minutes=n),
        )
        debtors.append(debtor)
    return debtors


def log_no_answer(client, debtor):
    data = {"phone": debtor.phones.get().pk, "outcome": "no_answer"}
    return client.post(reverse("calls:log", args=[debtor.pk]), data, **HTMX)


def test_logging_calls_empties_todays_list_and_next_debtor_walks_the_due_follow_ups(client, carla, portfolio):
    debtors = due_debtors(portfolio, carla, 4)
    assert all(debtor.pk > 1000 for debtor in debtors)
    in_spanish(client, carla)
    # Each debtor is listed once: among today's follow-ups, not again among the accounts.
    assert client.get(reverse("home")).content.decode().count("Deudora ") == 4

    visited = []
    response = client.get(reverse("calls:queue_next"))  # "Empezar a llamar"
    while response.url != reverse("home"):
        debtor_pk = int(response.url.rstrip("/").rsplit("/", 1)[1])
        assert debtor_pk not in visited, "the queue sent the collector back to a debtor already worked"
        visited.append(debtor_pk)
        page = client.get(response.url).content.decode()
        assert f'href="/calls/queue/next/?after={debtor_pk}"' in page
        log_no_answer(client, next(d for d in debtors if d.pk == debtor_pk))
        if len(visited) == len(debtors):
            break
        response = client.get(reverse("calls:queue_next"), {"after": debtor_pk})
    assert visited == [debtor.pk for debtor in debtors]
    html = client.get(reverse("home")).content.decode()
    assert "No hay seguimientos pendientes para hoy." in html
    assert not FollowUp.objects.filter(status="open").exists()


def test_after_a_settled_follow_up_next_goes_to_the_follow_up_due_after_it(client, carla, portfolio):
    first, second, third = due_debtors(portfolio, carla, 3)
    in_spanish(client, carla)
    log_no_answer(client, second)  # worked out of order, from the debtor list
    response = client.get(reverse("calls:queue_next"), {"after": second.pk})
    assert response.url == reverse("debtors:detail", args=[third.pk])
    # The first, skipped, is still due: the queue starts there again.
    assert client.get(reverse("calls:queue_next")).url == reverse("debtors:detail", args=[first.pk])


def test_the_queue_no_longer_opens_the_debtor_just_worked(client, carla, portfolio):
    """Before: the follow-up stayed open and "Empezar a llamar" kept opening the same debtor."""
    first, second = due_debtors(portfolio, carla, 2)
    in_spanish(client, carla)
    assert client.get(reverse("calls:queue_next")).url == reverse("debtors:detail", args=[first.pk])
    log_no_answer(client, first)
    assert client.get(reverse("calls:queue_next")).url == reverse("debtors:detail", args=[second.pk])


def test_the_closing_summary_says_which_follow_up_the_call_settled(client, carla, diego):
    factories.make_follow_up(
        debtor=diego, assigned_to=carla, reason="broken_promise", due_at=local("2026-11-18 08:00", LIMA)
    )
    in_spanish(client, carla)
    html = log_no_answer(client, diego).content.decode()
    assert "Seguimiento realizado: Promesa incumplida" in html
    assert "El siguiente intento se programa solo: 240 minutos después de esta gestión" in html
    # The follow-ups box is swapped out of band with the history: nothing open any more.
    assert 'id="follow-ups" class="card follow-ups" aria-labelledby="follow-ups-title" hx-swap-oob="true"' in html
    assert "Este deudor no tiene seguimientos abiertos." in html
    assert f'href="/calls/queue/next/?after={diego.pk}"' in html


# --- The follow-ups box on the debtor page --------------------------------------------------


@pytest.fixture
def callback(diego, carla):
    return factories.make_follow_up(
        debtor=diego,
        assigned_to=carla,
        reason="callback",
        due_at=local("2026-11-18 09:30", LIMA),
        note="Llamar después de las 9",
    )


def test_the_debtor_page_lists_open_follow_ups_with_done_and_move(client, carla, diego, callback):
    html = in_spanish(client, carla).get(reverse("debtors:detail", args=[diego.pk])).content.decode()
    box = html.split('id="follow-ups"')[1]
    assert "Rellamada acordada" in box and "Llamar después de las 9" in box and "vencido" in box
    assert f'action="/calls/follow-ups/{callback.pk}/done/"' in box
    assert f'action="/calls/follow-ups/{callback.pk}/move/"' in box
    assert f'data-follow-up="{callback.pk}"' in box


def test_marking_done_needs_a_reason_and_shows_who_when_and_why(client, carla, diego, callback):
    in_spanish(client, carla)
    url = reverse("calls:follow_up_done", args=[callback.pk])
    html = client.post(url, {"note": ""}, **HTMX).content.decode()
    assert "Indique por qué el seguimiento se da por realizado sin una llamada." in html
    assert FollowUp.objects.get(pk=callback.pk).status == "open"

    html = client.post(url, {"note": "Pagó el total en ventanilla"}, **HTMX).content.decode()
    assert "Seguimiento marcado como realizado." in html
    assert "Este deudor no tiene seguimientos abiertos." in html
    assert "marcado como realizado por Carla Cobos. Motivo: Pagó el total en ventanilla" in html
    event = FollowUpEvent.objects.get()
    assert (event.kind, event.by, event.at, event.note) == ("done", carla, WEDNESDAY, "Pagó el total en ventanilla")

    again = client.post(url, {"note": "Otra vez"}, **HTMX).content.decode()
    assert "Este seguimiento ya estaba cerrado; no se cambió nada." in again
    assert FollowUpEvent.objects.count() == 1


def test_moving_to_an_unlawful_time_is_refused_with_the_next_lawful_one(client, carla, diego, callback):
    in_spanish(client, carla)
    url = reverse("calls:follow_up_move", args=[callback.pk])
    html = client.post(url, {"due_at": "2026-11-21T10:00", "note": "Prefiere el sábado"}, **HTMX).content.decode()
    assert "La política de contacto no permite llamar al deudor a esa hora." in html
    assert "lunes 23 noviembre, 07:00" in html  # Peru: no calls at weekends
    assert 'value="2026-11-21T10:00"' in html  # what was typed stays
    assert FollowUp.objects.get(pk=callback.pk).due_at == local("2026-11-18 09:30", LIMA)

    html = client.post(url, {"due_at": "2026-11-23T09:00", "note": "Prefiere el lunes"}, **HTMX).content.decode()
    assert "Seguimiento cambiado de hora." in html
    callback.refresh_from_db()
    assert callback.due_at == local("2026-11-23 09:00", LIMA)  # typed on the debtor's clock
    assert FollowUpEvent.objects.get().kind == "moved"
    # Moved to Monday: no longer due today.
    assert "No hay seguimientos pendientes para hoy." in client.get(reverse("home")).content.decode()


def test_a_plain_post_redirects_back_to_the_debtor(client, carla, diego, callback):
    in_spanish(client, carla)
    response = client.post(reverse("calls:follow_up_done", args=[callback.pk]), {"note": "Ya pagó"})
    assert response.status_code == 302 and response.url == reverse("debtors:detail", args=[diego.pk])
    html = client.post(
        reverse("calls:follow_up_move", args=[factories.make_follow_up(debtor=diego, assigned_to=carla).pk]),
        {"note": ""},
    )
    assert html.status_code == 200 and "Indique por qué cambia la hora del seguimiento." in html.content.decode()


def test_only_who_may_work_the_debtor_reaches_its_follow_ups(client, carlos, pablo, sofia, diego, callback):
    for outsider in (carlos, pablo):
        client.force_login(outsider)
        assert (
            client.post(reverse("calls:follow_up_done", args=[callback.pk]), {"note": "x"}, **HTMX).status_code == 404
        )
        assert (
            client.post(reverse("calls:follow_up_move", args=[callback.pk]), {"note": "x"}, **HTMX).status_code == 404
        )
    client.force_login(sofia)
    assert client.get(reverse("calls:follow_up_done", args=[callback.pk])).status_code == 405
    assert (
        client.post(reverse("calls:follow_up_done", args=[callback.pk]), {"note": "Lo veo yo"}, **HTMX).status_code
        == 200
    )
    assert FollowUpEvent.objects.get().by == sofia


@pytest.mark.parametrize("count", [1, 12])
def test_the_follow_ups_box_costs_the_same_queries_whatever_it_holds(
    client, carla, diego, count, django_assert_num_queries
):
    from desk.views import follow_up_panel

    for n in range(count):
        follow_up = factories.make_follow_up(debtor=diego, assigned_to=carla, due_at=WEDNESDAY + timedelta(hours=n))
        FollowUpEvent.objects.create(
            follow_up=follow_up,
            debtor=diego,
            kind="moved",
            from_status="open",
            to_status="open",
            from_due_at=WEDNESDAY,
            to_due_at=follow_up.due_at,
            at=WEDNESDAY,
            by=carla,
            note="Reunión",
        )
    with django_assert_num_queries(2):  # open follow-ups, latest changes
        panel = follow_up_panel(diego)
    assert len(panel["open"]) == count


def test_the_admin_shows_a_follow_ups_changes_read_only(client, ana, carla, diego, callback):
    from calls.services import follow_up_move

    follow_up_move(follow_up=callback, by=carla, due_at=local("2026-11-19 10:00", LIMA), note="Está de viaje")
    client.force_login(ana)
    html = client.get(reverse("admin:calls_followup_change", args=[callback.pk])).content.decode()
    assert "Está de viaje" in html
    assert 'name="events-0-note"' not in html  # shown, not editable
