"""The Content-Security-Policy allows no inline script, handler or style: templates carry none.

The browser test walks the main pages under the policy; this check covers every template,
including pages the walk does not reach."""

import re
from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
_INLINE = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "inline event handler": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I),
}


def test_no_template_holds_what_the_policy_blocks():
    found = [
        f"{path.relative_to(TEMPLATES)}: {what}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for what, pattern in _INLINE.items()
        if pattern.search(path.read_text())
    ]
    assert found == []
