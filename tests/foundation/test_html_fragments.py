"""The fragment builder of the long lists gives exactly what Django's format_html gives."""

from django.utils import html as django_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy, override
from hypothesis import given
from hypothesis import strategies as st

from collections_crm.lib.html import format_html


@given(st.text(), st.text(), st.integers())
def test_same_text_as_djangos_format_html_for_any_value(text, other, number):
    template = '<td title="{}">{} · {}</td><td>{named}</td>'
    assert format_html(template, text, number, mark_safe("<b>ok</b>"), named=other) == django_html.format_html(
        template, text, number, mark_safe("<b>ok</b>"), named=other
    )


def test_escapes_markup_keeps_safe_text_and_translates_lazy_text():
    with override("es"):
        result = format_html("<p>{}</p>{}{}", "<script>'&\"", mark_safe("<em>ya seguro</em>"), gettext_lazy("Payment"))
    assert result == "<p>&lt;script&gt;&#x27;&amp;&quot;</p><em>ya seguro</em>Pago"
    assert isinstance(result, SafeString)
