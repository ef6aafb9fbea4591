"""No module grows past what a person holds in their head, unless its top says why."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = (
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
    "bench",
    "tests",
)
MAX_LINES = 500
# A module that must be longer says so in its first lines, with this phrase and its reason.
EXCUSE = "Longer than 500 lines because"


def modules_too_long(root: Path = ROOT) -> list[str]:
    found = []
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            lines = path.read_text(encoding="utf-8").splitlines()
            if len(lines) > MAX_LINES and not any(EXCUSE in line for line in lines[:15]):
                found.append(f"{path.relative_to(root)}: {len(lines)} lines")
    return found


def test_no_module_is_longer_than_a_person_can_hold():
    assert modules_too_long() == []


def test_the_count_sees_a_long_module_and_its_excuse(tmp_path):
    (tmp_path / "calls").mkdir()
    (tmp_path / "calls" / "long.py").write_text("x = 1\n" * 501, encoding="utf-8")
    (tmp_path / "calls" / "excused.py").write_text(f'"""{EXCUSE} it is one table."""\n' + "x = 1\n" * 600)
    (tmp_path / "calls" / "migrations").mkdir()
    (tmp_path / "calls" / "migrations" / "0001_initial.py").write_text("x = 1\n" * 900, encoding="utf-8")
    assert modules_too_long(tmp_path) == ["calls/long.py: 501 lines"]
