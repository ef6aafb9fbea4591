import re
from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.utils import html

from collections_crm.lib.unstorable import holds_unstorable, unstorable_message

# (Comments, not docstrings: drf-spectacular would print a base class's docstring as the
# description of every component built on it.)


class ReadModelSerializer(serializers.ModelSerializer):
    # A model serializer for answers: read-only fields keep saying they may be empty.
    # DRF drops `allow_blank` from read-only fields, so the schema would promise a stance
    # or an e-mail address where the answer holds "" (no stance recorded, no address).

    def include_extra_kwargs(self, kwargs, extra_kwargs):
        allow_blank = kwargs.get("allow_blank", False)
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if allow_blank and kwargs.get("read_only"):
            kwargs["allow_blank"] = True
        return kwargs


def _json_type(field) -> str | None:
    """The JSON type the schema gives a field's input, for the fields whose DRF parsing is lenient."""
    if isinstance(field, serializers.BooleanField):
        return "boolean"
    if isinstance(
        field, (serializers.ChoiceField, serializers.CharField, serializers.DateField, serializers.DateTimeField)
    ):
        return "string"
    if isinstance(field, serializers.IntegerField):
        return "integer"
    if isinstance(field, serializers.ListField):
        return "array"
    if isinstance(field, serializers.Serializer):
        return "object"
    return None


_MATCHES = {
    "boolean": lambda value: isinstance(value, bool),
    "string": lambda value: isinstance(value, str),
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "array": lambda value: isinstance(value, list),
    "object": lambda value: isinstance(value, dict),
}


class InputSerializer(serializers.Serializer):
    # A JSON body's values must have the types the schema gives them. DRF reads `0` as
    # false, `12` as the text "12" and "5" as the number 5: kind to browsers' forms, but a
    # client that sends the wrong type has misread the schema and should hear so rather
    # than have its value reinterpreted. Form-encoded bodies carry only text and are left
    # to the fields.

    # JSON Schema rules between fields ("a consent needs its source"), added to the
    # component under `allOf`: the field-by-field schema cannot say them.
    schema_rules: list[dict] = []

    type_messages = {
        "boolean": _("Give true or false."),
        "string": _("Give this as text (a JSON string)."),
        "integer": _("Give a whole number."),
        "array": _("Give a list."),
        "object": _("Give an object."),
    }

    def to_internal_value(self, data):
        self._refuse_unstorable(data)
        if html.is_html_input(data):
            self._check_form_values(data)
        elif isinstance(data, Mapping):
            errors = {}
            for name, field in self.fields.items():
                if field.read_only or name not in data or data[name] is None:  # null: the field's own rule
                    continue
                expected = _json_type(field)
                if expected is not None and not _MATCHES[expected](data[name]):
                    errors[name] = [self.type_messages[expected]]
            if errors:
                # The other fields are still judged, so that one answer names every problem.
                try:
                    super().to_internal_value({name: value for name, value in data.items() if name not in errors})
                except serializers.ValidationError as invalid:
                    if isinstance(invalid.detail, dict):
                        errors = {**invalid.detail, **errors}
                raise serializers.ValidationError(errors, code="invalid_type")
        return super().to_internal_value(data)

    def _refuse_unstorable(self, data) -> None:
        """A NUL or a lone surrogate in a field we read (at any depth) is a 400, never a 500 at
        the database. Keys we do not read are ignored, as DRF ignores them: nothing of theirs is
        stored, and the schema allows them."""
        if not hasattr(data, "get"):
            return
        errors = {}
        for name, field in self.fields.items():
            # A nested input serializer judges its own fields (and ignores keys it does not read).
            if field.read_only or name not in data or isinstance(field, InputSerializer):
                continue
            values = data.getlist(name) if hasattr(data, "getlist") else [data[name]]
            if any(holds_unstorable(value) for value in values):
                errors[name] = [ErrorDetail(unstorable_message(), code="unstorable_characters")]
        if errors:
            raise serializers.ValidationError(errors, code="unstorable_characters")

    def _check_form_values(self, data) -> None:
        """In a form every value is text: booleans are spelled true or false, numbers in digits."""
        errors = {}
        for name, field in self.fields.items():
            if field.read_only or name not in data:
                continue
            value = data.get(name)
            if isinstance(field, serializers.BooleanField) and str(value).lower() not in ("true", "false"):
                errors[name] = [self.type_messages["boolean"]]
            elif isinstance(field, serializers.IntegerField) and not re.fullmatch(r"-?[0-9]{1,20}", str(value)):
                errors[name] = [self.type_messages["integer"]]
        if errors:
            raise serializers.ValidationError(errors, code="invalid_type")
