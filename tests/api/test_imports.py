"""Imports by API: an admin uploads a file, follows its progress, fetches the rejected rows."""

import json
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from debtors.models import Debtor, ImportJob, Phone
from debtors.tasks import run_import_job

pytestmark = pytest.mark.usefixtures("media")

CSV = (
    "Código de cliente;Apellidos y nombres;Teléfono;Saldo deudor;Fecha de vencimiento\r\n"
    "C-001;Muñoz Pérez, José;987 654 321;1.234,56;31/08/2026\r\n"
    "C-002;Ríos, Ana;912345678;500,00;15/09/2026\r\n"
    "C-003;Quispe, Rosa;12;no sé;01/10/2026\r\n"
).encode("cp1252")


def upload(client, portfolio, content=CSV, name="cartera.csv", **fields):
    body = {"file": SimpleUploadedFile(name, content, content_type="text/csv"), "portfolio": portfolio.pk, **fields}
    return client.post("/api/v1/imports/", body, format="multipart")


def test_an_admin_uploads_follows_and_downloads_the_rejected_rows(
    client_for, ana, lima, django_capture_on_commit_callbacks
):
    api = client_for(ana)
    with mock.patch.object(run_import_job, "delay") as queued, django_capture_on_commit_callbacks(execute=True):
        response = upload(api, lima)
    assert response.status_code == 202, response.json()
    job = response.json()
    assert (job["status"], job["kind"], job["percent"], job["rejected_rows_url"]) == ("pending", "portfolio", 0, None)
    queued.assert_called_once_with(job["id"])

    run_import_job(job["id"])  # what the worker does
    progress = api.get(f"/api/v1/imports/{job['id']}/").json()
    assert (progress["status"], progress["percent"], progress["rows_done"], progress["rows_total"]) == (
        "done",
        100,
        3,
        3,
    )
    assert (progress["created_count"], progress["rejected_count"]) == (2, 1)
    assert progress["rejected_rows_url"].endswith(f"/api/v1/imports/{job['id']}/rejected/")
    assert Debtor.objects.filter(portfolio=lima).count() == 2

    rejected = api.get(f"/api/v1/imports/{job['id']}/rejected/", HTTP_ACCEPT="text/csv")
    text = b"".join(rejected.streaming_content).decode("utf-8-sig")
    assert rejected.status_code == 200 and rejected["Content-Type"].startswith("text/csv")
    assert text.splitlines()[:2] == [
        "Fila,Motivo,Código de cliente,Apellidos y nombres,Teléfono,Saldo deudor,Fecha de vencimiento",
        '4,Saldo deudor: «no sé» no es un número.,C-003,"Quispe, Rosa",12,no sé,01/10/2026',
    ]
    assert api.get("/api/v1/imports/").json()["count"] == 1


def test_a_mapping_and_a_dry_run_are_passed_on(client_for, ana, lima):
    mapping = '{"external_id": "Código de cliente", "full_name": "Apellidos y nombres", "balance": "Saldo deudor", "due_date": "Fecha de vencimiento"}'
    response = upload(client_for(ana), lima, mapping=mapping, dry_run="true")
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert response.status_code == 202 and job.dry_run is True and job.mapping["external_id"] == "Código de cliente"


def test_a_file_that_is_not_csv_or_excel_is_refused_by_field(client_for, ana, lima):
    response = upload(client_for(ana), lima, content=b"%PDF-1.4", name="cartera.pdf", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["file"]
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("persona", ["carla", "sofia"])
def test_only_admins_upload_or_see_imports(persona, request, client_for, ana, lima):
    job_id = upload(client_for(ana), lima).json()["id"]
    api = client_for(request.getfixturevalue(persona))
    assert upload(api, lima).status_code == 403
    assert api.get("/api/v1/imports/").json()["count"] == 0
    assert api.get(f"/api/v1/imports/{job_id}/").status_code == 404
    assert api.get(f"/api/v1/imports/{job_id}/rejected/").status_code == 404
    assert ImportJob.objects.count() == 1


def test_anonymous_callers_cannot_upload(client_for, lima):
    assert upload(client_for(None), lima).status_code == 401


def test_a_mapping_names_only_what_it_changes_and_null_leaves_a_column_out(
    client_for, ana, lima, django_capture_on_commit_callbacks
):
    api = client_for(ana)
    with mock.patch.object(run_import_job, "delay", side_effect=lambda pk: run_import_job(pk)):
        with django_capture_on_commit_callbacks(execute=True):
            response = upload(api, lima, mapping=json.dumps({"phone": None}))
    assert response.status_code == 202, response.json()
    job = ImportJob.objects.get()
    assert (job.status, job.created_count) == ("done", 2)  # the other columns were detected
    assert not Phone.objects.exists()
