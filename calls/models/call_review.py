"""Call review: recordings of calls (with the ones replaced) and supervisors' QA scorecards."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calls.models.call import Call


def recording_upload_to(instance, filename: str) -> str:
    # A name the uploader does not choose: no path tricks, no collisions, no debtor names.
    import uuid
    from pathlib import PurePath

    suffix = PurePath(filename).suffix.lower()[:8]
    return f"recordings/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class CallRecording(models.Model):
    """The audio of a call, kept in Django's default storage (local disk or S3-compatible)."""

    call = models.OneToOneField(Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="recording")
    file = models.FileField(_("audio file"), upload_to=recording_upload_to, max_length=200)
    content_type = models.CharField(_("type"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    original_name = models.CharField(_("original file name"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("call recording")
        verbose_name_plural = _("call recordings")
        constraints = [models.CheckConstraint(condition=Q(size__gt=0), name="recording_not_empty")]

    def __str__(self) -> str:
        return f"{self.call_id}: {self.original_name or self.file.name}"


class CallRecordingVersion(models.Model):
    """A recording that was replaced: its file stays in storage, with who replaced it, when and
    why. A scorecard may have been filled from it, so a replacement never erases what was heard."""

    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="recording_versions")
    file = models.FileField(_("audio file"), upload_to=recording_upload_to, max_length=200)
    content_type = models.CharField(_("type"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    original_name = models.CharField(_("original file name"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    uploaded_at = models.DateTimeField(_("uploaded"))
    replaced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("replaced by"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    replaced_at = models.DateTimeField(_("replaced"), default=timezone.now)
    reason = models.CharField(_("reason for replacing"), max_length=500)

    class Meta:
        verbose_name = _("replaced call recording")
        verbose_name_plural = _("replaced call recordings")
        ordering = ["-replaced_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="recording_version_not_empty"),
            # Who replaced a recording must say why (the review page asks; the admin cannot skip it).
            models.CheckConstraint(condition=~Q(reason=""), name="recording_version_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.call_id}: {self.original_name or self.file.name} ({self.replaced_at:%Y-%m-%d %H:%M})"


class CallReview(models.Model):
    """A supervisor's QA scorecard for one call, on the steps of the call method (README, "Supervisor dashboards and call review")."""

    # The scorecard's questions, in the order of the call: (field name, label).
    CRITERIA = (
        ("identified", _("Identified themselves and the creditor, and confirmed the right party")),
        ("kept_control", _("Kept control and brought the conversation back to the debt")),
        ("told_objection_from_situation", _("Told an objection from a situation")),
        ("offered_options", _("Offered options both sides can live with")),
        ("obtained_commitment", _("Obtained a commitment")),
        ("read_back", _("Read the agreement back (amount, date, channel, next step)")),
        ("respectful", _("Stayed respectful, no pressure or threats")),
    )

    call = models.OneToOneField(Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="review")
    # The collector the call belongs to, stored so "my scores" and the dashboard need no join.
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("collector"), on_delete=models.PROTECT, related_name="call_reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    identified = models.BooleanField(CRITERIA[0][1], default=False)
    kept_control = models.BooleanField(CRITERIA[1][1], default=False)
    told_objection_from_situation = models.BooleanField(CRITERIA[2][1], default=False)
    offered_options = models.BooleanField(CRITERIA[3][1], default=False)
    obtained_commitment = models.BooleanField(CRITERIA[4][1], default=False)
    read_back = models.BooleanField(CRITERIA[5][1], default=False)
    respectful = models.BooleanField(CRITERIA[6][1], default=False)
    # Share of the criteria met, 0–100; stored so averages are one SQL aggregate.
    score = models.PositiveSmallIntegerField(_("score"))
    comments = models.TextField(_("comments"), blank=True)
    call_started_at = models.DateTimeField(_("call started"))
    reviewed_at = models.DateTimeField(_("reviewed"), default=timezone.now)

    class Meta:
        verbose_name = _("call review")
        verbose_name_plural = _("call reviews")
        ordering = ["-reviewed_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(score__lte=100), name="review_score_at_most_100")]
        indexes = [models.Index(fields=["collector", "call_started_at"], name="review_collector_started_idx")]

    def __str__(self) -> str:
        return f"{self.call_id}: {self.score}"

    @classmethod
    def score_for(cls, answers: dict) -> int:
        met = sum(1 for name, _label in cls.CRITERIA if answers.get(name))
        return round(100 * met / len(cls.CRITERIA))
