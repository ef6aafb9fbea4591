"""Issue 15, point 7: small frictions a new user met in an afternoon, in Spanish and English."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from collections_crm.templatetags.crm import duration
from debtors.models import ImportJob

NOON_UTC = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _as(client, user, language):
    user.language = language
    user.save()
    client.cookies["django_language"] = language
    client.force_login(user)


# --- How long an import took, how long it has left -------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "spanish", "english"),
    [
        (0, "menos de un segundo", "less than a second"),
        (1, "1 segundo", "1 second"),
        (23, "23 segundos", "23 seconds"),
        (60, "1 minuto", "1 minute"),
        (125, "2 minutos y 5 segundos", "2 minutes and 5 seconds"),
        (3600 + 30, "1 hora", "1 hour"),
        (2 * 3600 + 5 * 60, "2 horas y 5 minutos", "2 hours and 5 minutes"),
        (26 * 3600, "1 día y 2 horas", "1 day and 2 hours"),
    ],
)
def test_durations_are_said_in_words_down_to_the_second(seconds, spanish, english):
    with translation.override("es"):
        assert duration(seconds) == spanish
        assert duration(timedelta(seconds=seconds)) == spanish
    with translation.override("en"):
        assert duration(seconds) == english


@pytest.mark.parametrize(("language", "expected"), [("es", "Tardó 23 segundos."), ("en", "Took 23 seconds.")])
def test_a_quick_import_says_it_took_seconds_not_zero_minutes(client, ana, lima, language, expected):
    job = ImportJob.objects.create(
        kind="portfolio",
        portfolio=lima,
        file="imports/x.csv",
        original_name="octubre.csv",
        created_by=ana,
        status=ImportJob.Status.DONE,
        rows_total=3,
        rows_done=3,
        started_at=NOON_UTC,
        finished_at=NOON_UTC + timedelta(seconds=23),
    )
    _as(client, ana, language)
    page = client.get(reverse("debtors:import_detail", args=[job.pk])).content.decode()
    assert expected in page
    assert "0 minutos" not in page and "0 minutes" not in page


@pytest.mark.parametrize(
    ("language", "started_seconds_ago", "expected"),
    [
        ("es", 15, "quedan unos 45 segundos"),  # 250 rows in 15 s: 750 more take 45 s
        ("en", 15, "about 45 seconds left"),
        ("es", 150, "quedan unos 7 minutos y 30 segundos"),
        ("es", 0.2, "casi terminado"),  # too quick to estimate: never "0 s"
        ("en", 0.2, "almost done"),
    ],
)
def test_the_time_left_says_seconds_and_minutes(client, ana, lima, language, started_seconds_ago, expected):
    with time_machine.travel(NOON_UTC, tick=False):
        job = ImportJob.objects.create(
            kind="portfolio",
            portfolio=lima,
            file="imports/x.csv",
            created_by=ana,
            status=ImportJob.Status.RUNNING,
            rows_total=1000,
            rows_done=250,
            started_at=NOON_UTC - timedelta(seconds=started_seconds_ago),
        )
        _as(client, ana, language)
        fragment = client.get(reverse("debtors:import_detail", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert expected in fragment
    assert " 0 s" not in fragment


# --- Sign-in lockout ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [("es", "inténtelo de nuevo dentro de 30 minutos"), ("en", "try again in 30 minutes")],
)
def test_the_lockout_page_says_how_long_the_lockout_lasts(client, carla, settings, language, expected):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)
    client.cookies["django_language"] = language
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        response = client.post(reverse("login"), {"username": "carla", "password": "guess"})
    assert response.status_code == 429
    assert expected in response.content.decode()


# --- Other libraries' texts: DRF's typo, django-axes' admin --------------------------------------


def test_an_empty_file_is_called_empty_without_drfs_typo_on_the_page(client, ana, lima, media):
    _as(client, ana, "es")
    response = client.post(
        reverse("debtors:import_new"),
        {"kind": "portfolio", "portfolio": lima.pk, "file": SimpleUploadedFile("c.csv", b"")},
    )
    page = response.content.decode()
    assert "El archivo enviado está vacío." in page
    assert "vació" not in page


def test_an_empty_file_is_called_empty_without_drfs_typo_in_the_api(ana, lima, media):
    from tests.api.conftest import token_client

    api = token_client(ana)
    body = {"file": SimpleUploadedFile("c.csv", b"", content_type="text/csv"), "portfolio": lima.pk}
    response = api.post("/api/v1/imports/", body, format="multipart", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 400
    assert response.json()["errors"]["file"] == ["El archivo enviado está vacío."]


@pytest.mark.parametrize(
    ("language", "expected", "not_expected"),
    [
        (
            "es",
            [
                "Administración del CRM de cobranza",
                "Intentos de inicio de sesión",
                "Intentos de acceso",
                "Registros de acceso",
                "Accesos fallidos",
            ],
            ["Axes", "Access attempts"],
        ),
        ("en", ["Collections CRM administration", "Sign-in attempts", "Access attempts"], ["Axes"]),
    ],
)
def test_the_admin_names_sign_in_attempts_in_the_readers_language(client, ana, language, expected, not_expected):
    ana.is_staff = True
    ana.save()
    _as(client, ana, language)
    page = client.get("/admin/").content.decode()
    for text in expected:
        assert text in page
    for text in not_expected:
        assert text not in page


def test_failed_sign_ins_are_listed_with_spanish_columns_and_status(client, ana, carla, settings):
    from axes.models import AccessAttempt

    AccessAttempt.objects.create(
        username="carla",
        ip_address="10.0.0.7",
        user_agent="Firefox",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        http_accept="*/*",
        failures_since_start=2,
    )
    AccessAttempt.objects.create(
        username="cobos",
        ip_address="10.0.0.8",
        user_agent="Firefox",
        path_info="/admin/login/",
        get_data="",
        post_data="",
        http_accept="*/*",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
    )
    ana.is_staff = True
    ana.save()
    _as(client, ana, "es")
    page = client.get("/admin/axes/accessattempt/").content.decode()
    for text in (
        "Dirección IP",
        "Hora del intento",
        "Navegador (user agent)",
        "Ruta",
        "Inicios de sesión fallidos",
        "Estado",
        "quedan 3 intentos",
        "Bloqueado",
        "Eliminar los intentos caducados",
    ):
        assert text in page, text
    assert "Attempt Remaining" not in page
    # The breadcrumb's "Home" is not a phone kind ("Domicilio") any more.
    assert '<a href="/admin/">Inicio</a>' in page and "Domicilio" not in page


def test_a_home_phone_is_still_called_domicilio(client, carla, diego):
    diego.phones.update(kind="home")
    _as(client, carla, "es")
    page = client.get(reverse("debtors:detail", args=[diego.pk])).content.decode()
    assert "Domicilio" in page


# --- People by their names in every picker ---------------------------------------------------------


def _options(page: str, name: str) -> list[str]:
    """The labels of a <select name=…>'s options."""
    import re

    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return [label.strip() for label in re.findall(r"<option[^>]*>(.*?)</option>", select, re.S)]


def test_the_reassignment_pickers_show_full_names(client, sofia, carla, carlos, diego):
    _as(client, sofia, "es")
    page = client.get(reverse("promises:reassign")).content.decode()
    assert _options(page, "from_collector")[1:] == ["Carla Cobos", "Carlos Cruz"]
    assert _options(page, "to_collector")[1:] == ["Carla Cobos", "Carlos Cruz"]


def test_a_recent_reassignment_names_the_collector(client, sofia, carla, carlos, diego):
    _as(client, sofia, "es")
    client.post(reverse("promises:reassign"), {"from_collector": carla.pk, "to_collector": carlos.pk, "confirm": "1"})
    page = client.get(reverse("promises:reassign")).content.decode()
    assert "→ Carlos Cruz" in page


def test_the_assignment_checkboxes_show_full_names(client, ana, carla, carlos, cris, portfolio):
    _as(client, ana, "es")
    page = client.get(reverse("debtors:portfolio_assign", args=[portfolio.pk])).content.decode()
    for name in ("Carla Cobos", "Carlos Cruz", "Cristina Campos"):
        assert f" {name}</label>" in page
    assert " carla</label>" not in page


def test_the_admin_shows_people_by_full_name_in_selects_and_filters(client, ana, carla, diego):
    from tests import factories

    factories.make_call(debtor=diego, collector=carla)
    ana.is_staff = True
    ana.is_superuser = True
    ana.save()
    _as(client, ana, "es")
    change = client.get(reverse("admin:debtors_debtor_change", args=[diego.pk])).content.decode()
    assert f'<option value="{carla.pk}" selected>Carla Cobos</option>' in change  # the autocomplete's initial choice
    calls = client.get(reverse("admin:calls_call_changelist")).content.decode()
    assert ">Carla Cobos</a>" in calls  # the "by collector" filter


# --- One clock style per language ------------------------------------------------------------------

LIMA = ZoneInfo("America/Lima")
MIDNIGHT_CALL = datetime(2026, 11, 18, 0, 11, tzinfo=LIMA)  # 00:11 in Lima, the reader's zone and the debtor's


@time_machine.travel(datetime(2026, 11, 18, 10, 0, tzinfo=LIMA), tick=False)
def test_the_english_debtor_page_writes_every_time_with_the_12_hour_clock(client, carla, diego):
    from tests import factories

    factories.make_call(debtor=diego, collector=carla, started_at=MIDNIGHT_CALL)
    _as(client, carla, "en")
    page = client.get(reverse("debtors:detail", args=[diego.pk])).content.decode()
    assert "11/18/2026 12:11 a.m." in page  # the reader's clock
    assert "(debtor 12:11 a.m.)" in page  # the debtor's, in the same style
    assert "Wed 10:00 a.m." in page  # the debtor's local time in the header
    assert ">00:11" not in page and " 00:11" not in page


@time_machine.travel(datetime(2026, 11, 18, 10, 0, tzinfo=LIMA), tick=False)
def test_the_spanish_debtor_page_keeps_the_24_hour_clock(client, carla, diego):
    from tests import factories

    factories.make_call(debtor=diego, collector=carla, started_at=MIDNIGHT_CALL)
    _as(client, carla, "es")
    page = client.get(reverse("debtors:detail", args=[diego.pk])).content.decode()
    assert "18/11/2026 00:11" in page and "(deudor 00:11)" in page
    assert "mié 10:00" in page
    assert "a.m." not in page and "a. m." not in page


@time_machine.travel(datetime(2026, 11, 18, 22, 30, tzinfo=LIMA), tick=False)  # Peru allows calls until 20:00
@pytest.mark.parametrize(
    ("language", "reason", "next_moment"),
    [
        ("en", "It is Wed 10:30 p.m. for the debtor", "Thursday, November 19, 7:00 a.m."),
        ("es", "La hora del deudor es mié 22:30", "jueves 19 de noviembre, 07:00"),
    ],
)
def test_a_blocked_call_says_the_debtors_time_in_the_pages_clock_and_language(
    client, carla, diego, language, reason, next_moment
):
    from calls.policy import policy_cache_clear

    policy_cache_clear()
    _as(client, carla, language)
    page = client.get(reverse("debtors:detail", args=[diego.pk])).content.decode()
    assert reason in page
    assert next_moment in page
    assert "22:30" not in page if language == "en" else "Wed" not in page


@time_machine.travel(datetime(2026, 11, 18, 10, 0, tzinfo=LIMA), tick=False)
def test_the_english_queue_writes_the_debtors_local_time_with_the_12_hour_clock(client, carla, diego):
    from tests import factories

    factories.make_follow_up(debtor=diego, assigned_to=carla, due_at=datetime(2026, 11, 18, 9, 5, tzinfo=LIMA))
    _as(client, carla, "en")
    page = client.get(reverse("home")).content.decode()
    assert "11/18/2026 9:05 a.m." in page  # when the follow-up is due
    assert "10:00 a.m." in page  # the debtor's local time
    assert "10:00 <" not in page


# --- A favicon of our own ------------------------------------------------------------------------------


def test_every_page_links_our_own_svg_favicon_and_it_is_served(client, carla):
    from xml.etree import ElementTree

    from django.contrib.staticfiles import finders
    from django.templatetags.static import static

    for url in (reverse("login"), reverse("password_reset")):
        assert (
            f'<link rel="icon" href="{static("img/favicon.svg")}" type="image/svg+xml">'
            in client.get(url).content.decode()
        )
    _as(client, carla, "es")
    assert '<link rel="icon"' in client.get(reverse("home")).content.decode()

    icon = ElementTree.parse(finders.find("img/favicon.svg")).getroot()
    assert icon.tag == "{http://www.w3.org/2000/svg}svg" and icon.get("viewBox") == "0 0 32 32"
    # Pages that are not ours (the admin) get it through the address browsers ask for.
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.url == static("img/favicon.svg")
