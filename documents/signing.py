"""Letters leave signed: a PAdES signature (pyHanko) over the PDF's bytes, in the name of the
install's signing certificate, so any PDF reader shows whether a letter was altered.

DOCUMENT_SIGNING_P12 names the PKCS#12 file (certificate and key) an operator obtained for
the agency; without it the install makes its own self-signed one once, under VAR_DIR, which
proves integrity but not identity (readers show it as "unknown signer").
"""

import datetime
import functools
import io
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers

SELF_SIGNED_NAME = "Collections CRM letters (self-signed)"


def _self_signed_p12(path: Path, passphrase: bytes) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SELF_SIGNED_NAME)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    encryption = serialization.BestAvailableEncryption(passphrase)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and moved into place: two workers starting at once never read half a file.
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_bytes(pkcs12.serialize_key_and_certificates(b"letters", key, certificate, None, encryption))
    partial.chmod(0o600)
    os.replace(partial, path)


@functools.cache
def _signer(path: str, passphrase: str) -> signers.SimpleSigner:
    signer = signers.SimpleSigner.load_pkcs12(path, passphrase=passphrase.encode() or None)
    if signer is None:  # pyHanko logs why and answers None: a wrong password, an unreadable file
        raise ValueError(f"cannot read the signing certificate {path}")
    return signer


def letter_signer() -> signers.SimpleSigner:
    if settings.DOCUMENT_SIGNING_P12:
        return _signer(settings.DOCUMENT_SIGNING_P12, settings.DOCUMENT_SIGNING_P12_PASSWORD)
    path = Path(settings.VAR_DIR) / "signing" / "letters.p12"
    passphrase = settings.SECRET_KEY[:32]
    if not path.exists():
        _self_signed_p12(path, passphrase.encode())
    try:
        return _signer(str(path), passphrase)
    except (ValueError, OSError):
        # Made under another SECRET_KEY: a new one (letters already signed keep their own).
        _self_signed_p12(path, passphrase.encode())
        _signer.cache_clear()
        return _signer(str(path), passphrase)


def pdf_sign(content: bytes, *, reason: str, location: str, contact: str = "") -> bytes:
    """`content` with a signature appended as an incremental update (the letter's own bytes stay)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(content))
    metadata = signers.PdfSignatureMetadata(
        field_name="Signature", reason=reason, location=location or None, contact_info=contact or None
    )
    return signers.sign_pdf(writer, metadata, signer=letter_signer()).getvalue()
