"""Spanish is the default language: every text must have its Spanish translation."""

import shutil
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SPANISH = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"
SOURCES = (
    "collections_crm",
    "debtors",
    "calls",
    "promises",
    "scoring",
    "conversations",
    "documents",
    "selfservice",
    "supervision",
    "desk",
    "demo",
    "templates",
    "manage.py",
)


def _catalogue(path: Path):
    with path.open("rb") as po_file:
        return read_po(po_file)


def test_every_spanish_entry_is_translated():
    missing = [
        message.id
        for message in _catalogue(SPANISH)
        if message.id
        and (message.fuzzy or not message.string or (isinstance(message.string, tuple) and not all(message.string)))
    ]
    assert missing == [], f"{len(missing)} texts lack a Spanish translation: {missing[:10]}"


def test_the_spanish_catalogue_holds_every_text_in_the_code(tmp_path):
    """Extract the texts from a copy of the code and compare with the committed catalogue."""
    if not shutil.which("xgettext"):
        # Extraction needs GNU gettext; without it, the test above still guards completeness.
        return
    for name in SOURCES:
        source = ROOT / name
        target = tmp_path / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "migrations"))
        else:
            shutil.copy(source, target)
    (tmp_path / "locale").mkdir()
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "es", "--no-location"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "1", "VAR_DIR": str(tmp_path / "var"), "PYTHONPATH": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    extracted = {
        m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue(tmp_path / SPANISH.relative_to(ROOT)) if m.id
    }
    committed = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue(SPANISH) if m.id}
    new_texts = sorted(extracted - committed)
    assert new_texts == [], f"Run `make messages` and translate: {new_texts[:10]}"
