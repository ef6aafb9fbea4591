"""The call form a new collector meets: sensible defaults, dates that survive an error in Spanish,
and prefilled details of commitments not chosen are not held against the call."""

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from calls.models import Call
from tests.calls.conftest import local

WEDNESDAY = local("2026-11-18 10:00", "America/Lima")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WEDNESDAY, tick=False):
        yield


def test_the_form_proposes_the_whole_balance_in_a_week_and_three_monthly_instalments(client, carla, diego):
    client.force_login(carla)
    with translation.override("es"):
        html = client.get(reverse("debtors:detail", args=[diego.pk])).content.decode()
    assert 'name="promise_amount" value="1000,00"' in html
    assert 'name="promise_date" value="2026-11-25"' in html
    assert 'name="instalment_count" value="3"' in html
    assert '<option value="monthly" selected>' in html
    phone = diego.phones.get()
    assert (
        f'value="{phone.pk}" id="id_phone_0" autofocus checked' in html
        or f'value="{phone.pk}" id="id_phone_0" checked' in html
    )


def test_a_form_with_errors_keeps_its_dates_readable_by_the_date_input_in_spanish(client, carla, diego):
    client.force_login(carla)
    data = {
        "phone": diego.phones.get().pk,
        "outcome": "right_party",
        "commitment": "promise",
        "promise_amount": "",
        "promise_date": "2026-11-27",
    }
    with translation.override("es"):
        html = client.post(reverse("calls:log", args=[diego.pk]), data, **HTMX).content.decode()
    assert 'name="promise_date" value="2026-11-27"' in html  # not "27/11/2026", which a date input shows as empty
    assert not Call.objects.exists()


def test_prefilled_details_of_another_commitment_do_not_block_the_call(client, carla, diego):
    client.force_login(carla)
    data = {
        "phone": diego.phones.get().pk,
        "outcome": "right_party",
        "commitment": "send_documents",
        "follow_up_on": "2026-11-21",
        # What the page prefilled in the hidden groups comes back with the form:
        "promise_amount": "1000,00",
        "promise_date": "2026-11-25",
        "instalment_count": "3",
        "instalment_first_date": "2026-11-25",
        "instalment_frequency": "monthly",
        "instalment_total": "1000,00",
    }
    client.post(reverse("calls:log", args=[diego.pk]), data, **HTMX)
    call = Call.objects.get()
    assert call.commitment == "send_documents"
    assert not call.promises.exists()
