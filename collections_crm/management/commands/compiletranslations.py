import shutil
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import BaseCommand, call_command


class Command(BaseCommand):
    help = "Compile the .po translation catalogues into .mo files (with or without GNU gettext)."

    def handle(self, *args, **options):
        if shutil.which("msgfmt"):
            call_command("compilemessages", verbosity=0, ignore=[".venv", "node_modules"])
            return
        # A fresh machine may lack gettext; Babel reads and writes the same formats.
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in Path(locale_dir).glob("*/LC_MESSAGES/*.po"):
                with po_path.open("rb") as po_file:
                    catalog = read_po(po_file)
                with po_path.with_suffix(".mo").open("wb") as mo_file:
                    write_mo(mo_file, catalog)
