"""Saved filters: conditions on debtors saved under a name, used on the API's debtor list and
as a segment's condition, so that a strategy can treat "these debtors" whatever defines them."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from debtors.models import DebtorScore, SavedFilter
from promises.models import Strategy
from scoring import services
from scoring.models import Segment
from tests import factories
from tests.api.conftest import token_client


def _whatsapp(debtor):
    phone = debtor.phones.get()
    phone.whatsapp_consent, phone.whatsapp_consent_source, phone.whatsapp_consent_at = True, "Form", timezone.now()
    phone.save()


@pytest.fixture
def on_whatsapp(db):
    return SavedFilter.objects.create(name="Con WhatsApp", query="consents_to=whatsapp&on_hold=false")


@pytest.fixture
def strategies(portfolio):
    return (
        Strategy.objects.create(portfolio=portfolio, name="Mensaje primero", first_channel="message"),
        Strategy.objects.create(portfolio=portfolio, name="Llamada", first_channel="call"),
    )


def test_a_segment_of_a_saved_filter_takes_only_its_debtors(now, portfolio, diego, mateo, on_whatsapp, strategies):
    writing, calling = strategies
    factories.make_phone(debtor=mateo, number="+51911222333")
    _whatsapp(diego)
    held = factories.make_debtor(portfolio=portfolio, full_name="Hilda Retenida", hold_dispute=True)
    factories.make_debt(debtor=held)
    factories.make_phone(debtor=held, number="+51922333444")
    _whatsapp(held)  # consents, but disputes the debt: the filter leaves her out
    Segment.objects.create(portfolio=portfolio, name="WhatsApp", position=1, saved_filter=on_whatsapp, strategy=writing)
    Segment.objects.create(portfolio=portfolio, name="Resto", position=2, strategy=calling)

    services.portfolio_score(portfolio=portfolio)

    rows = dict(DebtorScore.objects.values_list("debtor_id", "segment_name"))
    assert rows == {diego.pk: "WhatsApp", mateo.pk: "Resto", held.pk: "Resto"}


def test_a_saved_filter_combines_with_the_segments_bands(now, portfolio, diego, on_whatsapp, strategies):
    writing, calling = strategies
    rich = factories.make_debtor(portfolio=portfolio, full_name="Ricardo Rico")
    factories.make_debt(debtor=rich, balance=Decimal("50000.00"))
    factories.make_phone(debtor=rich, number="+51933444555")
    for debtor in (diego, rich):
        _whatsapp(debtor)
    Segment.objects.create(
        portfolio=portfolio, name="WhatsApp, poco saldo", saved_filter=on_whatsapp, balance_below=5000, strategy=writing
    )

    services.portfolio_score(portfolio=portfolio)

    assert set(DebtorScore.objects.filter(segment_name__gt="").values_list("debtor_id", flat=True)) == {diego.pk}


@pytest.mark.parametrize(
    "query,message",
    [
        ("color=azul", "Condiciones desconocidas: color."),
        ("on_hold=quizas", "on_hold: Indique true o false."),
        ("on_hold=true&on_hold=false", "Indique cada condición una sola vez: on_hold."),
        ("consents_to=fax", "consents_to: Escoja una opción válida."),
        ("search=", "Busque entre 1 y 200 caracteres."),
        ("&&==", "Escriba las condiciones como la cadena de consulta de la lista de deudores"),
    ],
)
def test_a_saved_filter_that_means_nothing_is_refused_in_spanish(db, query, message):
    saved = SavedFilter(name="Mal", query=query)
    with pytest.raises(ValidationError) as refused:
        saved.full_clean()
    assert any(text.startswith(message) for text in refused.value.message_dict["query"]), refused.value


def test_a_segment_cannot_hang_on_score_conditions(portfolio, strategies):
    circular = SavedFilter.objects.create(name="Probables", query="score_from=0.5")
    segment = Segment(portfolio=portfolio, name="Probables", saved_filter=circular, strategy=strategies[0])
    with pytest.raises(ValidationError) as refused:
        segment.full_clean()
    assert "sin condiciones de puntaje" in refused.value.message_dict["saved_filter"][0]


# --- API -----------------------------------------------------------------------------------------


def test_a_supervisor_saves_a_filter_and_a_collector_lists_through_it(portfolio, diego, carla, sofia):
    other = factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name="Olga Otra")
    factories.make_debt(debtor=other, product="Préstamo personal")

    created = token_client(sofia).post(
        "/api/v1/saved-filters/",
        {"name": "Préstamos", "conditions": {"product": "préstamo personal", "on_hold": False, "score_below": 0.5}},
        format="json",
    )

    assert created.status_code == 201, created.content
    saved = created.json()
    assert saved["conditions"] == {"product": "préstamo personal", "on_hold": False, "score_below": 0.5}
    assert saved["query"] == "on_hold=false&product=pr%C3%A9stamo+personal&score_below=0.5"
    assert (saved["name"], saved["created_by"]) == ("Préstamos", sofia.pk)
    DebtorScore.objects.bulk_create(
        DebtorScore(
            debtor=d, portfolio=portfolio, probability=0.2, model_version="scorecard-1", scored_at=timezone.now()
        )
        for d in (diego, other)
    )
    collector = token_client(carla)
    assert [row["name"] for row in collector.get("/api/v1/saved-filters/").json()["results"]] == ["Préstamos"]
    rows = collector.get(f"/api/v1/debtors/?saved_filter={saved['id']}").json()["results"]
    assert [row["id"] for row in rows] == [other.pk]
    # The list's own conditions still apply beside the saved ones.
    assert collector.get(f"/api/v1/debtors/?saved_filter={saved['id']}&search=Diego").json()["results"] == []


def test_a_supervisor_changes_a_filters_conditions(db, sofia, on_whatsapp):
    client = token_client(sofia)
    response = client.patch(
        f"/api/v1/saved-filters/{on_whatsapp.pk}/", {"conditions": {"consents_to": "sms"}}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["conditions"] == {"consents_to": "sms"} and response.json()["name"] == "Con WhatsApp"
    on_whatsapp.refresh_from_db()
    assert on_whatsapp.query == "consents_to=sms"


def test_a_collector_may_not_write_saved_filters(db, carla, on_whatsapp):
    client = token_client(carla)
    body = {"name": "Mío", "conditions": {"on_hold": False}}
    assert client.post("/api/v1/saved-filters/", body, format="json").status_code == 403
    assert client.patch(f"/api/v1/saved-filters/{on_whatsapp.pk}/", {"name": "Otro"}, format="json").status_code == 403
    assert client.delete(f"/api/v1/saved-filters/{on_whatsapp.pk}/").status_code == 403
    assert SavedFilter.objects.get().name == "Con WhatsApp"


@pytest.mark.parametrize(
    "conditions,field,message",
    [
        ({}, "conditions", "Indique al menos una condición."),
        ({"on_hold": "quizás"}, "conditions.on_hold", "Indique true o false."),
        ({"score_from": "0.5"}, "conditions.score_from", "Se requiere un número válido."),
        ({"consents_to": "fax"}, "conditions.consents_to", '"fax" no es una elección válida.'),
    ],
)
def test_bad_conditions_are_a_400_that_names_them(db, sofia, conditions, field, message):
    response = token_client(sofia).post(
        "/api/v1/saved-filters/", {"name": "Raro", "conditions": conditions}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][field][0].startswith(message), response.json()
    assert not SavedFilter.objects.exists()


def test_the_conditions_a_filter_saves_are_the_debtor_lists():
    from debtors.api.saved_filters import ConditionsSerializer
    from debtors.filters import PARAMETERS

    assert set(ConditionsSerializer().fields) == PARAMETERS


def test_a_filter_a_segment_uses_cannot_be_deleted(portfolio, sofia, on_whatsapp, strategies):
    Segment.objects.create(portfolio=portfolio, name="WhatsApp", saved_filter=on_whatsapp, strategy=strategies[0])
    client = token_client(sofia)

    response = client.delete(f"/api/v1/saved-filters/{on_whatsapp.pk}/")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Estos segmentos usan este filtro: WhatsApp. Cámbielos primero.",
        "code": "in_use",
    }
    Segment.objects.all().delete()
    assert client.delete(f"/api/v1/saved-filters/{on_whatsapp.pk}/").status_code == 204
    assert not SavedFilter.objects.exists()


def test_an_unknown_saved_filter_on_the_list_says_so(db, carla):
    client = token_client(carla)
    response = client.get("/api/v1/debtors/?saved_filter=999999")
    assert response.status_code == 404
    assert response.json()["detail"] == "No hay un filtro guardado con ese id: vea /api/v1/saved-filters/."
    assert client.get("/api/v1/debtors/?saved_filter=abc").status_code == 400


def test_the_strategies_page_names_each_segments_saved_filter(client, portfolio, sofia, on_whatsapp, strategies):
    Segment.objects.create(portfolio=portfolio, name="WhatsApp", saved_filter=on_whatsapp, strategy=strategies[0])
    Segment.objects.create(portfolio=portfolio, name="Resto", position=2, strategy=strategies[1])
    client.force_login(sofia)
    page = client.get("/promises/strategies/").content.decode()
    assert "Con WhatsApp" in page and "consents_to=whatsapp&amp;on_hold=false" in page
    assert "Todos los deudores" in page


def test_the_debtor_list_page_narrows_by_a_saved_filter(client, portfolio, diego, carla, on_whatsapp):
    other = factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name="Olga Otra")
    factories.make_debt(debtor=other)
    _whatsapp(diego)
    client.force_login(carla)

    everyone = client.get("/debtors/").content.decode()
    narrowed = client.get(f"/debtors/?filter={on_whatsapp.pk}").content.decode()

    assert "Diego Díaz Quispe" in everyone and "Olga Otra" in everyone
    assert f'<option value="{on_whatsapp.pk}" selected>Con WhatsApp</option>' in narrowed
    assert "Diego Díaz Quispe" in narrowed and "Olga Otra" not in narrowed
    assert "Olga Otra" in client.get("/debtors/?filter=abc").content.decode()  # no such filter: everyone


def test_a_taken_name_is_a_409(db, sofia, on_whatsapp):
    response = token_client(sofia).post(
        "/api/v1/saved-filters/", {"name": "Con WhatsApp", "conditions": {"consents_to": "sms"}}, format="json"
    )
    assert response.status_code == 409
    assert response.json() == {"detail": "Ya hay un filtro guardado con este nombre.", "code": "name_taken"}
    assert SavedFilter.objects.get().query == "consents_to=whatsapp&on_hold=false"


def test_unknown_keys_in_the_conditions_are_ignored_and_a_nul_in_a_known_one_refused(db, sofia):
    client = token_client(sofia)
    ignored = client.post(
        "/api/v1/saved-filters/",
        {"name": "Con extras", "conditions": {"on_hold": True, "otro\u0000": "x\u0000"}},
        format="json",
    )
    assert ignored.status_code == 201 and ignored.json()["conditions"] == {"on_hold": True}
    refused = client.post(
        "/api/v1/saved-filters/", {"name": "Nulo", "conditions": {"search": "Ana\u0000"}}, format="json"
    )
    assert refused.status_code == 400 and refused.json()["code"] == "unstorable_characters"
    assert "conditions.search" in refused.json()["errors"]
