"""HTML fragments built in Python for long lists (the queue's rows, the debtor's history)."""

import html

from django.utils.functional import Promise
from django.utils.safestring import mark_safe


def _escaped(value) -> str:
    # Django's conditional_escape, without the keep_lazy wrapper of escape(), which checks
    # every argument for lazy text on every call: a fifth of a 200-row page's time.
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def format_html(format_string: str, *args, **kwargs):
    """django.utils.html.format_html, same output, for fragments built by the hundred."""
    return mark_safe(
        format_string.format(*map(_escaped, args), **{key: _escaped(value) for key, value in kwargs.items()})
    )
