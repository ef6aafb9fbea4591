"""Every change of a hold or of a channel's consent is a row with who, when, where from and
why, shown on the debtor's timeline and in the API: a regulator asks for the history."""

import importlib
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import time_machine
from django.apps import apps
from django.db import connection

from debtors.models import ConsentChange, HoldChange
from tests.api.conftest import token_client

LIMA = ZoneInfo("America/Lima")
WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=LIMA)
THURSDAY = datetime(2026, 11, 19, 16, 30, tzinfo=LIMA)


def test_holds_set_and_lifted_through_the_api_are_kept_with_their_reason(diego, sofia):
    client = token_client(sofia)
    with time_machine.travel(WEDNESDAY, tick=False):
        client.patch(
            f"/api/v1/debtors/{diego.pk}/",
            {"hold_dispute": True, "hold_cease": False, "reason": "Carta del deudor del 17/11"},
            format="json",
        )
        client.patch(f"/api/v1/debtors/{diego.pk}/", {"hold_dispute": True}, format="json")  # no change
    with time_machine.travel(THURSDAY, tick=False):
        response = client.patch(
            f"/api/v1/debtors/{diego.pk}/", {"hold_dispute": False, "reason": "Documentos revisados"}, format="json"
        )
    assert response.status_code == 200

    changes = [(c.hold, c.is_set, c.at, c.by, c.source, c.reason) for c in HoldChange.objects.order_by("at")]
    assert changes == [
        ("hold_dispute", True, WEDNESDAY, sofia, "api", "Carta del deudor del 17/11"),
        ("hold_dispute", False, THURSDAY, sofia, "api", "Documentos revisados"),
    ]


def test_consents_given_and_withdrawn_through_the_api_are_kept(diego, carla):
    phone = diego.phones.get()
    client = token_client(carla)
    url = f"/api/v1/debtors/{diego.pk}/phones/{phone.pk}/"
    with time_machine.travel(WEDNESDAY, tick=False):
        client.patch(url, {"whatsapp_consent": True, "whatsapp_consent_source": "Formulario firmado"}, format="json")
    with time_machine.travel(THURSDAY, tick=False):
        client.patch(url, {"whatsapp_consent": False, "consent_reason": "Lo pidió en la llamada"}, format="json")
        client.patch(url, {"status": "valid"}, format="json")  # no consent touched

    rows = [(c.channel, c.granted, c.at, c.by, c.detail, c.reason) for c in ConsentChange.objects.order_by("at")]
    assert rows == [
        ("whatsapp", True, WEDNESDAY, carla, "Formulario firmado", ""),
        ("whatsapp", False, THURSDAY, carla, "", "Lo pidió en la llamada"),
    ]
    assert {c.number for c in ConsentChange.objects.all()} == {"+51987654321"}


def test_a_number_added_with_consent_opens_its_history(diego, carla):
    response = token_client(carla).post(
        f"/api/v1/debtors/{diego.pk}/phones/",
        {"number": "987 111 222", "sms_consent": True, "sms_consent_source": "Contrato"},
        format="json",
    )
    assert response.status_code == 201
    change = ConsentChange.objects.get()
    assert (change.number, change.channel, change.granted, change.detail) == ("+51987111222", "sms", True, "Contrato")


def test_changes_in_the_admin_are_kept_too(client, diego, ana):
    client.force_login(ana)
    page = client.get(f"/admin/debtors/debtor/{diego.pk}/change/")
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "portfolio": diego.portfolio_id,
            "assigned_to": diego.assigned_to_id,
            "hold_lawsuit": "on",
        }
    )
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        prefix = formset.formset.prefix
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{prefix}-{name}"] = management.initial.get(name, management[name].value())
        for number, inline_form in enumerate(formset.formset.forms):
            for field, value in inline_form.initial.items():
                if value is not None and not isinstance(value, bool):
                    data[f"{prefix}-{number}-{field}"] = value
                elif value is True:
                    data[f"{prefix}-{number}-{field}"] = "on"
            data[f"{prefix}-{number}-id"] = inline_form.instance.pk or ""
            data[f"{prefix}-{number}-debtor"] = diego.pk
    data = {key: value for key, value in data.items() if not key.startswith("hold_") or key == "hold_lawsuit"}

    response = client.post(f"/admin/debtors/debtor/{diego.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    change = HoldChange.objects.get()
    assert (change.hold, change.is_set, change.by, change.source) == ("hold_lawsuit", True, ana, "admin")


def test_the_timeline_and_the_api_show_the_history(client, diego, carla, carlos, sofia):
    phone = diego.phones.get()
    with time_machine.travel(WEDNESDAY, tick=False):
        token_client(sofia).patch(
            f"/api/v1/debtors/{diego.pk}/", {"hold_dispute": True, "reason": "Reclamo en Indecopi"}, format="json"
        )
        token_client(carla).patch(
            f"/api/v1/debtors/{diego.pk}/phones/{phone.pk}/",
            {"sms_consent": True, "sms_consent_source": "Llamada grabada"},
            format="json",
        )
    client.force_login(carla)
    page = client.get(f"/debtors/{diego.pk}/").content.decode()
    assert "Bloqueo: disputa la deuda" in page and "Reclamo en Indecopi" in page
    assert "Consentimiento para SMS" in page and "Llamada grabada" in page

    holds = token_client(carla).get(f"/api/v1/debtors/{diego.pk}/hold-changes/").json()["results"]
    assert [(h["hold"], h["is_set"], h["by"], h["source"], h["reason"]) for h in holds] == [
        ("hold_dispute", True, sofia.pk, "api", "Reclamo en Indecopi")
    ]
    consents = token_client(carla).get(f"/api/v1/debtors/{diego.pk}/consent-changes/").json()["results"]
    assert [(c["number"], c["channel"], c["granted"], c["detail"]) for c in consents] == [
        ("+51987654321", "sms", True, "Llamada grabada")
    ]
    # Someone who may not see the debtor does not see the history either.
    assert token_client(carlos).get(f"/api/v1/debtors/{diego.pk}/hold-changes/").status_code == 404


def test_holds_and_consents_in_place_begin_the_history(diego, mateo):
    from debtors.models import Debtor, Phone

    Debtor.objects.filter(pk=mateo.pk).update(hold_deceased=True)
    Phone.objects.filter(debtor=diego).update(
        whatsapp_consent=True, whatsapp_consent_source="Importado", whatsapp_consent_at=WEDNESDAY
    )
    migration = importlib.import_module("debtors.migrations.0023_hold_and_consent_history")

    migration.history_begin(apps, SimpleNamespace(connection=connection))  # all it reads of a schema editor

    hold = HoldChange.objects.get()
    assert (hold.debtor, hold.hold, hold.is_set, hold.source) == (mateo, "hold_deceased", True, "before_history")
    given = ConsentChange.objects.get()
    assert (given.debtor, given.channel, given.granted, given.at, given.detail) == (
        diego,
        "whatsapp",
        True,
        WEDNESDAY,
        "Importado",
    )
