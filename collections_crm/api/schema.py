"""The published schema says everything the API checks, and every answer it can give.

- Every operation lists the error answers it can give (401 without a valid token, 404
  out of scope or past the last page, 400 for bad input…), each in the one error shape
  (collections_crm.api.exceptions.ErrorSerializer).
- Input fields carry their rules as JSON Schema: text without NUL characters (and not
  blank where blank is refused), amounts above zero as patterns, dates within their
  window as patterns recomputed each day (collections_crm.api.fields.DateWindow).
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from collections_crm.api import patterns
from collections_crm.api.exceptions import ErrorSerializer
from collections_crm.api.fields import AwareDateTimeField, IsoDateField, MoneyField
from collections_crm.api.serializers import InputSerializer

# Text a client may send: DRF refuses NUL characters in every text field.
TEXT = r"^[^\u0000]*$"
# The characters Python's str.strip() removes (str.isspace), spelled out: JSON Schema's `\s`
# is ECMA-262's, which differs (it has U+FEFF, not U+0085 nor U+001C-U+001F).
SPACE = r"\t\n\u000b\u000c\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Text with at least one character that is not blank (DRF trims before checking).
NON_BLANK_TEXT = rf"^[^\u0000]*[^\u0000{SPACE}][^\u0000]*$"
# Text that is empty once trimmed.
BLANK_TEXT = rf"^[{SPACE}]*$"

ERROR_DESCRIPTIONS = {
    "400": _("The input is not valid: `errors` names each field (dotted for nested ones) and why."),
    "401": _("No valid token or session: send `Authorization: Bearer <token>`."),
    "403": _("Not allowed to you, or a browser session without its CSRF token."),
    "404": _("Nothing here you may see: no such object, outside your scope, or a page past the last."),
    "406": _("The answer cannot be given in the media type asked for in `Accept`."),
    "415": _("The body is not in a media type this operation reads."),
    "429": _("Too many requests: wait for the seconds in `Retry-After`."),
}


class ApiAutoSchema(AutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation["responses"]
        for code in self._error_codes(operation):
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code, media_types=["application/json"])
            if not responses[code].get("description"):
                responses[code]["description"] = ERROR_DESCRIPTIONS[code]
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_codes(self, operation) -> list[str]:
        codes = ["404", "406"]
        if (
            any(parameter["in"] == "query" for parameter in operation.get("parameters", []))
            or "requestBody" in operation
        ):
            codes.append("400")
        if operation.get("security") and {} not in operation["security"]:
            codes += ["401", "429"]
        # Writes may be refused; reads only where the view says some roles may not read it.
        if self.method not in ("GET", "HEAD", "OPTIONS") or getattr(self.view, "readers_refused", False):
            codes.append("403")
        if "requestBody" in operation:
            codes.append("415")
        return codes

    def _insert_field_validators(self, field, schema):
        # After drf-spectacular's own: it would wrap a blank-allowing field that has a pattern
        # in `oneOf` with an empty string, which the text pattern already allows (both match "").
        super()._insert_field_validators(field, schema)
        if field.read_only or "$ref" in schema:
            return
        inner = schema["oneOf"][0] if "oneOf" in schema else schema
        if isinstance(field, MoneyField):
            positive = field.min_value == patterns.SMALLEST_AMOUNT
            inner["pattern"] = field.schema_pattern or (patterns.POSITIVE_AMOUNT if positive else patterns.AMOUNT)
        elif isinstance(field, IsoDateField):
            inner["pattern"] = (
                patterns.dates_between(*field.window.schema_bounds()) if field.window else patterns.ANY_DATE
            )
        elif isinstance(field, AwareDateTimeField):
            inner["pattern"] = (
                patterns.moments_between(*field.window.schema_bounds()) if field.window else patterns.ANY_MOMENT
            )
        elif (
            isinstance(field, serializers.CharField)
            and inner.get("type") == "string"
            and not {"pattern", "format", "enum"} & set(inner)
        ):
            inner["pattern"] = NON_BLANK_TEXT if inner.get("minLength") else TEXT


class InputSerializerRules(OpenApiSerializerExtension):
    """An input serializer's rules between fields, stated beside its fields."""

    target_class = InputSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        rules = self.target.schema_rules
        if rules and direction == "request":
            schema["allOf"] = [*schema.get("allOf", []), *rules]
        return schema


def one_of(values) -> dict:
    """A value from `values`, in a rule between fields.

    Wrapped in `allOf` so that drf-spectacular does not take the list for an enum of its
    own and name a component after it (its enum hook reads `enum` under `properties`).
    """
    return {"allOf": [{"enum": list(values)}]}


def forbidden() -> dict:
    """A property that must be left out (OpenAPI 3.0 has no `false` schema)."""
    return {"not": {}}
