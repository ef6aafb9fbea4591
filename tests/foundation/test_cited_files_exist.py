"""Comments and docs cite only files a reader of the repository can open.

A comment that sends the reader to notes kept outside the repository leaves
them with a claim they cannot check; cite the figure itself instead.
"""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CITED = re.compile(r"(?<![\w/.:-])((?:[\w.-]+/)*[\w-]+\.(?:md|py|toml|txt|yml|yaml|cfg|ini|sh))\b")
# Names a comment may mention without meaning a file of ours: other projects' files.
OTHERS = {"setup.py", "conftest.py", "manage.py", "wsgi.py", "settings.py", "pyproject.toml", "models.py", "views.py"}


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    return listed.stdout.splitlines()


def citations(path: Path):
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".py":
        # Comments and docstrings: a `#` to the end of the line, and triple-quoted text.
        parts = re.findall(r"#[^\n]*", text) + re.findall(r'"""(?:.|\n)*?"""', text)
        text = "\n".join(parts)
    for word in text.split():
        if "://" in word:  # a web address, not a file of ours
            continue
        yield from CITED.findall(word)


def test_every_file_a_comment_or_doc_cites_is_in_the_repository():
    files = tracked_files()
    names = set(files) | {Path(f).name for f in files}
    suffixes = set()
    for f in files:
        parts = Path(f).parts
        suffixes.update("/".join(parts[i:]) for i in range(len(parts)))
    missing = []
    for name in files:
        if not name.endswith((".py", ".md")) or name.startswith(("static/vendor/", "locale/")):
            continue
        for cited in citations(ROOT / name):
            if cited in names or cited in suffixes or Path(cited).name in OTHERS:
                continue
            missing.append(f"{name}: {cited}")
    assert not missing, "cited but not in the repository:\n" + "\n".join(sorted(set(missing)))
