"""Characters no field of ours can hold: NUL and unpaired UTF-16 surrogates.

PostgreSQL refuses both in text (NUL in any string literal, surrogates are not UTF-8) and in
jsonb (`\\u0000`), so a value carrying one fails at the database with a 500 after the form or
serializer accepted it. Form fields in Django reject NUL, but query parameters read by hand,
JSON objects and cookies do not. Such input is refused where it enters (the middleware for
pages, collections_crm.api.views for the API): UTF-8 decoding of a form or query string never
yields a surrogate, JSON's `\\ud800` escapes do.
"""

import json
import re
from collections.abc import Iterator

from django.utils.translation import gettext as _

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def has_unstorable(text) -> bool:
    return isinstance(text, str) and UNSTORABLE.search(text) is not None


def without_unstorable(text: str) -> str:
    """The text with the characters that cannot be stored taken out (for the user to copy)."""
    return UNSTORABLE.sub("", text)


def unstorable_fields(data, prefix: str = "") -> Iterator[str]:
    """Names ("dotted.paths" in JSON) of the values in `data` holding an unstorable character.

    `data` is a QueryDict (every value of a repeated name is checked), a dict, a list or a
    scalar. Uploaded files are not read (Django already drops unprintable characters from
    their names)."""
    if hasattr(data, "lists"):
        for key, values in data.lists():
            if has_unstorable(key) or any(has_unstorable(v) or _json_text_unstorable(v) for v in values):
                yield prefix + without_unstorable(key)
    elif isinstance(data, dict):
        for key, value in data.items():
            name = f"{prefix}{without_unstorable(str(key))}"
            if has_unstorable(key):
                yield name
            else:
                yield from unstorable_fields(value, f"{name}.")
    elif isinstance(data, (list, tuple)):
        for index, value in enumerate(data):
            yield from unstorable_fields(value, f"{prefix}{index}.")
    elif has_unstorable(data):
        yield prefix.rstrip(".") or "non_field_errors"


def _json_text_unstorable(value) -> bool:
    """A JSON object or array sent as a form field (the imports' `mapping`) holds its NUL as the
    escape `\\u0000`, which becomes the character only once the field is read."""
    if not isinstance(value, str) or not value.lstrip().startswith(("{", "[")) or "\\u" not in value:
        return False
    try:
        parsed = json.loads(value)
    except ValueError:
        return False
    return next(unstorable_fields(parsed), None) is not None


def holds_unstorable(value) -> bool:
    """Whether a value read from a request (text, JSON text, or a JSON object or list at any
    depth, keys included) holds an unstorable character."""
    if isinstance(value, str):
        return has_unstorable(value) or _json_text_unstorable(value)
    return next(unstorable_fields(value), None) is not None


def unstorable_message() -> str:
    return _(
        "This text contains a character that cannot be stored (a NUL character or half of a "
        "character pair, usually pasted from another program). Remove it and send it again."
    )
