"""The import_portfolio and import_payments management commands."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from debtors.models import Debt, Debtor, Portfolio
from promises.models import Payment
from tests.importing.test_loading import FIRST_FILE, portfolio_file, write

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def import_portfolio(path, *extra):
    return run(
        "import_portfolio",
        str(path),
        "--portfolio",
        "Tarjetas",
        "--creditor",
        "Banco Andino",
        "--country",
        "PE",
        *extra,
    )


def test_import_portfolio_prints_the_counts_and_the_report(tmp_path):
    output = import_portfolio(portfolio_file(tmp_path, FIRST_FILE))

    assert "3" in output and "0" in output
    assert str(tmp_path / "media" / "imports") in output
    portfolio = Portfolio.objects.get(name="Tarjetas")
    assert (portfolio.creditor.name, portfolio.currency) == ("Banco Andino", "PEN")
    assert Debtor.objects.filter(portfolio=portfolio).count() == 3


def test_import_portfolio_counts_come_from_the_service(tmp_path):
    import_portfolio(portfolio_file(tmp_path, FIRST_FILE))
    changed = [FIRST_FILE[0].replace("1.234,56", "1.000,00"), FIRST_FILE[1]]
    output = import_portfolio(portfolio_file(tmp_path, changed, name="c2.csv"), "--whole-portfolio")

    numbers = [int(word) for word in output.replace("·", " ").split() if word.isdigit()]
    assert numbers[:5] == [0, 1, 1, 0, 1]  # created, updated, unchanged, rejected, recalled
    assert Debt.objects.get(account_reference="CR-3").recalled_on is not None


def test_import_portfolio_dry_run_writes_nothing(tmp_path):
    output = import_portfolio(portfolio_file(tmp_path, FIRST_FILE), "--dry-run")

    assert "3" in output
    assert not Debtor.objects.exists()
    assert not Portfolio.objects.exists()


def test_import_portfolio_reads_a_mapping_file(tmp_path):
    path = write(tmp_path, ["cod,nom,deuda_x,venc_x", "A1,Rosa Quispe,100.50,2026-08-31"], encoding="utf-8")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        json.dumps({"external_id": "cod", "full_name": "nom", "balance": "deuda_x", "due_date": "venc_x"})
    )

    import_portfolio(path, "--mapping", str(mapping))

    assert Debtor.objects.get().external_id == "A1"


@pytest.mark.parametrize("content", [b"", b"\x00\x9f\x92\x96garbage\x00" * 100])
def test_import_portfolio_fails_with_a_message_for_an_unreadable_file(tmp_path, content):
    path = tmp_path / "junk.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError) as error:
        import_portfolio(path)
    assert str(error.value)
    assert not Debtor.objects.exists()


def test_import_portfolio_fails_for_a_missing_file(tmp_path):
    with pytest.raises(CommandError):
        import_portfolio(tmp_path / "nowhere.csv")


@pytest.mark.slow
def test_import_portfolio_exits_non_zero_from_the_command_line(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "DEBUG": "1", "VAR_DIR": str(tmp_path / "var"), "MEDIA_ROOT": str(tmp_path / "media")}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], check=True, env=env)
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    completed = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "import_portfolio",
            str(path),
            "--portfolio",
            "X",
            "--creditor",
            "Y",
            "--country",
            "PE",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert completed.returncode == 1
    assert completed.stderr.startswith("CommandError:")
    assert "Traceback" not in completed.stderr


def test_import_payments_records_once(tmp_path):
    import_portfolio(portfolio_file(tmp_path, FIRST_FILE))
    path = write(
        tmp_path,
        ["Referencia;Código de cliente;Monto pagado;Fecha de pago", "OP-1;C-001;100,00;01/11/2026"],
        name="p.csv",
    )

    first = run("import_payments", str(path), "--portfolio", "Tarjetas")
    second = run("import_payments", str(path), "--portfolio", "Tarjetas")

    assert [int(w) for w in first.replace("·", " ").split() if w.isdigit()][:4] == [1, 0, 0, 0]
    assert [int(w) for w in second.replace("·", " ").split() if w.isdigit()][:4] == [0, 0, 1, 0]
    assert Payment.objects.count() == 1


def test_import_payments_fails_for_an_unknown_portfolio(tmp_path):
    path = write(tmp_path, ["Referencia;Código de cliente;Monto pagado;Fecha de pago"], name="p.csv")
    with pytest.raises(CommandError):
        run("import_payments", str(path), "--portfolio", "Nada")


def test_import_portfolio_reads_an_excel_file_and_exits_non_zero_only_when_unreadable(tmp_path):
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    for row in (
        ["Cartera"],
        [],
        ["Código de cliente", "Nombre", "Saldo", "Fecha de vencimiento"],
        [20231234, "Ana", 10.5, datetime(2026, 8, 31)],
        ["C-2", "Luis", "mucho", datetime(2026, 8, 31)],
    ):
        book.active.append(row)
    path = tmp_path / "cartera.xlsx"
    book.save(path)

    output = import_portfolio(path)  # a rejected row is not a failure
    assert Debtor.objects.get().external_id == "20231234"
    assert str(tmp_path / "media" / "imports") in output

    broken = tmp_path / "roto.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a workbook")
    with pytest.raises(CommandError):
        import_portfolio(broken)


@pytest.mark.django_db(transaction=True)
def test_an_unreadable_file_leaves_no_new_portfolio_behind(tmp_path):
    broken = tmp_path / "roto.xlsx"
    broken.write_bytes(b"PK\x03\x04 this is no workbook")
    with pytest.raises(CommandError):
        import_portfolio(broken)
    assert not Portfolio.objects.filter(name="Tarjetas").exists()
