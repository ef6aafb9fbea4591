"""The admins' import pages: upload → mapping on a preview → job → result; assignment."""

import csv
import io
from decimal import Decimal
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from debtors.importing.loading import portfolio_get_or_create
from debtors.models import Debt, Debtor, ImportJob, ImportMapping
from debtors.tasks import run_import_job
from promises.models import Payment

pytestmark = pytest.mark.django_db

CSV = (
    "Cartera de Banco Andino;;;;\r\nFecha de corte: 31/10/2026;;;;\r\n"
    "Código de cliente;Apellidos y nombres;Teléfono;Saldo deudor;Fecha de vencimiento\r\n"
    "C-001;Muñoz Pérez, José;987 654 321;1.234,56;31/08/2026\r\n"
    "C-002;Ríos, Ana;912345678;500,00;15/09/2026\r\n"
    "C-003;Quispe, Rosa;912345000;no sé;01/10/2026\r\n"
    ";;;;\r\n"
).encode("cp1252")


@pytest.fixture
def worker():
    """Runs the queued job when the request's transaction commits, as a worker would."""
    with mock.patch.object(run_import_job, "delay", side_effect=lambda pk: run_import_job(pk)) as delay:
        yield delay


def rejected_rows(client, job):
    download = client.get(reverse("debtors:import_rejected", args=[job.pk]))
    return list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))


def upload(client, portfolio, content=CSV, name="cartera.csv", **extra):
    data = {"kind": "portfolio", "portfolio": portfolio.pk, "file": SimpleUploadedFile(name, content), **extra}
    response = client.post(reverse("debtors:import_new"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def test_upload_preview_confirm_run_and_result(client, ana, lima, worker, django_capture_on_commit_callbacks):
    client.force_login(ana)
    mapping_url = upload(client, lima)

    with translation.override("en"):
        page = client.get(mapping_url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Muñoz Pérez, José" in html and "1.234,56" in html  # the first rows, as written
    form = page.context["form"]
    assert form["external_id"].initial == "Código de cliente"
    assert form["balance"].initial == "Saldo deudor"

    choices = {name: form[name].initial or "" for name in form.fields}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(mapping_url, choices)
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("debtors:import_detail", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.created_count, job.updated_count, job.unchanged_count, job.rejected_count) == (2, 0, 0, 1)

    with translation.override("en"):
        result = client.get(response["Location"])
    html = result.content.decode()
    assert 'id="count-created">2<' in html and 'id="count-rejected">1<' in html
    assert "<td>6</td><td>Saldo deudor: «no sé» no es un número.</td>" in html

    # The whole row as the file had it, under its headers; the report's own two columns in
    # the language the admin used (job.language).
    rows = rejected_rows(client, job)
    assert job.language == "es"
    assert rows == [
        [
            "Fila",
            "Motivo",
            "Código de cliente",
            "Apellidos y nombres",
            "Teléfono",
            "Saldo deudor",
            "Fecha de vencimiento",
        ],
        ["6", "Saldo deudor: «no sé» no es un número.", "C-003", "Quispe, Rosa", "912345000", "no sé", "01/10/2026"],
    ]

    # Mapping saved for the creditor and offered on the next file.
    assert ImportMapping.objects.get(creditor=lima.creditor).mapping["balance"] == "Saldo deudor"


def test_the_creditors_saved_mapping_is_proposed_on_the_next_file(client, ana, lima):
    ImportMapping.objects.create(
        creditor=lima.creditor,
        kind="portfolio",
        mapping={
            "external_id": "Código de cliente",
            "full_name": "Apellidos y nombres",
            "balance": "Saldo deudor",
            "due_date": "Fecha de vencimiento",
            "national_id": "Teléfono",
        },
    )
    client.force_login(ana)
    page = client.get(upload(client, lima))
    assert page.context["saved"] is True
    assert page.context["form"]["national_id"].initial == "Teléfono"  # the saved (odd) choice wins


def test_a_mapping_without_a_required_field_is_refused(client, ana, lima):
    client.force_login(ana)
    url = upload(client, lima)
    with translation.override("en"):
        response = client.post(url, {"external_id": "Código de cliente", "full_name": "Apellidos y nombres"})
    assert response.status_code == 200
    assert "Elija una columna para" in response.content.decode()  # ana works in Spanish, the default
    assert not ImportJob.objects.exists()


def test_a_file_that_cannot_be_read_gives_one_clear_message(client, ana, lima):
    client.force_login(ana)
    url = upload(client, lima, content=b"\x00\x01\x02\x03" * 50, name="cartera.csv")
    with translation.override("en"):
        page = client.get(url)
    assert page.status_code == 200
    assert page.templates[0].name == "debtors/import_unreadable.html"
    with translation.override("en"):
        assert "not a CSV file" in str(page.context["message"])
    assert str(page.context["message"]) in page.content.decode()


def test_the_upload_refuses_other_kinds_of_files(client, ana, lima):
    client.force_login(ana)
    response = client.post(
        reverse("debtors:import_new"),
        {"kind": "portfolio", "portfolio": lima.pk, "file": SimpleUploadedFile("c.pdf", b"%PDF")},
    )
    assert response.status_code == 200 and not ImportJob.objects.exists()


def test_an_upload_into_a_new_portfolio_creates_it_with_its_rows(
    client, ana, worker, django_capture_on_commit_callbacks
):
    from debtors.models import Creditor, Portfolio

    client.force_login(ana)
    data = {
        "kind": "portfolio",
        "new_creditor": "Caja Sur",
        "new_portfolio": "Consumo",
        "new_country": "PE",
        "file": SimpleUploadedFile("c.csv", CSV),
    }
    response = client.post(reverse("debtors:import_new"), data)
    assert response.status_code == 302
    # Nothing yet: an upload whose mapping is never confirmed leaves no empty portfolio.
    assert not Portfolio.objects.exists() and not Creditor.objects.exists()

    page = client.get(response["Location"])
    assert "Consumo (Caja Sur)" in page.content.decode()
    choices = {name: page.context["form"][name].initial or "" for name in page.context["form"].fields}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response["Location"], choices)

    job = ImportJob.objects.get()
    consumo = Portfolio.objects.get(name="Consumo")
    assert consumo.creditor.name == "Caja Sur" and job.portfolio == consumo and job.status == ImportJob.Status.DONE
    assert Debtor.objects.filter(portfolio=consumo).count() == 2
    assert ImportMapping.objects.get(creditor=consumo.creditor).mapping["balance"] == "Saldo deudor"
    assert "Consumo (Caja Sur)" in client.get(reverse("debtors:imports")).content.decode()


def test_the_progress_fragment_polls_until_done(client, ana, lima):
    client.force_login(ana)
    job = ImportJob.objects.create(
        kind="portfolio",
        portfolio=lima,
        file="imports/x.csv",
        created_by=ana,
        status=ImportJob.Status.RUNNING,
        rows_total=1000,
        rows_done=250,
    )
    with translation.override("en"):
        fragment = client.get(reverse("debtors:import_detail", args=[job.pk]), HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert 'hx-trigger="every 1s"' in html and 'value="25"' in html
    assert "250 de 1" in html and "filas leídas" in html  # ana works in Spanish, the default
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.DONE)
    done = client.get(reverse("debtors:import_detail", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true" and "hx-trigger" not in done.content.decode()


def test_recent_imports_are_listed(client, ana, lima):
    ImportJob.objects.create(
        kind="portfolio", portfolio=lima, file="imports/x.csv", original_name="octubre.csv", created_by=ana
    )
    client.force_login(ana)
    assert "octubre.csv" in client.get(reverse("debtors:imports")).content.decode()


@pytest.mark.parametrize("persona", ["sofia", "carla"])
def test_collectors_and_supervisors_cannot_reach_the_import_pages(client, persona, request, lima, ana):
    job = ImportJob.objects.create(kind="portfolio", portfolio=lima, file="imports/x.csv", created_by=ana)
    client.force_login(request.getfixturevalue(persona))
    for url in (
        reverse("debtors:imports"),
        reverse("debtors:import_new"),
        reverse("debtors:import_mapping", args=["abc"]),
        reverse("debtors:import_detail", args=[job.pk]),
        reverse("debtors:import_rejected", args=[job.pk]),
        reverse("debtors:portfolio_assign", args=[lima.pk]),
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(
        reverse("debtors:import_new"),
        {"kind": "portfolio", "portfolio": lima.pk, "file": SimpleUploadedFile("c.csv", CSV)},
    )
    assert (
        response.status_code == 403
        and not ImportJob.objects.filter(created_by__isnull=False).exclude(pk=job.pk).exists()
    )


def xlsx_bytes(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_excel_export_loads_through_the_pages(client, ana, lima, worker, django_capture_on_commit_callbacks):
    from datetime import datetime

    content = xlsx_bytes(
        [
            ["Reporte de cartera"],
            [],
            ["Código de cliente", "Nombre", "Celular", "Saldo", "Fecha de vencimiento"],
            [20231234, "Rosa Quispe", 987654321, 1234.56, datetime(2026, 8, 31)],
        ]
    )
    client.force_login(ana)
    url = upload(client, lima, content=content, name="cartera.xlsx")
    form = client.get(url).context["form"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {name: form[name].initial or "" for name in form.fields})
    debtor = Debtor.objects.get()
    assert debtor.external_id == "20231234"
    assert [phone.number.as_e164 for phone in debtor.phones.all()] == ["+51987654321"]
    assert str(debtor.debts.get().due_date) == "2026-08-31"


def test_an_import_recounts_its_portfolio_for_the_admins_list(
    client, ana, lima, worker, django_capture_on_commit_callbacks
):
    from debtors.selectors import portfolio_overview
    from debtors.services import portfolio_figures_refresh

    portfolio_figures_refresh()  # counted empty by the job before the file arrives
    client.force_login(ana)
    url = upload(client, lima)
    form = client.get(url).context["form"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {name: form[name].initial or "" for name in form.fields})
    [row] = [p for p in portfolio_overview() if p.pk == lima.pk]
    assert row.counted_at is not None  # the stored count, not a live one
    assert (row.debtor_count, row.unassigned_count) == (Debtor.objects.filter(portfolio=lima).count(),) * 2 != (0, 0)


def test_payments_can_be_uploaded_from_the_web(client, ana, lima, worker, django_capture_on_commit_callbacks, tmp_path):
    from debtors.importing.loading import portfolio_import

    portfolio_import(file=io.BytesIO(CSV), portfolio=lima)
    client.force_login(ana)
    payments = "Referencia;Código de cliente;Monto pagado;Fecha de pago\r\nOP-1;C-001;100,00;01/11/2026\r\n".encode(
        "cp1252"
    )
    url = upload(client, lima, content=payments, name="pagos.csv", kind="payments")
    form = client.get(url).context["form"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {name: form[name].initial or "" for name in form.fields})
    job = ImportJob.objects.get()
    assert (job.kind, job.status, job.created_count) == ("payments", "done", 1)
    assert Payment.objects.get().reference == "OP-1"
    assert Debt.objects.get(account_reference="C-001").balance == Decimal("1134.56")


# --- Assignment ----------------------------------------------------------------------------


@pytest.fixture
def loaded(lima):
    from tests.factories import make_debt, make_debtor

    for n, amount in enumerate(("900", "500", "400", "300", "200", "100")):
        debtor = make_debtor(portfolio=lima, external_id=f"A-{n}", assigned_to=None)
        make_debt(debtor=debtor, balance=Decimal(amount), original_amount=Decimal(amount))
    return lima


def test_assignment_preview_then_apply_balanced(client, ana, loaded, carla, carlos):
    client.force_login(ana)
    url = reverse("debtors:portfolio_assign", args=[loaded.pk])
    data = {"collectors": [carla.pk, carlos.pk], "method": "balanced"}
    preview = client.post(url, {**data, "preview": "1"})
    lines = {line["collector"]: (line["debtors"], line["balance"]) for line in preview.context["preview"]}
    # Snake order by balance: carla 900, 300, 200 … carlos 500, 400, 100.
    assert lines[carla] == (3, Decimal("1400")) and lines[carlos] == (3, Decimal("1000"))
    assert not Debtor.objects.filter(assigned_to__isnull=False).exists()  # a preview writes nothing

    client.post(url, {**data, "apply": "1"})
    assert Debtor.objects.filter(assigned_to=carla).count() == 3
    assert Debtor.objects.filter(assigned_to=carlos).count() == 3


def test_round_robin_deals_one_each_in_turn_and_leaves_assigned_debtors_alone(ana, loaded, carla, carlos, cris):
    from debtors.services import debtors_assign_unassigned

    kept = Debtor.objects.get(external_id="A-0")
    Debtor.objects.filter(pk=kept.pk).update(assigned_to=cris)
    assigned = debtors_assign_unassigned(user=ana, portfolio=loaded, collectors=[carla, carlos], method="round_robin")
    assert assigned == 5
    assert Debtor.objects.get(pk=kept.pk).assigned_to == cris
    counts = sorted(Debtor.objects.filter(assigned_to__in=[carla, carlos]).values_list("assigned_to", flat=True))
    assert counts.count(carla.pk) == 3 and counts.count(carlos.pk) == 2


def test_a_column_the_admin_leaves_out_stays_out(client, ana, lima, worker, django_capture_on_commit_callbacks):
    client.force_login(ana)
    url = upload(client, lima)
    form = client.get(url).context["form"]
    assert form["phone"].initial == "Teléfono"  # detected...
    choices = {name: form[name].initial or "" for name in form.fields}
    choices["phone"] = ""  # ...and left out by the admin

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, choices)

    assert ImportJob.objects.get().created_count == 2
    assert Debtor.objects.count() == 2 and not Debtor.objects.filter(phones__isnull=False).exists()


RFC_CSV = (
    "RFC,Nombre,Número de crédito,Saldo,Fecha de vencimiento\r\nGOMA800101AB1,MARIA GOMEZ,CRED-1,100.00,15/09/2026\r\n"
).encode("utf-8-sig")


def test_a_file_keyed_by_rfc_goes_through_the_pages_as_detected(
    client, ana, worker, django_capture_on_commit_callbacks
):
    cdmx = portfolio_get_or_create(portfolio="Créditos", creditor="Financiera del Valle", country="MX")
    client.force_login(ana)
    url = upload(client, cdmx, content=RFC_CSV)
    page = client.get(url)
    assert "Un archivo sin él identifica a cada cliente por su documento (RFC, DNI...)" in page.content.decode()
    form = page.context["form"]
    choices = {name: form[name].initial or "" for name in form.fields}
    assert (choices["external_id"], choices["national_id"]) == ("", "RFC")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, choices)

    assert response.status_code == 302
    assert Debtor.objects.values_list("external_id", "national_id").get() == ("GOMA800101AB1", "GOMA800101AB1")


def test_the_admin_corrects_the_downloaded_report_and_loads_it_again(
    client, ana, lima, worker, django_capture_on_commit_callbacks
):
    client.force_login(ana)

    def load(content, name):
        url = upload(client, lima, content=content, name=name)
        form = client.get(url).context["form"]
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url, {name: form[name].initial or "" for name in form.fields})
        return ImportJob.objects.latest("pk")

    first = load(CSV, "cartera.csv")
    header, row = rejected_rows(client, first)
    row[header.index("Saldo deudor")] = "750,00"  # the admin fixes the cell the reason names
    corrected = io.StringIO()
    csv.writer(corrected).writerows([header, row])

    again = load(corrected.getvalue().encode("utf-8-sig"), "rechazadas.csv")

    assert (again.created_count, again.rejected_count) == (1, 0)
    assert Debt.objects.get(debtor__external_id="C-003").balance == Decimal("750.00")
