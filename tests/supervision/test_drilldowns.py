"""Dashboard drill-downs and their CSVs: the currency of the figure clicked, one amount column
per currency, labels in the reader's language, and the scope rule for debtors reassigned out of
a supervisor's teams (figures credit the collector; the rows behind them agree, without the
details of debtors the reader no longer reaches)."""

import csv
import html
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from calls.models import Call, Channel
from debtors.models import AgingBucket, Creditor
from promises.models import Payment, Promise
from supervision.services import debtors_reassign, promise_rollups_refresh
from tests import factories

pytestmark = pytest.mark.usefixtures("high_ids", "clock")  # Monday 16 November 2026, 10:00 in Lima

THIS_WEEK = date(2026, 11, 18)
OUTSIDE = {"es": "Deudor ya fuera de sus equipos", "en": "Debtor now outside your teams"}


@pytest.fixture(autouse=True)
def _default_language_after():
    """A request in English leaves English active in this thread; later tests expect Spanish."""
    yield
    translation.deactivate()


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def _speaks(client, user, language):
    user.language = language
    user.save()
    client.cookies["django_language"] = language
    client.force_login(user)


def _portfolio(name, country, currency, zone, preset):
    return factories.make_portfolio(
        name=name,
        creditor=Creditor.objects.get_or_create(name=f"Banco {country}")[0],
        country=country,
        currency=currency,
        time_zone=zone,
        preset=preset,
    )


@pytest.fixture
def madrid(carla):
    debtor = factories.make_debtor(
        portfolio=_portfolio("Consumo España", "ES", "EUR", "Europe/Madrid", "es"),
        assigned_to=carla,
        full_name="Lucía Ortega Gil",
    )
    factories.make_debt(debtor=debtor)
    return debtor


@pytest.fixture
def monterrey(carlos):
    debtor = factories.make_debtor(
        portfolio=_portfolio("Tarjetas Monterrey", "MX", "MXN", "America/Monterrey", "mx_fin"),
        assigned_to=carlos,
        full_name="Jorge Treviño Garza",
    )
    factories.make_debt(debtor=debtor)
    return debtor


@pytest.fixture
def three_currencies(diego, madrid, monterrey, carla, carlos):
    """This week's broken promises in EUR (2), PEN (3) and MXN (1); payments in all three."""
    broken = {"EUR": [], "PEN": [], "MXN": []}
    for debtor, collector, currency, count in (
        (madrid, carla, "EUR", 2),
        (diego, carla, "PEN", 3),
        (monterrey, carlos, "MXN", 1),
    ):
        for n in range(count):
            broken[currency].append(
                factories.make_promise(
                    debtor=debtor, collector=collector, amount=Decimal(100 + n), due_date=THIS_WEEK, status="broken"
                )
            )
    factories.make_payment(debtor=madrid, amount=Decimal("75.00"), credited_to=carla)
    factories.make_payment(debtor=monterrey, amount=Decimal("10650.00"), credited_to=carla)
    factories.make_payment(debtor=diego, amount=Decimal("300.00"), credited_to=carlos)
    promise_rollups_refresh()
    return broken


def _figure_links(page: str, figure: str) -> dict[str, str]:
    """The href of one figure in each currency's card of the dashboard."""
    links = {}
    for currency, card in re.findall(r'<section class="card" aria-label="(\w{3})">(.*?)</section>', page, re.S):
        match = re.search(rf'data-figure="{figure}" href="([^"]+)"', card)
        links[currency] = html.unescape(match[1])
    return links


def test_the_broken_figure_of_one_currency_opens_only_that_currencys_promises(client, sofia, three_currencies):
    client.force_login(sofia)
    dashboard = client.get(reverse("promises:dashboard"), {"period": "week"})
    figures = {row["currency"]: row for row in dashboard.context["figures"]}
    links = _figure_links(dashboard.content.decode(), "broken")
    assert set(links) == {"EUR", "MXN", "PEN"}
    for currency, promises in three_currencies.items():
        listing = client.get(links[currency])
        rows = list(listing.context["page"])
        assert figures[currency]["broken"]["count"] == len(promises) == listing.context["page"].paginator.count
        assert sorted(p.pk for p in rows) == sorted(p.pk for p in promises)
        assert f"· {currency}</h1>" in listing.content.decode()
        exported = _csv(client.get(f"{links[currency]}&format=csv"))
        assert len(exported) == len(promises) + 1
        assert {row[6] for row in exported[1:]} == {currency}
        assert sum(Decimal(row[5]) for row in exported[1:]) == figures[currency]["broken"]["amount"]


def test_the_collected_figure_of_one_currency_opens_that_currencys_payments(client, sofia, three_currencies):
    client.force_login(sofia)
    page = client.get(reverse("promises:dashboard"), {"period": "week"}).content.decode()
    [link] = re.findall(r'href="([^"]*payments[^"]*currency=EUR[^"]*)"', page.split('id="collectors-title"')[0])
    payments = client.get(html.unescape(link)).context["page"]
    assert [(p.amount, p.currency) for p in payments] == [(Decimal("75.00"), "EUR")]


def test_each_amount_in_the_collector_table_opens_its_own_currency(client, sofia, carla, three_currencies):
    client.force_login(sofia)
    page = client.get(reverse("promises:dashboard"), {"period": "week"}).content.decode()
    table = page.split('id="collectors-table"')[1]
    links = [
        html.unescape(href)
        for href in re.findall(rf'href="([^"]*payments[^"]*collector={carla.pk}&amp;currency=\w+)"', table)
    ]
    assert len(links) == 2  # EUR and MXN, each its own link; the id written without separators
    assert carla.pk > 1_000
    for link in links:
        [payment] = client.get(link).context["page"]
        assert link.endswith(f"currency={payment.currency}")


def test_the_collector_csv_has_one_collected_column_per_currency_with_numbers(client, sofia, three_currencies):
    client.force_login(sofia)
    rows = _csv(client.get(reverse("promises:dashboard"), {"period": "week", "format": "csv"}))
    header, lines = rows[0], {row[0]: row for row in rows[1:]}
    columns = [index for index, title in enumerate(header) if title.startswith("Recaudado")]
    assert [header[index] for index in columns] == ["Recaudado (EUR)", "Recaudado (MXN)", "Recaudado (PEN)"]
    assert [lines["Carla Cobos"][index] for index in columns] == ["75.00", "10650.00", "0.00"]
    assert [lines["Carlos Cruz"][index] for index in columns] == ["0.00", "0.00", "300.00"]
    assert not any(" EUR" in cell or " MXN" in cell for row in rows[1:] for cell in row)  # no "75 EUR 10650 MXN" cell


def test_an_aging_bucket_opens_the_debts_of_its_currency(client, sofia, diego, madrid):
    factories.make_debt(debtor=madrid, balance=Decimal("500"), due_date=date(2026, 10, 1), currency="EUR")
    factories.make_debt(debtor=diego, balance=Decimal("700"), due_date=date(2026, 10, 2))
    client.force_login(sofia)
    page = client.get(reverse("promises:health")).content.decode()
    eur_card = page.split("aging-chart-EUR")[1].split("aging-chart-")[0]
    [link] = re.findall(r'href="([^"]*bucket=31-60[^"]*)"', eur_card)
    listing = client.get(html.unescape(link))
    assert [(d.balance, d.currency) for d in listing.context["page"]] == [(Decimal("500.00"), "EUR")]
    rows = _csv(client.get(f"{html.unescape(link)}&format=csv"))
    assert [row[6] for row in rows[1:]] == ["EUR"]


@pytest.mark.parametrize("language", ["es", "en"])
def test_csv_exports_give_labels_in_the_readers_language_not_codes(client, sofia, carla, diego, language):
    with translation.override(language):
        expected = {
            "status": str(Promise.Status.PARTIALLY_KEPT.label),
            "outcome": str(Call.Outcome.RIGHT_PARTY.label),
            "channel": str(Channel.WHATSAPP.label),
            "stance": str(Call.Stance.OBJECTION.label),
            "reason": str(Call.StanceReason.FORGOT.label),
            "commitment": str(Call.Commitment.PROMISE.label),
            "source": str(Payment.Source.MANUAL.label),
            "bucket": str(AgingBucket.D31_60.label),
        }
    factories.make_promise(debtor=diego, collector=carla, due_date=THIS_WEEK, status="partially_kept")
    factories.make_call(
        debtor=diego,
        collector=carla,
        outcome=Call.Outcome.RIGHT_PARTY,
        channel=Channel.WHATSAPP,
        stance="objection",
        stance_reason="forgot",
        commitment="promise",
    )
    factories.make_payment(debtor=diego, credited_to=carla)
    factories.make_debt(debtor=diego, balance=Decimal("10"), due_date=date(2026, 10, 1))
    _speaks(client, sofia, language)

    [_, promise] = _csv(
        client.get(reverse("promises:promises_behind"), {"period": "week", "kind": "due", "format": "csv"})
    )
    assert promise[8] == expected["status"] != "partially_kept"
    [_, call] = _csv(client.get(reverse("promises:calls_behind"), {"period": "week", "format": "csv"}))
    assert call[5:10] == [
        expected["channel"],
        expected["outcome"],
        expected["stance"],
        expected["reason"],
        expected["commitment"],
    ]
    [_, payment] = _csv(client.get(reverse("promises:payments_behind"), {"period": "week", "format": "csv"}))
    assert payment[-1] == expected["source"] != "manual"
    balances = _csv(client.get(reverse("promises:health"), {"format": "csv"}))
    assert expected["bucket"] in {row[1] for row in balances} and "31-60" not in {row[1] for row in balances}
    stances = _csv(client.get(reverse("promises:health"), {"period": "week", "format": "csv", "table": "stances"}))
    assert stances[1][:2] == [expected["stance"], expected["reason"]]
    [_, reviewed] = _csv(client.get(reverse("review:list"), {"format": "csv"}))
    assert reviewed[3] == expected["outcome"]
    if language == "es":
        assert (promise[8], call[6]) == ("Cumplida parcialmente", "Se habló con el deudor")


# --- Scope: debtors reassigned out of the supervisor's teams ------------------------------------


@pytest.fixture
def moved_out(ana, cris, carla, diego):
    """carla's work on diego this week, then diego moved to cris (pablo's team) by the admin."""
    work = {
        "promise": factories.make_promise(
            debtor=diego, collector=carla, amount=Decimal("200"), due_date=THIS_WEEK, status="broken"
        ),
        "call": factories.make_call(
            debtor=diego, collector=carla, outcome=Call.Outcome.RIGHT_PARTY, notes="Pagará el viernes"
        ),
        "payment": factories.make_payment(
            debtor=diego, amount=Decimal("50"), credited_to=carla, reference="BCP-778899"
        ),
    }
    debtors_reassign(by=ana, debtors=type(diego).objects.filter(pk=diego.pk), to_collector=cris)
    promise_rollups_refresh()
    return work


def test_figures_keep_crediting_the_collector_and_the_rows_agree_without_the_moved_debtors_details(
    client, sofia, diego, moved_out
):
    _speaks(client, sofia, "es")
    figures = {
        row["currency"]: row for row in client.get(reverse("promises:dashboard"), {"period": "week"}).context["figures"]
    }
    assert figures["PEN"]["broken"]["count"] == 1  # carla made it: still her team's figure

    listing = client.get(
        reverse("promises:promises_behind"), {"period": "week", "kind": "due", "status": "broken", "currency": "PEN"}
    )
    page = listing.content.decode()
    assert listing.context["page"].paginator.count == figures["PEN"]["broken"]["count"]  # figure and rows agree
    assert diego.full_name not in page and reverse("debtors:detail", args=[diego.pk]) not in page
    assert OUTSIDE["es"] in page and 'data-testid="outside-scope-note"' in page
    [_, row] = _csv(
        client.get(
            reverse("promises:promises_behind"), {"period": "week", "kind": "due", "status": "broken", "format": "csv"}
        )
    )
    assert row[:3] == ["", OUTSIDE["es"], ""]  # no promise id, name or customer code
    assert row[5:8] == ["200.00", "PEN", "2026-11-18"]

    calls = client.get(reverse("promises:calls_behind"), {"period": "week"})
    assert calls.context["page"].paginator.count == 1
    assert diego.full_name not in calls.content.decode()
    assert reverse("review:call", args=[moved_out["call"].pk]) not in calls.content.decode()
    [_, call] = _csv(client.get(reverse("promises:calls_behind"), {"period": "week", "format": "csv"}))
    assert (call[0], call[2], call[10]) == ("", OUTSIDE["es"], "")  # nor the notes

    payments = client.get(reverse("promises:payments_behind"), {"period": "week"})
    assert payments.context["page"].paginator.count == 1
    assert "BCP-778899" not in payments.content.decode() and diego.full_name not in payments.content.decode()
    [_, payment] = _csv(client.get(reverse("promises:payments_behind"), {"period": "week", "format": "csv"}))
    assert (payment[0], payment[2], payment[7], payment[5]) == ("", OUTSIDE["es"], "", "50.00")


def test_the_debtors_new_supervisor_does_not_get_figures_for_work_her_team_did_not_do(client, pablo, moved_out):
    client.force_login(pablo)
    assert client.get(reverse("promises:dashboard"), {"period": "week"}).context["figures"] == []
    assert client.get(reverse("promises:promises_behind"), {"period": "week"}).context["page"].paginator.count == 0


def test_an_admin_reaches_every_debtor_so_nothing_is_hidden(client, ana, diego, moved_out):
    _speaks(client, ana, "en")
    page = client.get(reverse("promises:promises_behind"), {"period": "week"}).content.decode()
    assert diego.full_name in page and OUTSIDE["en"] not in page and "outside-scope-note" not in page
    [_, row] = _csv(client.get(reverse("promises:promises_behind"), {"period": "week", "format": "csv"}))
    assert row[:3] == [str(moved_out["promise"].pk), diego.full_name, diego.external_id]


def test_the_review_list_shows_a_moved_debtors_call_without_the_debtor_or_a_link(
    client, sofia, carla, diego, moved_out
):
    _speaks(client, sofia, "en")
    response = client.get(reverse("review:list"), {"collector": carla.pk})
    page = response.content.decode()
    assert [c.pk for c in response.context["page"]] == [moved_out["call"].pk]  # the QA figure's call still listed
    assert diego.full_name not in page and reverse("review:call", args=[moved_out["call"].pk]) not in page
    assert OUTSIDE["en"] in page
    assert f"collector={carla.pk}&amp;format=csv" in page  # the download keeps the collector chosen
    [_, row] = _csv(client.get(reverse("review:list"), {"collector": carla.pk, "format": "csv"}))
    assert row[2] == OUTSIDE["en"]
    assert row[0] == "2026-11-16T10:00:00-05:00"  # in the reader's zone, with its offset
