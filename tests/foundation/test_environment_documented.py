"""Every environment variable the code reads is in the README's table, and nothing more.

An operator configures the product from that table; a variable read but not listed is a
setting nobody can find, one listed but not read a setting that silently does nothing.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = (
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
)
READ = re.compile(
    r"""env_(?:str|bool|int|list)\(\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""|os\.environ(?:\.get)?[(\[]\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""|os\.getenv\(\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""|env=["']([A-Z][A-Z0-9_]*)["']"""
)
# Read by libraries, not by our code, and listed for the operator all the same.
READ_BY_LIBRARIES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


def variables_read() -> set[str]:
    names = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for match in READ.finditer(path.read_text(encoding="utf-8")):
                names.add(next(group for group in match.groups() if group))
    return names


def variables_documented() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = (
        readme.split("## Configuration (environment variables)", 1)[1].split("| variable |", 1)[1].split("\n\n", 1)[0]
    )
    names = set()
    for line in table.splitlines():
        first_cell = line.split("|")[1] if line.startswith("|") else ""
        names.update(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell))
    return names


def test_every_variable_read_is_in_the_readme_table():
    missing = variables_read() - variables_documented()
    assert not missing, f"read by the code but not in README.md's table: {sorted(missing)}"


def test_every_variable_in_the_readme_table_is_read():
    stale = variables_documented() - variables_read() - READ_BY_LIBRARIES
    assert not stale, f"in README.md's table but read by nothing: {sorted(stale)}"


def test_the_search_finds_variables_in_every_form_the_code_uses():
    # The scan itself must not go blind: these are read in different ways.
    assert {"DATABASE_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "REDIS_URL"} <= variables_read()
