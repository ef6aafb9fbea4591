"""Letters leave signed (PAdES, pyHanko): any reader sees an intact signature, and an altered
copy shows it. The convenio says how the debtor accepted: on a logged call, or on the
self-service page after confirming identity."""

import io
from datetime import date

import pytest
import time_machine
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from documents.models import Document
from documents.services import document_pdf
from documents.signing import SELF_SIGNED_NAME, letter_signer
from tests.calls.call_log_helpers import WEDNESDAY, log


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def convenio(diego, carla):
    plan = {"count": 3, "first_date": date(2026, 11, 30), "frequency": "monthly", "total": "900"}
    arrangement = log(
        diego, carla, diego.phones.get(), outcome="right_party", commitment="instalments", instalments=plan
    ).arrangement
    return Document.objects.get(arrangement=arrangement)


def signature_status(pdf: bytes):
    (signature,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    trust = ValidationContext(trust_roots=[letter_signer().signing_cert], allow_fetching=False)
    return validate_pdf_signature(signature, trust)


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_convenio_is_signed_and_the_signature_holds(convenio):
    pdf = document_pdf(convenio)
    status = signature_status(pdf)
    assert status.intact and status.valid and status.trusted
    assert status.signing_cert.subject.native["common_name"] == SELF_SIGNED_NAME


def test_an_altered_copy_breaks_the_signature(convenio):
    pdf = bytearray(document_pdf(convenio))
    at = pdf.index(b"300,00") if b"300,00" in pdf else len(pdf) // 3
    pdf[at] = ord("9") if pdf[at] != ord("9") else ord("8")
    assert not signature_status(bytes(pdf)).intact


def test_a_convenio_agreed_on_a_call_says_so(convenio, carla):
    text = text_of(document_pdf(convenio))
    call = convenio.arrangement.promises.first().call
    assert f"Acordado por teléfono el 2026-11-18 10:00 (America/Lima) con Carla Cobos, llamada n.º {call.pk}" in text
