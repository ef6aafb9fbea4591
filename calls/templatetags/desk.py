"""Template helpers for the collector's desk."""

from functools import lru_cache

from django import template
from django.utils.translation import get_language

register = template.Library()


@lru_cache(maxsize=512)
def choice_labels(model, field_name: str, language: str | None) -> dict:
    """A model field's choices as {value: label} in `language`, built once per language (the
    desk's cells and the debtor's timeline print thousands of them)."""
    return {value: str(label) for value, label in model._meta.get_field(field_name).flatchoices}


@register.filter
def label(instance, field_name: str) -> str:
    """`get_<field>_display`, from a per-language cache of the field's choices.

    The model method flattens the choices and translates their labels on every call; a
    200-entry history makes about 600 such calls, a third of the page's time (bench_desk).
    """
    value = getattr(instance, field_name)
    return choice_labels(type(instance), field_name, get_language()).get(value, value)
