"""SavedFilter: a named set of conditions on debtors, as the debtor list's query string.

Saved once and used wherever debtors are chosen by conditions: the API's debtor list
(`?saved_filter=<id>`) and a portfolio's segments (`scoring.Segment.saved_filter`).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedFilter(models.Model):
    name = models.CharField(
        _("name"), max_length=100, unique=True, error_messages={"unique": _("A saved filter already has this name.")}
    )
    query = models.CharField(
        _("conditions"),
        max_length=1000,
        help_text=_(
            "As the debtor list's query string, e.g. product=tarjeta&consents_to=whatsapp&on_hold=false. "
            "Conditions: search, portfolio, assigned_to, language, on_hold, with_balance, product, "
            "consents_to, each hold, score_from, score_below, segment, strategy."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=~models.Q(query=""), name="saved_filter_has_conditions")]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from debtors.filters import query_problems  # the filters read these models

        problems = query_problems(self.query)
        if problems:
            raise ValidationError({"query": problems})
