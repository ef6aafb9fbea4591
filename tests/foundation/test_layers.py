"""The apps depend on one another in one direction, and only through public names.

The order (lowest first) is in pyproject.toml's [tool.importlinter], which `make lint`
checks, with no exception: no app imports one above it, so no two apps import each other; this test runs the same check inside the
suite and adds what import-linter cannot see: a name starting with `_` is private to its
app, so no other app imports it or reaches it through a module.
"""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "collections_crm",
    "debtors",
    "promises",
    "calls",
    "scoring",
    "conversations",
    "documents",
    "selfservice",
    "supervision",
    "desk",
    "demo",
)  # lowest first


def _app_of(module: str) -> str | None:
    top = module.split(".")[0]
    return top if top in APPS else None


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _sources():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield app, path


def private_names_crossing_apps() -> list[str]:
    found = []
    for app, path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        foreign_modules = set()  # local names bound to another app's modules
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and _app_of(node.module) not in (None, app):
                for alias in node.names:
                    if _private(alias.name):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {node.module}.{alias.name}")
                    foreign_modules.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if _app_of(alias.name) not in (None, app):
                        foreign_modules.add(alias.asname or alias.name.split(".")[0])
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and _private(node.attr)
                and isinstance(node.value, ast.Name)
                and node.value.id in foreign_modules
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} reaches {node.value.id}.{node.attr}")
    return found


def test_no_app_uses_another_apps_private_names():
    assert private_names_crossing_apps() == []


def test_the_check_sees_a_private_name_imported_across_apps(tmp_path, monkeypatch):
    app = tmp_path / "debtors"
    app.mkdir()
    (app / "views.py").write_text("from calls.views import _secret\nimport promises.services as ps\nps._helper()\n")
    for other in ("collections_crm", "calls", "promises"):
        (tmp_path / other).mkdir()
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert private_names_crossing_apps() == [
        "debtors/views.py:1 imports calls.views._secret",
        "debtors/views.py:3 reaches ps._helper",
    ]


def test_import_contracts_hold():
    """import-linter's contracts (layers, and the cycles they rule out) on the code as it is."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _importlinter_config() -> dict:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]


def test_no_upward_import_is_excused():
    """An ignored import would be an upward one the contract lets through, and a cycle between
    two apps; the lower app calls up through a hook the higher one registers instead."""
    config = _importlinter_config()
    assert set(config["root_packages"]) == set(APPS)
    for contract in config["contracts"]:
        assert contract.get("ignore_imports", []) == [], contract["name"]
        assert contract["layers"][1:-1] == list(reversed(APPS[1:])), "every app has its layer, in order"


def test_every_module_of_the_project_package_has_its_layer():
    """The project package is listed module by module (its URL confs on top, the rest at the
    bottom): a module added to it without a layer would go unchecked."""
    config = _importlinter_config()
    layered = {
        name.strip()
        for contract in config["contracts"]
        for layer in contract["layers"]
        for name in layer.replace("|", ":").split(":")
    }
    children = {
        f"collections_crm.{path.stem if path.suffix == '.py' else path.name}"
        for path in (ROOT / "collections_crm").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    }
    assert children - layered == set()


def test_clocks_are_built_in_one_place():
    """Zones come from collections_crm/lib/timezones.py (zone_for, debtor_zone,
    debtor_local_now, debtor_local_today), not from ZoneInfo(...) scattered through the apps."""
    home = ROOT / "collections_crm" / "lib" / "timezones.py"
    built_elsewhere = [
        f"{path.relative_to(ROOT)}:{number}"
        for _app, path in _sources()
        if path != home
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "ZoneInfo(" in line
    ]
    assert built_elsewhere == []
